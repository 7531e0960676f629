package dev.lowrank.train;

import dev.lowrank.kernel.Kernels;
import dev.lowrank.loss.Observations;
import dev.lowrank.loss.Regularization;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.model.FactorModel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Stochastic gradient descent in the style of Funk's SVD (seed 002), parallel without locks by
 * stratification (DSGD, Gemulla et al. 2011).
 *
 * <p>For each observed rating, with e = a_ij − (μ + b_i + c_j + u_i·v_j) and rate η:
 * <pre>
 *   b_i ← b_i + η(e − ρ_b·b_i)        c_j ← c_j + η(e − ρ_b·c_j)
 *   u_i ← u_i + η(e·v_j − ρ_f·u_i)    v_j ← v_j + η(e·u_i − ρ_f·v_j)   (both from the old values)
 * </pre>
 * a step of −η/2 times the gradient of (a_ij − x_ij)² + ρ_f(‖u_i‖² + ‖v_j‖²) + ρ_b(b_i² + c_j²):
 * the penalty is applied at each visit, as in Funk's SVD and LIBMF, and with the sign that shrinks the
 * parameters (seed 002's bug, a "+" there, makes the penalty push parameters away from 0). μ is the
 * mean training rating, fixed before the first epoch.
 *
 * <p>Parallelism: users and items are dealt into a grid of B × B blocks by seeded random permutations.
 * An epoch runs B strata one after another; stratum s holds the blocks (p, (p + s) mod B), which share
 * no user and no item, so they run in parallel without races. Within a block the ratings are visited
 * in an order shuffled once from the seed. So the same seed and grid give bit-identical
 * factors whatever the thread count or timing.
 *
 * <p>The loss of an epoch is Σ e² over the epoch's updates, each error taken just before its update
 * (LIBMF's "tr_rmse" style), summed in double in block order; gradient norms are not computed (NaN).
 */
public final class Sgd {

    private final StopRules stop;
    private final LearningRate learningRate;
    private final Regularization regularization;
    private final int grid;
    private final long seed;
    private final Kernels kernels;

    private Sgd(Builder b) {
        this.stop = b.stop;
        this.learningRate = b.learningRate;
        this.regularization = b.regularization;
        this.grid = b.grid;
        this.seed = b.seed;
        this.kernels = b.kernels;
    }

    /** Defaults: 20 epochs, rate 0.01, ρ = 0.02 on factors and biases, an 8 × 8 grid, seed 42. */
    public static Builder builder() {
        return new Builder();
    }

    /** Trains {@code model} in place; with biases, μ is first set to the mean training rating. */
    public History fit(FactorModel model, Observations data) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(data, "data");
        model.requireDataShape(data.users(), data.items());
        // First, so that an interrupt before the fit leaves the model untouched (μ included).
        EpochRecorder recorder = stop.start();
        Strata strata = new Strata(data.byUser(), grid, seed);
        strata.shuffle();
        boolean biases = model.hasBiases();
        if (biases) {
            model.setGlobalBias((float) strata.mean());
        }
        DenseMatrix u = model.userFactors();
        DenseMatrix v = model.itemFactors();
        float mu = biases ? model.globalBias() : 0f;
        DenseMatrix userBias = biases ? model.userBiases() : null;
        DenseMatrix itemBias = biases ? model.itemBiases() : null;
        double[] blockLoss = new double[grid];
        // The parameters after the last finite epoch, restored if an epoch diverges (made once per fit).
        List<DenseMatrix> params = model.parameters();
        List<DenseMatrix> lastFinite = new ArrayList<>(params.size());
        try {
            for (DenseMatrix p : params) {
                lastFinite.add(p.copy());
            }
            epochs(recorder, strata, u, v, mu, userBias, itemBias, blockLoss, params, lastFinite);
        } finally {
            lastFinite.forEach(DenseMatrix::close);
        }
        return recorder.history();
    }

    private void epochs(EpochRecorder recorder, Strata strata, DenseMatrix u, DenseMatrix v, float mu,
                        DenseMatrix userBias, DenseMatrix itemBias, double[] blockLoss, List<DenseMatrix> params,
                        List<DenseMatrix> lastFinite) {
        boolean done = false;
        while (!done) {
            int epoch = recorder.nextEpoch();
            long start = System.nanoTime();
            double rate = learningRate.at(epoch);
            if (!(rate > 0) || !Double.isFinite(rate)) {
                throw new IllegalArgumentException("the learning-rate schedule gave " + rate + " at epoch " + epoch);
            }
            float eta = (float) rate;
            float factorShrink = 1f - eta * regularization.factors();
            float biasShrink = 1f - eta * regularization.biases();
            double epochLoss = 0;
            for (int s = 0; s < grid; s++) {
                int stratum = s;
                java.util.Arrays.fill(blockLoss, 0);
                kernels.parallel().forEachBlock(grid, p -> {
                    int q = (p + stratum) % grid;
                    int[] users = strata.users[p][q];
                    int[] items = strata.items[p][q];
                    float[] values = strata.values[p][q];
                    // One validated call per block; the provider's loop then runs without per-rating checks.
                    blockLoss[p] = kernels.sgdPass(u, v, users, items, values, 0, users.length, userBias, itemBias, mu,
                            eta, factorShrink, biasShrink);
                });
                for (double part : blockLoss) {
                    epochLoss += part;
                }
            }
            double squares = 0;
            for (DenseMatrix p : params) {
                squares += kernels.dot(p, p);
            }
            if (!Double.isFinite(epochLoss) || !Double.isFinite(squares)) {
                for (int t = 0; t < params.size(); t++) {
                    params.get(t).copyFrom(lastFinite.get(t));
                }
                throw new TrainingDivergedException(epoch, epochLoss, "SGD's squared error is " + epochLoss
                        + (Double.isFinite(squares) ? "" : " and a factor is not finite"), rate);
            }
            for (int t = 0; t < params.size(); t++) {
                lastFinite.get(t).copyFrom(params.get(t));
            }
            done = recorder.record(epochLoss, Double.NaN, rate, (System.nanoTime() - start) * 1e-9);
        }
    }

    /** The ratings dealt into the B × B grid, each block's entries as parallel arrays. */
    private static final class Strata {
        final int[][][] users;
        final int[][][] items;
        final float[][][] values;
        final long seed;
        private final double sum;
        private final long count;

        Strata(CsrMatrix a, int grid, long seed) {
            this.seed = seed;
            SplittableRandom random = new SplittableRandom(seed);
            int[] userBlock = deal(a.rows(), grid, random);
            int[] itemBlock = deal(a.cols(), grid, random);
            int[][] counts = new int[grid][grid];
            MemorySegment offsets = a.rowOffsets();
            MemorySegment cols = a.columnIndices();
            MemorySegment vals = a.values();
            for (int i = 0; i < a.rows(); i++) {
                long end = offsets.getAtIndex(ValueLayout.JAVA_LONG, i + 1L);
                for (long p = offsets.getAtIndex(ValueLayout.JAVA_LONG, i); p < end; p++) {
                    counts[userBlock[i]][itemBlock[cols.getAtIndex(ValueLayout.JAVA_INT, p)]]++;
                }
            }
            users = new int[grid][grid][];
            items = new int[grid][grid][];
            values = new float[grid][grid][];
            for (int p = 0; p < grid; p++) {
                for (int q = 0; q < grid; q++) {
                    users[p][q] = new int[counts[p][q]];
                    items[p][q] = new int[counts[p][q]];
                    values[p][q] = new float[counts[p][q]];
                    counts[p][q] = 0;
                }
            }
            double total = 0;
            for (int i = 0; i < a.rows(); i++) {
                long end = offsets.getAtIndex(ValueLayout.JAVA_LONG, i + 1L);
                for (long p = offsets.getAtIndex(ValueLayout.JAVA_LONG, i); p < end; p++) {
                    int j = cols.getAtIndex(ValueLayout.JAVA_INT, p);
                    int bu = userBlock[i];
                    int bi = itemBlock[j];
                    int t = counts[bu][bi]++;
                    users[bu][bi][t] = i;
                    items[bu][bi][t] = j;
                    float x = vals.getAtIndex(ValueLayout.JAVA_FLOAT, p);
                    values[bu][bi][t] = x;
                    total += x;
                }
            }
            this.sum = total;
            this.count = a.nnz();
        }

        double mean() {
            return count == 0 ? 0 : sum / count;
        }

        /** Shuffles every block's visiting order, from the seed and the block alone (once per fit, as LIBMF). */
        void shuffle() {
            int grid = users.length;
            for (int p = 0; p < grid; p++) {
                for (int q = 0; q < grid; q++) {
                    SplittableRandom r = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * ((long) p * grid + q + 1)));
                    int[] us = users[p][q];
                    int[] is = items[p][q];
                    float[] vs = values[p][q];
                    for (int t = us.length - 1; t > 0; t--) {
                        int w = r.nextInt(t + 1);
                        int ui = us[t];
                        us[t] = us[w];
                        us[w] = ui;
                        int ii = is[t];
                        is[t] = is[w];
                        is[w] = ii;
                        float vv = vs[t];
                        vs[t] = vs[w];
                        vs[w] = vv;
                    }
                }
            }
        }

        /** Block of each index: a seeded permutation dealt round-robin, so blocks differ in size by at most 1. */
        private static int[] deal(int n, int grid, SplittableRandom random) {
            int[] order = new int[n];
            for (int t = 0; t < n; t++) {
                order[t] = t;
            }
            for (int t = n - 1; t > 0; t--) {
                int w = random.nextInt(t + 1);
                int tmp = order[t];
                order[t] = order[w];
                order[w] = tmp;
            }
            int[] block = new int[n];
            for (int t = 0; t < n; t++) {
                block[order[t]] = t % grid;
            }
            return block;
        }
    }

    /** Settings of {@link Sgd}; every setter validates its argument. */
    public static final class Builder {
        private StopRules stop = StopRules.of(20);
        private LearningRate learningRate = LearningRate.constant(0.01);
        private Regularization regularization = Regularization.of(0.02f);
        private int grid = 8;
        private long seed = 42;
        private Kernels kernels = Kernels.defaults();

        private Builder() {
        }

        public Builder maxEpochs(int epochs) {
            stop = stop.withMaxEpochs(epochs);
            return this;
        }

        /** The rate η per epoch (LearningRate.step gives the usual decay). */
        public Builder learningRate(LearningRate schedule) {
            this.learningRate = Objects.requireNonNull(schedule, "schedule");
            return this;
        }

        public Builder regularization(Regularization regularization) {
            this.regularization = Objects.requireNonNull(regularization, "regularization");
            return this;
        }

        /**
         * The grid size B: users and items are split into B groups each. At least the thread count keeps
         * every thread busy; the result depends on B (and the seed), never on the threads.
         */
        public Builder grid(int blocks) {
            if (blocks < 1 || blocks > 4096) {
                throw new IllegalArgumentException("grid = " + blocks + " but must lie in [1, 4096]");
            }
            this.grid = blocks;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder tolerance(double tol) {
            stop = stop.withTolerance(tol);
            return this;
        }

        public Builder timeBudget(Duration budget) {
            stop = stop.withTimeBudget(budget);
            return this;
        }

        public Builder listener(EpochListener listener) {
            stop = stop.withListener(listener);
            return this;
        }

        public Builder kernels(Kernels kernels) {
            this.kernels = Objects.requireNonNull(kernels, "kernels");
            return this;
        }

        public Sgd build() {
            return new Sgd(this);
        }
    }
}
