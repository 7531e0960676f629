package dev.lowrank.kernel.internal;

import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import java.lang.foreign.MemorySegment;

/**
 * The kernels a provider implements. {@link ScalarKernels} and the Panama provider have exactly these
 * signatures. Callers (the {@code Kernels} facade) have already validated shapes, ranges and open
 * state; providers only assert. Offsets are in bytes; row ranges let fork/join split the work, and a
 * provider must compute each output element the same way whatever range it is called with.
 */
public interface KernelProvider {

    /** A short name for logs and benchmarks ("scalar", "panama-256"). */
    String name();

    /** Σ x[t]·y[t] over {@code n} floats. */
    float dot(MemorySegment x, long xOffset, MemorySegment y, long yOffset, int n);

    /** y[t] += alpha·x[t] over {@code n} floats. */
    void axpy(float alpha, MemorySegment x, long xOffset, MemorySegment y, long yOffset, int n);

    /** x[t] *= alpha over {@code n} floats. */
    void scale(float alpha, MemorySegment x, long xOffset, int n);

    /**
     * One Adam step over {@code n} floats, in Keras's order and without FMA (so every provider gives the
     * same bits): m += (g − m)(1 − beta1); v += (g² − v)(1 − beta2); p −= (m·alpha) / (√v + epsilon).
     */
    void adam(float alpha, float beta1, float beta2, float epsilon, MemorySegment p, long pOffset,
              MemorySegment g, long gOffset, MemorySegment m, long mOffset, MemorySegment v, long vOffset, int n);

    /**
     * The tile {@code [rowStart, rowEnd) × [colStart, colEnd)} of C = alpha·op(A)·op(B) + beta·C, where
     * op(X) is X or Xᵀ. With beta = 0, C is not read. The inner dimension is summed in a fixed order
     * that does not depend on the tile.
     */
    void gemm(boolean transA, boolean transB, float alpha, DenseMatrix a, DenseMatrix b, float beta,
              DenseMatrix c, int rowStart, int rowEnd, int colStart, int colEnd);

    /**
     * The upper triangle (diagonal included) of A[rowStart, rowEnd)ᵀ·A[rowStart, rowEnd) into
     * {@code out}, a row-major cols×cols array that is overwritten (lower triangle left as 0).
     */
    void gramUpper(DenseMatrix a, int rowStart, int rowEnd, float[] out);

    /** Rows {@code [rowStart, rowEnd)} of C = alpha·A·B + beta·C (A sparse); with beta = 0 C is not read. */
    void spmm(float alpha, CsrMatrix a, DenseMatrix b, float beta, DenseMatrix c, int rowStart, int rowEnd);

    /** For every stored (i, j) at position p of {@code pattern}'s rows [rowStart, rowEnd): out[p] = u_i·v_j. */
    void sddmm(CsrMatrix pattern, DenseMatrix u, DenseMatrix v, MemorySegment outValues, int rowStart, int rowEnd);
}
