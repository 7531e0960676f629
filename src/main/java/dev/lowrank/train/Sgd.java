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
 * <p>Parallelism: users and items are renumbered by seeded random permutations and cut into B
 * contiguous groups each, a grid of B × B blocks. An epoch runs B strata in order; stratum s holds the
 * blocks (p, (p + s) mod B), which share no user and no item, so they run in parallel without races, and
 * a block of the next stratum starts as soon as the two blocks it depends on are done (no barrier
 * between strata, see {@code Wavefront}). Within a block the ratings are visited sorted by (user, item) in the new numbering (LIBMF's
 * layout, see {@code Strata}). So the same seed and grid give bit-identical factors whatever the thread
 * count or timing. The fit trains a renumbered copy of the parameters and hands each finite epoch back
 * to the model, which therefore always holds the last finite epoch.
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
        if (model.hasBiases()) {
            model.setGlobalBias((float) strata.mean);
        }
        epochs(recorder, strata, new Working(model, strata), model);
        return recorder.history();
    }

    /**
     * Runs epochs on the working copy; after each finite epoch the model receives it, so the model
     * always holds the last finite epoch (what a divergence or an interrupt leaves behind).
     */
    private void epochs(EpochRecorder recorder, Strata strata, Working w, FactorModel model) {
        float mu = model.hasBiases() ? model.globalBias() : 0f;
        Wavefront wavefront = new Wavefront(grid);
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
            // One validated call per block; the provider's loop then runs without per-rating checks.
            double epochLoss = wavefront.run(kernels.parallel(), block -> kernels.sgdPass(w.u, w.v, w.rank,
                    strata.users, strata.items, strata.values, strata.blockStart[block], strata.blockStart[block + 1],
                    w.userBias, w.itemBias, mu, eta, factorShrink, biasShrink));
            boolean finite = w.allFinite();
            if (!Double.isFinite(epochLoss) || !finite) {
                throw new TrainingDivergedException(epoch, epochLoss, "SGD's squared error is " + epochLoss
                        + (finite ? "" : " and a factor is not finite"), rate);
            }
            w.storeInto(model);
            done = recorder.record(epochLoss, Double.NaN, rate, (System.nanoTime() - start) * 1e-9);
        }
    }

    /**
     * The ratings dealt into the B × B grid in the layout LIBMF trains in (Zhuang et al. 2013, "partial
     * random"): users and items are renumbered by seeded random permutations, block p of users is the
     * p-th contiguous range of the new numbers (likewise items), and each block's ratings are sorted by
     * (user, item). So a block touches a contiguous run of factor rows small enough to stay in cache, a
     * user's row stays in registers and L1 across its ratings, and threads working on different blocks
     * never write to the same cache line (the bias vectors included). Randomness comes from the
     * renumbering; the order within a block is fixed.
     */
    private static final class Strata {
        /** Working row t holds user userOrder[t] (item itemOrder[t]). */
        final int[] userOrder;
        final int[] itemOrder;
        /** The ratings of block (p, q) are [blockStart[p·B + q], blockStart[p·B + q + 1]) of the arrays below. */
        final int[] blockStart;
        /** Working row numbers and values, block after block. */
        final int[] users;
        final int[] items;
        final float[] values;
        final double mean;

        Strata(CsrMatrix a, int grid, long seed) {
            if (a.nnz() > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("SGD holds the ratings in Java arrays, so at most "
                        + (Integer.MAX_VALUE - 8) + " of them, but there are " + a.nnz());
            }
            SplittableRandom random = new SplittableRandom(seed);
            userOrder = permutation(a.rows(), random);
            itemOrder = permutation(a.cols(), random);
            int[] userRow = inverse(userOrder);
            int[] itemRow = inverse(itemOrder);
            int[] userBlock = blockOfRow(a.rows(), grid);
            int[] itemBlock = blockOfRow(a.cols(), grid);
            MemorySegment offsets = a.rowOffsets();
            MemorySegment cols = a.columnIndices();
            MemorySegment vals = a.values();
            blockStart = new int[grid * grid + 1];
            int longestRow = 0;
            double sum = 0;
            for (int i = 0; i < a.rows(); i++) {
                long from = offsets.getAtIndex(ValueLayout.JAVA_LONG, i);
                long to = offsets.getAtIndex(ValueLayout.JAVA_LONG, i + 1L);
                longestRow = Math.max(longestRow, (int) (to - from));
                for (long p = from; p < to; p++) {
                    int j = cols.getAtIndex(ValueLayout.JAVA_INT, p);
                    blockStart[userBlock[userRow[i]] * grid + itemBlock[itemRow[j]] + 1]++;
                    sum += vals.getAtIndex(ValueLayout.JAVA_FLOAT, p);
                }
            }
            mean = a.nnz() == 0 ? 0 : sum / a.nnz();
            for (int b = 0; b < grid * grid; b++) {
                blockStart[b + 1] += blockStart[b];
            }
            int n = (int) a.nnz();
            users = new int[n];
            items = new int[n];
            values = new float[n];
            int[] next = java.util.Arrays.copyOf(blockStart, grid * grid);
            // Working users in increasing order, each user's ratings by working item: every block ends up
            // sorted by (user, item). A key packs the item's working row above the value's bits.
            long[] keys = new long[longestRow];
            for (int t = 0; t < userOrder.length; t++) {
                int i = userOrder[t];
                long from = offsets.getAtIndex(ValueLayout.JAVA_LONG, i);
                int count = (int) (offsets.getAtIndex(ValueLayout.JAVA_LONG, i + 1L) - from);
                for (int c = 0; c < count; c++) {
                    int j = cols.getAtIndex(ValueLayout.JAVA_INT, from + c);
                    float x = vals.getAtIndex(ValueLayout.JAVA_FLOAT, from + c);
                    keys[c] = (long) itemRow[j] << 32 | (Float.floatToRawIntBits(x) & 0xFFFF_FFFFL);
                }
                java.util.Arrays.sort(keys, 0, count);
                int rowBlock = userBlock[t] * grid;
                for (int c = 0; c < count; c++) {
                    int item = (int) (keys[c] >>> 32);
                    int at = next[rowBlock + itemBlock[item]]++;
                    users[at] = t;
                    items[at] = item;
                    values[at] = Float.intBitsToFloat((int) keys[c]);
                }
            }
        }

        private static int[] permutation(int n, SplittableRandom random) {
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
            return order;
        }

        private static int[] inverse(int[] order) {
            int[] inverse = new int[order.length];
            for (int t = 0; t < order.length; t++) {
                inverse[order[t]] = t;
            }
            return inverse;
        }

        /** Block of each working row: B contiguous ranges whose sizes differ by at most 1. */
        private static int[] blockOfRow(int n, int grid) {
            int[] block = new int[n];
            for (int b = 0; b < grid; b++) {
                int from = (int) ((long) n * b / grid);
                int to = (int) ((long) n * (b + 1) / grid);
                java.util.Arrays.fill(block, from, to, b);
            }
            return block;
        }
    }

    /**
     * The model's parameters renumbered into the strata's working rows, trained in their place: heap
     * arrays of rank-float rows (see {@link Kernels#sgdPass} for why not off-heap). Made once per fit;
     * {@link #storeInto} hands an epoch's result back to the model.
     */
    private static final class Working {
        final Strata strata;
        final int rank;
        final float[] u;
        final float[] v;
        final float[] userBias;
        final float[] itemBias;

        Working(FactorModel model, Strata strata) {
            this.strata = strata;
            this.rank = model.rank();
            u = new float[Math.multiplyExact(model.users(), rank)];
            v = new float[Math.multiplyExact(model.items(), rank)];
            boolean biases = model.hasBiases();
            userBias = biases ? new float[model.users()] : null;
            itemBias = biases ? new float[model.items()] : null;
            for (int t = 0; t < strata.userOrder.length; t++) {
                copyRow(model.userFactors(), strata.userOrder[t], u, t);
            }
            for (int t = 0; t < strata.itemOrder.length; t++) {
                copyRow(model.itemFactors(), strata.itemOrder[t], v, t);
            }
            if (biases) {
                for (int t = 0; t < userBias.length; t++) {
                    userBias[t] = model.userBiases().get(0, strata.userOrder[t]);
                }
                for (int t = 0; t < itemBias.length; t++) {
                    itemBias[t] = model.itemBiases().get(0, strata.itemOrder[t]);
                }
            }
        }

        private void copyRow(DenseMatrix from, int row, float[] to, int toRow) {
            MemorySegment.copy(from.segment(), ValueLayout.JAVA_FLOAT, from.offset(row, 0), to, toRow * rank, rank);
        }

        private void copyRow(float[] from, int fromRow, DenseMatrix to, int row) {
            MemorySegment.copy(from, fromRow * rank, to.segment(), ValueLayout.JAVA_FLOAT, to.offset(row, 0), rank);
        }

        boolean allFinite() {
            return allFinite(u) && allFinite(v) && (userBias == null || allFinite(userBias) && allFinite(itemBias));
        }

        private static boolean allFinite(float[] x) {
            // x − x is 0 when x is finite and NaN otherwise; four sums keep the additions independent.
            float s0 = 0f;
            float s1 = 0f;
            float s2 = 0f;
            float s3 = 0f;
            int t = 0;
            for (; t + 3 < x.length; t += 4) {
                s0 += x[t] - x[t];
                s1 += x[t + 1] - x[t + 1];
                s2 += x[t + 2] - x[t + 2];
                s3 += x[t + 3] - x[t + 3];
            }
            for (; t < x.length; t++) {
                s0 += x[t] - x[t];
            }
            return s0 + s1 + s2 + s3 == 0f;
        }

        void storeInto(FactorModel model) {
            for (int t = 0; t < strata.userOrder.length; t++) {
                copyRow(u, t, model.userFactors(), strata.userOrder[t]);
            }
            for (int t = 0; t < strata.itemOrder.length; t++) {
                copyRow(v, t, model.itemFactors(), strata.itemOrder[t]);
            }
            if (userBias != null) {
                for (int t = 0; t < userBias.length; t++) {
                    model.userBiases().set(0, strata.userOrder[t], userBias[t]);
                }
                for (int t = 0; t < itemBias.length; t++) {
                    model.itemBiases().set(0, strata.itemOrder[t], itemBias[t]);
                }
            }
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
