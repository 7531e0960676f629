package dev.lowrank.cli;

import dev.lowrank.io.RatingsFormat;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The {@code --format} values: {@code csv} (MovieLens ratings.csv, with header), {@code dat} (MovieLens
 * 1M/10M {@code ::}), {@code udata} (MovieLens 100K, tab), {@code mm} (MatrixMarket coordinate) and
 * {@code delimited(sep=tab,header=false,user=0,item=1,rating=2,timestamp=-1)} with any of those keys
 * (the values shown are the defaults; {@code rating=-1} reads implicit feedback). Without
 * {@code --format} the file name decides: *.dat, u.data or *.data, *.mtx or *.mm, anything else csv.
 */
final class Formats {
    static final String HELP = "csv | dat | udata | mm | delimited(sep=tab,header=false,user=0,item=1,rating=2,timestamp=-1)";

    private Formats() {
    }

    static RatingsFormat of(String command, String spec, Path file) throws UsageException {
        if (spec == null) {
            return guess(file);
        }
        String s = spec.trim();
        switch (s.toLowerCase(Locale.ROOT)) {
            case "csv", "movielens-csv" -> {
                return RatingsFormat.MOVIELENS_CSV;
            }
            case "dat", "movielens-dat" -> {
                return RatingsFormat.MOVIELENS_DAT;
            }
            case "udata", "u.data", "movielens-udata" -> {
                return RatingsFormat.MOVIELENS_UDATA;
            }
            case "mm", "mtx", "matrix-market" -> {
                return RatingsFormat.MATRIX_MARKET;
            }
            default -> {
                if (s.startsWith("delimited(") && s.endsWith(")")) {
                    return delimited(command, s.substring("delimited(".length(), s.length() - 1));
                }
                if (s.equals("delimited")) {
                    return delimited(command, "");
                }
                throw new UsageException(command, "unknown --format '" + spec + "'; use " + HELP);
            }
        }
    }

    private static RatingsFormat guess(Path file) {
        Path name = file.getFileName();
        String n = name == null ? "" : name.toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".dat")) {
            return RatingsFormat.MOVIELENS_DAT;
        }
        if (n.endsWith(".data")) {
            return RatingsFormat.MOVIELENS_UDATA;
        }
        if (n.endsWith(".mtx") || n.endsWith(".mm")) {
            return RatingsFormat.MATRIX_MARKET;
        }
        return RatingsFormat.MOVIELENS_CSV;
    }

    private static RatingsFormat delimited(String command, String body) throws UsageException {
        String sep = "\t";
        boolean header = false;
        int user = 0;
        int item = 1;
        int rating = 2;
        int timestamp = -1;
        if (!body.isBlank()) {
            for (String part : body.split(",", -1)) {
                int eq = part.indexOf('=');
                if (eq < 0) {
                    throw new UsageException(command, "--format delimited(...): '" + part + "' is not key=value; use " + HELP);
                }
                String key = part.substring(0, eq).trim().toLowerCase(Locale.ROOT);
                String value = part.substring(eq + 1);
                switch (key) {
                    case "sep", "delimiter" -> sep = separator(command, value);
                    case "header" -> header = bool(command, value.trim());
                    case "user" -> user = field(command, key, value);
                    case "item" -> item = field(command, key, value);
                    case "rating" -> rating = field(command, key, value);
                    case "timestamp" -> timestamp = field(command, key, value);
                    default -> throw new UsageException(command, "--format delimited(...): unknown key '" + key
                            + "' (sep, header, user, item, rating, timestamp)");
                }
            }
        }
        try {
            return RatingsFormat.delimited(sep, header, user, item, rating, timestamp);
        } catch (IllegalArgumentException e) {
            throw new UsageException(command, "--format delimited(...): " + e.getMessage());
        }
    }

    /** Names for separators that would be awkward inside the parentheses or on a shell line. */
    private static String separator(String command, String value) throws UsageException {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "tab", "\\t" -> "\t";
            case "comma" -> ",";
            case "space" -> " ";
            case "semicolon" -> ";";
            case "pipe" -> "|";
            case "colon" -> ":";
            default -> {
                if (value.isEmpty()) {
                    throw new UsageException(command, "--format delimited(...): sep is empty");
                }
                yield value;
            }
        };
    }

    private static boolean bool(String command, String value) throws UsageException {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw new UsageException(command, "--format delimited(...): header=" + value + " is not true or false");
        };
    }

    private static int field(String command, String key, String value) throws UsageException {
        try {
            int f = Integer.parseInt(value.trim());
            if (f < -1) {
                throw new NumberFormatException();
            }
            return f;
        } catch (NumberFormatException e) {
            throw new UsageException(command, "--format delimited(...): " + key + "=" + value
                    + " is not a field number (0-based, or -1 for absent)");
        }
    }
}
