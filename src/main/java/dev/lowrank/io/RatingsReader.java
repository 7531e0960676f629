package dev.lowrank.io;

import dev.lowrank.matrix.DuplicatePolicy;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * Reads ratings files line by line (memory beyond the result stays constant). A malformed line stops
 * the read with a {@link RatingsParseException} naming the file, the line and the problem, unless
 * {@link #skippingBadLines()} was asked for, in which case it is skipped and counted
 * ({@link Ratings#skippedLines()}). Repeated (user, item) pairs are an error by default; see
 * {@link #withDuplicates}. Blank lines are ignored; a UTF-8 byte-order mark and CRLF line ends are
 * accepted.
 *
 * <pre>{@code
 * Ratings ratings = RatingsReader.of(RatingsFormat.MOVIELENS_CSV).read(Path.of("ratings.csv"));
 * }</pre>
 */
public final class RatingsReader {
    /** Heap an {@link IdMap} entry costs: the id string, its hash-map node and boxed index, a list slot. */
    private static final long BYTES_PER_ID = 128;

    private final RatingsFormat format;
    private final boolean skipBadLines;
    private final DuplicatePolicy duplicates;

    private RatingsReader(RatingsFormat format, boolean skipBadLines, DuplicatePolicy duplicates) {
        this.format = format;
        this.skipBadLines = skipBadLines;
        this.duplicates = duplicates;
    }

    /** A reader for {@code format} that fails on the first bad line and on duplicate pairs. */
    public static RatingsReader of(RatingsFormat format) {
        return new RatingsReader(Objects.requireNonNull(format, "format"), false, DuplicatePolicy.ERROR);
    }

    /** The same reader, but skipping and counting malformed lines instead of failing. */
    public RatingsReader skippingBadLines() {
        return new RatingsReader(format, true, duplicates);
    }

    /** The same reader with another policy for repeated (user, item) pairs (LAST: the later line wins). */
    public RatingsReader withDuplicates(DuplicatePolicy policy) {
        return new RatingsReader(format, skipBadLines, Objects.requireNonNull(policy, "policy"));
    }

    /** Reads {@code file} (UTF-8). */
    public Ratings read(Path file) throws IOException {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return read(in, file.toString());
        }
    }

    /** Reads from {@code in}; {@code name} is what error messages call the source. */
    public Ratings read(BufferedReader in, String name) throws IOException {
        Parse parse = new Parse(name);
        if (format.isMatrixMarket()) {
            parse.matrixMarket(in);
        } else {
            parse.delimited(in);
        }
        try {
            return parse.builder.build(duplicates);
        } catch (Ratings.DuplicateRatingException e) {
            throw new RatingsParseException(name, parse.lines[e.second()],
                    e.getMessage().replaceFirst(" \\(entries.*", "") + " (first on line " + parse.lines[e.first()] + ")");
        }
    }

    /** A line that cannot be used, with what is wrong. */
    private static final class BadLine extends Exception {
        BadLine(String problem) {
            super(problem, null, false, false);
        }
    }

    /** The state of one read. */
    private final class Parse {
        final String name;
        final Ratings.Builder builder = Ratings.builder();
        /** Line number of each rating added, to point at both lines of a duplicate. */
        long[] lines = new long[1024];
        long lineNumber;

        Parse(String name) {
            this.name = name;
        }

        void delimited(BufferedReader in) throws IOException {
            String[] fields = new String[format.requiredFields()];
            String line;
            while ((line = nextLine(in)) != null) {
                if (lineNumber == 1 && format.header()) {
                    continue;
                }
                if (line.isBlank()) {
                    continue;
                }
                try {
                    split(line, fields);
                    String user = id(fields[format.userField()], "user");
                    String item = id(fields[format.itemField()], "item");
                    float rating = format.ratingField() < 0 ? 1f : number(fields[format.ratingField()], "rating");
                    if (format.timestampField() < 0) {
                        add(() -> builder.add(user, item, rating));
                    } else {
                        long time = integer(fields[format.timestampField()], "timestamp");
                        add(() -> builder.add(user, item, rating, time));
                    }
                } catch (BadLine bad) {
                    reject(bad);
                }
            }
        }

        void matrixMarket(BufferedReader in) throws IOException {
            String header = nextLine(in);
            if (header == null || !header.regionMatches(true, 0, "%%MatrixMarket", 0, 14)) {
                throw new RatingsParseException(name, Math.max(1, lineNumber),
                        "not a MatrixMarket file: the first line must start with %%MatrixMarket");
            }
            String[] banner = header.trim().toLowerCase(Locale.ROOT).split("\\s+");
            if (banner.length != 5 || !banner[1].equals("matrix") || !banner[2].equals("coordinate")) {
                throw new RatingsParseException(name, lineNumber,
                        "only '%%MatrixMarket matrix coordinate <field> <symmetry>' is supported, not '" + header.trim() + "'");
            }
            String field = banner[3];
            String symmetry = banner[4];
            if (!field.equals("real") && !field.equals("integer") && !field.equals("pattern")) {
                throw new RatingsParseException(name, lineNumber, "field '" + field
                        + "' is not supported (use real, integer or pattern)");
            }
            if (!symmetry.equals("general") && !symmetry.equals("symmetric") && !symmetry.equals("skew-symmetric")) {
                throw new RatingsParseException(name, lineNumber, "symmetry '" + symmetry
                        + "' is not supported (use general, symmetric or skew-symmetric)");
            }
            String line;
            do {
                line = nextLine(in);
            } while (line != null && (line.isBlank() || line.startsWith("%")));
            if (line == null) {
                throw new RatingsParseException(name, lineNumber, "the size line 'rows cols entries' is missing");
            }
            long[] size = sizeLine(line);
            int rows = (int) size[0];
            int cols = (int) size[1];
            long declared = size[2];
            if (!symmetry.equals("general") && rows != cols) {
                throw new RatingsParseException(name, lineNumber, "a " + symmetry + " matrix must be square, not "
                        + rows + "x" + cols);
            }
            // Every declared row and column gets an id up front (~100 heap bytes each), so a 30-byte file
            // declaring 2^31 rows would otherwise run the JVM out of heap, or for minutes, before any entry.
            long idBytes = ((long) rows + cols) * BYTES_PER_ID;
            if (idBytes > Runtime.getRuntime().maxMemory()) {
                throw new RatingsParseException(name, lineNumber, "the size line declares a " + rows + "x" + cols
                        + " matrix, whose row and column ids alone need about " + (idBytes >> 20)
                        + " MiB, more than this JVM's heap (" + (Runtime.getRuntime().maxMemory() >> 20)
                        + " MiB); check the size line or raise -Xmx");
            }
            for (int i = 1; i <= rows; i++) {
                builder.addUser(Integer.toString(i));
            }
            for (int j = 1; j <= cols; j++) {
                builder.addItem(Integer.toString(j));
            }
            int valueFields = field.equals("pattern") ? 2 : 3;
            String[] fields = new String[valueFields];
            long entries = 0;
            while ((line = nextLine(in)) != null) {
                if (line.isBlank() || line.startsWith("%")) {
                    continue;
                }
                if (++entries > declared) {
                    throw new RatingsParseException(name, lineNumber, "more entries than the " + declared
                            + " the size line declares");
                }
                try {
                    splitWhitespace(line, fields);
                    int i = index(fields[0], rows, "row");
                    int j = index(fields[1], cols, "column");
                    float v = valueFields == 2 ? 1f : number(fields[2], "value");
                    // Ids are the file's 1-based numbers, registered above in order, so index = number - 1.
                    add(() -> builder.add(Integer.toString(i + 1), Integer.toString(j + 1), v));
                    if (i != j && !symmetry.equals("general")) {
                        float mirrored = symmetry.equals("symmetric") ? v : -v;
                        add(() -> builder.add(Integer.toString(j + 1), Integer.toString(i + 1), mirrored));
                    }
                } catch (BadLine bad) {
                    reject(bad);
                }
            }
            if (entries != declared) {
                throw new RatingsParseException(name, lineNumber, "the size line declares " + declared
                        + " entries but the file has " + entries);
            }
        }

        private long[] sizeLine(String line) throws RatingsParseException {
            String[] parts = line.trim().split("\\s+");
            if (parts.length != 3) {
                throw new RatingsParseException(name, lineNumber, "the size line must be 'rows cols entries', not '"
                        + line.trim() + "'");
            }
            long[] size = new long[3];
            for (int t = 0; t < 3; t++) {
                try {
                    size[t] = Long.parseLong(parts[t]);
                } catch (NumberFormatException e) {
                    size[t] = -1;
                }
                long limit = t < 2 ? Integer.MAX_VALUE : Long.MAX_VALUE;
                if (size[t] < 0 || size[t] > limit) {
                    throw new RatingsParseException(name, lineNumber, "'" + parts[t]
                            + "' in the size line is not a count in [0, " + limit + "]");
                }
            }
            return size;
        }

        private String nextLine(BufferedReader in) throws IOException {
            String line;
            try {
                line = in.readLine();
            } catch (CharacterCodingException e) {
                // Without this the user gets "MalformedInputException: Input length = 1" and no line.
                throw new RatingsParseException(name, lineNumber + 1, "the bytes are not valid UTF-8 (" + e
                        + "); re-encode the file as UTF-8");
            }
            if (line != null) {
                lineNumber++;
                if (lineNumber == 1 && !line.isEmpty() && line.charAt(0) == '\uFEFF') {
                    line = line.substring(1);
                }
            }
            return line;
        }

        private void add(Runnable addition) throws BadLine {
            try {
                addition.run();
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new BadLine(e.getMessage());
            }
            while (lines.length < builder.size()) {
                lines = Arrays.copyOf(lines, lines.length * 2);
            }
            for (int t = builder.size() - 1; t >= 0 && lines[t] == 0; t--) {
                lines[t] = lineNumber;
            }
        }

        private void reject(BadLine bad) throws RatingsParseException {
            if (!skipBadLines) {
                throw new RatingsParseException(name, lineNumber, bad.getMessage());
            }
            builder.countSkippedLine();
        }

        private void split(String line, String[] fields) throws BadLine {
            String delimiter = format.delimiter();
            int from = 0;
            int found = 0;
            while (found < fields.length) {
                int at = line.indexOf(delimiter, from);
                fields[found++] = (at < 0 ? line.substring(from) : line.substring(from, at)).trim();
                if (at < 0) {
                    break;
                }
                from = at + delimiter.length();
            }
            if (found < fields.length) {
                throw new BadLine("expected at least " + fields.length + " fields separated by \""
                        + delimiter.replace("\t", "\\t") + "\" but found " + found);
            }
        }

        private void splitWhitespace(String line, String[] fields) throws BadLine {
            String[] parts = line.trim().split("\\s+");
            if (parts.length != fields.length) {
                throw new BadLine("expected " + fields.length + " numbers but found " + parts.length);
            }
            System.arraycopy(parts, 0, fields, 0, fields.length);
        }
    }

    private static String id(String text, String what) throws BadLine {
        if (text.isEmpty()) {
            throw new BadLine("the " + what + " id is empty");
        }
        return text;
    }

    /** A decimal number ("4", "3.5", "-1e-3"); Java's extras ("1f", "0x1p3", "NaN") are refused. */
    private static float number(String text, String what) throws BadLine {
        boolean plain = !text.isEmpty();
        for (int t = 0; t < text.length() && plain; t++) {
            char c = text.charAt(t);
            plain = (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E';
        }
        float value;
        try {
            value = plain ? Float.parseFloat(text) : Float.NaN;
        } catch (NumberFormatException e) {
            plain = false;
            value = Float.NaN;
        }
        if (!plain) {
            throw new BadLine("the " + what + " \"" + text + "\" is not a number");
        }
        if (!Float.isFinite(value)) {
            throw new BadLine("the " + what + " \"" + text + "\" is out of float range");
        }
        return value;
    }

    private static long integer(String text, String what) throws BadLine {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new BadLine("the " + what + " \"" + text + "\" is not an integer");
        }
    }

    private static int index(String text, int count, String what) throws BadLine {
        long i;
        try {
            i = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new BadLine("the " + what + " \"" + text + "\" is not an integer");
        }
        if (i < 1 || i > count) {
            throw new BadLine("the " + what + " " + i + " is out of range [1, " + count + "]");
        }
        return (int) i - 1;
    }
}
