package dev.lowrank.bench;

import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import java.io.BufferedReader;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.FloatPointer;

/** Shared set-up for the benchmarks: seeded data, the MovieLens file, OpenBLAS pointers. */
final class BenchSupport {

    /** Relative to the repository root, where the JMH forks start. */
    static final Path MOVIELENS = Path.of("..", "shared", "data", "movielens-small", "ratings.csv");

    private BenchSupport() {
    }

    static DenseMatrix random(int rows, int cols, long seed) {
        DenseMatrix m = DenseMatrix.zeros(rows, cols);
        SplittableRandom r = new SplittableRandom(seed);
        float[] row = new float[cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                row[j] = (float) (r.nextDouble() * 2 - 1);
            }
            MemorySegment.copy(row, 0, m.segment(), java.lang.foreign.ValueLayout.JAVA_FLOAT, m.offset(i, 0), cols);
        }
        return m;
    }

    /**
     * A FloatPointer over off-heap memory that lowrank owns: JavaCPP reads only {@code address}, so no copy
     * is made and OpenBLAS works on the very bytes our kernels use.
     */
    static FloatPointer pointer(MemorySegment segment) {
        // Locals named apart from Pointer's fields: inside the subclass the inherited fields would shadow them.
        long segmentAddress = segment.address();
        long floats = segment.byteSize() / Float.BYTES;
        return new FloatPointer() {
            {
                address = segmentAddress;
                position = 0;
                limit = floats;
                capacity = floats;
            }
        };
    }

    /** OpenBLAS's run-time configuration and the core type it picked (through FFM: JavaCPP maps neither). */
    static String openblasCore() {
        try {
            java.lang.foreign.SymbolLookup lookup = java.lang.foreign.SymbolLookup.loaderLookup()
                    .or(java.lang.foreign.Linker.nativeLinker().defaultLookup());
            java.lang.foreign.FunctionDescriptor d = java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.ADDRESS);
            StringBuilder out = new StringBuilder();
            for (String f : new String[] {"openblas_get_config", "openblas_get_corename"}) {
                MemorySegment fn = lookup.find(f).orElseThrow(() -> new IllegalStateException(f + " not found"));
                MemorySegment s = (MemorySegment) java.lang.foreign.Linker.nativeLinker().downcallHandle(fn, d).invokeExact();
                out.append(out.isEmpty() ? "" : " / ").append(s.reinterpret(256).getString(0));
            }
            return out.toString();
        } catch (Throwable t) {
            return "(config unavailable: " + t.getMessage() + ")";
        }
    }

    /** ML-latest-small as a users × movies CSR matrix (ids remapped densely in order of appearance). */
    static CsrMatrix movielens() throws IOException {
        if (!Files.isRegularFile(MOVIELENS)) {
            throw new IllegalStateException("MovieLens data not found at " + MOVIELENS.toAbsolutePath()
                    + " (run from the repository root with shared/ beside it); skipping this dataset");
        }
        Map<Integer, Integer> users = new HashMap<>();
        Map<Integer, Integer> movies = new HashMap<>();
        int[] r = new int[1 << 17];
        int[] c = new int[1 << 17];
        float[] v = new float[1 << 17];
        int n = 0;
        try (BufferedReader in = Files.newBufferedReader(MOVIELENS)) {
            in.readLine();
            for (String line; (line = in.readLine()) != null; ) {
                if (line.isBlank()) {
                    continue;
                }
                String[] f = line.split(",");
                if (n == r.length) {
                    r = Arrays.copyOf(r, 2 * n);
                    c = Arrays.copyOf(c, 2 * n);
                    v = Arrays.copyOf(v, 2 * n);
                }
                r[n] = users.computeIfAbsent(Integer.parseInt(f[0]), k -> users.size());
                c[n] = movies.computeIfAbsent(Integer.parseInt(f[1]), k -> movies.size());
                v[n] = Float.parseFloat(f[2]);
                n++;
            }
        }
        return CsrMatrix.fromCoo(users.size(), movies.size(), Arrays.copyOf(r, n), Arrays.copyOf(c, n),
                Arrays.copyOf(v, n), dev.lowrank.matrix.DuplicatePolicy.SUM);
    }

    /**
     * A ratings-like matrix with {@code nnz} stored entries: every row holds nnz/rows distinct columns,
     * drawn with a skew towards low column indices (popular items), as in real rating data.
     */
    static CsrMatrix synthetic(int rows, int cols, long nnz, long seed) {
        int perRow = (int) (nnz / rows);
        long[] offsets = new long[rows + 1];
        int[] ci = new int[Math.toIntExact((long) perRow * rows)];
        float[] vals = new float[ci.length];
        SplittableRandom rnd = new SplittableRandom(seed);
        boolean[] taken = new boolean[cols];
        int[] row = new int[perRow];
        int p = 0;
        for (int i = 0; i < rows; i++) {
            for (int t = 0; t < perRow; ) {
                double u = rnd.nextDouble();
                int j = (int) (cols * u * u);
                if (!taken[j]) {
                    taken[j] = true;
                    row[t++] = j;
                }
            }
            Arrays.sort(row);
            for (int t = 0; t < perRow; t++) {
                taken[row[t]] = false;
                ci[p] = row[t];
                vals[p++] = 1 + rnd.nextInt(9) * 0.5f;
            }
            offsets[i + 1] = p;
        }
        return CsrMatrix.of(rows, cols, offsets, ci, vals);
    }

    /** |got − expected| within a forward-error bound for a length-n float sum of products with Σ|terms| = absSum. */
    static void check(String what, double expected, float got, int n, double absSum) {
        double bound = 2.0 * (n + 2) * 0x1p-24 * absSum + 1e-30;
        if (!(Math.abs(got - expected) <= bound)) {
            throw new IllegalStateException(what + ": got " + got + " but the double reference is " + expected
                    + " (bound " + bound + ")");
        }
    }
}
