package dev.lowrank.train;

import dev.lowrank.kernel.Kernels;
import dev.lowrank.loss.DenseObservations;
import dev.lowrank.loss.Gradients;
import dev.lowrank.loss.Loss;
import dev.lowrank.loss.Observations;
import dev.lowrank.loss.Regularization;
import dev.lowrank.loss.SquaredLoss;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.model.FactorModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Full-batch training of a {@link FactorModel} on a {@link Loss}: each epoch makes one fused
 * loss-and-gradient call and one optimiser step. Stops at the first of: {@code maxEpochs}; a relative
 * loss change {@code |L_t − L_(t−1)| ≤ tolerance·|L_(t−1)|} (seed 002: test the change, not the cost);
 * the time budget. Workspaces (gradients, optimiser moments, a snapshot of the parameters) are made once
 * per fit.
 *
 * <p>NaN policy: a non-finite loss, gradient norm or updated parameter throws
 * {@link TrainingDivergedException} naming the epoch, and the model is left at the last parameters
 * whose loss was finite (the snapshot taken before each update is restored when needed).
 */
public final class Trainer {

    private final Optimizer optimizer;
    private final StopRules stop;
    private final Kernels kernels;

    private Trainer(Builder b) {
        this.optimizer = b.optimizer;
        this.stop = b.stop;
        this.kernels = b.kernels;
    }

    public static Builder builder(Optimizer optimizer) {
        return new Builder(optimizer);
    }

    /**
     * Seed 000's {@code fit(A, epochs, optimizer, lambda_1, lambda_2, verbose)}: the L4 squared loss on the
     * non-zero entries of a dense A (λ2 = 0 gives L3), {@code epochs} epochs, a progress line every 50
     * epochs when {@code verbose} is 1. Returns the loss history.
     *
     * <p>Reads A in place ({@link DenseObservations}) or converts it to CSR once ({@link Observations}),
     * whichever {@link #prefersDense} says is faster for A's density and the model's rank; both give the
     * same loss and gradients to rounding.
     */
    public static History fit(FactorModel model, DenseMatrix a, int epochs, Optimizer optimizer, float lambda1,
                              float lambda2, int verbose) {
        if (verbose < 0 || verbose > 1) {
            throw new IllegalArgumentException("verbose = " + verbose + " but must be 0 (quiet) or 1 (every 50 epochs)");
        }
        Objects.requireNonNull(model, "model");
        Kernels k = model.kernels();
        Trainer trainer = builder(optimizer).maxEpochs(epochs).kernels(k)
                .listener(verbose == 1 ? EpochListener.printEvery(50, System.out) : EpochListener.none())
                .build();
        DenseObservations dense = DenseObservations.nonZero(a);
        if (prefersDense(dense.density(), model.rank())) {
            try (Loss loss = SquaredLoss.l4(dense, lambda1, lambda2, Regularization.none(), k)) {
                return trainer.fit(model, loss);
            }
        }
        try (Observations obs = Observations.nonZero(a);
             Loss loss = SquaredLoss.l4(obs, lambda1, lambda2, Regularization.none(), k)) {
            return trainer.fit(model, loss);
        }
    }

    /**
     * Whether one epoch over a dense A with this fraction of observed entries is faster read in place
     * than as CSR, for rank k. Cost model fitted to measurements (2000×2000, panama-256, one thread;
     * docs/losses.md, "Dense input"): the dense path costs about 1.5 + 0.6·k ns per entry of A, observed or
     * not; the CSR path about 120 ns per observed entry for k < 8 (vectors over k waste most lanes there)
     * and 30 + 0.6·k ns for larger k. So k = 3 reads A in place from about 3% density, k = 16 from about
     * 30%, k = 64 from about 60%.
     */
    static boolean prefersDense(double density, int k) {
        double densePerEntry = 1.5 + 0.6 * k;
        double csrPerObserved = k < 8 ? 120 : 30 + 0.6 * k;
        return densePerEntry <= density * csrPerObserved;
    }

    /** Trains {@code model} in place on {@code loss}; returns what happened per epoch. */
    public History fit(FactorModel model, Loss loss) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(loss, "loss");
        model.requireDataShape(loss.users(), loss.items());
        List<DenseMatrix> params = model.parameters();
        List<DenseMatrix> snapshot = new ArrayList<>();
        EpochRecorder recorder = stop.start();
        try (Gradients grads = Gradients.like(model); OptimizerState state = optimizer.start(model, kernels)) {
            for (DenseMatrix p : params) {
                snapshot.add(DenseMatrix.zeros(p.rows(), p.cols()));
            }
            boolean haveSnapshot = false;
            boolean done = false;
            while (!done) {
                int epoch = recorder.nextEpoch();
                long start = System.nanoTime();
                double rate = optimizer.learningRate().at(epoch);
                if (!(rate > 0) || !Double.isFinite(rate)) {
                    throw new IllegalArgumentException("the learning-rate schedule gave " + rate + " at epoch " + epoch);
                }
                double value = loss.evaluate(model, grads);
                if (!Double.isFinite(value)) {
                    if (haveSnapshot) {
                        restore(snapshot, params);
                    }
                    throw new TrainingDivergedException(epoch, value, "the loss is " + value, rate);
                }
                double norm = Math.sqrt(grads.normSquared(kernels));
                if (!Double.isFinite(norm)) {
                    throw new TrainingDivergedException(epoch, value, "the gradient norm is " + norm, rate);
                }
                restore(params, snapshot);
                haveSnapshot = true;
                state.step(model, grads, rate);
                if (!Double.isFinite(sumOfSquares(params))) {
                    restore(snapshot, params);
                    throw new TrainingDivergedException(epoch, value, "the update made a parameter non-finite", rate);
                }
                done = recorder.record(value, norm, rate, (System.nanoTime() - start) * 1e-9);
            }
        } finally {
            snapshot.forEach(DenseMatrix::close);
        }
        return recorder.history();
    }

    private double sumOfSquares(List<DenseMatrix> params) {
        double s = 0;
        for (DenseMatrix p : params) {
            s += kernels.dot(p, p);
        }
        return s;
    }

    private static void restore(List<DenseMatrix> from, List<DenseMatrix> to) {
        for (int t = 0; t < from.size(); t++) {
            to.get(t).copyFrom(from.get(t));
        }
    }

    /** Settings of a {@link Trainer}; every setter validates its argument. */
    public static final class Builder {
        private final Optimizer optimizer;
        private StopRules stop = StopRules.of(100);
        private Kernels kernels = Kernels.defaults();

        private Builder(Optimizer optimizer) {
            this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
        }

        /** At most this many epochs (default 100). */
        public Builder maxEpochs(int epochs) {
            stop = stop.withMaxEpochs(epochs);
            return this;
        }

        /** Stop when |L_t − L_(t−1)| ≤ tol·|L_(t−1)|; 0 (the default) turns the rule off. */
        public Builder tolerance(double tol) {
            stop = stop.withTolerance(tol);
            return this;
        }

        /** Stop after the epoch during which this much wall time has passed (default: no budget). */
        public Builder timeBudget(Duration budget) {
            stop = stop.withTimeBudget(budget);
            return this;
        }

        public Builder listener(EpochListener listener) {
            stop = stop.withListener(listener);
            return this;
        }

        /** The kernels for the optimiser's updates and norms (default {@link Kernels#defaults()}). */
        public Builder kernels(Kernels kernels) {
            this.kernels = Objects.requireNonNull(kernels, "kernels");
            return this;
        }

        public Trainer build() {
            return new Trainer(this);
        }
    }
}
