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
    default void gemm(boolean transA, boolean transB, float alpha, DenseMatrix a, DenseMatrix b, float beta,
                      DenseMatrix c, int rowStart, int rowEnd, int colStart, int colEnd) {
        gemm(transA, transB, alpha, a, b, 0, transA ? a.rows() : a.cols(), beta, c, rowStart, rowEnd, colStart, colEnd);
    }

    /**
     * The same tile over part of the inner dimension only: op(A)'s columns and op(B)'s rows
     * {@code [innerStart, innerEnd)}, summed exactly as if that range were the whole of A and B (what a
     * row view of both would give, without making one: Gram and split-K blocks call this per block).
     */
    void gemm(boolean transA, boolean transB, float alpha, DenseMatrix a, DenseMatrix b, int innerStart, int innerEnd,
              float beta, DenseMatrix c, int rowStart, int rowEnd, int colStart, int colEnd);

    /**
     * out[i·d + c] += Σ_{rowStart ≤ e &lt; rowEnd} R[e][i]·R[e][c] for every i ≤ c &lt; d (d = R's
     * columns): the upper triangle of the rows' RᵀR added to a row-major d×d array, summed over the rows
     * in order. The lower triangle is not touched.
     */
    void addGramUpper(DenseMatrix rows, int rowStart, int rowEnd, float[] out);

    /** Rows {@code [rowStart, rowEnd)} of C = alpha·A·B + beta·C (A sparse); with beta = 0 C is not read. */
    void spmm(float alpha, CsrMatrix a, DenseMatrix b, float beta, DenseMatrix c, int rowStart, int rowEnd);

    /**
     * For every stored (i, j) at position p of {@code pattern}'s rows [rowStart, rowEnd):
     * out[p − outBase] = u_i·v_j (outBase 0 for an out with the pattern's structure, the rows' first
     * position for a scratch that holds only these rows).
     */
    void sddmm(CsrMatrix pattern, DenseMatrix u, DenseMatrix v, MemorySegment outValues, long outBase, int rowStart,
               int rowEnd);

    /**
     * Solves M·x = b for a symmetric positive-definite n×n M by Cholesky (M = RᵀR, R upper). M is
     * row-major in {@code m}; only its upper triangle is read, and it is overwritten with R. {@code b}
     * is overwritten with x. Returns false, with m and b in an unspecified state, if a pivot is not
     * positive (M is not positive definite to working precision).
     */
    boolean choleskySolve(float[] m, float[] b, int n);

    /**
     * One SGD step on a pair of factor rows, both from their old values: u ← shrink·u + step·v and
     * v ← shrink·v + step·u_old, over {@code n} floats (step = rate·error, shrink = 1 − rate·ρ).
     */
    void sgdUpdate(MemorySegment u, long uOffset, MemorySegment v, long vOffset, int n, float step, float shrink);

    /**
     * Rows {@code [rowStart, rowEnd)} of the masked squared loss on a dense A (m×n), reading A in place.
     * With s_ij = u_i·v_j (v_j is column j of {@code vt} = Vᵀ, k×n) and x_ij = ((μ + b_i) + c_j) + s_ij
     * when {@code userBias} (1×m) and {@code itemBias} (1×n) are given, else x_ij = s_ij; Ω is
     * {mask_ij ≠ 0} when {@code mask} is given, else {a_ij ≠ 0}. Returns
     * Σ_(i,j)∈Ω [w·(a_ij − x_ij)² − λ2·s_ij²] over the rows (the observed part of L4's unobserved term is
     * subtracted here; the caller adds λ2·⟨UᵀU, VᵀV⟩).
     *
     * <p>When {@code gu} is not null, with e_ij = −2w(a_ij − x_ij) and d_ij = e_ij − 2λ2·s_ij on Ω (both 0
     * off Ω): row i of {@code gu} := Σ_j d_ij·v_j; {@code partial} (k×n, or (k+1)×n with biases) is
     * overwritten with Σ_(i in rows) d_ij·u_i in column j and, in row k, Σ_i e_ij; and with biases
     * {@code userBiasGrad} (1×m) [i] := Σ_j e_ij. When {@code gu} is null only the value is computed.
     */
    double maskedSquaredRows(DenseMatrix a, DenseMatrix mask, DenseMatrix u, DenseMatrix vt, float mu,
                             DenseMatrix userBias, DenseMatrix itemBias, float weight, float lambda2,
                             DenseMatrix gu, DenseMatrix partial, DenseMatrix userBiasGrad, int rowStart, int rowEnd);

    /**
     * The matrix-free normal-equations product of row {@code row} of {@code a} (conjugate-gradient row
     * solves): for each stored entry p (column j, value a_p) in storage order, s_p = y_j·x and
     * out += ((scale + valueScale·a_p)·s_p + shift)·y_j, over y's {@code k = y.cols()} columns (x and out
     * hold at least k floats; out is accumulated into). Returns Σ s_p, summed in float in storage order.
     */
    float normalApply(CsrMatrix a, int row, DenseMatrix y, float[] x, float scale, float valueScale, float shift,
                      float[] out);

    /**
     * The right-hand side of row {@code row}'s normal equations: out += Σ_p t_p·y_j with
     * t_p = valueScale·a_p + shift + biasScale·yBias_j ({@code yBias} a 1×cols row, or null for 0).
     * Returns Σ t_p, summed in float in storage order.
     */
    float normalRhs(CsrMatrix a, int row, DenseMatrix y, float valueScale, float shift, DenseMatrix yBias,
                    float biasScale, float[] out);

    /**
     * For t in [0, count): row cols[from + t] of Y (k = y.cols() floats) into {@code panel[t·k, (t+1)·k)}
     * and values[from + t] into {@code values[t]} ({@code values} may be null).
     */
    void gatherRows(CsrMatrix a, long from, int count, DenseMatrix y, float[] panel, float[] values);

    /**
     * {@link #normalApply} on rows gathered beforehand: entry t in [0, n) is row t of {@code panel}
     * (row-major, stride k) with value {@code values[t]}: s_t = panel_t·x and
     * out += ((scale + valueScale·values[t])·s_t + shift)·panel_t over k floats, t in order. Returns Σ s_t
     * (float, in order). Gives the bits of {@code normalApply} on the same rows.
     */
    float panelApply(float[] panel, int n, int k, float[] values, float[] x, float scale, float valueScale, float shift,
                     float[] out);

    /** out[0..k) += Σ_t coef[t]·panel_t over rows t in [0, n) of {@code panel} (stride k), one FMA per row in order. */
    void panelCombine(float[] panel, int n, int k, float[] coef, float[] out);

    /**
     * SGD over the ratings t in [from, to) of the parallel arrays, in that order: with
     * e = values[t] − (u_i·v_j [+ mu + b_i + c_j]), the biases (when {@code userBias} is not null)
     * become biasShrink·b + rate·e, then u_i ← factorShrink·u_i + rate·e·v_j and
     * v_j ← factorShrink·v_j + rate·e·u_i (both from the old rows). Returns Σ e² in double, in order.
     * Row i of U is u[i·rank, (i + 1)·rank) (V likewise); the biases are indexed by row.
     */
    double sgdPass(float[] u, float[] v, int rank, int[] users, int[] items, float[] values, int from, int to,
                   float[] userBias, float[] itemBias, float mu, float rate, float factorShrink, float biasShrink);
}
