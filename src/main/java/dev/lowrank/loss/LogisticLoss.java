package dev.lowrank.loss;

import dev.lowrank.kernel.Kernels;

/**
 * Logistic loss for binary data (seed 004): for observed (i, j) with a_ij ∈ {0, 1},
 * <pre>
 *   L = w·Σ_Ω [log(1 + e^x_ij) − a_ij·x_ij]
 * </pre>
 * the negative log-likelihood of a_ij ~ Bernoulli(σ(x_ij)); ∂L/∂x = w·(σ(x) − a). Computed in double with
 * the overflow-free forms of softplus and σ. Stored zeros are observed negatives, so build the data with
 * {@link Observations#masked} or a CSR holding explicit zeros. Any other value is rejected.
 */
public final class LogisticLoss extends ObservedLoss {

    private LogisticLoss(Observations data, float weight, Regularization reg, Kernels kernels) {
        super(Kind.LOGISTIC, data, weight, 0f, reg, kernels);
    }

    public static LogisticLoss create(Observations data, float weight, Regularization reg, Kernels kernels) {
        return new LogisticLoss(data, weight, reg, kernels);
    }
}
