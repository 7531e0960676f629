package dev.lowrank.matrix;

import static dev.lowrank.testkit.Expect.fails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.testkit.Case;
import dev.lowrank.testkit.Cases;
import dev.lowrank.testkit.Gen;
import dev.lowrank.testkit.Tolerance;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Structure properties of CSR construction, transpose and copies, over random shuffled triplets. */
class CsrStructurePropertyTest {

    static Stream<Case> cases() {
        return Cases.of("csr-structure", 200);
    }

    /** Checks every row's columns are strictly increasing and within range, and the offsets are consistent. */
    static void assertWellFormed(CsrMatrix a, String context) {
        assertEquals(0, a.rows() == 0 ? 0 : a.rowStart(0), context + ": first offset");
        long last = 0;
        for (int i = 0; i < a.rows(); i++) {
            assertEquals(last, a.rowStart(i), context + ": row " + i + " does not start where row " + (i - 1) + " ends");
            assertTrue(a.rowEnd(i) >= a.rowStart(i), context + ": row " + i + " has negative length");
            for (long p = a.rowStart(i); p < a.rowEnd(i); p++) {
                int j = a.columnIndex(p);
                assertTrue(j >= 0 && j < a.cols(), context + ": column " + j + " out of range in row " + i);
                if (p > a.rowStart(i)) {
                    assertTrue(a.columnIndex(p - 1) < j, context + ": row " + i + " is not strictly sorted at position " + p);
                }
            }
            last = a.rowEnd(i);
        }
        assertEquals(a.nnz(), last, context + ": nnz");
    }

    private static void shuffle(Gen g, int[] r, int[] c, float[] v) {
        for (int t = r.length - 1; t > 0; t--) {
            int u = g.nextInt(t + 1);
            int ti = r[t]; r[t] = r[u]; r[u] = ti;
            ti = c[t]; c[t] = c[u]; c[u] = ti;
            float tv = v[t]; v[t] = v[u]; v[u] = tv;
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void fromCooSortsAndKeepsEveryEntry(Case c) {
        try (Gen g = c.gen()) {
            int rows = g.dim(0, 50);
            int cols = g.dim(0, 50);
            double density = g.random().nextDouble();
            List<int[]> positions = new ArrayList<>();
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    if (g.random().nextDouble() < density) {
                        positions.add(new int[] {i, j});
                    }
                }
            }
            int n = positions.size();
            int[] r = new int[n];
            int[] col = new int[n];
            float[] v = new float[n];
            float[][] dense = new float[rows][cols];
            for (int t = 0; t < n; t++) {
                r[t] = positions.get(t)[0];
                col[t] = positions.get(t)[1];
                float x = g.value();
                v[t] = x == 0f ? 1f : x;
                dense[r[t]][col[t]] = v[t];
            }
            shuffle(g, r, col, v);
            g.note(rows + "x" + cols + " nnz " + n);
            String context = g.describe();
            CsrMatrix a = g.own(CsrMatrix.fromCoo(rows, cols, r, col, v, DuplicatePolicy.ERROR));
            assertWellFormed(a, context);
            assertEquals(n, a.nnz(), context);
            DenseMatrix d = g.own(a.toDense());
            assertArrayEquals(dense, d.toArray(), context);

            // transpose: sorted, shape and nnz swapped, entries mirrored; twice gives the original back.
            CsrMatrix t = g.own(a.transpose());
            assertWellFormed(t, context + " transpose");
            assertEquals(cols, t.rows(), context);
            assertEquals(rows, t.cols(), context);
            assertEquals(n, t.nnz(), context);
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    assertEquals(Float.floatToRawIntBits(dense[i][j]), Float.floatToRawIntBits(t.get(j, i)),
                            context + ": transpose at (" + j + ", " + i + ")");
                }
            }
            CsrMatrix tt = g.own(t.transpose());
            assertTrue(tt.hasSameStructure(a), context + ": transpose twice changed the structure");
            assertArrayEquals(bits(a), bits(tt), context + ": transpose twice changed the values");

            // copyStructure: same structure, all values zero; hasSameStructure tells structures apart.
            CsrMatrix s = g.own(a.copyStructure());
            assertTrue(s.hasSameStructure(a) && a.hasSameStructure(s), context);
            for (long p = 0; p < s.nnz(); p++) {
                assertEquals(0f, s.value(p), context + ": copyStructure value " + p);
            }
            // sharingStructure: the same, with values of its own (writing them leaves a's alone).
            CsrMatrix shared = g.own(a.sharingStructure());
            assertTrue(shared.hasSameStructure(a) && a.hasSameStructure(shared), context);
            assertWellFormed(shared, context + " sharingStructure");
            int[] before = bits(a);
            for (long p = 0; p < shared.nnz(); p++) {
                assertEquals(0f, shared.value(p), context + ": sharingStructure value " + p);
                shared.values().setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, p, p + 1f);
            }
            assertArrayEquals(before, bits(a), context + ": writing a sharing matrix's values changed the source");
            if (rows != cols) {
                assertFalse(t.hasSameStructure(a), context + ": a non-square transpose has the same structure");
            }
            if (n > 0) {
                // Dropping one entry changes the structure.
                CsrMatrix fewer = g.own(CsrMatrix.fromCoo(rows, cols, java.util.Arrays.copyOf(r, n - 1),
                        java.util.Arrays.copyOf(col, n - 1), java.util.Arrays.copyOf(v, n - 1), DuplicatePolicy.ERROR));
                assertFalse(fewer.hasSameStructure(a), context + ": one entry fewer but the same structure");
            }

            // fromDense ∘ toDense is the identity (stored values are non-zero).
            CsrMatrix back = g.own(CsrMatrix.fromDense(d));
            assertTrue(back.hasSameStructure(a), context + ": fromDense structure");
            assertArrayEquals(bits(a), bits(back), context + ": fromDense values");
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void duplicatesSumIndependentlyOfOrderOrAreRejected(Case c) {
        try (Gen g = c.gen()) {
            int rows = 1 + g.nextInt(20);
            int cols = 1 + g.nextInt(20);
            int n = 1 + g.nextInt(3 * rows * cols);
            int[] r = new int[n];
            int[] col = new int[n];
            float[] v = new float[n];
            Map<Long, double[]> exact = new HashMap<>();
            for (int t = 0; t < n; t++) {
                r[t] = g.nextInt(rows);
                col[t] = g.nextInt(cols);
                v[t] = g.value();
                double[] acc = exact.computeIfAbsent((long) r[t] * cols + col[t], key -> new double[3]);
                acc[0] += v[t];
                acc[1] += Math.abs(v[t]);
                acc[2]++;
            }
            g.note(rows + "x" + cols + " triplets " + n + " distinct " + exact.size());
            String context = g.describe();
            CsrMatrix a = g.own(CsrMatrix.fromCoo(rows, cols, r, col, v, DuplicatePolicy.SUM));
            assertWellFormed(a, context);
            assertEquals(exact.size(), a.nnz(), context + ": one entry per distinct position");
            for (Map.Entry<Long, double[]> e : exact.entrySet()) {
                int i = (int) (e.getKey() / cols);
                int j = (int) (e.getKey() % cols);
                double[] acc = e.getValue();
                Tolerance.assertClose(acc[0], a.get(i, j), (int) acc[2], acc[1], context + " sum at (" + i + ", " + j + ")");
            }
            shuffle(g, r, col, v);
            CsrMatrix shuffled = g.own(CsrMatrix.fromCoo(rows, cols, r, col, v, DuplicatePolicy.SUM));
            assertTrue(shuffled.hasSameStructure(a), context);
            assertArrayEquals(bits(a), bits(shuffled), context + ": SUM depends on the input order");

            if (exact.size() < n) {
                IllegalArgumentException e = fails(IllegalArgumentException.class,
                        () -> CsrMatrix.fromCoo(rows, cols, r, col, v, DuplicatePolicy.ERROR), "duplicate entry at (");
                // The position it names really is duplicated.
                String m = e.getMessage();
                String[] ij = m.substring(m.indexOf('(') + 1, m.indexOf(')')).split(", ");
                double[] acc = exact.get(Long.parseLong(ij[0]) * cols + Long.parseLong(ij[1]));
                assertTrue(acc != null && acc[2] > 1, context + ": " + m + " names a position that is not duplicated");
            }
        }
    }

    @Test
    void theBuilderGrowsPastItsInitialCapacity() {
        try (Gen g = new Gen(7)) {
            int rows = 97;
            int cols = 131;
            CsrMatrix.Builder b = CsrMatrix.builder(rows, cols);
            float[][] dense = new float[rows][cols];
            int added = 0;
            // Every position once, in a scrambled order: 12,707 triplets, far past the initial 1024.
            for (int t = 0; t < rows * cols; t++) {
                int q = (int) ((t * 7919L) % (rows * cols));
                int i = q / cols;
                int j = q % cols;
                float x = g.value();
                float v = x == 0f ? 1f : x;
                b.add(i, j, v);
                dense[i][j] = v;
                added++;
            }
            assertTrue(added >= 5000);
            assertEquals(added, b.size());
            try (CsrMatrix a = b.build(DuplicatePolicy.ERROR); DenseMatrix d = a.toDense()) {
                assertWellFormed(a, "builder");
                assertEquals(added, a.nnz());
                assertArrayEquals(dense, d.toArray());
            }
        }
    }

    private static int[] bits(CsrMatrix a) {
        int[] out = new int[Math.toIntExact(a.nnz())];
        for (int p = 0; p < out.length; p++) {
            out[p] = Float.floatToRawIntBits(a.value(p));
        }
        return out;
    }
}
