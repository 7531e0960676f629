package dev.lowrank.io;

import java.io.IOException;

/** A line of a ratings file that cannot be read: names the file, the line number and what was wrong. */
public final class RatingsParseException extends IOException {
    private final String file;
    private final long line;

    public RatingsParseException(String file, long line, String problem) {
        super(file + ":" + line + ": " + problem);
        this.file = file;
        this.line = line;
    }

    /** The file's name as given to the reader. */
    public String file() {
        return file;
    }

    /** The 1-based line number. */
    public long line() {
        return line;
    }
}
