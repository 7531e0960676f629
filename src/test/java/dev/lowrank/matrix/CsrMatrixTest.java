package dev.lowrank.matrix;

import static dev.lowrank.testkit.Expect.fails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** Storage, accessors, zero-size cases and every rejected input of {@link CsrMatrix}. */
class CsrMatrixTest {

    /** [[0, 1, 0, 2], [0, 0, 0, 0], [3, 0, 4, 0]]. */
    private static CsrMatrix sample() {
        return CsrMatrix.of(3, 4, new long[] {0, 2, 2, 4}, new int[] {1, 3, 0, 2}, new float[] {1, 2, 3, 4});
    }

    @Test
    void accessorsReadTheArrays() {
        try (CsrMatrix a = sample(); DenseMatrix d = a.toDense()) {
            assertEquals(3, a.rows());
            assertEquals(4, a.cols());
            assertEquals(4, a.nnz());
            assertEquals(2, a.rowStart(1));
            assertEquals(2, a.rowEnd(1));
            assertEquals(4, a.rowEnd(2));
            assertEquals(2, a.columnIndex(3));
            assertEquals(4f, a.value(3));
            assertEquals(2f, a.get(0, 3));
            assertEquals(0f, a.get(0, 2));
            assertEquals(0f, a.get(1, 1));
            assertEquals(3f, a.get(2, 0));
            assertArrayEquals(new float[][] {{0, 1, 0, 2}, {0, 0, 0, 0}, {3, 0, 4, 0}}, d.toArray());
            assertEquals(4L * Long.BYTES, a.rowOffsets().byteSize());
            assertEquals(4L * Integer.BYTES, a.columnIndices().byteSize());
            assertEquals(4f, a.values().getAtIndex(ValueLayout.JAVA_FLOAT, 3));
            fails(IndexOutOfBoundsException.class, () -> a.rowStart(3), "3");
            fails(IndexOutOfBoundsException.class, () -> a.columnIndex(4), "4");
            fails(IndexOutOfBoundsException.class, () -> a.value(-1), "-1");
            fails(IndexOutOfBoundsException.class, () -> a.get(0, 4), "4");
            fails(IndexOutOfBoundsException.class, () -> a.get(-1, 0), "-1");
        }
    }

    @Test
    void zeroSizeMatrices() {
        int[][] shapes = {{0, 0}, {0, 5}, {5, 0}, {3, 3}};
        for (int[] s : shapes) {
            try (CsrMatrix a = CsrMatrix.of(s[0], s[1], new long[s[0] + 1], new int[0], new float[0]);
                 CsrMatrix b = CsrMatrix.fromCoo(s[0], s[1], new int[0], new int[0], new float[0], DuplicatePolicy.ERROR);
                 CsrMatrix t = a.transpose(); CsrMatrix c = a.copyStructure(); DenseMatrix d = b.toDense()) {
                assertEquals(0, a.nnz());
                assertTrue(a.hasSameStructure(b));
                assertTrue(a.hasSameStructure(c));
                assertEquals(s[1], t.rows());
                assertEquals(s[0], t.cols());
                assertEquals(s[0], d.rows());
                assertEquals(s[1], d.cols());
            }
        }
    }

    // ------------------------------------------------------------ CsrMatrix.of invariants

    @Test
    void prebuiltArraysMustHoldTheInvariants() {
        long[] ok = {0, 2, 2, 4};
        fails(IllegalArgumentException.class, () -> CsrMatrix.of(3, 4, new long[] {0, 2, 4}, new int[] {1, 3, 0, 2},
                new float[4]), "rowOffsets has length 3", "3 rows needs 4");
        fails(IllegalArgumentException.class, () -> CsrMatrix.of(3, 4, ok, new int[] {1, 3, 0, 2}, new float[3]),
                "colIndices has length 4", "values has length 3");
        fails(IllegalArgumentException.class, () -> CsrMatrix.of(3, 4, new long[] {1, 2, 2, 4}, new int[] {1, 3, 0, 2},
                new float[4]), "rowOffsets[0] = 1", "must be 0");
        fails(IllegalArgumentException.class, () -> CsrMatrix.of(3, 4, new long[] {0, 2, 1, 4}, new int[] {1, 3, 0, 2},
                new float[4]), "decreases at row 1", "2 then 1");
        fails(IllegalArgumentException.class, () -> CsrMatrix.of(3, 4, new long[] {0, 2, 2, 3}, new int[] {1, 3, 0, 2},
                new float[4]), "rowOffsets[3] = 3", "(nnz)", "length 4");
        // nnz overflow: the last offset points far beyond the arrays.
        fails(IllegalArgumentException.class, () -> CsrMatrix.of(3, 4, new long[] {0, 2, 2, Integer.MAX_VALUE + 10L},
                new int[] {1, 3, 0, 2}, new float[4]), "rowOffsets[3] = " + (Integer.MAX_VALUE + 10L), "(nnz)");
        // A middle offset beyond the arrays that comes back down by the end.
        fails(IllegalArgumentException.class, () -> CsrMatrix.of(3, 4, new long[] {0, 10, 2, 4},
                new int[] {1, 3, 0, 2}, new float[4]), "rowOffsets[1] = 10", "beyond nnz = 4");
        fails(IllegalArgumentException.class, () -> CsrMatrix.of(3, 4, ok, new int[] {3, 1, 0, 2}, new float[4]),
                "unsorted column 1", "position 1", "row 0");
        fails(IllegalArgumentException.class, () -> CsrMatrix.of(3, 4, ok, new int[] {1, 1, 0, 2}, new float[4]),
                "duplicate column 1", "row 0");
        fails(IllegalArgumentException.class, () -> CsrMatrix.of(3, 4, ok, new int[] {1, 4, 0, 2}, new float[4]),
                "column index 4", "out of range [0, 4)");
        fails(IllegalArgumentException.class, () -> CsrMatrix.of(3, 4, ok, new int[] {-1, 3, 0, 2}, new float[4]),
                "column index -1");
        fails(IllegalArgumentException.class, () -> CsrMatrix.of(3, 4, ok, new int[] {1, 3, 0, 2},
                new float[] {1, 2, Float.NaN, 4}), "NaN", "(2, 0)", "not finite");
        fails(IllegalArgumentException.class, () -> CsrMatrix.of(3, 4, ok, new int[] {1, 3, 0, 2},
                new float[] {1, Float.POSITIVE_INFINITY, 3, 4}), "Infinity", "(0, 3)");
        fails(IllegalArgumentException.class, () -> CsrMatrix.of(-3, 4, ok, new int[4], new float[4]), "-3x4", "negative");
        // A column index valid in a later row but unsorted across the row boundary is fine.
        try (CsrMatrix fine = CsrMatrix.of(2, 4, new long[] {0, 1, 2}, new int[] {3, 0}, new float[] {1, 2})) {
            assertEquals(2, fine.nnz());
        }
    }

    // ------------------------------------------------------------ fromCoo and the builder

    @Test
    void cooInputIsChecked() {
        fails(IllegalArgumentException.class, () -> CsrMatrix.fromCoo(3, 4, new int[2], new int[3], new float[2],
                DuplicatePolicy.ERROR), "differ in length", "rowIndices 2", "colIndices 3", "values 2");
        fails(IllegalArgumentException.class, () -> CsrMatrix.fromCoo(3, 4, new int[] {3}, new int[] {0}, new float[] {1},
                DuplicatePolicy.ERROR), "(3, 0)", "out of range", "3x4");
        fails(IllegalArgumentException.class, () -> CsrMatrix.fromCoo(3, 4, new int[] {-1}, new int[] {0},
                new float[] {1}, DuplicatePolicy.ERROR), "(-1, 0)", "out of range");
        fails(IllegalArgumentException.class, () -> CsrMatrix.fromCoo(3, 4, new int[] {0}, new int[] {4},
                new float[] {1}, DuplicatePolicy.ERROR), "(0, 4)", "out of range");
        fails(IllegalArgumentException.class, () -> CsrMatrix.fromCoo(3, 4, new int[] {0, 1}, new int[] {0, 2},
                new float[] {1, Float.NaN}, DuplicatePolicy.SUM), "entry 1", "(1, 2)", "NaN", "not finite");
        fails(IllegalArgumentException.class, () -> CsrMatrix.fromCoo(3, 4, new int[] {0}, new int[] {0},
                new float[] {Float.NEGATIVE_INFINITY}, DuplicatePolicy.SUM), "-Infinity");
        fails(IllegalArgumentException.class, () -> CsrMatrix.fromCoo(3, 4, new int[] {2, 0, 2}, new int[] {1, 0, 1},
                new float[] {1, 2, 3}, DuplicatePolicy.ERROR), "duplicate entry at (2, 1)", "DuplicatePolicy.SUM");
        fails(IllegalArgumentException.class, () -> CsrMatrix.fromCoo(2, 2, new int[] {1, 1}, new int[] {1, 1},
                new float[] {Float.MAX_VALUE, Float.MAX_VALUE}, DuplicatePolicy.SUM), "(1, 1)", "sum to Infinity");
        fails(IllegalArgumentException.class, () -> CsrMatrix.builder(-1, 2), "-1x2", "negative");
        fails(NullPointerException.class, () -> CsrMatrix.fromCoo(1, 1, new int[0], new int[0], new float[0], null),
                "policy");
    }

    @Test
    void aBuilderIsUsedOnce() {
        CsrMatrix.Builder b = CsrMatrix.builder(2, 2).add(0, 1, 1f).add(1, 0, 2f);
        assertEquals(2, b.size());
        try (CsrMatrix a = b.build(DuplicatePolicy.ERROR)) {
            assertEquals(2, a.nnz());
        }
        fails(IllegalStateException.class, () -> b.add(0, 0, 1f), "already built or closed");
        fails(IllegalStateException.class, () -> b.build(DuplicatePolicy.ERROR), "already built or closed");
        CsrMatrix.Builder failed = CsrMatrix.builder(2, 2).add(0, 0, 1f).add(0, 0, 1f);
        fails(IllegalArgumentException.class, () -> failed.build(DuplicatePolicy.ERROR), "(0, 0)");
        fails(IllegalStateException.class, () -> failed.add(0, 0, 1f), "already built or closed");
    }

    // ------------------------------------------------------------ lifecycle

    @Test
    void aMatrixSharingStructureLivesAsLongAsItsSource() {
        CsrMatrix a = sample();
        CsrMatrix shared = a.sharingStructure();
        CsrMatrix sharedTwice = shared.sharingStructure();
        shared.close();
        assertTrue(shared.isClosed());
        assertFalse(a.isClosed(), "closing the sharing matrix closed its source");
        assertFalse(sharedTwice.isClosed());
        assertEquals(a.rowEnd(2), sharedTwice.rowEnd(2));
        a.close();
        assertTrue(sharedTwice.isClosed());
        fails(IllegalStateException.class, () -> sharedTwice.rowStart(0), "structure this one shares is closed");
        fails(IllegalStateException.class, sharedTwice::columnIndices, "structure this one shares is closed");
        fails(IllegalStateException.class, () -> sharedTwice.value(0), "structure this one shares is closed");
        sharedTwice.close();
        fails(IllegalStateException.class, a::sharingStructure, "closed");
    }

    @Test
    void useAfterCloseThrows() {
        CsrMatrix a = sample();
        CsrMatrix other = sample();
        a.close();
        a.close(); // twice is harmless
        assertTrue(a.isClosed());
        assertFalse(other.isClosed());
        String closed = "closed";
        fails(IllegalStateException.class, () -> a.rowStart(0), closed, "3x4 CSR");
        fails(IllegalStateException.class, () -> a.rowEnd(0), closed);
        fails(IllegalStateException.class, () -> a.columnIndex(0), closed);
        fails(IllegalStateException.class, () -> a.value(0), closed);
        fails(IllegalStateException.class, () -> a.get(0, 0), closed);
        fails(IllegalStateException.class, a::rowOffsets, closed);
        fails(IllegalStateException.class, a::columnIndices, closed);
        fails(IllegalStateException.class, a::values, closed);
        fails(IllegalStateException.class, a::transpose, closed);
        fails(IllegalStateException.class, a::copyStructure, closed);
        fails(IllegalStateException.class, a::toDense, closed);
        fails(IllegalStateException.class, () -> a.hasSameStructure(other), closed);
        fails(IllegalStateException.class, () -> other.hasSameStructure(a), closed);
        assertTrue(a.toString().contains("closed"));
        DenseMatrix closedDense = DenseMatrix.zeros(2, 2);
        closedDense.close();
        fails(IllegalStateException.class, () -> CsrMatrix.fromDense(closedDense), closed);
        other.close();
    }
}
