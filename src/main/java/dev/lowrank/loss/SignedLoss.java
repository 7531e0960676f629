package dev.lowrank.loss;

import dev.lowrank.kernel.Kernels;

/**
 * Seed 001's signed inner-product loss on user-mean-centred ratings:
 * <pre>
 *   L = Σ_{c_ij < 0} x_ij − Σ_{c_ij > 0} x_ij,    c_ij = a_ij − mean_i(a)
 * </pre>
 * for observed (i, j) (x_ij as in {@link SquaredLoss}; mean_i over user i's observed ratings, computed
 * once in double). Minimising it pushes u_i·v_j up where user i rated j above their mean and down below
 * it; ∇U = D·V and ∇V = Dᵀ·U with D the sign matrix. The loss is linear, so it is unbounded below:
 * train it for a fixed number of epochs or with an L2 penalty, as the seed does.
 */
public final class SignedLoss extends ObservedLoss {

    private SignedLoss(Observations data, Regularization reg, Kernels kernels) {
        super(Kind.SIGNED, data, 1f, 0f, reg, kernels);
    }

    public static SignedLoss create(Observations data, Regularization reg, Kernels kernels) {
        return new SignedLoss(data, reg, kernels);
    }
}
