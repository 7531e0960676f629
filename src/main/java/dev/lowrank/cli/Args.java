package dev.lowrank.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The flags of one command, parsed by hand: {@code --name value}, {@code --name=value}, single-dash short
 * forms listed as aliases, and switches without a value. Anything else (an unknown flag, a stray word, a
 * flag given twice, a value flag at the end of the line) is a {@link UsageException}, so a typo never
 * silently falls back to a default.
 */
final class Args {
    private final String command;
    private final Map<String, String> values;
    private final Set<String> switchesGiven;

    private Args(String command, Map<String, String> values, Set<String> switchesGiven) {
        this.command = command;
        this.values = values;
        this.switchesGiven = switchesGiven;
    }

    /**
     * Parses {@code argv} for {@code command}: {@code valueFlags} take a value, {@code switches} do not;
     * {@code aliases} maps short spellings ("-n") to long ones ("--n"). Names include their dashes.
     */
    static Args parse(String command, String[] argv, Set<String> valueFlags, Set<String> switches,
                      Map<String, String> aliases) throws UsageException {
        Map<String, String> values = new LinkedHashMap<>();
        Set<String> given = new java.util.LinkedHashSet<>();
        for (int t = 0; t < argv.length; t++) {
            String arg = argv[t];
            if (!arg.startsWith("-") || arg.equals("-") || arg.equals("--")) {
                throw new UsageException(command, "unexpected argument '" + arg + "'");
            }
            String name = arg;
            String inline = null;
            int eq = arg.indexOf('=');
            if (eq > 0) {
                name = arg.substring(0, eq);
                inline = arg.substring(eq + 1);
            }
            name = aliases.getOrDefault(name, name);
            if (switches.contains(name)) {
                if (inline != null) {
                    throw new UsageException(command, name + " takes no value");
                }
                if (!given.add(name)) {
                    throw new UsageException(command, name + " is given twice");
                }
            } else if (valueFlags.contains(name)) {
                String value = inline;
                if (value == null) {
                    // A following flag is not taken as the value ("--rank --epochs 5"), a negative number is.
                    if (t + 1 == argv.length || argv[t + 1].startsWith("--")) {
                        throw new UsageException(command, name + " needs a value");
                    }
                    value = argv[++t];
                }
                if (values.put(name, value) != null) {
                    throw new UsageException(command, name + " is given twice");
                }
            } else {
                throw new UsageException(command, "unknown option '" + name + "' for " + command);
            }
        }
        return new Args(command, values, given);
    }

    String command() {
        return command;
    }

    boolean has(String name) {
        return values.containsKey(name) || switchesGiven.contains(name);
    }

    boolean flag(String name) {
        return switchesGiven.contains(name);
    }

    String string(String name, String otherwise) {
        return values.getOrDefault(name, otherwise);
    }

    String required(String name) throws UsageException {
        String v = values.get(name);
        if (v == null) {
            throw new UsageException(command, name + " is required");
        }
        if (v.isBlank()) {
            throw new UsageException(command, name + " must not be empty");
        }
        return v;
    }

    Path path(String name) throws UsageException {
        String v = required(name);
        try {
            return Path.of(v);
        } catch (java.nio.file.InvalidPathException e) {
            throw new UsageException(command, name + " '" + v + "' is not a valid path: " + e.getReason());
        }
    }

    /** An integer of at least {@code min}. */
    int integer(String name, int otherwise, int min) throws UsageException {
        String v = values.get(name);
        if (v == null) {
            return otherwise;
        }
        int x;
        try {
            x = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(command, name + " '" + v + "' is not a whole number");
        }
        if (x < min) {
            throw new UsageException(command, name + " is " + x + " but must be at least " + min);
        }
        return x;
    }

    long longValue(String name, long otherwise) throws UsageException {
        String v = values.get(name);
        if (v == null) {
            return otherwise;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(command, name + " '" + v + "' is not a whole number");
        }
    }

    /** A finite number {@code >= min} (or {@code > min} when {@code exclusive}). */
    double number(String name, double otherwise, double min, boolean exclusive) throws UsageException {
        String v = values.get(name);
        if (v == null) {
            return otherwise;
        }
        double x = parseNumber(name, v);
        if (exclusive ? !(x > min) : !(x >= min)) {
            throw new UsageException(command, name + " is " + v + " but must be " + (exclusive ? "> " : ">= ")
                    + fmt(min));
        }
        return x;
    }

    /** A number strictly between 0 and 1. */
    double fraction(String name, double otherwise) throws UsageException {
        String v = values.get(name);
        if (v == null) {
            return otherwise;
        }
        double x = parseNumber(name, v);
        if (!(x > 0 && x < 1)) {
            throw new UsageException(command, name + " is " + v + " but must be between 0 and 1 (exclusive)");
        }
        return x;
    }

    private double parseNumber(String name, String v) throws UsageException {
        String s = v.trim();
        // Double.parseDouble also takes "NaN", "Infinity", "1f" and hex: none is a sensible setting here.
        if (!s.matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?")) {
            throw new UsageException(command, name + " '" + v + "' is not a number");
        }
        double x = Double.parseDouble(s);
        if (!Double.isFinite(x)) {
            throw new UsageException(command, name + " '" + v + "' is out of range");
        }
        return x;
    }

    private static String fmt(double x) {
        return x == Math.rint(x) ? Long.toString((long) x) : String.format(Locale.ROOT, "%s", x);
    }
}
