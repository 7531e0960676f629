package dev.lowrank.train;

import dev.lowrank.kernel.Kernels;
import dev.lowrank.loss.Observations;
import dev.lowrank.loss.Regularization;
import dev.lowrank.loss.SquaredLoss;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.model.FactorModel;
import dev.lowrank.parallel.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Alternating least squares (seed 004): each half-step fixes one side's factors and solves every row of
 * the other side in closed form, in parallel over rows, by Cholesky of a small system.
 *
 * <p><b>Explicit feedback</b> minimises exactly the objective of {@link SquaredLoss#l4}:
 * <pre>
 *   λ1·Σ_Ω (a_ij − x_ij)² + λ2·Σ_∉Ω (u_i·v_j)² + ρ_f(‖U‖² + ‖V‖²) + ρ_b(‖b‖² + ‖c‖²),
 *   x_ij = μ + b_i + c_j + u_i·v_j   (biases only if the model has them)
 * </pre>
 * For user i with observed items Ω_i and z = (b_i, u_i), ṽ_j = (1, v_j), S = Σ_Ω_i ṽ_j ṽ_jᵀ:
 * <pre>
 *   [λ1·S + λ2·(0 ⊕ (VᵀV − S_ff)) + diag(ρ_b, ρ_f…)] z = λ1·Σ_Ω_i (a_ij − μ − c_j)·ṽ_j
 * </pre>
 * The unobserved entries enter only through the Gramian VᵀV, computed once per half-step, so a
 * half-step costs O(nnz·k² + (m+n)·k³) (the WALS trick) and never visits the m·n unobserved entries.
 * μ (unpenalised) is set to its exact minimiser before each user half-step. Every step is an exact block
 * minimisation, so the objective never increases (to rounding).
 *
 * <p><b>Implicit feedback</b> (Hu, Koren and Volinsky 2008) reads a_ij ≥ 0 as confidence
 * c_ij = 1 + α·a_ij in a preference of 1 on observed entries and 0 elsewhere, and minimises
 * Σ_all c_ij (p_ij − u_i·v_j)² + ρ_f(‖U‖² + ‖V‖²), with the per-row system
 * (VᵀV + α·Σ_Ω_i a_ij v_j v_jᵀ + ρ_f I) u_i = Σ_Ω_i c_ij v_j. It needs a model without biases.
 *
 * <p>Rows are independent and each is solved the same way on any thread, so the factors are
 * bit-identical for every thread count. The reported loss of an iteration is the objective after it.
 * Workspaces are allocated once per fit (one per worker thread that takes part).
 */
public final class Als {

    /** Rows gathered per {@link Kernels#addGramUpper} call: 1024 rows of k + 1 floats stay in L2. */
    private static final int CHUNK_ROWS = 1024;
    /**
     * Most floats in a CG workspace's panel of gathered rows (32 MiB of heap per worker). The panel is
     * sized to the fit's longest row up to this, so every row is gathered once per row solve and its CG
     * products stream the panel sequentially (from L1/L2 for most rows, from L3 or memory, prefetched,
     * for the longest): re-gathering a long row's scattered partner rows for each product was most of a
     * CG iteration at ML-10M shape, where U (18 MB) does not fit in cache. Rows longer than the cap are
     * gathered again chunk by chunk for each product.
     */
    private static final int MAX_PANEL_FLOATS = 1 << 23;
    /** Floats per chunk of the heap snapshot of the parameters (64 MiB): Java arrays hold at most 2^31. */
    private static final int SNAPSHOT_CHUNK_FLOATS = 1 << 24;
    /** Target work (multiply-adds) per parallel block of rows. */
    private static final long BLOCK_WORK = 1L << 20;

    private final StopRules stop;
    private final Kernels kernels;
    private final float lambda1;
    private final float lambda2;
    private final Regularization regularization;
    /** NaN for explicit feedback. */
    private final float alpha;
    private final RowSolver solver;
    private final boolean weighted;
    private final boolean reportObjective;
    /** {@link #MAX_PANEL_FLOATS}, or less in a test that reaches the chunked path on small data. */
    private final int panelFloatsCap;
    /** {@link #SNAPSHOT_CHUNK_FLOATS}, or less in a test that splits a small model's snapshot. */
    private final int snapshotChunkFloats;

    private Als(Builder b) {
        this.stop = b.stop;
        this.kernels = b.kernels;
        this.lambda1 = b.lambda1;
        this.lambda2 = b.lambda2;
        this.regularization = b.regularization;
        this.alpha = b.alpha;
        this.solver = b.solver;
        this.weighted = b.weighted;
        this.reportObjective = b.reportObjective;
        this.panelFloatsCap = b.panelFloatsCap;
        this.snapshotChunkFloats = b.snapshotChunkFloats;
    }

    /** Explicit-feedback ALS with λ1 = 1, λ2 = 0, ρ = 0.1 on factors and biases, 10 iterations. */
    public static Builder builder() {
        return new Builder();
    }

    private boolean implicit() {
        return !Float.isNaN(alpha);
    }

    /**
     * Trains {@code model} in place on the observed entries; returns the objective per iteration.
     * The model's kernels are not used: this object's are.
     *
     * @throws TrainingDivergedException if an iteration makes a parameter, a row system or the reported
     *     objective non-finite (float overflow); the model then holds the parameters after the last finite
     *     iteration, or its starting parameters
     * @throws ArithmeticException if a row's normal equations are singular; the model is restored likewise
     * @throws TrainingInterruptedException if the thread is interrupted; the model holds the last finished iteration
     */
    public History fit(FactorModel model, Observations data) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(data, "data");
        model.requireDataShape(data.users(), data.items());
        if (implicit()) {
            if (model.hasBiases()) {
                throw new IllegalArgumentException("implicit-feedback ALS fits factors only; create the model without biases");
            }
            requireNonNegative(data.byUser());
        }
        EpochRecorder recorder = stop.start();
        try (Run run = new Run(model, data)) {
            // What a divergence or a singular row system restores: first the starting parameters, then
            // those after each finite iteration.
            Snapshot last = new Snapshot(model, snapshotChunkFloats);
            boolean done = false;
            while (!done) {
                long start = System.nanoTime();
                double value;
                try {
                    value = run.iterate(recorder.nextEpoch());
                } catch (ArithmeticException e) {
                    // The half-steps write the model in place, so a failure leaves part of an iteration behind.
                    try {
                        last.restoreInto(model);
                    } catch (RuntimeException restoring) {
                        e.addSuppressed(restoring);
                    }
                    throw e;
                }
                // No gradient norm: it would take Rᵀ (4 more bytes per rating) and two more sparse products.
                done = recorder.record(value, Double.NaN, Double.NaN, (System.nanoTime() - start) * 1e-9);
                if (!done) {
                    last.take(model);
                }
            }
        }
        return recorder.history();
    }

    /**
     * The model's parameters after the last finite iteration, held on the heap so that the fit's
     * off-heap footprint (what the benchmarks budget) does not grow: one copy of U, V and the biases,
     * taken and restored by bulk row copies, O((m + n)·k) per iteration against an iteration's O(nnz·k).
     * Each matrix is kept in chunks of whole rows, so a model of more than 2^31 floats fits too.
     */
    private static final class Snapshot {
        /** Floats per chunk, or one row if a row is longer. */
        final int chunkFloats;
        final float[][] u;
        final float[][] v;
        final float[][] userBias;
        final float[][] itemBias;
        float mu;

        Snapshot(FactorModel model, int chunkFloats) {
            this.chunkFloats = chunkFloats;
            u = allocate(model.userFactors());
            v = allocate(model.itemFactors());
            userBias = model.hasBiases() ? allocate(model.userBiases()) : null;
            itemBias = model.hasBiases() ? allocate(model.itemBiases()) : null;
            take(model);
        }

        void take(FactorModel model) {
            save(model.userFactors(), u);
            save(model.itemFactors(), v);
            if (model.hasBiases()) {
                save(model.userBiases(), userBias);
                save(model.itemBiases(), itemBias);
                mu = model.globalBias();
            }
        }

        void restoreInto(FactorModel model) {
            load(u, model.userFactors());
            load(v, model.itemFactors());
            if (model.hasBiases()) {
                load(userBias, model.userBiases());
                load(itemBias, model.itemBiases());
                model.setGlobalBias(mu);
            }
        }

        private int rowsPerChunk(DenseMatrix x) {
            return Math.max(1, chunkFloats / Math.max(1, x.cols()));
        }

        private float[][] allocate(DenseMatrix x) {
            int perChunk = rowsPerChunk(x);
            float[][] chunks = new float[(int) (((long) x.rows() + perChunk - 1) / perChunk)][];
            for (int c = 0; c < chunks.length; c++) {
                int rows = Math.min(perChunk, x.rows() - c * perChunk);
                chunks[c] = new float[Math.multiplyExact(rows, x.cols())];
            }
            return chunks;
        }

        /** Row by row: the matrix's rows are padded (row stride), the snapshot's are not. */
        private void save(DenseMatrix x, float[][] to) {
            int k = x.cols();
            int perChunk = rowsPerChunk(x);
            for (int i = 0; i < x.rows(); i++) {
                MemorySegment.copy(x.segment(), ValueLayout.JAVA_FLOAT, x.offset(i, 0), to[i / perChunk],
                        (i % perChunk) * k, k);
            }
        }

        private void load(float[][] from, DenseMatrix x) {
            int k = x.cols();
            int perChunk = rowsPerChunk(x);
            for (int i = 0; i < x.rows(); i++) {
                MemorySegment.copy(from[i / perChunk], (i % perChunk) * k, x.segment(), ValueLayout.JAVA_FLOAT,
                        x.offset(i, 0), k);
            }
        }
    }

    private static void requireNonNegative(CsrMatrix a) {
        MemorySegment values = a.values();
        for (long p = 0; p < a.nnz(); p++) {
            float v = values.getAtIndex(ValueLayout.JAVA_FLOAT, p);
            if (v < 0f) {
                throw new IllegalArgumentException("implicit feedback needs non-negative values (counts, durations), but "
                        + "entry " + p + " is " + v);
            }
        }
    }

    /** Per-worker scratch: a chunk of gathered rows, the normal matrix and right-hand side, CG vectors. */
    private static final class Workspace implements AutoCloseable {
        final DenseMatrix rows;
        final float[] system;
        final float[] rhs;
        final float[] x;
        final float[] r;
        final float[] p;
        final float[] ap;
        final float[] factorIn;
        final float[] factorOut;
        /** CG: the row's gathered partner rows (panelRows × rank), their values and right-hand-side targets. */
        final int panelRows;
        final float[] panel;
        final float[] values;
        final float[] targets;
        /** CG with biases, item rows: Σ of the row's gathered user rows (for μ, see Run.itemDots), and 1s. */
        final float[] partnerSum;
        final float[] ones;
        final Nnls nnls;

        Workspace(int dim, int rank, RowSolver.Kind kind, int panelRows) {
            boolean cg = kind == RowSolver.Kind.CONJUGATE_GRADIENT;
            rows = DenseMatrix.zeros(cg ? 1 : CHUNK_ROWS, dim);
            system = new float[cg ? 0 : dim * dim];
            rhs = new float[dim];
            x = new float[dim];
            r = new float[dim];
            p = new float[dim];
            ap = new float[dim];
            factorIn = new float[rank];
            factorOut = new float[rank];
            this.panelRows = cg ? panelRows : 0;
            panel = new float[this.panelRows * rank];
            values = new float[this.panelRows];
            targets = new float[this.panelRows];
            partnerSum = new float[cg ? rank : 0];
            ones = new float[this.panelRows];
            java.util.Arrays.fill(ones, 1f);
            nnls = kind == RowSolver.Kind.NON_NEGATIVE ? new Nnls(dim) : null;
        }

        @Override
        public void close() {
            rows.close();
        }
    }

    /** The state of one fit: workspaces, the Gramian, the loss used for reporting. */
    private final class Run implements AutoCloseable {
        final FactorModel model;
        final Observations data;
        final int rank;
        final int dim;
        final int offset;
        final DenseMatrix gramian;
        /** The second Gramian of the implicit objective ⟨UᵀU, VᵀV⟩; null for explicit feedback. */
        final DenseMatrix otherGramian;
        final float[] gramianArray;
        final ConcurrentLinkedQueue<Workspace> idle = new ConcurrentLinkedQueue<>();
        final List<Workspace> all = new ArrayList<>();
        final SquaredLoss loss;
        /** Implicit objective: each thread's scratch for the scores of one block of users (else null). */
        final Arena scoreArena;
        final ThreadLocal<MemorySegment> scores;
        final int[] userBlocks;
        final int[] itemBlocks;
        /** CG panel rows: the longest row of either side, at most MAX_PANEL_FLOATS / rank (data-derived). */
        final int panelRows;
        /**
         * CG with biases: v_j·Σ_{i∈Ω_j} u_i per item, from the last item half-step (its gathered user rows
         * give the sum almost free). U does not change between that half-step and the next μ update, so
         * Σ_j of these is μ's Σ_Ω u_i·v_j, without another gather of every rating's partner row.
         */
        final double[] itemDots;
        boolean itemDotsValid;
        final RowSolver rowSolver;
        /** The iteration running (1-based), for the messages of the row solves. */
        int iteration;

        Run(FactorModel model, Observations data) {
            this.model = model;
            this.data = data;
            this.rank = model.rank();
            this.offset = model.hasBiases() ? 1 : 0;
            this.dim = rank + offset;
            this.rowSolver = solver.at(rank);
            this.gramianArray = new float[rank * rank];
            this.userBlocks = rowBlocks(data.byUser(), dim);
            this.itemBlocks = rowBlocks(data.byItem(), dim);
            this.panelRows = (int) Math.max(1, Math.min(panelFloatsCap / rank,
                    Math.max(longestRow(data.byUser()), longestRow(data.byItem()))));
            this.itemDots = model.hasBiases() && rowSolver.kind() == RowSolver.Kind.CONJUGATE_GRADIENT
                    ? new double[data.items()] : null;
            List<AutoCloseable> made = new ArrayList<>();
            try {
                gramian = track(made, DenseMatrix.zeros(rank, rank));
                // The loss (evaluated for its value only) and (implicit) the score scratch exist only to
                // report the objective. Neither keeps a score per rating: within the memory target.
                if (implicit() && reportObjective) {
                    otherGramian = track(made, DenseMatrix.zeros(rank, rank));
                    loss = null;
                    Arena arena = Arena.ofShared();
                    made.add(arena);
                    scoreArena = arena;
                    long longest = Math.max(1, longestBlock(data.byUser(), userBlocks));
                    scores = ThreadLocal.withInitial(() -> arena.allocate(ValueLayout.JAVA_FLOAT, longest));
                } else {
                    otherGramian = null;
                    loss = reportObjective && !implicit() ? track(made, SquaredLoss.l4(data, lambda1, lambda2,
                            weighted ? Regularization.none() : regularization, kernels)) : null;
                    scoreArena = null;
                    scores = null;
                }
            } catch (RuntimeException | Error e) {
                closeAll(made, e);
                throw e;
            }
        }

        /**
         * One iteration (μ, the user half-step, the item half-step); returns the objective after it, NaN
         * when not reported. Every parameter is checked as it is computed (each is rewritten every
         * iteration), so a non-finite value stops the fit with {@link TrainingDivergedException} before
         * it can spread, whether or not the objective is reported.
         */
        double iterate(int iteration) {
            this.iteration = iteration;
            if (model.hasBiases()) {
                float mu = globalBiasMinimiser();
                if (!Float.isFinite(mu)) {
                    throw TrainingDivergedException.als(iteration, Double.NaN, "the global bias μ came out " + mu);
                }
                model.setGlobalBias(mu);
            }
            halfStep(data.byUser(), model.userFactors(), model.itemFactors(),
                    model.hasBiases() ? model.userBiases() : null, model.hasBiases() ? model.itemBiases() : null, "user");
            halfStep(data.byItem(), model.itemFactors(), model.userFactors(),
                    model.hasBiases() ? model.itemBiases() : null, model.hasBiases() ? model.userBiases() : null, "item");
            if (!reportObjective) {
                return Double.NaN;
            }
            double value = objective();
            if (!Double.isFinite(value)) {
                throw TrainingDivergedException.als(iteration, value, "the objective is " + value
                        + " although every parameter is finite (a prediction or a squared error overflows float)");
            }
            return value;
        }

        /**
         * The new μ: the mean over Ω of a_ij − b_i − c_j − u_i·v_j, its exact minimiser (μ is not penalised). The
         * scores are not stored (that would be 4·nnz bytes, a fifth of the fit's off-heap budget): per user,
         * Σ_j u_i·v_j = u_i·(Σ_j v_j), one pass over the row (normalRhs with unit targets) and one dot.
         */
        float globalBiasMinimiser() {
            CsrMatrix a = data.byUser();
            if (a.nnz() == 0) {
                return 0f;
            }
            MemorySegment offsets = a.rowOffsets();
            MemorySegment cols = a.columnIndices();
            MemorySegment values = a.values();
            DenseMatrix u = model.userFactors();
            DenseMatrix v = model.itemFactors();
            DenseMatrix b = model.userBiases();
            DenseMatrix c = model.itemBiases();
            MemorySegment us = u.segment();
            boolean dotsKnown = itemDotsValid;
            double sum = kernels.parallel().sumBlocks(userBlocks.length - 1, blk -> {
                Workspace ws = workspace();
                try {
                    float[] itemSum = ws.factorOut;
                    double part = 0;
                    for (int i = userBlocks[blk]; i < userBlocks[blk + 1]; i++) {
                        long start = offsets.getAtIndex(ValueLayout.JAVA_LONG, i);
                        long end = offsets.getAtIndex(ValueLayout.JAVA_LONG, i + 1L);
                        if (start == end) {
                            continue;
                        }
                        float bi = b.get(0, i);
                        for (long p = start; p < end; p++) {
                            part += values.getAtIndex(ValueLayout.JAVA_FLOAT, p) - bi
                                    - c.get(0, cols.getAtIndex(ValueLayout.JAVA_INT, p));
                        }
                        if (dotsKnown) {
                            continue;
                        }
                        java.util.Arrays.fill(itemSum, 0f);
                        kernels.normalRhs(a, i, v, 0f, 1f, null, 0f, itemSum);
                        double dots = 0;
                        long row = u.offset(i, 0);
                        for (int t = 0; t < rank; t++) {
                            dots += (double) us.get(ValueLayout.JAVA_FLOAT, row + (long) t * Float.BYTES) * itemSum[t];
                        }
                        part -= dots;
                    }
                    return part;
                } finally {
                    idle.add(ws);
                }
            });
            if (dotsKnown) {
                for (double d : itemDots) {
                    sum -= d;
                }
            }
            return (float) (sum / a.nnz());
        }

        /** A worker's workspace: an idle one, or a new one (at most one per worker thread per fit). */
        Workspace workspace() {
            Workspace ws = idle.poll();
            if (ws == null) {
                ws = new Workspace(dim, rank, rowSolver.kind(), panelRows);
                synchronized (all) {
                    all.add(ws);
                }
            }
            return ws;
        }

        /**
         * Solves every row of {@code x} (with its biases {@code xBias}) given the fixed side {@code y}
         * ({@code yBias}); {@code a} has x's rows as rows.
         */
        void halfStep(CsrMatrix a, DenseMatrix x, DenseMatrix y, DenseMatrix xBias, DenseMatrix yBias, String side) {
            if (lambda2 > 0f || implicit()) {
                kernels.gram(y, gramian);
                for (int r = 0; r < rank; r++) {
                    MemorySegment.copy(gramian.segment(), ValueLayout.JAVA_FLOAT, gramian.offset(r, 0),
                            gramianArray, r * rank, rank);
                }
            }
            int[] blocks = a == data.byUser() ? userBlocks : itemBlocks;
            float mu = model.hasBiases() ? model.globalBias() : 0f;
            itemDotsValid = false;
            kernels.parallel().forEachBlock(blocks.length - 1, blk -> {
                Workspace ws = workspace();
                try {
                    for (int i = blocks[blk]; i < blocks[blk + 1]; i++) {
                        solveRow(a, i, x, y, xBias, yBias, mu, ws, side);
                    }
                } finally {
                    idle.add(ws);
                }
            });
            itemDotsValid = itemDots != null && a == data.byItem();
        }

        private void solveRow(CsrMatrix a, int i, DenseMatrix x, DenseMatrix y, DenseMatrix xBias, DenseMatrix yBias,
                              float mu, Workspace ws, String side) {
            long start = a.rowStart(i);
            long end = a.rowEnd(i);
            MemorySegment xs = x.segment();
            if (start == end) {
                // No observations: the right-hand side is 0, so 0 is a minimiser (the only one when ρ_f > 0).
                xs.asSlice(x.offset(i, 0), (long) rank * Float.BYTES).fill((byte) 0);
                if (xBias != null) {
                    xBias.set(0, i, 0f);
                }
                if (itemDots != null && a == data.byItem()) {
                    itemDots[i] = 0;
                }
                return;
            }
            // ALS-WR (Zhou et al. 2008) scales both penalties by the row's observation count.
            float count = weighted ? (float) (end - start) : 1f;
            float rhoF = regularization.factors() * count;
            float rhoB = regularization.biases() * count;
            float[] rhs = ws.rhs;
            java.util.Arrays.fill(rhs, 0f);
            java.util.Arrays.fill(ws.factorOut, 0f);
            // Explicit: targets λ1·(a − μ − c_j), unit weights. Implicit: targets 1 + α·a, weights α·a.
            float rhsSum;
            if (rowSolver.kind() == RowSolver.Kind.CONJUGATE_GRADIENT) {
                rhsSum = gatheredRhs(a, i, y, yBias, mu, itemDots != null && a == data.byItem(), ws);
            } else {
                rhsSum = implicit()
                        ? kernels.normalRhs(a, i, y, alpha, 1f, null, 0f, ws.factorOut)
                        : kernels.normalRhs(a, i, y, lambda1, -lambda1 * mu, yBias, -lambda1, ws.factorOut);
            }
            if (offset == 1) {
                rhs[0] = rhsSum;
            }
            System.arraycopy(ws.factorOut, 0, rhs, offset, rank);
            boolean solved = switch (rowSolver.kind()) {
                case CONJUGATE_GRADIENT -> conjugateGradient(a, i, x, y, xBias, rhoF, rhoB, ws);
                case CHOLESKY -> {
                    formSystem(a, start, end, y, rhoF, rhoB, ws);
                    yield choleskySolve(ws.system, rhs);
                }
                case NON_NEGATIVE -> {
                    formSystem(a, start, end, y, rhoF, rhoB, ws);
                    yield ws.nnls.solve(ws.system, rhs, dim, offset);
                }
            };
            if (!solved) {
                String row = rowName(side, i, end - start);
                // CG fails only on a non-finite residual or curvature; a factorisation, also on a finite
                // system that is not positive definite, which keeps its own message.
                if (rowSolver.kind() == RowSolver.Kind.CONJUGATE_GRADIENT
                        || !allFinite(ws.system, dim * dim) || !allFinite(rhs, dim)) {
                    throw TrainingDivergedException.als(iteration, Double.NaN, "the normal equations of " + row
                            + " overflow float");
                }
                throw new ArithmeticException("the normal equations of " + row
                        + " are singular; use a positive factor regularization");
            }
            float[] result = rowSolver.kind() == RowSolver.Kind.CONJUGATE_GRADIENT ? ws.x : rhs;
            if (!allFinite(result, dim)) {
                throw TrainingDivergedException.als(iteration, Double.NaN, "the solution of " + rowName(side, i, end - start)
                        + " is not finite (" + (offset == 1 ? "bias " + result[0] + ", " : "") + "factors "
                        + java.util.Arrays.toString(java.util.Arrays.copyOfRange(result, offset, dim)) + ")");
            }
            if (xBias != null) {
                xBias.set(0, i, result[0]);
            }
            MemorySegment.copy(result, offset, xs, ValueLayout.JAVA_FLOAT, x.offset(i, 0), rank);
            if (itemDots != null && a == data.byItem()) {
                double d = 0;
                for (int t = 0; t < rank; t++) {
                    d += (double) result[offset + t] * ws.partnerSum[t];
                }
                itemDots[i] = d;
            }
        }

        private String rowName(String side, int i, long observations) {
            return side + " " + i + " (" + observations + " observations, rank " + rank + ")";
        }

        /**
         * normalRhs's right-hand side (same targets, same order, same bits) from the row's partners gathered
         * into the workspace panel, chunk by chunk; a row that fits stays gathered for the CG products.
         */
        private float gatheredRhs(CsrMatrix a, int i, DenseMatrix y, DenseMatrix yBias, float mu, boolean sumPartners,
                                  Workspace ws) {
            long start = a.rowStart(i);
            long n = a.rowEnd(i) - start;
            float[] t = ws.targets;
            float total = 0f;
            float valueScale = implicit() ? alpha : lambda1;
            float shift = implicit() ? 1f : -lambda1 * mu;
            float biasScale = -lambda1;
            if (sumPartners) {
                java.util.Arrays.fill(ws.partnerSum, 0f);
            }
            for (long first = 0; first < n; first += ws.panelRows) {
                int count = (int) Math.min(ws.panelRows, n - first);
                kernels.gatherRows(a, i, first, count, y, ws.panel, ws.values);
                for (int e = 0; e < count; e++) {
                    float target = valueScale * ws.values[e] + shift;
                    if (yBias != null && !implicit()) {
                        target += biasScale * yBias.get(0, a.columnIndex(start + first + e));
                    }
                    total += target;
                    t[e] = target;
                }
                kernels.panelCombine(ws.panel, count, rank, t, ws.factorOut);
                if (sumPartners) {
                    kernels.panelCombine(ws.panel, count, rank, ws.ones, ws.partnerSum);
                }
            }
            return total;
        }

        /** normalApply on the row's gathered panel (rows that fit it), else chunk by chunk, gathering again. */
        private float observedApply(CsrMatrix a, int i, DenseMatrix y, float[] v, float scale, float valueScale,
                                    float shift, float[] out, Workspace ws) {
            long n = a.rowEnd(i) - a.rowStart(i);
            if (n <= ws.panelRows) {
                return kernels.panelApply(ws.panel, (int) n, rank, ws.values, v, scale, valueScale, shift, out);
            }
            float total = 0f;
            for (long first = 0; first < n; first += ws.panelRows) {
                int count = (int) Math.min(ws.panelRows, n - first);
                kernels.gatherRows(a, i, first, count, y, ws.panel, ws.values);
                total += kernels.panelApply(ws.panel, count, rank, ws.values, v, scale, valueScale, shift, out);
            }
            return total;
        }

        private boolean choleskySolve(float[] m, float[] rhs) {
            try {
                kernels.choleskySolve(m, rhs, dim);
                return true;
            } catch (ArithmeticException e) {
                return false;
            }
        }

        /** The upper triangle of the row's (k+1)×(k+1) normal matrix into ws.system, from gathered chunks. */
        private void formSystem(CsrMatrix a, long start, long end, DenseMatrix y, float rhoF, float rhoB, Workspace ws) {
            MemorySegment cols = a.columnIndices();
            MemorySegment values = a.values();
            float[] m = ws.system;
            java.util.Arrays.fill(m, 0, dim * dim, 0f);
            DenseMatrix rows = ws.rows;
            MemorySegment rs = rows.segment();
            MemorySegment ys = y.segment();
            for (long chunk = start; chunk < end; chunk += CHUNK_ROWS) {
                int n = (int) Math.min(CHUNK_ROWS, end - chunk);
                for (int t = 0; t < n; t++) {
                    long p = chunk + t;
                    int j = cols.getAtIndex(ValueLayout.JAVA_INT, p);
                    long row = rows.offset(t, 0);
                    if (offset == 1) {
                        rs.set(ValueLayout.JAVA_FLOAT, row, 1f);
                    }
                    MemorySegment.copy(ys, y.offset(j, 0), rs, row + (long) offset * Float.BYTES, (long) rank * Float.BYTES);
                    if (implicit()) {
                        float w = (float) Math.sqrt(alpha * values.getAtIndex(ValueLayout.JAVA_FLOAT, p));
                        for (int c = 0; c < dim; c++) {
                            long o = row + (long) c * Float.BYTES;
                            rs.set(ValueLayout.JAVA_FLOAT, o, w * rs.get(ValueLayout.JAVA_FLOAT, o));
                        }
                    }
                }
                kernels.addGramUpper(rows, n, m);
            }
            // m holds S (implicit: the α-weighted S) in its upper triangle; now form the system.
            for (int r = 0; r < dim; r++) {
                for (int c = r; c < dim; c++) {
                    int e = r * dim + c;
                    boolean factorBlock = r >= offset;
                    float g = implicit() || (lambda2 > 0f && factorBlock)
                            ? gramianArray[(r - offset) * rank + (c - offset)] : 0f;
                    if (implicit()) {
                        m[e] += g;
                    } else if (factorBlock) {
                        m[e] = (lambda1 - lambda2) * m[e] + lambda2 * g;
                    } else {
                        m[e] = lambda1 * m[e];
                    }
                }
                m[r * dim + r] += r < offset ? rhoB : rhoF;
            }
        }

        /**
         * {@code steps} CG iterations on the row's normal equations, from the row's current value (the
         * warm start), with the matrix applied matrix-free. CG minimises the row's quadratic over a
         * growing Krylov space around the start, so every step lowers (never raises) the half-step
         * objective. Scalars are reduced in double, in index order. The result is left in ws.x. Returns
         * false when the residual or a curvature is not finite (the system overflowed float).
         */
        private boolean conjugateGradient(CsrMatrix a, int i, DenseMatrix x, DenseMatrix y, DenseMatrix xBias,
                                          float rhoF, float rhoB, Workspace ws) {
            float[] z = ws.x;
            float[] r = ws.r;
            float[] p = ws.p;
            float[] ap = ws.ap;
            float[] b = ws.rhs;
            if (offset == 1) {
                z[0] = xBias.get(0, i);
            }
            MemorySegment.copy(x.segment(), ValueLayout.JAVA_FLOAT, x.offset(i, 0), z, offset, rank);
            apply(a, i, y, z, ap, rhoF, rhoB, ws);
            double rr = 0;
            for (int c = 0; c < dim; c++) {
                r[c] = b[c] - ap[c];
                p[c] = r[c];
                rr += (double) r[c] * r[c];
            }
            if (!Double.isFinite(rr)) {
                // An infinite right-hand side: without this, the loop below would take no step at all and
                // silently keep the warm start.
                return false;
            }
            // Below a residual of float rounding (relative to the start) further steps only add noise.
            double floor = rr * 1e-14;
            for (int step = 0; step < rowSolver.steps() && rr > floor; step++) {
                apply(a, i, y, p, ap, rhoF, rhoB, ws);
                double pap = 0;
                for (int c = 0; c < dim; c++) {
                    pap += (double) p[c] * ap[c];
                }
                if (Double.isNaN(pap)) {
                    return false;
                }
                if (!(pap > 0)) {
                    // No curvature left along p (a singular system, or p lost to underflow): stop here.
                    break;
                }
                float step1 = (float) (rr / pap);
                double next = 0;
                for (int c = 0; c < dim; c++) {
                    z[c] += step1 * p[c];
                    r[c] -= step1 * ap[c];
                    next += (double) r[c] * r[c];
                }
                float beta = (float) (next / rr);
                for (int c = 0; c < dim; c++) {
                    p[c] = r[c] + beta * p[c];
                }
                rr = next;
            }
            return true;
        }

        /** out = M·v for the row's normal matrix M, without forming it (see the class comment for M). */
        private void apply(CsrMatrix a, int i, DenseMatrix y, float[] v, float[] out, float rhoF, float rhoB, Workspace ws) {
            float[] vf = ws.factorIn;
            float[] of = ws.factorOut;
            System.arraycopy(v, offset, vf, 0, rank);
            java.util.Arrays.fill(of, 0f);
            if (implicit()) {
                observedApply(a, i, y, vf, 0f, alpha, 0f, of, ws);
            } else {
                float v0 = offset == 1 ? v[0] : 0f;
                // Observed part: bias row λ1·Σ(v0 + s_j); factor rows Σ v_j(λ1·v0 + (λ1 − λ2)·s_j).
                float sum = observedApply(a, i, y, vf, lambda1 - lambda2, 0f, lambda1 * v0, of, ws);
                if (offset == 1) {
                    out[0] = lambda1 * ((a.rowEnd(i) - a.rowStart(i)) * v0 + sum) + rhoB * v0;
                }
            }
            boolean gramian = implicit() || lambda2 > 0f;
            float gScale = implicit() ? 1f : lambda2;
            for (int r = 0; r < rank; r++) {
                float acc = of[r] + rhoF * vf[r];
                if (gramian) {
                    float g = 0f;
                    int row = r * rank;
                    for (int c = 0; c < rank; c++) {
                        g += gramianArray[row + c] * vf[c];
                    }
                    acc += gScale * g;
                }
                out[offset + r] = acc;
            }
        }

        /** The objective after the iteration (explicit: SquaredLoss's L4; implicit: see the class comment). */
        double objective() {
            if (!implicit()) {
                return loss.value(model) + (weighted ? weightedPenalty() : 0);
            }
            CsrMatrix a = data.byUser();
            DenseMatrix u = model.userFactors();
            DenseMatrix v = model.itemFactors();
            MemorySegment offsets = a.rowOffsets();
            MemorySegment values = a.values();
            // Σ_Ω [c(1 − s)² − s²] + Σ_all s², the last through the Gramians.
            double observed = kernels.parallel().sumBlocks(userBlocks.length - 1, blk -> {
                MemorySegment s = scores.get();
                kernels.sddmmRows(a, u, v, userBlocks[blk], userBlocks[blk + 1], s);
                double part = 0;
                long first = offsets.getAtIndex(ValueLayout.JAVA_LONG, userBlocks[blk]);
                long end = offsets.getAtIndex(ValueLayout.JAVA_LONG, userBlocks[blk + 1]);
                for (long p = first; p < end; p++) {
                    double sij = s.getAtIndex(ValueLayout.JAVA_FLOAT, p - first);
                    double cij = 1 + (double) alpha * values.getAtIndex(ValueLayout.JAVA_FLOAT, p);
                    part += cij * (1 - sij) * (1 - sij) - sij * sij;
                }
                return part;
            });
            kernels.gram(u, gramian);
            kernels.gram(v, otherGramian);
            return observed + kernels.dot(gramian, otherGramian) + (weighted ? weightedPenalty()
                    : regularization.factors() * (kernels.dot(u, u) + kernels.dot(v, v)));
        }

        /** ALS-WR's penalty Σ_i n_i(ρ_f‖u_i‖² + ρ_b·b_i²) + the same over items, in double, in row order. */
        double weightedPenalty() {
            return weightedPenalty(data.byUser(), model.userFactors(), model.hasBiases() ? model.userBiases() : null)
                    + weightedPenalty(data.byItem(), model.itemFactors(), model.hasBiases() ? model.itemBiases() : null);
        }

        private double weightedPenalty(CsrMatrix a, DenseMatrix x, DenseMatrix bias) {
            double sum = 0;
            for (int i = 0; i < a.rows(); i++) {
                long n = a.rowEnd(i) - a.rowStart(i);
                if (n > 0) {
                    double row = (double) regularization.factors() * kernels.dot(x, i, x, i);
                    if (bias != null) {
                        double bi = bias.get(0, i);
                        row += regularization.biases() * bi * bi;
                    }
                    sum += n * row;
                }
            }
            return sum;
        }

        @Override
        public void close() {
            List<AutoCloseable> made = new ArrayList<>(all);
            made.add(gramian);
            if (otherGramian != null) {
                made.add(otherGramian);
            }
            if (loss != null) {
                made.add(loss);
            }
            if (scoreArena != null) {
                made.add(scoreArena);
            }
            closeAll(made, null);
        }
    }

    /** Whether x[0, n) is finite: x − x is 0 for a finite x and NaN otherwise; four sums keep the adds independent. */
    private static boolean allFinite(float[] x, int n) {
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        int t = 0;
        for (; t + 3 < n; t += 4) {
            s0 += x[t] - x[t];
            s1 += x[t + 1] - x[t + 1];
            s2 += x[t + 2] - x[t + 2];
            s3 += x[t + 3] - x[t + 3];
        }
        for (; t < n; t++) {
            s0 += x[t] - x[t];
        }
        return s0 + s1 + s2 + s3 == 0f;
    }

    private static long longestRow(CsrMatrix a) {
        long longest = 0;
        for (int i = 0; i < a.rows(); i++) {
            longest = Math.max(longest, a.rowEnd(i) - a.rowStart(i));
        }
        return longest;
    }

    /** The most entries any block of rows holds. */
    private static long longestBlock(CsrMatrix a, int[] blocks) {
        MemorySegment offsets = a.rowOffsets();
        long longest = 0;
        for (int b = 0; b + 1 < blocks.length; b++) {
            longest = Math.max(longest, offsets.getAtIndex(ValueLayout.JAVA_LONG, blocks[b + 1])
                    - offsets.getAtIndex(ValueLayout.JAVA_LONG, blocks[b]));
        }
        return longest;
    }

    /** Row boundaries with about {@link #BLOCK_WORK} multiply-adds each (rows·dim³ + nnz·dim²): data-derived only. */
    private static int[] rowBlocks(CsrMatrix a, int dim) {
        List<Integer> bounds = new ArrayList<>();
        bounds.add(0);
        long work = 0;
        long perRow = (long) dim * dim * dim / 3 + dim;
        long perEntry = (long) dim * dim / 2 + dim;
        MemorySegment offsets = a.rowOffsets();
        for (int i = 0; i < a.rows(); i++) {
            long n = offsets.getAtIndex(ValueLayout.JAVA_LONG, i + 1L) - offsets.getAtIndex(ValueLayout.JAVA_LONG, i);
            work += perRow + n * perEntry;
            if (work >= BLOCK_WORK) {
                bounds.add(i + 1);
                work = 0;
            }
        }
        if (bounds.get(bounds.size() - 1) != a.rows()) {
            bounds.add(a.rows());
        }
        return bounds.stream().mapToInt(Integer::intValue).toArray();
    }

    private static <T extends AutoCloseable> T track(List<AutoCloseable> made, T resource) {
        made.add(resource);
        return resource;
    }

    private static void closeAll(List<AutoCloseable> resources, Throwable primary) {
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                if (primary != null) {
                    primary.addSuppressed(e);
                } else {
                    throw new IllegalStateException("closing an ALS workspace failed", e);
                }
            }
        }
    }

    /** Settings of {@link Als}; every setter validates its argument. */
    public static final class Builder {
        private StopRules stop = StopRules.of(10);
        private Kernels kernels = Kernels.defaults();
        private float lambda1 = 1f;
        private float lambda2;
        private Regularization regularization = Regularization.of(0.1f);
        private float alpha = Float.NaN;
        private RowSolver solver = RowSolver.automatic();
        private boolean weighted;
        private boolean reportObjective = true;
        private int panelFloatsCap = MAX_PANEL_FLOATS;
        private int snapshotChunkFloats = SNAPSHOT_CHUNK_FLOATS;

        private Builder() {
        }

        /** Lowers the CG panel's capacity (tests only: small data then takes the chunked path). */
        Builder panelFloatsCap(int floats) {
            if (floats < 1) {
                throw new IllegalArgumentException("panel capacity = " + floats + " floats but must be positive");
            }
            this.panelFloatsCap = floats;
            return this;
        }

        /** Splits the parameters' snapshot into chunks of this many floats (tests only: several chunks on small data). */
        Builder snapshotChunkFloats(int floats) {
            if (floats < 1) {
                throw new IllegalArgumentException("snapshot chunk = " + floats + " floats but must be positive");
            }
            this.snapshotChunkFloats = floats;
            return this;
        }

        /** How each row's normal equations are solved (default {@link RowSolver#automatic()}). */
        public Builder solver(RowSolver solver) {
            this.solver = Objects.requireNonNull(solver, "solver");
            return this;
        }

        /**
         * ALS-WR (Zhou et al. 2008): each row's penalties ρ_f and ρ_b are multiplied by its number of
         * observations n_i, i.e. the objective's penalty becomes Σ_i n_i(ρ_f‖u_i‖² + ρ_b·b_i²) + the same
         * over items. Good λ are then about 100× smaller than without (ρ ≈ 0.05 on MovieLens).
         */
        public Builder weightedRegularization(boolean weighted) {
            this.weighted = weighted;
            return this;
        }

        /**
         * Whether to evaluate the objective after every iteration (default true): one SDDMM over the
         * observations plus the Gramians, and 4 bytes per rating for the residuals. Without it the history
         * holds NaN losses and no tolerance rule may be set. The gradient norm is never computed (NaN).
         */
        public Builder reportObjective(boolean report) {
            this.reportObjective = report;
            return this;
        }

        /** At most this many iterations (each a user and an item half-step). */
        public Builder maxIterations(int iterations) {
            stop = stop.withMaxEpochs(iterations);
            return this;
        }

        /** Stop when the objective changes by less than {@code tol} relative to the previous iteration (0: never). */
        public Builder tolerance(double tol) {
            stop = stop.withTolerance(tol);
            return this;
        }

        /** Stop after the iteration during which this much wall time has passed. */
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

        /** λ1, the weight of the observed squared errors (explicit feedback); must be positive. */
        public Builder observedWeight(float lambda1) {
            if (!(lambda1 > 0f) || !Float.isFinite(lambda1)) {
                throw new IllegalArgumentException("observedWeight (lambda1) = " + lambda1 + " must be positive and finite");
            }
            this.lambda1 = lambda1;
            return this;
        }

        /** λ2, the weight of (u_i·v_j)² on unobserved entries (seed 000's L4; explicit feedback); 0 for L3. */
        public Builder unobservedWeight(float lambda2) {
            if (!(lambda2 >= 0f) || !Float.isFinite(lambda2)) {
                throw new IllegalArgumentException("unobservedWeight (lambda2) = " + lambda2 + " must be finite and non-negative");
            }
            this.lambda2 = lambda2;
            return this;
        }

        /** L2 weights on factors and biases. */
        public Builder regularization(Regularization regularization) {
            this.regularization = Objects.requireNonNull(regularization, "regularization");
            return this;
        }

        /** Implicit feedback with confidence 1 + alpha·a_ij (Hu, Koren and Volinsky use alpha = 40). */
        public Builder implicit(float alpha) {
            if (!(alpha > 0f) || !Float.isFinite(alpha)) {
                throw new IllegalArgumentException("alpha = " + alpha + " must be positive and finite");
            }
            this.alpha = alpha;
            return this;
        }

        public Als build() {
            if (!Float.isNaN(alpha) && (lambda2 != 0f || lambda1 != 1f)) {
                throw new IllegalArgumentException("observedWeight and unobservedWeight apply to explicit feedback;"
                        + " implicit feedback weighs entries by 1 + alpha·a");
            }
            if (!reportObjective && stop.tolerance() > 0) {
                throw new IllegalArgumentException("a tolerance needs the objective; do not turn reportObjective off");
            }
            return new Als(this);
        }
    }
}
