package dev.lowrank.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A model file that cannot be loaded: truncated, corrupt (checksum mismatch, inconsistent header,
 * invalid contents), not a lowrank model file (bad magic) or of a format version this code cannot read.
 * The message names the file and the problem; {@link #file()} and {@link #problem()} give them apart.
 */
public final class ModelFileException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String problem;

    public ModelFileException(Path file, String problem) {
        this(file, problem, null);
    }

    public ModelFileException(Path file, String problem, Throwable cause) {
        super(Objects.requireNonNull(file, "file") + ": " + Objects.requireNonNull(problem, "problem"), cause);
        this.file = file;
        this.problem = problem;
    }

    /** The file that could not be loaded. */
    public Path file() {
        return file;
    }

    /** What is wrong with it, e.g. "truncated: header says 1234567 bytes, file has 1000". */
    public String problem() {
        return problem;
    }
}
