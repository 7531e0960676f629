package dev.lowrank.train;

import dev.lowrank.kernel.Kernels;
import dev.lowrank.loss.Gradients;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.model.FactorModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Adam with Keras semantics (tf.keras.optimizers.Adam): at step t (from 1),
 * <pre>
 *   α_t = η_t·√(1 − β2ᵗ)/(1 − β1ᵗ)
 *   m ← m + (g − m)(1 − β1);   v ← v + (g² − v)(1 − β2);   p ← p − α_t·m/(√v + ε)
 * </pre>
 * so ε is added to √v of the uncorrected second moment (Keras's "epsilon hat"), not to √v̂ as in the
 * paper's Algorithm 1. Defaults β1 = 0.9, β2 = 0.999, ε = 1e-7. α_t is computed in double, then the
 * update runs as one vector kernel per parameter matrix ({@link Kernels#adamStep}).
 */
public record Adam(LearningRate learningRate, float beta1, float beta2, float epsilon) implements Optimizer {

    public Adam {
        Objects.requireNonNull(learningRate, "learningRate");
        if (!(beta1 >= 0f && beta1 < 1f) || !(beta2 >= 0f && beta2 < 1f)) {
            throw new IllegalArgumentException("beta1 = " + beta1 + ", beta2 = " + beta2 + ": both must lie in [0, 1)");
        }
        if (!(epsilon > 0f) || !Float.isFinite(epsilon)) {
            throw new IllegalArgumentException("epsilon = " + epsilon + " must be positive and finite");
        }
    }

    /** Keras defaults at a constant rate (seed 000 uses 1e-3). */
    public static Adam of(double rate) {
        return new Adam(LearningRate.constant(rate), 0.9f, 0.999f, 1e-7f);
    }

    /** Keras defaults with a schedule. */
    public static Adam of(LearningRate schedule) {
        return new Adam(schedule, 0.9f, 0.999f, 1e-7f);
    }

    @Override
    public OptimizerState start(FactorModel model, Kernels kernels) {
        Objects.requireNonNull(kernels, "kernels");
        List<DenseMatrix> first = new ArrayList<>();
        List<DenseMatrix> second = new ArrayList<>();
        try {
            for (DenseMatrix p : model.parameters()) {
                first.add(DenseMatrix.zeros(p.rows(), p.cols()));
                second.add(DenseMatrix.zeros(p.rows(), p.cols()));
            }
        } catch (RuntimeException | Error e) {
            first.forEach(DenseMatrix::close);
            second.forEach(DenseMatrix::close);
            throw e;
        }
        return new OptimizerState() {
            private int t;

            @Override
            public void step(FactorModel m, Gradients g, double rate) {
                t++;
                double alpha = rate * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t));
                List<DenseMatrix> ps = m.parameters();
                List<DenseMatrix> gs = g.parts();
                for (int i = 0; i < ps.size(); i++) {
                    kernels.adamStep((float) alpha, beta1, beta2, epsilon, ps.get(i), gs.get(i), first.get(i), second.get(i));
                }
            }

            @Override
            public void close() {
                first.forEach(DenseMatrix::close);
                second.forEach(DenseMatrix::close);
            }
        };
    }
}
