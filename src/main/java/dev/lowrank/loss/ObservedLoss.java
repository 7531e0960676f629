package dev.lowrank.loss;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.lowrank.kernel.Kernels;
import dev.lowrank.kernel.Op;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.model.FactorModel;
import dev.lowrank.parallel.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * The fused engine behind every loss of the form
 * <pre>
 *   L = Σ_(i,j)∈Ω ℓ(a_ij, x_ij)  +  λ2·Σ_(i,j)∉Ω s_ij²  +  ρ_f(‖U‖² + ‖V‖²)  +  ρ_b(‖b‖² + ‖c‖²)
 *   s_ij = u_i·v_j,   x_ij = ((μ + b_i) + c_j) + s_ij
 * </pre>
 * where ℓ is pointwise (squared, signed, logistic, Poisson). With biases, the λ2 term penalises the
 * factor part s_ij only: an unobserved entry is "predicted" as 0 interaction strength by the factors,
 * whatever the biases say, which keeps the term exact through the Gramians (a bias-inclusive version
 * would add O(m+n) terms but tie μ, b and c to the unobserved mass, which no seed asks for).
 *
 * <p>One evaluation, per epoch:
 * <ol>
 * <li>SDDMM over A writes s_ij at each stored position of the workspace R (A's structure); one pass
 *     over A's rows turns it into the factor derivative ∂L/∂s_ij, adds ℓ in double per fixed row block
 *     and writes ∂L/∂b_i (the row sums); SpMM R·V gives ∇U.</li>
 * <li>The same over Aᵀ (items as rows) with the workspace Rᵀ: SDDMM recomputes s_ij (bit-identical,
 *     float products commute), the pass writes ∂L/∂c_j, SpMM Rᵀ·U gives ∇V. Nothing is scattered.</li>
 * <li>L4: Σ_all s² = ⟨UᵀU, VᵀV⟩ (two k×k Gramians), from which the observed part was already subtracted
 *     per entry; its gradients 2λ2·U·(VᵀV) and 2λ2·V·(UᵀU) are k-inner GEMMs added into ∇U, ∇V.</li>
 * <li>L2 terms by Frobenius dots and AXPYs.</li>
 * </ol>
 * Cost O(nnz·k + (m+n)·k²); the m·n unobserved entries are never visited. R and Rᵀ share the data's
 * row offsets and column indices ({@link CsrMatrix#sharingStructure()}: 4 bytes per rating each) and are
 * made on the first evaluation that asks for gradients. The value alone ({@link #value}, ALS's
 * objective) keeps no score per rating: each block of rows computes its s_ij into a per-thread scratch
 * of one block's entries ({@link Kernels#sddmmRows}) and sums its loss from there, with the same bits as
 * the full evaluation. The Gramians are made on the first evaluation with λ2 &gt; 0; after that,
 * evaluation allocates nothing per epoch beyond a few small arrays inside the kernels facade.
 */
abstract sealed class ObservedLoss implements Loss permits SquaredLoss, SignedLoss, LogisticLoss, PoissonLoss {

    enum Kind { SQUARED, SIGNED, LOGISTIC, POISSON }

    /** Target nonzeros + rows per block: fixed by the data, so sums never depend on threads. */
    private static final long BLOCK_WORK = 1L << 15;

    private final Kind kind;
    private final Observations data;
    private final float weight;
    private final float lambda2;
    private final Regularization reg;
    private final Kernels kernels;
    private final Parallel parallel;
    /** R and Rᵀ: made on the first evaluation with gradients. */
    private CsrMatrix r;
    private CsrMatrix rt;
    /** Value-only evaluation: each thread's scratch for the scores of one block of A's rows. */
    private final Arena scratchArena = Arena.ofShared();
    private final ThreadLocal<MemorySegment> scratch;
    private final int[] blocksA;
    private final int[] blocksAt;
    private final double[] lossPartial;
    private final double[] biasPartial;
    /** Per-user centre for the signed loss (user mean of the observed values); null otherwise. */
    private final float[] centres;
    private DenseMatrix gramU;
    private DenseMatrix gramV;
    private boolean closed;

    ObservedLoss(Kind kind, Observations data, float weight, float lambda2, Regularization reg, Kernels kernels) {
        this.kind = kind;
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
        CsrMatrix a = data.byUser();
        validateValues(kind, a);
        this.centres = kind == Kind.SIGNED ? userMeans(a) : null;
        this.blocksA = rowBlocks(a);
        this.blocksAt = rowBlocks(data.byItem());
        this.lossPartial = new double[Math.max(blocksA.length, blocksAt.length)];
        this.biasPartial = new double[lossPartial.length];
        long longestBlock = 0;
        for (int b = 0; b + 1 < blocksA.length; b++) {
            longestBlock = Math.max(longestBlock, blockEntries(a, blocksA, b));
        }
        long scratchFloats = Math.max(1, longestBlock);
        this.scratch = ThreadLocal.withInitial(() -> scratchArena.allocate(JAVA_FLOAT, scratchFloats));
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

    public Regularization regularization() {
        return reg;
    }

    @Override
    public double evaluate(FactorModel model, Gradients out) {
        LossTerms.requireFits(closed, model, out, users(), items(), data.shape());
        DenseMatrix u = model.userFactors();
        DenseMatrix v = model.itemFactors();
        boolean biases = model.hasBiases();
        float mu = model.globalBias();
        MemorySegment bu = biases ? model.userBiases().segment() : null;
        MemorySegment bi = biases ? model.itemBiases().segment() : null;

        CsrMatrix a = data.byUser();
        if (out != null) {
            if (r == null) {
                r = a.sharingStructure();
            }
            kernels.sddmm(a, u, v, r);
        }
        MemorySegment guBias = out != null && biases ? out.userBiases().segment() : null;
        rowPasses(a, out != null ? r : null, u, v, blocksA, true, mu, bu, bi, guBias);
        double loss = 0;
        double globalGrad = 0;
        for (int b = 0; b < blocksA.length - 1; b++) {
            loss += lossPartial[b];
            globalGrad += biasPartial[b];
        }
        if (out != null) {
            kernels.spmm(1f, Op.IDENTITY, r, v, 0f, out.userFactors());
            CsrMatrix at = data.byItem();
            if (rt == null) {
                rt = at.sharingStructure();
            }
            kernels.sddmm(at, v, u, rt);
            rowPasses(at, rt, v, u, blocksAt, false, mu, bu, bi, biases ? out.itemBiases().segment() : null);
            kernels.spmm(1f, Op.IDENTITY, rt, u, 0f, out.itemFactors());
            if (biases) {
                out.globalBias().set(0, 0, (float) globalGrad);
            }
        }
        if (lambda2 > 0f) {
            ensureGramians(u.cols());
            loss += LossTerms.unobserved(kernels, lambda2, u, v, gramU, gramV, out);
        }
        return LossTerms.addRegularization(loss, kernels, reg, model, out);
    }

    /** k×k scratch for the Gramians, made on first use and remade when the rank changes. */
    private void ensureGramians(int k) {
        if (gramU == null || gramU.rows() != k) {
            closeGramians();
            gramU = DenseMatrix.zeros(k, k);
            gramV = DenseMatrix.zeros(k, k);
        }
    }

    /**
     * Over every block of rows of {@code m} (A when {@code byUser}, else Aᵀ): replaces each s in
     * {@code w} by the factor derivative, writes the row sums of the full derivative to
     * {@code biasGrad} (when not null), and leaves each block's loss and derivative sum in the partials.
     * With {@code w} null (the value alone) each block first computes its s = rowFactors_i·colFactors_j
     * into the thread's scratch and no derivative is kept.
     */
    private void rowPasses(CsrMatrix m, CsrMatrix w, DenseMatrix rowFactors, DenseMatrix colFactors, int[] blocks,
                           boolean byUser, float mu, MemorySegment bu, MemorySegment bi, MemorySegment biasGrad) {
        MemorySegment offsets = m.rowOffsets();
        MemorySegment cols = m.columnIndices();
        MemorySegment vals = m.values();
        MemorySegment rowBias = byUser ? bu : bi;
        MemorySegment colBias = byUser ? bi : bu;
        parallel.forEachBlock(blocks.length - 1, b -> {
            MemorySegment ws;
            long first;
            if (w == null) {
                ws = scratch.get();
                first = blocks[b] == blocks[b + 1] ? 0 : offsets.getAtIndex(JAVA_LONG, blocks[b]);
                kernels.sddmmRows(m, rowFactors, colFactors, blocks[b], blocks[b + 1], ws);
            } else {
                ws = w.values();
                first = 0;
            }
            double loss = 0;
            double total = 0;
            for (int row = blocks[b]; row < blocks[b + 1]; row++) {
                long end = offsets.getAtIndex(JAVA_LONG, row + 1L);
                float base = rowBias == null ? 0f : rowBias.getAtIndex(JAVA_FLOAT, row);
                double rowSum = 0;
                for (long p = offsets.getAtIndex(JAVA_LONG, row); p < end; p++) {
                    int col = cols.getAtIndex(JAVA_INT, p);
                    float s = ws.getAtIndex(JAVA_FLOAT, p - first);
                    float x;
                    if (rowBias == null) {
                        x = s;
                    } else {
                        float c = colBias.getAtIndex(JAVA_FLOAT, col);
                        // ((μ + b_i) + c_j) + s in both passes, so x is the same float either way.
                        x = byUser ? ((mu + base) + c) + s : ((mu + c) + base) + s;
                    }
                    float value = vals.getAtIndex(JAVA_FLOAT, p);
                    float d;
                    switch (kind) {
                        case SQUARED -> {
                            float res = value - x;
                            loss += (double) weight * ((double) res * res);
                            d = -2f * weight * res;
                        }
                        case SIGNED -> {
                            float centred = value - centres[byUser ? row : col];
                            float sign = centred < 0f ? 1f : centred > 0f ? -1f : 0f;
                            loss += (double) (weight * sign) * x;
                            d = weight * sign;
                        }
                        case LOGISTIC -> {
                            double softplus = x > 0f ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
                            loss += weight * (softplus - (double) value * x);
                            d = (float) (weight * (sigmoid(x) - value));
                        }
                        case POISSON -> {
                            double rate = Math.exp(x);
                            loss += weight * (rate - (double) value * x);
                            d = (float) (weight * (rate - value));
                        }
                        default -> throw new AssertionError(kind);
                    }
                    rowSum += d;
                    if (lambda2 > 0f) {
                        // The unobserved term is λ2(Σ_all s² − Σ_Ω s²): subtract the observed part here.
                        loss -= (double) lambda2 * ((double) s * s);
                        d -= 2f * lambda2 * s;
                    }
                    if (w != null) {
                        ws.setAtIndex(JAVA_FLOAT, p, d);
                    }
                }
                if (biasGrad != null) {
                    biasGrad.setAtIndex(JAVA_FLOAT, row, (float) rowSum);
                }
                total += rowSum;
            }
            lossPartial[b] = loss;
            biasPartial[b] = total;
        });
    }

    /** The entries stored in block b's rows. */
    private static long blockEntries(CsrMatrix m, int[] blocks, int b) {
        return blocks[b] == blocks[b + 1] ? 0 : m.rowEnd(blocks[b + 1] - 1) - m.rowStart(blocks[b]);
    }

    private static double sigmoid(float x) {
        return x >= 0f ? 1.0 / (1.0 + Math.exp(-x)) : Math.exp(x) / (1.0 + Math.exp(x));
    }

    /** Row boundaries with about BLOCK_WORK nonzeros + rows each, found from the row offsets alone. */
    static int[] rowBlocks(CsrMatrix m) {
        int rows = m.rows();
        MemorySegment offsets = m.rowOffsets();
        long total = m.nnz() + rows;
        int count = (int) Math.max(1, Math.min(Math.max(rows, 1), (total + BLOCK_WORK - 1) / BLOCK_WORK));
        int[] bounds = new int[count + 1];
        bounds[count] = rows;
        for (int b = 1; b < count; b++) {
            long target = total * b / count;
            int lo = bounds[b - 1];
            int hi = rows;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (offsets.getAtIndex(JAVA_LONG, mid) + mid < target) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            bounds[b] = lo;
        }
        return bounds;
    }

    private static void validateValues(Kind kind, CsrMatrix a) {
        if (kind != Kind.LOGISTIC && kind != Kind.POISSON) {
            return;
        }
        MemorySegment vals = a.values();
        for (int i = 0; i < a.rows(); i++) {
            for (long p = a.rowStart(i); p < a.rowEnd(i); p++) {
                float x = vals.getAtIndex(JAVA_FLOAT, p);
                if (kind == Kind.LOGISTIC && x != 0f && x != 1f) {
                    throw new IllegalArgumentException("the logistic loss needs binary data, but A (" + a.shape()
                            + ") has " + x + " at (" + i + ", " + a.columnIndex(p) + ")");
                }
                if (kind == Kind.POISSON && !(x >= 0f)) {
                    throw new IllegalArgumentException("the Poisson loss needs counts >= 0, but A (" + a.shape()
                            + ") has " + x + " at (" + i + ", " + a.columnIndex(p) + ")");
                }
            }
        }
    }

    /** Mean of each user's observed values (0 for a user with none), summed in double. */
    private static float[] userMeans(CsrMatrix a) {
        float[] means = new float[a.rows()];
        MemorySegment vals = a.values();
        for (int i = 0; i < a.rows(); i++) {
            long start = a.rowStart(i);
            long end = a.rowEnd(i);
            double sum = 0;
            for (long p = start; p < end; p++) {
                sum += vals.getAtIndex(JAVA_FLOAT, p);
            }
            means[i] = end > start ? (float) (sum / (end - start)) : 0f;
        }
        return means;
    }

    private void closeGramians() {
        if (gramU != null) {
            gramU.close();
            gramV.close();
            gramU = gramV = null;
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (r != null) {
                r.close();
            }
            if (rt != null) {
                rt.close();
            }
            scratchArena.close();
            closeGramians();
        }
    }
}
