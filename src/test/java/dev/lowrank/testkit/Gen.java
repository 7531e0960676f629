package dev.lowrank.testkit;

import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.matrix.DuplicatePolicy;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A seeded generator of awkward shapes and values for property tests. It records a description of
 * everything it makes, so {@link #describe()} in an assertion message prints the seed and the shapes.
 * Matrices it makes are closed by {@link #close()} (use try-with-resources).
 */
public final class Gen implements AutoCloseable {

    /**
     * Dimensions that break vector code: empty, single, around the 128/256/512-bit lane counts (4, 8,
     * 16), around the GEMM register tile (6, 12, 24, 48), and primes.
     */
    private static final int[] AWKWARD = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15, 16, 17, 23, 24, 25,
            31, 32, 33, 47, 48, 49, 61, 64, 65, 97, 127, 128, 129, 193, 257};

    private final long seed;
    private final SplittableRandom random;
    private final StringBuilder description = new StringBuilder();
    private final List<AutoCloseable> owned = new ArrayList<>();

    public Gen(long seed) {
        this.seed = seed;
        this.random = new SplittableRandom(seed);
    }

    public long seed() {
        return seed;
    }

    public SplittableRandom random() {
        return random;
    }

    /** "seed=N: what was generated", for assertion messages. */
    public String describe() {
        return "seed=" + seed + ":" + description;
    }

    /** Adds a note (a chosen option, a scalar) to {@link #describe()}. */
    public Gen note(String what) {
        description.append(' ').append(what);
        return this;
    }

    /** A dimension in [0, max]: an awkward one half of the time, else uniform. */
    public int dim(int max) {
        return dim(0, max);
    }

    /** A dimension in [min, max]: an awkward one half of the time, else uniform. */
    public int dim(int min, int max) {
        if (random.nextBoolean()) {
            for (int tries = 0; tries < 8; tries++) {
                int d = AWKWARD[random.nextInt(AWKWARD.length)];
                if (d >= min && d <= max) {
                    return d;
                }
            }
        }
        return min + random.nextInt(max - min + 1);
    }

    public int nextInt(int bound) {
        return random.nextInt(bound);
    }

    public boolean nextBoolean() {
        return random.nextBoolean();
    }

    /** One value: mostly standard normal, sometimes 0, tiny (1e-6 scale), large (1e3 scale) or an integer. */
    public float value() {
        double g = random.nextGaussian();
        return switch (random.nextInt(10)) {
            case 0 -> 0f;
            case 1 -> (float) (g * 1e-6);
            case 2 -> (float) (g * 1e3);
            case 3 -> (float) Math.rint(g * 4);
            default -> (float) g;
        };
    }

    /** A scalar for alpha/beta-style arguments: 0, 1, -1 or random. */
    public float scalar() {
        return switch (random.nextInt(5)) {
            case 0 -> 0f;
            case 1 -> 1f;
            case 2 -> -1f;
            default -> (float) random.nextGaussian();
        };
    }

    /** A rows×cols array of {@link #value()}s. */
    public float[][] values(int rows, int cols) {
        float[][] v = new float[rows][cols];
        for (float[] row : v) {
            for (int j = 0; j < cols; j++) {
                row[j] = value();
            }
        }
        return v;
    }

    /** A new dense matrix of {@link #value()}s, closed with this generator. */
    public DenseMatrix dense(String name, int rows, int cols) {
        note(name + "=" + rows + "x" + cols);
        return own(DenseMatrix.of(rows, cols, flatten(values(rows, cols), cols)));
    }

    /**
     * Like {@link #dense}, but a third of the time the matrix wraps a tight caller segment instead: row
     * stride cols, cols+1 or cols+2 (no 64-byte padding), start shifted 0–12 bytes off the cache line,
     * and the segment ending exactly at the last element, so a kernel that writes or reads past a row's
     * end hits the next row or the segment's bounds check.
     */
    public DenseMatrix anyDense(String name, int rows, int cols) {
        if (random.nextInt(3) != 0) {
            return dense(name, rows, cols);
        }
        int stride = cols + random.nextInt(3);
        int shift = random.nextInt(4) * Float.BYTES;
        long needed = rows == 0 ? 0 : (((long) rows - 1) * stride + cols) * Float.BYTES;
        Arena arena = own(Arena.ofShared());
        MemorySegment segment = arena.allocate(needed + shift, DenseMatrix.ALIGNMENT_BYTES).asSlice(shift, needed);
        DenseMatrix m = own(DenseMatrix.wrap(segment, rows, cols, stride));
        m.copyFrom(flatten(values(rows, cols), cols));
        note(name + "=" + rows + "x" + cols + "/wrapped,stride" + stride + ",+" + shift + "B");
        return m;
    }

    /** A new dense matrix of integers in [-bound, bound] (exact in float, so equal scores really tie). */
    public DenseMatrix denseInts(String name, int rows, int cols, int bound) {
        float[] flat = new float[rows * cols];
        for (int t = 0; t < flat.length; t++) {
            flat[t] = random.nextInt(2 * bound + 1) - bound;
        }
        note(name + "=" + rows + "x" + cols + "/ints" + bound);
        return own(DenseMatrix.of(rows, cols, flat));
    }

    /** Writes NaN into every element through the segment, to prove a kernel does not read them. */
    public static void poison(DenseMatrix m) {
        MemorySegment s = m.segment();
        for (int i = 0; i < m.rows(); i++) {
            for (int j = 0; j < m.cols(); j++) {
                s.set(ValueLayout.JAVA_FLOAT, m.offset(i, j), Float.NaN);
            }
        }
    }

    /** Writes NaN into every stored value of {@code m} through {@link CsrMatrix#values()}. */
    public static void poison(CsrMatrix m) {
        for (long p = 0; p < m.nnz(); p++) {
            m.values().setAtIndex(ValueLayout.JAVA_FLOAT, p, Float.NaN);
        }
    }

    /**
     * Fails unless every float between the end of a row and the start of the next (the padding, within
     * the segment) is still 0: a kernel must never write there.
     */
    public static void assertPaddingZero(DenseMatrix m, String context) {
        MemorySegment s = m.segment();
        for (int i = 0; i < m.rows(); i++) {
            for (int j = m.cols(); j < m.rowStride(); j++) {
                long o = m.offset(i, j);
                if (o + Float.BYTES <= s.byteSize() && s.get(ValueLayout.JAVA_FLOAT, o) != 0f) {
                    org.junit.jupiter.api.Assertions.fail(context + ": padding float " + j + " of row " + i + " of "
                            + m + " was overwritten with " + s.get(ValueLayout.JAVA_FLOAT, o));
                }
            }
        }
    }

    /** A sparse matrix with each entry present with probability {@code density}, closed with this generator. */
    public CsrMatrix csrUniform(String name, int rows, int cols, double density) {
        CsrMatrix.Builder b = CsrMatrix.builder(rows, cols);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                if (random.nextDouble() < density) {
                    float x = value();
                    b.add(i, j, x == 0f ? 1f : x);
                }
            }
        }
        CsrMatrix m = own(b.build(DuplicatePolicy.ERROR));
        note(name + "=" + rows + "x" + cols + "/nnz" + m.nnz() + "/uniform");
        return m;
    }

    /**
     * A random sparse matrix in one of several layouts: uniform density, empty, some empty rows, one
     * dense row, a single column. Closed with this generator.
     */
    public CsrMatrix csr(String name, int rows, int cols) {
        int layout = rows == 0 || cols == 0 ? 1 : random.nextInt(6);
        List<int[]> positions = new ArrayList<>();
        switch (layout) {
            case 0, 5 -> { // uniform, density in (0, 0.5]
                double density = 0.5 * random.nextDouble() + 1e-3;
                for (int i = 0; i < rows; i++) {
                    for (int j = 0; j < cols; j++) {
                        if (random.nextDouble() < density) {
                            positions.add(new int[] {i, j});
                        }
                    }
                }
            }
            case 1 -> { } // empty
            case 2 -> { // most rows empty, the rest dense-ish
                for (int i = 0; i < rows; i++) {
                    if (random.nextInt(4) == 0) {
                        for (int j = 0; j < cols; j++) {
                            if (random.nextInt(3) > 0) {
                                positions.add(new int[] {i, j});
                            }
                        }
                    }
                }
            }
            case 3 -> { // one full row
                int i = random.nextInt(rows);
                for (int j = 0; j < cols; j++) {
                    positions.add(new int[] {i, j});
                }
            }
            case 4 -> { // a single column
                int j = random.nextInt(cols);
                for (int i = 0; i < rows; i++) {
                    if (random.nextBoolean()) {
                        positions.add(new int[] {i, j});
                    }
                }
            }
            default -> throw new AssertionError(layout);
        }
        // Shuffle so the builder's sort is exercised.
        for (int t = positions.size() - 1; t > 0; t--) {
            int u = random.nextInt(t + 1);
            int[] tmp = positions.get(t);
            positions.set(t, positions.get(u));
            positions.set(u, tmp);
        }
        int n = positions.size();
        int[] r = new int[n];
        int[] c = new int[n];
        float[] v = new float[n];
        for (int t = 0; t < n; t++) {
            r[t] = positions.get(t)[0];
            c[t] = positions.get(t)[1];
            float x = value();
            v[t] = x == 0f ? 1f : x;
        }
        note(name + "=" + rows + "x" + cols + "/nnz" + n + "/layout" + layout);
        return own(CsrMatrix.fromCoo(rows, cols, r, c, v, DuplicatePolicy.ERROR));
    }

    /** Registers something to close with this generator, and returns it. */
    public <T extends AutoCloseable> T own(T resource) {
        owned.add(resource);
        return resource;
    }

    @Override
    public void close() {
        for (int t = owned.size() - 1; t >= 0; t--) {
            try {
                owned.get(t).close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        owned.clear();
    }

    private static float[] flatten(float[][] v, int cols) {
        float[] flat = new float[v.length * cols];
        for (int i = 0; i < v.length; i++) {
            System.arraycopy(v[i], 0, flat, i * cols, cols);
        }
        return flat;
    }
}
