package dev.lowrank.matrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Objects;

/**
 * A sparse {@code rows × cols} float32 matrix in compressed sparse row form, in off-heap memory.
 *
 * <p>Invariants, checked on construction and relied on by every kernel: {@code rowOffsets} has
 * {@code rows + 1} non-decreasing longs from 0 to {@code nnz} (nnz may exceed 2³¹); the column indices
 * of each row are strictly increasing (sorted, no duplicates) and lie in {@code [0, cols)}; every value
 * is finite. Row {@code i}'s entries are positions {@code [rowStart(i), rowEnd(i))} of
 * {@link #columnIndices()} and {@link #values()}.
 *
 * <p>The matrix owns its memory through a shared arena and frees it on {@link #close()}; any use after
 * that throws {@link IllegalStateException}. Kernels write results into {@link #values()} (SDDMM); the
 * structure never changes after construction.
 */
public final class CsrMatrix implements AutoCloseable {

    private final int rows;
    private final int cols;
    private final long nnz;
    private final MemorySegment rowOffsets;
    private final MemorySegment columnIndices;
    private final MemorySegment values;
    private final Arena arena;
    /**
     * Shared by a matrix and its {@link #copyStructure()} and {@link #sharingStructure()} copies: the
     * structure segments are read-only, so equal tokens prove equal structure in O(1), and SDDMM's check
     * need not compare 12·nnz bytes.
     */
    private final Object structure;
    /** The matrix whose row offsets and column indices this one uses ({@link #sharingStructure()}), else null. */
    private final CsrMatrix structureOwner;
    private boolean closed;

    private CsrMatrix(int rows, int cols, long nnz, MemorySegment rowOffsets, MemorySegment columnIndices,
                      MemorySegment values, Arena arena) {
        this(rows, cols, nnz, rowOffsets, columnIndices, values, arena, new Object(), null);
    }

    private CsrMatrix(int rows, int cols, long nnz, MemorySegment rowOffsets, MemorySegment columnIndices,
                      MemorySegment values, Arena arena, Object structure, CsrMatrix structureOwner) {
        this.rows = rows;
        this.cols = cols;
        this.nnz = nnz;
        this.rowOffsets = rowOffsets.asReadOnly();
        this.columnIndices = columnIndices.asReadOnly();
        this.values = values;
        this.arena = arena;
        this.structure = structure;
        this.structureOwner = structureOwner;
    }

    /** A builder that collects (row, column, value) triplets in any order; see {@link Builder}. */
    public static Builder builder(int rows, int cols) {
        return new Builder(rows, cols);
    }

    /**
     * A matrix from coordinate triplets in any order: entry {@code p} is
     * {@code (rowIndices[p], colIndices[p]) = values[p]}; duplicates are handled by {@code policy}.
     */
    public static CsrMatrix fromCoo(int rows, int cols, int[] rowIndices, int[] colIndices, float[] values,
                                    DuplicatePolicy policy) {
        Objects.requireNonNull(rowIndices, "rowIndices");
        Objects.requireNonNull(colIndices, "colIndices");
        Objects.requireNonNull(values, "values");
        Objects.requireNonNull(policy, "policy");
        if (rowIndices.length != colIndices.length || rowIndices.length != values.length) {
            throw new IllegalArgumentException("COO arrays differ in length: rowIndices " + rowIndices.length
                    + ", colIndices " + colIndices.length + ", values " + values.length);
        }
        try (Builder b = new Builder(rows, cols, rowIndices.length)) {
            for (int p = 0; p < rowIndices.length; p++) {
                b.add(rowIndices[p], colIndices[p], values[p]);
            }
            return b.build(policy);
        }
    }

    /**
     * A matrix from arrays already in CSR form (copied). Every invariant of the class comment is checked,
     * and a violation is reported with its position.
     */
    public static CsrMatrix of(int rows, int cols, long[] rowOffsets, int[] colIndices, float[] values) {
        Objects.requireNonNull(rowOffsets, "rowOffsets");
        Objects.requireNonNull(colIndices, "colIndices");
        Objects.requireNonNull(values, "values");
        requireShape(rows, cols);
        if (rowOffsets.length != (long) rows + 1) {
            throw new IllegalArgumentException("rowOffsets has length " + rowOffsets.length + " but a matrix with "
                    + rows + " rows needs " + ((long) rows + 1));
        }
        if (colIndices.length != values.length) {
            throw new IllegalArgumentException("colIndices has length " + colIndices.length + " but values has length "
                    + values.length);
        }
        if (rowOffsets[0] != 0) {
            throw new IllegalArgumentException("rowOffsets[0] = " + rowOffsets[0] + " but must be 0");
        }
        if (rowOffsets[rows] != colIndices.length) {
            throw new IllegalArgumentException("rowOffsets[" + rows + "] = " + rowOffsets[rows]
                    + " (nnz) but colIndices has length " + colIndices.length);
        }
        for (int i = 0; i < rows; i++) {
            long start = rowOffsets[i];
            long end = rowOffsets[i + 1];
            if (end < start) {
                throw new IllegalArgumentException("rowOffsets decreases at row " + i + ": " + start + " then " + end);
            }
            // The last offset equals nnz, but a middle one may still overshoot (and come back down later).
            if (end > colIndices.length) {
                throw new IllegalArgumentException("rowOffsets[" + (i + 1) + "] = " + end + " is beyond nnz = "
                        + colIndices.length);
            }
            for (long p = start; p < end; p++) {
                int j = colIndices[(int) p];
                if (j < 0 || j >= cols) {
                    throw new IllegalArgumentException("column index " + j + " at position " + p + " (row " + i
                            + ") is out of range [0, " + cols + ")");
                }
                if (p > start && j <= colIndices[(int) p - 1]) {
                    throw new IllegalArgumentException((j == colIndices[(int) p - 1] ? "duplicate" : "unsorted")
                            + " column " + j + " at position " + p + " in row " + i + " (previous column "
                            + colIndices[(int) p - 1] + ")");
                }
                if (!Float.isFinite(values[(int) p])) {
                    throw new IllegalArgumentException("value " + values[(int) p] + " at (" + i + ", " + j
                            + ") is not finite");
                }
            }
        }
        Arena arena = Arena.ofShared();
        try {
            MemorySegment ro = arena.allocate(ValueLayout.JAVA_LONG, rowOffsets.length);
            MemorySegment ci = arena.allocate(ValueLayout.JAVA_INT, colIndices.length);
            MemorySegment va = arena.allocate(ValueLayout.JAVA_FLOAT, values.length);
            MemorySegment.copy(rowOffsets, 0, ro, ValueLayout.JAVA_LONG, 0, rowOffsets.length);
            MemorySegment.copy(colIndices, 0, ci, ValueLayout.JAVA_INT, 0, colIndices.length);
            MemorySegment.copy(values, 0, va, ValueLayout.JAVA_FLOAT, 0, values.length);
            return new CsrMatrix(rows, cols, colIndices.length, ro, ci, va, arena);
        } catch (RuntimeException | OutOfMemoryError e) {
            arena.close();
            throw e;
        }
    }

    /** The nonzero entries of {@code dense} (an entry equal to 0 is treated as absent). */
    public static CsrMatrix fromDense(DenseMatrix dense) {
        dense.checkOpen();
        try (Builder b = new Builder(dense.rows(), dense.cols())) {
            for (int i = 0; i < dense.rows(); i++) {
                for (int j = 0; j < dense.cols(); j++) {
                    float v = dense.get(i, j);
                    if (v != 0f) {
                        b.add(i, j, v);
                    }
                }
            }
            return b.build(DuplicatePolicy.ERROR);
        }
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Number of stored entries. */
    public long nnz() {
        return nnz;
    }

    /** Position of row {@code i}'s first entry. */
    public long rowStart(int i) {
        checkOpen();
        Objects.checkIndex(i, rows);
        return rowOffsets.getAtIndex(ValueLayout.JAVA_LONG, i);
    }

    /** Position one past row {@code i}'s last entry. */
    public long rowEnd(int i) {
        checkOpen();
        Objects.checkIndex(i, rows);
        return rowOffsets.getAtIndex(ValueLayout.JAVA_LONG, i + 1L);
    }

    /** Column index of the entry at position {@code p}. */
    public int columnIndex(long p) {
        checkOpen();
        Objects.checkIndex(p, nnz);
        return columnIndices.getAtIndex(ValueLayout.JAVA_INT, p);
    }

    /** Value of the entry at position {@code p}. */
    public float value(long p) {
        checkOpen();
        Objects.checkIndex(p, nnz);
        return values.getAtIndex(ValueLayout.JAVA_FLOAT, p);
    }

    /** The value at (i, j), or 0 when the entry is not stored (binary search within the row). */
    public float get(int i, int j) {
        checkOpen();
        Objects.checkIndex(i, rows);
        Objects.checkIndex(j, cols);
        long lo = rowOffsets.getAtIndex(ValueLayout.JAVA_LONG, i);
        long hi = rowOffsets.getAtIndex(ValueLayout.JAVA_LONG, i + 1L) - 1;
        while (lo <= hi) {
            long mid = (lo + hi) >>> 1;
            int c = columnIndices.getAtIndex(ValueLayout.JAVA_INT, mid);
            if (c < j) {
                lo = mid + 1;
            } else if (c > j) {
                hi = mid - 1;
            } else {
                return values.getAtIndex(ValueLayout.JAVA_FLOAT, mid);
            }
        }
        return 0f;
    }

    /** {@code rows + 1} longs (read-only): row {@code i} occupies positions {@code [offsets[i], offsets[i+1])}. */
    public MemorySegment rowOffsets() {
        checkOpen();
        return rowOffsets;
    }

    /** {@code nnz} ints (read-only), strictly increasing within each row. */
    public MemorySegment columnIndices() {
        checkOpen();
        return columnIndices;
    }

    /** {@code nnz} floats; kernels such as SDDMM write results here. */
    public MemorySegment values() {
        checkOpen();
        return values;
    }

    /**
     * The transpose ({@code cols × rows}), a new matrix that the caller owns: the compressed-column view
     * that column-wise work (gradients with respect to V) reads instead of scattering with atomics.
     */
    public CsrMatrix transpose() {
        checkOpen();
        long[] offsets = new long[cols + 1];
        for (long p = 0; p < nnz; p++) {
            offsets[columnIndices.getAtIndex(ValueLayout.JAVA_INT, p) + 1]++;
        }
        for (int j = 0; j < cols; j++) {
            offsets[j + 1] += offsets[j];
        }
        long[] cursor = Arrays.copyOf(offsets, cols);
        Arena out = Arena.ofShared();
        try {
            MemorySegment ro = out.allocate(ValueLayout.JAVA_LONG, (long) cols + 1);
            MemorySegment ci = out.allocate(ValueLayout.JAVA_INT, nnz);
            MemorySegment va = out.allocate(ValueLayout.JAVA_FLOAT, nnz);
            MemorySegment.copy(offsets, 0, ro, ValueLayout.JAVA_LONG, 0, offsets.length);
            // Rows are visited in increasing order, so each transposed row comes out sorted.
            for (int i = 0; i < rows; i++) {
                long end = rowOffsets.getAtIndex(ValueLayout.JAVA_LONG, i + 1L);
                for (long p = rowOffsets.getAtIndex(ValueLayout.JAVA_LONG, i); p < end; p++) {
                    int j = columnIndices.getAtIndex(ValueLayout.JAVA_INT, p);
                    long q = cursor[j]++;
                    ci.setAtIndex(ValueLayout.JAVA_INT, q, i);
                    va.setAtIndex(ValueLayout.JAVA_FLOAT, q, values.getAtIndex(ValueLayout.JAVA_FLOAT, p));
                }
            }
            return new CsrMatrix(cols, rows, nnz, ro, ci, va, out);
        } catch (RuntimeException | OutOfMemoryError e) {
            out.close();
            throw e;
        }
    }

    /** A new matrix with this one's rows, columns and structure, and every value 0. */
    public CsrMatrix copyStructure() {
        checkOpen();
        Arena out = Arena.ofShared();
        try {
            MemorySegment ro = out.allocate(ValueLayout.JAVA_LONG, (long) rows + 1);
            MemorySegment ci = out.allocate(ValueLayout.JAVA_INT, nnz);
            MemorySegment va = out.allocate(ValueLayout.JAVA_FLOAT, nnz);
            ro.copyFrom(rowOffsets);
            ci.copyFrom(columnIndices);
            return new CsrMatrix(rows, cols, nnz, ro, ci, va, out, structure, null);
        } catch (RuntimeException | OutOfMemoryError e) {
            out.close();
            throw e;
        }
    }

    /**
     * Like {@link #copyStructure()}, but the new matrix uses this one's row offsets and column indices
     * instead of copying them: 4 bytes per stored entry instead of 12, for a score or residual matrix
     * that lives beside its data. Its values are its own (all 0 to begin with); it can be used only while
     * this matrix is open, and closing it leaves this one open.
     */
    public CsrMatrix sharingStructure() {
        checkOpen();
        Arena out = Arena.ofShared();
        try {
            MemorySegment va = out.allocate(ValueLayout.JAVA_FLOAT, nnz);
            CsrMatrix owner = structureOwner == null ? this : structureOwner;
            return new CsrMatrix(rows, cols, nnz, rowOffsets, columnIndices, va, out, structure, owner);
        } catch (RuntimeException | OutOfMemoryError e) {
            out.close();
            throw e;
        }
    }

    /** Whether {@code other} has the same shape and stores exactly the same positions. */
    public boolean hasSameStructure(CsrMatrix other) {
        checkOpen();
        other.checkOpen();
        if (other.structure == structure) {
            return true;
        }
        return rows == other.rows && cols == other.cols && nnz == other.nnz
                && rowOffsets.mismatch(other.rowOffsets) == -1
                && columnIndices.mismatch(other.columnIndices) == -1;
    }

    /** A dense copy (absent entries are 0); meant for small matrices and tests. */
    public DenseMatrix toDense() {
        checkOpen();
        DenseMatrix out = DenseMatrix.zeros(rows, cols);
        for (int i = 0; i < rows; i++) {
            long end = rowOffsets.getAtIndex(ValueLayout.JAVA_LONG, i + 1L);
            for (long p = rowOffsets.getAtIndex(ValueLayout.JAVA_LONG, i); p < end; p++) {
                out.set(i, columnIndices.getAtIndex(ValueLayout.JAVA_INT, p),
                        values.getAtIndex(ValueLayout.JAVA_FLOAT, p));
            }
        }
        return out;
    }

    public boolean isClosed() {
        return closed || structureOwner != null && structureOwner.closed;
    }

    /** Throws {@link IllegalStateException} if this matrix is closed. */
    public void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the " + shape() + " CSR matrix is closed");
        }
        if (structureOwner != null && structureOwner.closed) {
            throw new IllegalStateException("the " + shape() + " CSR matrix whose structure this one shares is closed");
        }
    }

    /** "rows x cols", as used in error messages. */
    public String shape() {
        return rows + "x" + cols;
    }

    @Override
    public String toString() {
        return "CsrMatrix[" + shape() + ", nnz " + nnz + (closed ? ", closed]" : "]");
    }

    /** Frees the memory; closing twice is harmless. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }

    private static void requireShape(int rows, int cols) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("shape " + rows + "x" + cols + " has a negative dimension");
        }
    }

    /**
     * Collects (row, column, value) triplets in off-heap buffers (so more than 2³¹ entries fit), then
     * sorts them into a {@link CsrMatrix}. Each triplet is checked as it is added. A builder is used by one
     * thread and gives up its buffers on {@link #build} or {@link #close}.
     */
    public static final class Builder implements AutoCloseable {
        private static final long INITIAL_CAPACITY = 1024;

        private final int rows;
        private final int cols;
        private Arena arena;
        private MemorySegment rowBuf;
        private MemorySegment colBuf;
        private MemorySegment valBuf;
        private long size;
        private long capacity;

        private Builder(int rows, int cols) {
            this(rows, cols, INITIAL_CAPACITY);
        }

        private Builder(int rows, int cols, long initialCapacity) {
            requireShape(rows, cols);
            this.rows = rows;
            this.cols = cols;
            allocate(Math.max(1, initialCapacity));
        }

        /** Adds entry (i, j) = value; throws if the index is out of range or the value is not finite. */
        public Builder add(int i, int j, float value) {
            if (arena == null) {
                throw new IllegalStateException("the builder was already built or closed");
            }
            if (i < 0 || i >= rows || j < 0 || j >= cols) {
                throw new IllegalArgumentException("entry " + size + " at (" + i + ", " + j
                        + ") is out of range for a " + rows + "x" + cols + " matrix");
            }
            if (!Float.isFinite(value)) {
                throw new IllegalArgumentException("entry " + size + " at (" + i + ", " + j + ") has value "
                        + value + ", which is not finite");
            }
            if (size == capacity) {
                allocate(Math.multiplyExact(capacity, 2));
            }
            rowBuf.setAtIndex(ValueLayout.JAVA_INT, size, i);
            colBuf.setAtIndex(ValueLayout.JAVA_INT, size, j);
            valBuf.setAtIndex(ValueLayout.JAVA_FLOAT, size, value);
            size++;
            return this;
        }

        /** Number of triplets added so far (duplicates included). */
        public long size() {
            return size;
        }

        /** Sorts the triplets into a new matrix; the builder is closed afterwards, whatever happens. */
        public CsrMatrix build(DuplicatePolicy policy) {
            Objects.requireNonNull(policy, "policy");
            if (arena == null) {
                throw new IllegalStateException("the builder was already built or closed");
            }
            try {
                return sortIntoCsr(policy);
            } finally {
                close();
            }
        }

        private CsrMatrix sortIntoCsr(DuplicatePolicy policy) {
            long[] offsets = new long[rows + 1];
            for (long p = 0; p < size; p++) {
                offsets[rowBuf.getAtIndex(ValueLayout.JAVA_INT, p) + 1]++;
            }
            long longestRow = 0;
            for (int i = 0; i < rows; i++) {
                longestRow = Math.max(longestRow, offsets[i + 1]);
                offsets[i + 1] += offsets[i];
            }
            if (longestRow > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("a row has " + longestRow + " entries; at most "
                        + (Integer.MAX_VALUE - 8) + " per row are supported");
            }
            Arena out = Arena.ofShared();
            try {
                MemorySegment ci = out.allocate(ValueLayout.JAVA_INT, size);
                MemorySegment va = out.allocate(ValueLayout.JAVA_FLOAT, size);
                long[] cursor = Arrays.copyOf(offsets, rows);
                for (long p = 0; p < size; p++) {
                    long q = cursor[rowBuf.getAtIndex(ValueLayout.JAVA_INT, p)]++;
                    ci.setAtIndex(ValueLayout.JAVA_INT, q, colBuf.getAtIndex(ValueLayout.JAVA_INT, p));
                    va.setAtIndex(ValueLayout.JAVA_FLOAT, q, valBuf.getAtIndex(ValueLayout.JAVA_FLOAT, p));
                }
                long written = sortRowsAndMerge(offsets, ci, va, (int) longestRow, policy);
                MemorySegment ro = out.allocate(ValueLayout.JAVA_LONG, (long) rows + 1);
                MemorySegment.copy(offsets, 0, ro, ValueLayout.JAVA_LONG, 0, offsets.length);
                return new CsrMatrix(rows, cols, written, ro,
                        ci.asSlice(0, written * Integer.BYTES), va.asSlice(0, written * Float.BYTES), out);
            } catch (RuntimeException | OutOfMemoryError e) {
                out.close();
                throw e;
            }
        }

        /**
         * Sorts each row by column and merges duplicates, compacting in place; rewrites {@code offsets}
         * to the compacted positions and returns the final nnz.
         */
        private long sortRowsAndMerge(long[] offsets, MemorySegment ci, MemorySegment va, int longestRow,
                                      DuplicatePolicy policy) {
            long[] keys = new long[longestRow];
            float[] arrival = policy == DuplicatePolicy.LAST ? new float[longestRow] : null;
            long write = 0;
            for (int i = 0; i < rows; i++) {
                long start = offsets[i];
                int len = (int) (offsets[i + 1] - start);
                offsets[i] = write;
                // Key = column in the high half; in the low half the value's bits (so SUM adds duplicates
                // in an order that does not depend on the input order) or, for LAST, the arrival position
                // within the row (the counting sort by row kept the input order).
                boolean sorted = true;
                for (int t = 0; t < len; t++) {
                    float value = va.getAtIndex(ValueLayout.JAVA_FLOAT, start + t);
                    long low = arrival != null ? t : Float.floatToRawIntBits(value) & 0xffffffffL;
                    if (arrival != null) {
                        arrival[t] = value;
                    }
                    keys[t] = ((long) ci.getAtIndex(ValueLayout.JAVA_INT, start + t) << 32) | low;
                    sorted &= t == 0 || keys[t - 1] < keys[t];
                }
                if (!sorted) {
                    Arrays.sort(keys, 0, len);
                }
                for (int t = 0; t < len; ) {
                    int j = (int) (keys[t] >>> 32);
                    int u = t + 1;
                    while (u < len && (int) (keys[u] >>> 32) == j) {
                        u++;
                    }
                    if (u - t > 1 && policy == DuplicatePolicy.ERROR) {
                        throw new DuplicateEntryException(i, j);
                    }
                    float merged = arrival != null ? arrival[(int) keys[u - 1]] : sumOfLowHalves(keys, t, u);
                    if (!Float.isFinite(merged)) {
                        throw new IllegalArgumentException("the duplicates at (" + i + ", " + j
                                + ") sum to " + merged + ", which is not finite as a float");
                    }
                    ci.setAtIndex(ValueLayout.JAVA_INT, write, j);
                    va.setAtIndex(ValueLayout.JAVA_FLOAT, write, merged);
                    write++;
                    t = u;
                }
            }
            offsets[rows] = write;
            return write;
        }

        private static float sumOfLowHalves(long[] keys, int from, int to) {
            double sum = 0;
            for (int t = from; t < to; t++) {
                sum += Float.intBitsToFloat((int) keys[t]);
            }
            return (float) sum;
        }

        private void allocate(long newCapacity) {
            Arena next = Arena.ofShared();
            try {
                MemorySegment r = next.allocate(ValueLayout.JAVA_INT, newCapacity);
                MemorySegment c = next.allocate(ValueLayout.JAVA_INT, newCapacity);
                MemorySegment v = next.allocate(ValueLayout.JAVA_FLOAT, newCapacity);
                if (size > 0) {
                    MemorySegment.copy(rowBuf, 0, r, 0, size * Integer.BYTES);
                    MemorySegment.copy(colBuf, 0, c, 0, size * Integer.BYTES);
                    MemorySegment.copy(valBuf, 0, v, 0, size * Float.BYTES);
                }
                if (arena != null) {
                    arena.close();
                }
                arena = next;
                rowBuf = r;
                colBuf = c;
                valBuf = v;
                capacity = newCapacity;
            } catch (RuntimeException | OutOfMemoryError e) {
                next.close();
                throw e;
            }
        }

        /** Frees the buffers; the builder cannot be used afterwards. */
        @Override
        public void close() {
            if (arena != null) {
                arena.close();
                arena = null;
                rowBuf = colBuf = valBuf = null;
            }
        }
    }
}
