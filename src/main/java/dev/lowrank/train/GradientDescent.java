package dev.lowrank.train;

import dev.lowrank.kernel.Kernels;
import dev.lowrank.loss.Gradients;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.model.FactorModel;
import java.util.List;
import java.util.Objects;

/** Plain full-batch gradient descent: p ← p − η·∇p, one AXPY kernel per parameter matrix. */
public record GradientDescent(LearningRate learningRate) implements Optimizer {

    public GradientDescent {
        Objects.requireNonNull(learningRate, "learningRate");
    }

    /** Gradient descent at a constant rate. */
    public static GradientDescent of(double rate) {
        return new GradientDescent(LearningRate.constant(rate));
    }

    @Override
    public OptimizerState start(FactorModel model, Kernels kernels) {
        Objects.requireNonNull(kernels, "kernels");
        return new OptimizerState() {
            @Override
            public void step(FactorModel m, Gradients g, double rate) {
                List<DenseMatrix> ps = m.parameters();
                List<DenseMatrix> gs = g.parts();
                for (int t = 0; t < ps.size(); t++) {
                    kernels.axpy((float) -rate, gs.get(t), ps.get(t));
                }
            }

            @Override
            public void close() {
            }
        };
    }
}
