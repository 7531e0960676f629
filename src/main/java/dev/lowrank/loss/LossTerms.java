package dev.lowrank.loss;

import dev.lowrank.kernel.Kernels;
import dev.lowrank.kernel.Op;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.model.FactorModel;
import java.util.Objects;

/**
 * What every loss over observed entries does besides visiting them, shared by the CSR path
 * ({@link ObservedLoss}) and the dense path ({@link DenseSquaredLoss}) so both check and add the same
 * way: the argument checks of {@link Loss#evaluate}, L4's unobserved term through the Gramians, and the
 * L2 terms.
 */
final class LossTerms {

    private LossTerms() {
    }

    /** Throws unless the loss is open, {@code model} is open and fits the data, and {@code out} fits the model. */
    static void requireFits(boolean lossClosed, FactorModel model, Gradients out, int users, int items, String dataShape) {
        if (lossClosed) {
            throw new IllegalStateException("this loss is closed");
        }
        Objects.requireNonNull(model, "model");
        if (model.isClosed()) {
            throw new IllegalStateException("the model is closed");
        }
        if (model.users() != users || model.items() != items) {
            throw new IllegalArgumentException("A is " + dataShape + " but the model is " + model.users() + "x"
                    + model.items() + " (users x items)");
        }
        if (out != null) {
            out.requireMatches(model);
        }
    }

    /**
     * λ2·Σ over all (i, j) of s_ij² = λ2·⟨UᵀU, VᵀV⟩, never touching the m·n entries; adds its gradients
     * 2λ2·U·VᵀV and 2λ2·V·UᵀU into {@code out} (when not null). {@code gramU}, {@code gramV}: k×k scratch.
     */
    static double unobserved(Kernels kernels, float lambda2, DenseMatrix u, DenseMatrix v, DenseMatrix gramU,
                             DenseMatrix gramV, Gradients out) {
        kernels.gram(u, gramU);
        kernels.gram(v, gramV);
        double all = kernels.dot(gramU, gramV);
        if (out != null) {
            kernels.gemm(2f * lambda2, Op.IDENTITY, u, Op.IDENTITY, gramV, 1f, out.userFactors());
            kernels.gemm(2f * lambda2, Op.IDENTITY, v, Op.IDENTITY, gramU, 1f, out.itemFactors());
        }
        return lambda2 * all;
    }

    /**
     * {@code loss} plus the L2 terms ρ_f(‖U‖² + ‖V‖²) and, for a model with biases, ρ_b(‖b‖² + ‖c‖²), in
     * that order; their gradients are added into {@code out} (when not null).
     */
    static double addRegularization(double loss, Kernels kernels, Regularization reg, FactorModel model, Gradients out) {
        if (reg.factors() > 0f) {
            DenseMatrix u = model.userFactors();
            DenseMatrix v = model.itemFactors();
            loss += reg.factors() * (kernels.dot(u, u) + kernels.dot(v, v));
            if (out != null) {
                kernels.axpy(2f * reg.factors(), u, out.userFactors());
                kernels.axpy(2f * reg.factors(), v, out.itemFactors());
            }
        }
        if (model.hasBiases() && reg.biases() > 0f) {
            DenseMatrix ub = model.userBiases();
            DenseMatrix ib = model.itemBiases();
            loss += reg.biases() * (kernels.dot(ub, ub) + kernels.dot(ib, ib));
            if (out != null) {
                kernels.axpy(2f * reg.biases(), ub, out.userBiases());
                kernels.axpy(2f * reg.biases(), ib, out.itemBiases());
            }
        }
        return loss;
    }
}
