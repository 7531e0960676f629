package dev.lowrank.cli;

import dev.lowrank.eval.Metrics;
import dev.lowrank.eval.Split;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.loss.Observations;
import dev.lowrank.loss.Regularization;
import dev.lowrank.loss.SquaredLoss;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.model.FactorModel;
import dev.lowrank.model.Initializer;
import dev.lowrank.train.Adam;
import dev.lowrank.train.Als;
import dev.lowrank.train.GradientDescent;
import dev.lowrank.train.History;
import dev.lowrank.train.LearningRate;
import dev.lowrank.train.Sgd;
import dev.lowrank.train.Trainer;

/** One training run as the CLI does it (shared by {@code train} and {@code demo}). */
final class Training {

    /** What to train. */
    record Settings(Solver solver, int rank, int epochs, float lambda, float lambdaBias, double learningRate, long seed) {
        static Settings defaults(Solver s, long seed) {
            return new Settings(s, s.rank, s.epochs, s.lambda, s.lambdaBias, s.learningRate, seed);
        }
    }

    /**
     * The trained model and the training matrix (users' seen items), both owned by the caller, with what
     * happened.
     */
    record Result(FactorModel model, CsrMatrix seen, History history, double[] testRmsePerEpoch, double trainRmse,
                  double testRmse, double seconds) implements AutoCloseable {
        @Override
        public void close() {
            model.close();
            seen.close();
        }
    }

    /** Makes the progress listener once the model exists (it evaluates the model after each epoch). */
    interface ProgressFactory {
        Progress create(FactorModel model);
    }

    private Training() {
    }

    static Result fit(Split split, Settings s, Kernels kernels, ProgressFactory progressFactory) {
        int users = split.train().userCount();
        int items = split.train().itemCount();
        // SGD starts near 0 (σ = 0.01): on ML-small that gave 0.866 against 0.872 from σ = 0.1 (benchmarks.md).
        Initializer init = s.solver() == Solver.SGD ? Initializer.normal(0.01, s.seed()) : Initializer.scaledNormal(s.seed());
        Regularization reg = new Regularization(s.lambda(), s.lambdaBias());
        CsrMatrix seen = split.train().toCsr();
        FactorModel model = null;
        try (Observations data = Observations.of(seen)) {
            model = FactorModel.create(users, items, s.rank(), true, init, kernels);
            Progress progress = progressFactory.create(model);
            long start = System.nanoTime();
            History history;
            try {
                history = switch (s.solver()) {
                    case ALS -> Als.builder().maxIterations(s.epochs()).regularization(reg).kernels(kernels)
                            .listener(progress).build().fit(model, data);
                    case SGD -> Sgd.builder().maxEpochs(s.epochs()).learningRate(LearningRate.constant(s.learningRate()))
                            .regularization(reg).seed(s.seed()).kernels(kernels).listener(progress).build().fit(model, data);
                    case ADAM, GD -> {
                        // Gradient methods start μ at the mean: learning it from 0 costs many epochs for nothing.
                        model.setGlobalBias((float) split.train().mean());
                        try (SquaredLoss loss = SquaredLoss.l3(data, 1f, reg, kernels)) {
                            Trainer trainer = Trainer.builder(s.solver() == Solver.ADAM
                                            ? Adam.of(s.learningRate()) : GradientDescent.of(s.learningRate()))
                                    .maxEpochs(s.epochs()).kernels(kernels).listener(progress).build();
                            yield trainer.fit(model, loss);
                        }
                    }
                };
            } finally {
                progress.finish();
            }
            double seconds = (System.nanoTime() - start) * 1e-9;
            FactorModel m = model;
            double trainRmse = Metrics.rmse(m::predict, split.train());
            double testRmse = split.test().size() == 0 ? Double.NaN : Metrics.rmse(m::predict, split.test());
            Result result = new Result(model, seen, history, progress.testRmse(), trainRmse, testRmse, seconds);
            model = null;
            seen = null;
            return result;
        } finally {
            if (model != null) {
                model.close();
            }
            if (seen != null) {
                seen.close();
            }
        }
    }
}
