package dev.lowrank.matrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * A dense {@code rows × cols} matrix of float32 values, row-major, in off-heap memory.
 *
 * <p>Layout: row {@code i} starts at byte {@code i * rowStride() * 4} of {@link #segment()}. Matrices
 * this class allocates start on a 64-byte boundary and pad each row to a whole number of 64-byte cache
 * lines ({@link #paddedStride(int)}), so every row starts aligned and a full-width vector load at the
 * start of a row never splits a line. The padding floats are zero and no kernel reads them.
 *
 * <p>Ownership: a matrix made by {@link #zeros}, {@link #of} or {@link #copy} owns its memory through a
 * shared arena (usable from any thread, including fork/join workers) and frees it on {@link #close()}.
 * A matrix made by {@link #wrap} borrows the caller's segment; closing it only marks it closed, and the
 * caller stays responsible for the memory. A {@link #rowView} borrows from its parent and becomes
 * unusable when the parent is closed. Any use of a closed matrix throws {@link IllegalStateException}.
 *
 * <p>Values: NaN and infinities are rejected wherever values enter through this class (factories,
 * {@link #set}, {@link #fill}, {@link #copyFrom(float[][])}). Memory written directly through
 * {@link #segment()} is the caller's responsibility; {@link #requireFinite(String)} checks it.
 */
public final class DenseMatrix implements AutoCloseable {

    /** Byte alignment of allocated matrices and of each padded row. */
    public static final int ALIGNMENT_BYTES = 64;
    private static final int FLOATS_PER_LINE = ALIGNMENT_BYTES / Float.BYTES;

    private final int rows;
    private final int cols;
    private final int rowStride;
    private final MemorySegment segment;
    /** Non-null only when this matrix owns its memory. */
    private final Arena arena;
    /** The matrix whose lifetime governs this one: {@code this}, or the parent of a view. */
    private final DenseMatrix owner;
    private boolean closed;

    private DenseMatrix(int rows, int cols, int rowStride, MemorySegment segment, Arena arena, DenseMatrix owner) {
        this.rows = rows;
        this.cols = cols;
        this.rowStride = rowStride;
        this.segment = segment;
        this.arena = arena;
        this.owner = owner == null ? this : owner;
    }

    /** The row stride, in floats, that allocated matrices use for {@code cols} columns. */
    public static int paddedStride(int cols) {
        requireNonNegative(cols, "cols");
        long padded = ((long) cols + FLOATS_PER_LINE - 1) / FLOATS_PER_LINE * FLOATS_PER_LINE;
        if (padded > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("cols = " + cols + " is too large for a padded row");
        }
        return (int) padded;
    }

    /** A new zero-filled {@code rows × cols} matrix that owns its memory. */
    public static DenseMatrix zeros(int rows, int cols) {
        requireNonNegative(rows, "rows");
        int stride = paddedStride(cols);
        long bytes = Math.multiplyExact((long) rows, (long) stride) * Float.BYTES;
        Arena arena = Arena.ofShared();
        try {
            MemorySegment segment = arena.allocate(bytes, ALIGNMENT_BYTES);
            return new DenseMatrix(rows, cols, stride, segment, arena, null);
        } catch (RuntimeException | OutOfMemoryError e) {
            arena.close();
            throw e;
        }
    }

    /** A new matrix holding a copy of {@code values}, one array per row (all rows the same length). */
    public static DenseMatrix of(float[][] values) {
        Objects.requireNonNull(values, "values");
        int cols = values.length == 0 ? 0 : Objects.requireNonNull(values[0], "values[0]").length;
        DenseMatrix m = zeros(values.length, cols);
        try {
            m.copyFrom(values);
            return m;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** A new {@code rows × cols} matrix holding a copy of {@code rowMajor} (length rows·cols). */
    public static DenseMatrix of(int rows, int cols, float... rowMajor) {
        Objects.requireNonNull(rowMajor, "rowMajor");
        DenseMatrix m = zeros(rows, cols);
        try {
            m.copyFrom(rowMajor);
            return m;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * A matrix over the caller's native memory, without copying: row {@code i} starts at float index
     * {@code i * rowStride}. The caller keeps ownership of the segment; this matrix never frees it.
     * The segment need not be 64-byte aligned (kernels are only faster when it is), but must be
     * float-aligned and native.
     */
    public static DenseMatrix wrap(MemorySegment segment, int rows, int cols, int rowStride) {
        Objects.requireNonNull(segment, "segment");
        requireNonNegative(rows, "rows");
        requireNonNegative(cols, "cols");
        if (rowStride < cols) {
            throw new IllegalArgumentException("rowStride " + rowStride + " is smaller than cols " + cols);
        }
        if (!segment.isNative()) {
            throw new IllegalArgumentException("wrap needs a native (off-heap) segment; copy heap data with DenseMatrix.of");
        }
        if (segment.address() % Float.BYTES != 0) {
            throw new IllegalArgumentException("segment address " + segment.address() + " is not float-aligned");
        }
        // Every row start must lie within the segment (or at its end), even with no columns: accessors
        // address row i at i·rowStride, and a zero-length copy there is still bounds-checked.
        long needed = rows == 0 ? 0 : (((long) rows - 1) * rowStride + cols) * Float.BYTES;
        if (segment.byteSize() < needed) {
            throw new IllegalArgumentException("a " + rows + "x" + cols + " matrix with row stride " + rowStride
                    + " needs " + needed + " bytes but the segment has " + segment.byteSize());
        }
        return new DenseMatrix(rows, cols, rowStride, segment, null, null);
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Distance between the starts of consecutive rows, in floats ({@code >= cols}). */
    public int rowStride() {
        return rowStride;
    }

    /** The memory behind this matrix (see the class comment for the layout). */
    public MemorySegment segment() {
        checkOpen();
        return segment;
    }

    /** Byte offset of element (i, j) in {@link #segment()}, without bounds checks (for kernels). */
    public long offset(int i, int j) {
        return ((long) i * rowStride + j) * Float.BYTES;
    }

    /** Whether this matrix owns its memory (and frees it on close). */
    public boolean ownsMemory() {
        return arena != null;
    }

    public boolean isClosed() {
        return owner.closed || closed;
    }

    /** Throws {@link IllegalStateException} if this matrix (or the matrix it borrows from) is closed. */
    public void checkOpen() {
        if (isClosed()) {
            throw new IllegalStateException("the " + rows + "x" + cols + " matrix is closed");
        }
    }

    public float get(int i, int j) {
        checkOpen();
        Objects.checkIndex(i, rows);
        Objects.checkIndex(j, cols);
        return segment.get(ValueLayout.JAVA_FLOAT, offset(i, j));
    }

    public void set(int i, int j, float value) {
        checkOpen();
        Objects.checkIndex(i, rows);
        Objects.checkIndex(j, cols);
        requireFinite(value, i, j);
        segment.set(ValueLayout.JAVA_FLOAT, offset(i, j), value);
    }

    /** Sets every element to {@code value}. */
    public void fill(float value) {
        checkOpen();
        if (!Float.isFinite(value)) {
            throw new IllegalArgumentException("fill value " + value + " is not finite");
        }
        for (int i = 0; i < rows; i++) {
            if (Float.floatToRawIntBits(value) == 0) {
                segment.asSlice(offset(i, 0), (long) cols * Float.BYTES).fill((byte) 0);
            } else {
                for (int j = 0; j < cols; j++) {
                    segment.set(ValueLayout.JAVA_FLOAT, offset(i, j), value);
                }
            }
        }
    }

    /** Copies {@code values} (one array per row, exactly rows × cols) into this matrix. */
    public void copyFrom(float[][] values) {
        checkOpen();
        Objects.requireNonNull(values, "values");
        if (values.length != rows) {
            throw new IllegalArgumentException("values has " + values.length + " rows but the matrix is " + shape());
        }
        for (int i = 0; i < rows; i++) {
            float[] row = values[i];
            if (row == null) {
                throw new NullPointerException("values[" + i + "] is null");
            }
            if (row.length != cols) {
                throw new IllegalArgumentException("values[" + i + "] has length " + row.length
                        + " but the matrix is " + shape());
            }
        }
        for (int i = 0; i < rows; i++) {
            requireFiniteRow(values[i], i);
            MemorySegment.copy(values[i], 0, segment, ValueLayout.JAVA_FLOAT, offset(i, 0), cols);
        }
    }

    /** Copies {@code rowMajor} (length rows·cols, no padding) into this matrix. */
    public void copyFrom(float[] rowMajor) {
        checkOpen();
        Objects.requireNonNull(rowMajor, "rowMajor");
        if (rowMajor.length != (long) rows * cols) {
            throw new IllegalArgumentException("rowMajor has length " + rowMajor.length + " but the matrix is "
                    + shape() + " (" + (long) rows * cols + " values)");
        }
        for (int k = 0; k < rowMajor.length; k++) {
            if (!Float.isFinite(rowMajor[k])) {
                throw nonFinite(rowMajor[k], k / cols, k % cols);
            }
        }
        for (int i = 0; i < rows; i++) {
            MemorySegment.copy(rowMajor, i * cols, segment, ValueLayout.JAVA_FLOAT, offset(i, 0), cols);
        }
    }

    /** A copy of the values, one array per row. */
    public float[][] toArray() {
        checkOpen();
        float[][] out = new float[rows][cols];
        for (int i = 0; i < rows; i++) {
            MemorySegment.copy(segment, ValueLayout.JAVA_FLOAT, offset(i, 0), out[i], 0, cols);
        }
        return out;
    }

    /** A copy of the values, row-major without padding. */
    public float[] toFlatArray() {
        checkOpen();
        float[] out = new float[Math.toIntExact((long) rows * cols)];
        for (int i = 0; i < rows; i++) {
            MemorySegment.copy(segment, ValueLayout.JAVA_FLOAT, offset(i, 0), out, i * cols, cols);
        }
        return out;
    }

    /** Copies row {@code i} into {@code out} (length at least cols), without allocating. */
    public void copyRow(int i, float[] out) {
        checkOpen();
        Objects.checkIndex(i, rows);
        if (out.length < cols) {
            throw new IllegalArgumentException("out has length " + out.length + " but a row has " + cols + " values");
        }
        MemorySegment.copy(segment, ValueLayout.JAVA_FLOAT, offset(i, 0), out, 0, cols);
    }

    /**
     * A view of rows {@code [rowStart, rowEnd)} sharing this matrix's memory: writes through either are
     * seen by both. The view borrows: closing it does nothing to the memory, and closing this matrix
     * makes the view unusable.
     */
    public DenseMatrix rowView(int rowStart, int rowEnd) {
        checkOpen();
        Objects.checkFromToIndex(rowStart, rowEnd, rows);
        // An empty view starts at 0: rowStart·rowStride may lie past the end of a tightly wrapped segment.
        long start = rowEnd == rowStart ? 0 : offset(rowStart, 0);
        long length = rowEnd == rowStart ? 0 : offset(rowEnd - rowStart - 1, cols);
        return new DenseMatrix(rowEnd - rowStart, cols, rowStride, segment.asSlice(start, length), null, owner);
    }

    /** A new matrix, owning its memory, with the same values. */
    public DenseMatrix copy() {
        checkOpen();
        DenseMatrix out = zeros(rows, cols);
        for (int i = 0; i < rows; i++) {
            MemorySegment.copy(segment, offset(i, 0), out.segment, out.offset(i, 0), (long) cols * Float.BYTES);
        }
        return out;
    }

    /** Copies all values of {@code source} (same shape) into this matrix. */
    public void copyFrom(DenseMatrix source) {
        checkOpen();
        source.checkOpen();
        if (source.rows != rows || source.cols != cols) {
            throw new IllegalArgumentException("source is " + source.shape() + " but this matrix is " + shape());
        }
        for (int i = 0; i < rows; i++) {
            MemorySegment.copy(source.segment, source.offset(i, 0), segment, offset(i, 0), (long) cols * Float.BYTES);
        }
    }

    /**
     * Throws {@link IllegalArgumentException} naming {@code what} and the first position if any value is
     * NaN or infinite (for memory written through {@link #segment()}).
     */
    public void requireFinite(String what) {
        checkOpen();
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                float v = segment.get(ValueLayout.JAVA_FLOAT, offset(i, j));
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException(what + " has " + v + " at (" + i + ", " + j + ")");
                }
            }
        }
    }

    /** "rows x cols", as used in error messages. */
    public String shape() {
        return rows + "x" + cols;
    }

    @Override
    public String toString() {
        return "DenseMatrix[" + shape() + ", stride " + rowStride + (isClosed() ? ", closed]" : "]");
    }

    /**
     * Frees owned memory. Closing twice is harmless. Closing a view or a wrapped matrix marks only it
     * closed and leaves the memory alone.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (arena != null) {
            arena.close();
        }
    }

    private static void requireFiniteRow(float[] row, int i) {
        for (int j = 0; j < row.length; j++) {
            if (!Float.isFinite(row[j])) {
                throw nonFinite(row[j], i, j);
            }
        }
    }

    private static void requireFinite(float value, int i, int j) {
        if (!Float.isFinite(value)) {
            throw nonFinite(value, i, j);
        }
    }

    private static IllegalArgumentException nonFinite(float value, int i, int j) {
        return new IllegalArgumentException("value " + value + " at (" + i + ", " + j + ") is not finite");
    }

    private static void requireNonNegative(int value, String name) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " = " + value + " is negative");
        }
    }
}
