package dev.lowrank.loss;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.lowrank.kernel.Kernels;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.model.FactorModel;
import dev.lowrank.parallel.Parallel;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * {@link SquaredLoss}'s L3/L4 on a dense A read in place ({@link DenseObservations}): the same value and
 * gradients as the CSR path, computed by streaming A once per evaluation, vectorised over columns.
 * Made by {@link SquaredLoss#l3(DenseObservations, float, Regularization, Kernels)} and
 * {@link SquaredLoss#l4(DenseObservations, float, float, Regularization, Kernels)}.
 *
 * <p>One evaluation: Vᵀ is written into a workspace (k × items); rows of A are cut into fixed blocks
 * (from the shape alone) and {@link Kernels#maskedSquaredRows} runs per block, writing ∇U's rows, the
 * user-bias gradients and a per-block ∇Vᵀ partial; the partials are added in block order into ∇V (and
 * the item-bias gradient); L4's unobserved term and the L2 terms go through the Gramians, Frobenius dots
 * and AXPYs exactly as in the CSR path. U·Vᵀ is never materialised; the results are bit-identical on any
 * thread count. Workspaces (Vᵀ, the partials, Gramians) are made at the first evaluation for a rank and
 * kept.
 */
public final class DenseSquaredLoss implements Loss {

    /** Target entries of A per row block: fixed by the shape, so sums never depend on threads. */
    private static final long BLOCK_ENTRIES = 1L << 18;
    /**
     * At most this many row blocks: each holds a (k+1) × items partial, so the cap bounds the workspace
     * (64·(k+1)·items floats) while still giving enough blocks to balance a few threads.
     */
    private static final int MAX_BLOCKS = 64;
    /** Columns per task when transposing V and adding the partials. */
    private static final int COLUMN_CHUNK = 2048;
    private static final Thread OTHER_THREAD = Thread.ofPlatform().unstarted(() -> { });

    private final DenseObservations data;
    private final float weight;
    private final float lambda2;
    private final Regularization reg;
    private final Kernels kernels;
    private final Parallel parallel;
    private final int[] bounds;
    private final double[] lossPartial;
    private int rank = -1;
    private boolean withBiases;
    private DenseMatrix vt;
    private DenseMatrix partials;
    private DenseMatrix[] partialViews;
    private DenseMatrix gramU;
    private DenseMatrix gramV;
    private boolean closed;

    DenseSquaredLoss(DenseObservations data, float weight, float lambda2, Regularization reg, Kernels kernels) {
        this.data = Objects.requireNonNull(data, "observations");
        this.reg = Objects.requireNonNull(reg, "regularization");
        this.kernels = Objects.requireNonNull(kernels, "kernels");
        if (!(weight > 0f) || !Float.isFinite(weight)) {
            throw new IllegalArgumentException("the observed-term weight (lambda1) = " + weight + " must be positive and finite");
        }
        if (!(lambda2 >= 0f) || !Float.isFinite(lambda2)) {
            throw new IllegalArgumentException("lambda2 = " + lambda2 + " must be finite and non-negative");
        }
        this.weight = weight;
        this.lambda2 = lambda2;
        this.parallel = kernels.parallel();
        if (parallel.parallelism() > 1) {
            requireShareable(data.values(), "A");
            if (data.mask() != null) {
                requireShareable(data.mask(), "mask");
            }
        }
        this.bounds = rowBlocks(data.users(), data.items());
        this.lossPartial = new double[bounds.length - 1];
    }

    private static void requireShareable(DenseMatrix m, String name) {
        if (!m.segment().isAccessibleBy(OTHER_THREAD)) {
            throw new IllegalArgumentException(name + " (" + m.shape() + ") lives in memory confined to one thread,"
                    + " which fork/join workers cannot access; allocate it in a shared arena or use Parallel.sequential()");
        }
    }

    /** Even row blocks of about BLOCK_ENTRIES entries each, at most MAX_BLOCKS and at most one per row. */
    static int[] rowBlocks(int rows, int cols) {
        long entries = (long) rows * cols;
        int count = (int) Math.max(1, Math.min(Math.min(MAX_BLOCKS, Math.max(rows, 1)),
                (entries + BLOCK_ENTRIES - 1) / BLOCK_ENTRIES));
        int[] b = new int[count + 1];
        for (int t = 0; t <= count; t++) {
            b[t] = (int) ((long) rows * t / count);
        }
        return b;
    }

    @Override
    public int users() {
        return data.users();
    }

    @Override
    public int items() {
        return data.items();
    }

    /** The weight λ1 of the observed term. */
    public float weight() {
        return weight;
    }

    /** λ2 (0 for L3). */
    public float lambda2() {
        return lambda2;
    }

    public Regularization regularization() {
        return reg;
    }

    @Override
    public double evaluate(FactorModel model, Gradients out) {
        LossTerms.requireFits(closed, model, out, users(), items(), data.shape());
        DenseMatrix a = data.values();
        DenseMatrix mask = data.mask();
        DenseMatrix u = model.userFactors();
        DenseMatrix v = model.itemFactors();
        boolean biases = model.hasBiases();
        ensureWorkspaces(u.cols(), biases);
        float mu = biases ? model.globalBias() : 0f;
        DenseMatrix bu = biases ? model.userBiases() : null;
        DenseMatrix bi = biases ? model.itemBiases() : null;
        DenseMatrix gu = out == null ? null : out.userFactors();
        DenseMatrix gbu = out != null && biases ? out.userBiases() : null;
        int n = items();
        int chunks = (n + COLUMN_CHUNK - 1) / COLUMN_CHUNK;
        transpose(v, vt, chunks);
        parallel.forEachBlock(bounds.length - 1, b -> lossPartial[b] = kernels.maskedSquaredRows(a, mask, u, vt, mu,
                bu, bi, weight, lambda2, gu, gu == null ? null : partialViews[b], gbu, bounds[b], bounds[b + 1]));
        double loss = 0;
        for (double p : lossPartial) {
            loss += p;
        }
        if (out != null) {
            addPartials(out.itemFactors(), biases ? out.itemBiases() : null, chunks);
            if (biases) {
                double global = 0;
                MemorySegment gs = gbu.segment();
                for (int i = 0; i < users(); i++) {
                    global += gs.get(JAVA_FLOAT, gbu.offset(0, i));
                }
                out.globalBias().set(0, 0, (float) global);
            }
        }
        if (lambda2 > 0f) {
            loss += LossTerms.unobserved(kernels, lambda2, u, v, gramU, gramV, out);
        }
        return LossTerms.addRegularization(loss, kernels, reg, model, out);
    }

    private void ensureWorkspaces(int k, boolean biases) {
        if (k == rank && biases == withBiases) {
            return;
        }
        closeWorkspaces();
        int blocks = bounds.length - 1;
        int rows = k + (biases ? 1 : 0);
        vt = DenseMatrix.zeros(k, items());
        partials = DenseMatrix.zeros(blocks * rows, items());
        partialViews = new DenseMatrix[blocks];
        for (int b = 0; b < blocks; b++) {
            partialViews[b] = partials.rowView(b * rows, (b + 1) * rows);
        }
        gramU = DenseMatrix.zeros(k, k);
        gramV = DenseMatrix.zeros(k, k);
        rank = k;
        withBiases = biases;
    }

    /** Vᵀ := V, by column chunks. */
    private void transpose(DenseMatrix v, DenseMatrix t, int chunks) {
        int k = v.cols();
        int n = v.rows();
        MemorySegment vs = v.segment();
        MemorySegment ts = t.segment();
        parallel.forEachBlock(chunks, c -> {
            int end = Math.min(n, (c + 1) * COLUMN_CHUNK);
            for (int j = c * COLUMN_CHUNK; j < end; j++) {
                long vo = v.offset(j, 0);
                for (int f = 0; f < k; f++) {
                    ts.set(JAVA_FLOAT, t.offset(f, j), vs.get(JAVA_FLOAT, vo + (long) f * Float.BYTES));
                }
            }
        });
    }

    /** ∇V (and ∇c from the partials' last row, with biases) := Σ of the block partials, in block order. */
    private void addPartials(DenseMatrix gv, DenseMatrix gc, int chunks) {
        int k = rank;
        int rows = k + (gc != null ? 1 : 0);
        int n = items();
        int blocks = partialViews.length;
        MemorySegment ps = partials.segment();
        MemorySegment gs = gv.segment();
        parallel.forEachBlock(chunks, c -> {
            int end = Math.min(n, (c + 1) * COLUMN_CHUNK);
            for (int f = 0; f < rows; f++) {
                for (int j = c * COLUMN_CHUNK; j < end; j++) {
                    float sum = ps.get(JAVA_FLOAT, partials.offset(f, j));
                    for (int b = 1; b < blocks; b++) {
                        sum += ps.get(JAVA_FLOAT, partials.offset(b * rows + f, j));
                    }
                    if (f < k) {
                        gs.set(JAVA_FLOAT, gv.offset(j, f), sum);
                    } else {
                        gc.segment().set(JAVA_FLOAT, gc.offset(0, j), sum);
                    }
                }
            }
        });
    }

    private void closeWorkspaces() {
        if (vt != null) {
            vt.close();
            partials.close();
            gramU.close();
            gramV.close();
            vt = partials = gramU = gramV = null;
            partialViews = null;
            rank = -1;
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            closeWorkspaces();
        }
    }
}
