package dev.lowrank.loss;

import dev.lowrank.kernel.Kernels;

/**
 * Poisson loss for counts (seed 004): for observed (i, j) with a_ij ≥ 0 and rate e^x_ij,
 * <pre>
 *   L = w·Σ_Ω [e^x_ij − a_ij·x_ij]
 * </pre>
 * the negative log-likelihood without the constant log(a!); ∂L/∂x = w·(e^x − a). Computed in double; a
 * rate that overflows float makes the gradient infinite, which the trainers report as divergence.
 */
public final class PoissonLoss extends ObservedLoss {

    private PoissonLoss(Observations data, float weight, Regularization reg, Kernels kernels) {
        super(Kind.POISSON, data, weight, 0f, reg, kernels);
    }

    public static PoissonLoss create(Observations data, float weight, Regularization reg, Kernels kernels) {
        return new PoissonLoss(data, weight, reg, kernels);
    }
}
