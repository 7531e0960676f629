package dev.lowrank.cli;

import java.util.List;

/**
 * A minimal JSON object writer for the {@code --json} output (the library has no dependencies, so no
 * JSON library). Keys keep insertion order; non-finite numbers become {@code null} (JSON has no NaN);
 * strings are escaped per RFC 8259, including control characters and unpaired surrogates, so the output
 * is valid whatever a file name or an id contains.
 */
final class Json {
    private final StringBuilder text = new StringBuilder("{");
    private boolean empty = true;

    static Json object() {
        return new Json();
    }

    Json put(String key, String value) {
        key(key);
        if (value == null) {
            text.append("null");
        } else {
            quote(value, text);
        }
        return this;
    }

    Json put(String key, long value) {
        key(key).append(value);
        return this;
    }

    Json put(String key, double value) {
        number(value, key(key));
        return this;
    }

    Json put(String key, boolean value) {
        key(key).append(value);
        return this;
    }

    Json put(String key, Json value) {
        key(key);
        text.append(value == null ? "null" : value.toString());
        return this;
    }

    Json put(String key, double[] values) {
        StringBuilder out = key(key).append('[');
        for (int t = 0; t < values.length; t++) {
            if (t > 0) {
                out.append(',');
            }
            number(values[t], out);
        }
        out.append(']');
        return this;
    }

    Json put(String key, List<Json> values) {
        StringBuilder out = key(key).append('[');
        for (int t = 0; t < values.size(); t++) {
            if (t > 0) {
                out.append(',');
            }
            out.append(values.get(t));
        }
        out.append(']');
        return this;
    }

    @Override
    public String toString() {
        return text + "}";
    }

    private StringBuilder key(String key) {
        if (!empty) {
            text.append(',');
        }
        empty = false;
        quote(key, text);
        return text.append(':');
    }

    private static void number(double x, StringBuilder out) {
        if (!Double.isFinite(x)) {
            out.append("null");
        } else if (x == Math.rint(x) && Math.abs(x) < 1e15) {
            out.append((long) x);
        } else {
            // Double.toString gives forms like 1.0E-5, which are valid JSON numbers.
            out.append(x);
        }
    }

    /** Appends {@code s} as a JSON string literal. */
    static void quote(String s, StringBuilder out) {
        out.append('"');
        for (int t = 0; t < s.length(); t++) {
            char c = s.charAt(t);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    boolean pairedHigh = Character.isHighSurrogate(c) && t + 1 < s.length()
                            && Character.isLowSurrogate(s.charAt(t + 1));
                    if (pairedHigh) {
                        out.append(c).append(s.charAt(++t));
                    } else if (c < 0x20 || Character.isSurrogate(c) || c == '\u2028' || c == '\u2029') {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    static String quote(String s) {
        StringBuilder out = new StringBuilder();
        quote(s, out);
        return out.toString();
    }
}
