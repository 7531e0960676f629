package dev.lowrank.matrix;

import static dev.lowrank.testkit.Expect.fails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Storage layout, ownership, views, wrapping, copies and every rejected input of {@link DenseMatrix}. */
class DenseMatrixTest {

    private static float[][] sample(int rows, int cols) {
        float[][] v = new float[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                v[i][j] = i * 100 + j + 0.5f;
            }
        }
        return v;
    }

    // ------------------------------------------------------------ layout

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3, 15, 16, 17, 31, 33, 64, 100})
    void rowsAreAlignedAndPadded(int cols) {
        try (DenseMatrix m = DenseMatrix.of(sample(5, cols))) {
            assertEquals(0, m.segment().address() % DenseMatrix.ALIGNMENT_BYTES, "segment start is not 64-byte aligned");
            assertEquals(0, m.rowStride() % 16, "stride " + m.rowStride() + " is not a whole number of cache lines");
            assertTrue(m.rowStride() >= cols && m.rowStride() < cols + 16, "stride " + m.rowStride() + " for " + cols);
            assertEquals(DenseMatrix.paddedStride(cols), m.rowStride());
            for (int i = 0; i < 5; i++) {
                assertEquals(0, (m.segment().address() + m.offset(i, 0)) % DenseMatrix.ALIGNMENT_BYTES, "row " + i);
                for (int j = cols; j < m.rowStride(); j++) {
                    assertEquals(0f, m.segment().get(ValueLayout.JAVA_FLOAT, m.offset(i, j)), "padding (" + i + ", " + j + ")");
                }
            }
            assertTrue(m.ownsMemory());
        }
    }

    @Test
    void offsetIsInBytes() {
        try (DenseMatrix m = DenseMatrix.zeros(3, 5)) {
            assertEquals((2L * m.rowStride() + 4) * Float.BYTES, m.offset(2, 4));
            m.set(2, 4, 7f);
            assertEquals(7f, m.segment().get(ValueLayout.JAVA_FLOAT, m.offset(2, 4)));
        }
    }

    // ------------------------------------------------------------ round trips

    @Test
    void copiesRoundTrip() {
        float[][] v = sample(4, 7);
        try (DenseMatrix m = DenseMatrix.of(v); DenseMatrix flat = DenseMatrix.of(4, 7, m.toFlatArray());
             DenseMatrix copy = m.copy(); DenseMatrix target = DenseMatrix.zeros(4, 7)) {
            assertArrayEquals(v, m.toArray());
            assertArrayEquals(v, flat.toArray());
            assertArrayEquals(v, copy.toArray());
            copy.set(0, 0, -1f);
            assertEquals(v[0][0], m.get(0, 0), "the copy shares memory with the original");
            target.copyFrom(m);
            assertArrayEquals(v, target.toArray());
            target.copyFrom(sample(4, 7));
            assertArrayEquals(v, target.toArray());
            float[] row = new float[9];
            m.copyRow(3, row);
            for (int j = 0; j < 7; j++) {
                assertEquals(v[3][j], row[j]);
            }
            assertEquals(v[2][5], m.get(2, 5));
        }
    }

    @Test
    void fillSetsEveryElementAndKeepsTheSignOfZero() {
        try (DenseMatrix m = DenseMatrix.of(sample(3, 20))) {
            m.fill(2.5f);
            for (float[] row : m.toArray()) {
                for (float x : row) {
                    assertEquals(2.5f, x);
                }
            }
            m.fill(-0f);
            assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(m.get(2, 19)));
            m.fill(0f);
            assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(m.get(2, 19)));
        }
    }

    @Test
    void zeroSizeMatrices() {
        int[][] shapes = {{0, 0}, {0, 5}, {5, 0}};
        for (int[] s : shapes) {
            try (DenseMatrix m = DenseMatrix.zeros(s[0], s[1]); DenseMatrix c = m.copy()) {
                assertEquals(s[0], m.rows());
                assertEquals(s[1], m.cols());
                assertEquals(s[0], m.toArray().length);
                assertEquals(0, m.toFlatArray().length);
                m.fill(3f);
                c.copyFrom(m);
                m.requireFinite("m");
                try (DenseMatrix v = m.rowView(0, s[0])) {
                    assertEquals(s[0], v.rows());
                }
            }
        }
        try (DenseMatrix m = DenseMatrix.of(new float[0][])) {
            assertEquals("0x0", m.shape());
        }
    }

    // ------------------------------------------------------------ views

    @Test
    void viewsShareMemoryAndDieWithTheParent() {
        DenseMatrix parent = DenseMatrix.of(sample(6, 5));
        DenseMatrix view = parent.rowView(2, 5);
        DenseMatrix nested = view.rowView(1, 2);
        assertEquals(3, view.rows());
        assertEquals(5, view.cols());
        assertFalse(view.ownsMemory());
        assertEquals(parent.get(2, 1), view.get(0, 1));
        view.set(0, 1, -9f);
        assertEquals(-9f, parent.get(2, 1), "a write through the view is not seen by the parent");
        parent.set(3, 4, 42f);
        assertEquals(42f, view.get(1, 4));
        assertEquals(42f, nested.get(0, 4));
        view.close();
        assertEquals(42f, parent.get(3, 4), "closing a view must not free the parent");
        assertEquals(42f, nested.get(0, 4), "closing a view must not close its sibling views");
        parent.close();
        fails(IllegalStateException.class, () -> nested.get(0, 0), "closed");
        assertTrue(nested.isClosed());
        fails(IllegalStateException.class, nested::segment, "closed");
    }

    @Test
    void viewRangesAreChecked() {
        try (DenseMatrix m = DenseMatrix.zeros(4, 3)) {
            fails(IndexOutOfBoundsException.class, () -> m.rowView(-1, 2));
            fails(IndexOutOfBoundsException.class, () -> m.rowView(3, 5));
            fails(IndexOutOfBoundsException.class, () -> m.rowView(3, 2));
            assertEquals(0, m.rowView(4, 4).rows());
        }
    }

    // ------------------------------------------------------------ wrap

    @Test
    void wrapBorrowsTheCallersSegment() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment s = arena.allocate(3L * 7 * Float.BYTES, 4);
            DenseMatrix m = DenseMatrix.wrap(s, 3, 5, 7);
            assertFalse(m.ownsMemory());
            assertEquals(7, m.rowStride());
            m.copyFrom(sample(3, 5));
            assertEquals(sample(3, 5)[2][4], s.getAtIndex(ValueLayout.JAVA_FLOAT, 2 * 7 + 4));
            s.setAtIndex(ValueLayout.JAVA_FLOAT, 7 + 1, 11f);
            assertEquals(11f, m.get(1, 1));
            m.close();
            assertTrue(m.isClosed());
            fails(IllegalStateException.class, () -> m.get(0, 0), "closed");
            assertEquals(11f, s.getAtIndex(ValueLayout.JAVA_FLOAT, 7 + 1), "closing a wrapped matrix freed the caller's memory");
        }
    }

    @Test
    void wrapOfATightSegmentSupportsEveryAccessor() {
        try (Arena arena = Arena.ofShared()) {
            // Exactly (rows - 1)·stride + cols floats: the last row has no padding behind it.
            MemorySegment s = arena.allocate((2L * 6 + 4) * Float.BYTES, 4);
            DenseMatrix m = DenseMatrix.wrap(s, 3, 4, 6);
            m.copyFrom(sample(3, 4));
            assertArrayEquals(sample(3, 4), m.toArray());
            assertEquals(0, m.rowView(3, 3).rows());
            assertEquals(sample(3, 4)[2][3], m.rowView(2, 3).get(0, 3));
            try (DenseMatrix c = m.copy()) {
                assertArrayEquals(sample(3, 4), c.toArray());
            }
            // No columns: the row starts must still lie in the segment.
            MemorySegment rowStarts = arena.allocate(2L * 3 * Float.BYTES, 4);
            DenseMatrix empty = DenseMatrix.wrap(rowStarts, 3, 0, 3);
            assertEquals(3, empty.toArray().length);
            empty.fill(1f);
            empty.copyFrom(new float[0]);
        }
    }

    @Test
    void wrapValidatesItsArguments() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment s = arena.allocate(64, 64);
            fails(IllegalArgumentException.class, () -> DenseMatrix.wrap(MemorySegment.ofArray(new float[16]), 2, 2, 2),
                    "native");
            fails(IllegalArgumentException.class, () -> DenseMatrix.wrap(s.asSlice(2), 2, 2, 2), "not float-aligned");
            fails(IllegalArgumentException.class, () -> DenseMatrix.wrap(s, 3, 6, 6), "3x6", "needs 72 bytes", "has 64");
            fails(IllegalArgumentException.class, () -> DenseMatrix.wrap(s, 5, 4, 4), "needs 80 bytes", "has 64");
            fails(IllegalArgumentException.class, () -> DenseMatrix.wrap(s, 2, 4, 3), "rowStride 3", "cols 4");
            fails(IllegalArgumentException.class, () -> DenseMatrix.wrap(s, -1, 4, 4), "rows = -1", "negative");
            fails(IllegalArgumentException.class, () -> DenseMatrix.wrap(s, 1, -4, 4), "cols = -4", "negative");
            fails(IllegalArgumentException.class, () -> DenseMatrix.wrap(MemorySegment.NULL, 3, 0, 2), "needs 16 bytes");
            fails(NullPointerException.class, () -> DenseMatrix.wrap(null, 1, 1, 1), "segment");
        }
    }

    // ------------------------------------------------------------ bad input

    @Test
    void indicesAreChecked() {
        try (DenseMatrix m = DenseMatrix.zeros(2, 3)) {
            fails(IndexOutOfBoundsException.class, () -> m.get(-1, 0), "-1");
            fails(IndexOutOfBoundsException.class, () -> m.get(2, 0), "2", "length 2");
            fails(IndexOutOfBoundsException.class, () -> m.get(0, 3), "3", "length 3");
            fails(IndexOutOfBoundsException.class, () -> m.set(0, -1, 1f), "-1");
            fails(IndexOutOfBoundsException.class, () -> m.set(5, 0, 1f), "5");
            fails(IndexOutOfBoundsException.class, () -> m.copyRow(2, new float[3]), "2");
        }
    }

    @Test
    void nonFiniteValuesAreRejectedWhereverValuesEnter() {
        try (DenseMatrix m = DenseMatrix.zeros(2, 3)) {
            fails(IllegalArgumentException.class, () -> m.set(1, 2, Float.NaN), "NaN", "(1, 2)", "not finite");
            fails(IllegalArgumentException.class, () -> m.set(0, 0, Float.POSITIVE_INFINITY), "Infinity", "(0, 0)");
            fails(IllegalArgumentException.class, () -> m.fill(Float.NaN), "fill value NaN", "not finite");
            fails(IllegalArgumentException.class, () -> m.fill(Float.NEGATIVE_INFINITY), "-Infinity");
            fails(IllegalArgumentException.class, () -> m.copyFrom(new float[][] {{0, 0, 0}, {0, Float.NaN, 0}}),
                    "NaN", "(1, 1)");
            fails(IllegalArgumentException.class, () -> m.copyFrom(new float[] {0, 0, 0, 0, 0, Float.POSITIVE_INFINITY}),
                    "Infinity", "(1, 2)");
            assertEquals(0f, m.get(1, 1), "a rejected copyFrom must not have written anything");
        }
        fails(IllegalArgumentException.class, () -> DenseMatrix.of(new float[][] {{1, Float.NaN}}), "NaN", "(0, 1)");
        fails(IllegalArgumentException.class, () -> DenseMatrix.of(2, 1, 1f, Float.NEGATIVE_INFINITY), "-Infinity", "(1, 0)");
    }

    @Test
    void requireFiniteFindsNaNWrittenThroughTheSegment() {
        try (DenseMatrix m = DenseMatrix.zeros(3, 3)) {
            m.requireFinite("M");
            m.segment().set(ValueLayout.JAVA_FLOAT, m.offset(2, 1), Float.NaN);
            fails(IllegalArgumentException.class, () -> m.requireFinite("M"), "M has NaN at (2, 1)");
        }
    }

    @Test
    void lengthsAndShapesMustMatch() {
        fails(IllegalArgumentException.class, () -> DenseMatrix.of(2, 3, new float[5]), "length 5", "2x3", "6 values");
        fails(IllegalArgumentException.class, () -> DenseMatrix.of(new float[][] {{1, 2, 3}, {4, 5}}),
                "values[1] has length 2", "2x3");
        fails(NullPointerException.class, () -> DenseMatrix.of(new float[][] {{1, 2}, null}), "values[1]");
        try (DenseMatrix m = DenseMatrix.zeros(2, 3); DenseMatrix other = DenseMatrix.zeros(3, 2)) {
            fails(IllegalArgumentException.class, () -> m.copyFrom(new float[3][3]), "3 rows", "2x3");
            fails(IllegalArgumentException.class, () -> m.copyFrom(other), "source is 3x2", "this matrix is 2x3");
            fails(IllegalArgumentException.class, () -> m.copyRow(0, new float[2]), "length 2", "3 values");
        }
        fails(IllegalArgumentException.class, () -> DenseMatrix.zeros(-1, 3), "rows = -1", "negative");
        fails(IllegalArgumentException.class, () -> DenseMatrix.zeros(2, -3), "cols = -3", "negative");
        fails(IllegalArgumentException.class, () -> DenseMatrix.paddedStride(Integer.MAX_VALUE), "too large");
    }

    @Test
    void useAfterCloseThrows() {
        DenseMatrix m = DenseMatrix.of(sample(2, 2));
        DenseMatrix other = DenseMatrix.zeros(2, 2);
        m.close();
        m.close(); // twice is harmless
        assertTrue(m.isClosed());
        String closed = "closed";
        fails(IllegalStateException.class, () -> m.get(0, 0), closed, "2x2");
        fails(IllegalStateException.class, () -> m.set(0, 0, 1f), closed);
        fails(IllegalStateException.class, () -> m.fill(1f), closed);
        fails(IllegalStateException.class, m::toArray, closed);
        fails(IllegalStateException.class, m::toFlatArray, closed);
        fails(IllegalStateException.class, m::copy, closed);
        fails(IllegalStateException.class, m::segment, closed);
        fails(IllegalStateException.class, () -> m.rowView(0, 1), closed);
        fails(IllegalStateException.class, () -> m.copyFrom(new float[4]), closed);
        fails(IllegalStateException.class, () -> m.copyRow(0, new float[2]), closed);
        fails(IllegalStateException.class, () -> other.copyFrom(m), closed);
        fails(IllegalStateException.class, () -> m.requireFinite("m"), closed);
        assertTrue(m.toString().contains("closed"));
        other.close();
    }
}
