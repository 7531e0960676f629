package dev.lowrank.loss;

import dev.lowrank.kernel.Kernels;

/**
 * Masked squared loss (seed 000's L3 and L4):
 * <pre>
 *   L3 = λ1·Σ_(i,j)∈Ω (a_ij − x_ij)²              (+ L2 terms)
 *   L4 = L3 + λ2·Σ_(i,j)∉Ω (u_i·v_j)²
 * </pre>
 * with x_ij = μ + b_i + c_j + u_i·v_j (biases only when the model has them). L4 is exact and never
 * visits the unobserved entries: Σ_∉Ω s² = ⟨UᵀU, VᵀV⟩ − Σ_Ω s². With biases the λ2 term penalises the
 * factor part u_i·v_j only (see {@code ObservedLoss}). Sums, not means, as in seed 000: scale λ1
 * yourself for a mean. Numerics: docs/losses.md.
 */
public final class SquaredLoss extends ObservedLoss {

    private SquaredLoss(Observations data, float lambda1, float lambda2, Regularization reg, Kernels kernels) {
        super(Kind.SQUARED, data, lambda1, lambda2, reg, kernels);
    }

    /** L3: λ1·Σ_Ω (a − x)² plus {@code reg}. */
    public static SquaredLoss l3(Observations data, float lambda1, Regularization reg, Kernels kernels) {
        return new SquaredLoss(data, lambda1, 0f, reg, kernels);
    }

    /** L4: L3 + λ2·Σ_∉Ω (u·v)². λ2 = 0 gives L3. */
    public static SquaredLoss l4(Observations data, float lambda1, float lambda2, Regularization reg, Kernels kernels) {
        return new SquaredLoss(data, lambda1, lambda2, reg, kernels);
    }

    /**
     * L3 on a dense A read in place (no CSR copy): the same value and gradients as
     * {@link #l3(Observations, float, Regularization, Kernels)}, by streaming A once per evaluation.
     */
    public static DenseSquaredLoss l3(DenseObservations data, float lambda1, Regularization reg, Kernels kernels) {
        return new DenseSquaredLoss(data, lambda1, 0f, reg, kernels);
    }

    /**
     * L4 on a dense A read in place (no CSR copy). Faster than the CSR path when most entries are
     * observed and k is small; docs/losses.md has the measured crossover.
     */
    public static DenseSquaredLoss l4(DenseObservations data, float lambda1, float lambda2, Regularization reg,
                                      Kernels kernels) {
        return new DenseSquaredLoss(data, lambda1, lambda2, reg, kernels);
    }
}
