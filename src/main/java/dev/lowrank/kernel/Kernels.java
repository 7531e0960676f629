package dev.lowrank.kernel;

import dev.lowrank.kernel.internal.KernelProvider;
import dev.lowrank.kernel.internal.KernelProviders;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.parallel.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.IntToDoubleFunction;
import java.util.function.Supplier;

/**
 * The public entry to lowrank's kernels: validates every argument (shapes, open state, aliasing,
 * thread confinement, finite scalars), then runs the chosen provider over fixed-size blocks on the
 * given {@link Parallel}. Results are bit-identical for any thread count (see {@link Parallel}).
 *
 * <p>A {@code Kernels} object is immutable and thread-safe. {@link #defaults()} uses the JVM's preferred
 * backend (Panama when {@code jdk.incubator.vector} is loaded and C2 is on) on {@link Parallel#defaults()}.
 */
public final class Kernels {

    /**
     * GEMM tiles of C handed to tasks. Each task packs its own B panel, so tiles are tall (up to
     * GEMM_TILE_MAX_ROWS) to share that panel across many rows; they get shorter only to give about
     * GEMM_TILES_PER_THREAD tasks per thread. Row counts are multiples of GEMM_TILE_ROW_QUANTUM (a
     * multiple of every micro-kernel's MR: 6 and 8). Unlike the reductions, GEMM may size its tiles from
     * the thread count: every element of C is summed in the same order whatever tile computes it, so the
     * result is bit-identical for any tiling.
     */
    private static final int GEMM_TILE_COLS = 2048;
    private static final int GEMM_TILE_MAX_ROWS = 960;
    private static final int GEMM_TILE_MIN_ROWS = 48;
    private static final int GEMM_TILE_ROW_QUANTUM = 24;
    private static final int GEMM_TILES_PER_THREAD = 4;
    /**
     * Uᵀ·D-style products (op(A) = Aᵀ, op(B) = B, tiny C, long inner dimension) have too few C tiles to
     * fork over, so the inner dimension is cut into fixed chunks whose partial products are added in
     * chunk order.
     */
    private static final int GEMM_SPLIT_K_CHUNK = 8192;
    private static final long GEMM_SPLIT_K_MAX_C = 1L << 16;
    /** Below this many multiply-adds a GEMM runs as one task: forking would cost more than it saves. */
    private static final long GEMM_SERIAL_WORK = 1L << 18;
    /** Rows per block of a reduction (Gram, Frobenius dot): fixed, so sums never depend on threads. */
    private static final int REDUCTION_BLOCK_ROWS = 1024;
    /** At most this many partial Gram triangles per call (tall matrices get taller blocks). */
    private static final int GRAM_MAX_BLOCKS = 64;
    /**
     * Block partials (Gram, split-K GEMM) up to 4 MB are kept per calling thread (Gram: k ≤ 128 at 64
     * blocks); larger ones are not.
     */
    private static final long PARTIALS_MAX_FLOATS = 1L << 20;
    /**
     * Target multiply-adds per sparse block; blocks are cut by nonzeros, not by rows. 2^20 (~0.1–0.5 ms
     * of SpMM/SDDMM work) still gives hundreds of blocks on a 10M-nonzero matrix; at 2^16 the block
     * bounds and fork/join tasks alone allocated ~40 KB (1 thread) and ~670 KB (2 threads) per call.
     */
    private static final long SPARSE_BLOCK_WORK = 1L << 20;
    /** Rows per block for row-wise elementwise work and for top-k scoring. */
    private static final int ROW_BLOCK_ROWS = 512;

    private static final Thread OTHER_THREAD = Thread.ofPlatform().unstarted(() -> { });

    private final KernelProvider provider;
    private final Backend backend;
    private final Parallel parallel;

    private Kernels(KernelProvider provider, Backend backend, Parallel parallel) {
        this.provider = provider;
        this.backend = backend;
        this.parallel = parallel;
    }

    /** The JVM's preferred backend on {@link Parallel#defaults()} (a worker per processor). */
    public static Kernels defaults() {
        return of(defaultBackend(), Parallel.defaults());
    }

    /**
     * A specific backend on a specific {@link Parallel}. Throws {@link UnsupportedOperationException}
     * with the reason if {@code PANAMA} is asked for and cannot load in this JVM.
     */
    public static Kernels of(Backend backend, Parallel parallel) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(parallel, "parallel");
        KernelProvider p = backend == Backend.SCALAR ? KernelProviders.scalar() : KernelProviders.panama();
        return new Kernels(p, backend, parallel);
    }

    /** The backend {@link #defaults()} uses: forced by {@code -Dlowrank.kernels}, else Panama where it can load. */
    public static Backend defaultBackend() {
        return KernelProviders.preferred() == KernelProviders.scalar() ? Backend.SCALAR : Backend.PANAMA;
    }

    /** Whether the Panama backend can load in this JVM. */
    public static boolean panamaAvailable() {
        return KernelProviders.panamaUnavailableReason() == null;
    }

    /** This object's backend. */
    public Backend backend() {
        return backend;
    }

    /** The provider's descriptive name, e.g. "panama-256" or "scalar". */
    public String providerName() {
        return provider.name();
    }

    public Parallel parallel() {
        return parallel;
    }

    /** The same backend on another {@link Parallel}. */
    public Kernels withParallel(Parallel other) {
        return new Kernels(provider, backend, Objects.requireNonNull(other, "parallel"));
    }

    // ---------------------------------------------------------------- vector operations

    /** The dot product of row {@code xRow} of X and row {@code yRow} of Y (same column count). */
    public float dot(DenseMatrix x, int xRow, DenseMatrix y, int yRow) {
        requireOpen(x, "X");
        requireOpen(y, "Y");
        checkRow(xRow, x, "X");
        checkRow(yRow, y, "Y");
        if (x.cols() != y.cols()) {
            throw new IllegalArgumentException("X is " + x.shape() + " but Y is " + y.shape() + ": rows differ in length");
        }
        return provider.dot(x.segment(), x.offset(xRow, 0), y.segment(), y.offset(yRow, 0), x.cols());
    }

    /**
     * The Frobenius inner product ⟨X, Y⟩ = Σ x_ij·y_ij of two same-shape matrices: float row dots added
     * in double, in a fixed block order.
     */
    public double dot(DenseMatrix x, DenseMatrix y) {
        requireOpen(x, "X");
        requireOpen(y, "Y");
        requireSameShape(x, "X", y, "Y");
        requireShareable(x, "X");
        requireShareable(y, "Y");
        FrobeniusDot job = FROBENIUS_DOT.acquire();
        try {
            job.provider = provider;
            job.x = x;
            job.y = y;
            return parallel.sumBlocks(blocks(x.rows(), REDUCTION_BLOCK_ROWS), job);
        } finally {
            FROBENIUS_DOT.release(job);
        }
    }

    private static final Jobs<FrobeniusDot> FROBENIUS_DOT = new Jobs<>(FrobeniusDot::new);

    private static final class FrobeniusDot extends Job implements IntToDoubleFunction {
        KernelProvider provider;
        DenseMatrix x;
        DenseMatrix y;

        @Override
        public double applyAsDouble(int b) {
            MemorySegment xs = x.segment();
            MemorySegment ys = y.segment();
            double sum = 0;
            int end = Math.min(x.rows(), (b + 1) * REDUCTION_BLOCK_ROWS);
            for (int i = b * REDUCTION_BLOCK_ROWS; i < end; i++) {
                sum += provider.dot(xs, x.offset(i, 0), ys, y.offset(i, 0), x.cols());
            }
            return sum;
        }

        @Override
        void clear() {
            provider = null;
            x = null;
            y = null;
        }
    }

    /** Y += alpha·X, elementwise (same shape; X and Y must not share memory unless they are the same matrix). */
    public void axpy(float alpha, DenseMatrix x, DenseMatrix y) {
        requireFinite(alpha, "alpha");
        requireOpen(x, "X");
        requireOpen(y, "Y");
        requireSameShape(x, "X", y, "Y");
        if (x != y) {
            requireDisjoint(y.segment(), "Y", x.segment(), "X");
        }
        requireShareable(x, "X");
        requireShareable(y, "Y");
        AxpyRows job = AXPY_ROWS.acquire();
        try {
            job.provider = provider;
            job.alpha = alpha;
            job.x = x;
            job.y = y;
            parallel.forEachBlock(blocks(y.rows(), ROW_BLOCK_ROWS), job);
        } finally {
            AXPY_ROWS.release(job);
        }
    }

    private static final Jobs<AxpyRows> AXPY_ROWS = new Jobs<>(AxpyRows::new);

    private static final class AxpyRows extends Job implements Parallel.Block {
        KernelProvider provider;
        float alpha;
        DenseMatrix x;
        DenseMatrix y;

        @Override
        public void run(int b) {
            MemorySegment xs = x.segment();
            MemorySegment ys = y.segment();
            int end = Math.min(y.rows(), (b + 1) * ROW_BLOCK_ROWS);
            for (int i = b * ROW_BLOCK_ROWS; i < end; i++) {
                provider.axpy(alpha, xs, x.offset(i, 0), ys, y.offset(i, 0), x.cols());
            }
        }

        @Override
        void clear() {
            provider = null;
            x = null;
            y = null;
        }
    }

    /** X *= alpha, elementwise. */
    public void scale(float alpha, DenseMatrix x) {
        requireFinite(alpha, "alpha");
        requireOpen(x, "X");
        requireShareable(x, "X");
        ScaleRows job = SCALE_ROWS.acquire();
        try {
            job.provider = provider;
            job.alpha = alpha;
            job.x = x;
            parallel.forEachBlock(blocks(x.rows(), ROW_BLOCK_ROWS), job);
        } finally {
            SCALE_ROWS.release(job);
        }
    }

    private static final Jobs<ScaleRows> SCALE_ROWS = new Jobs<>(ScaleRows::new);

    private static final class ScaleRows extends Job implements Parallel.Block {
        KernelProvider provider;
        float alpha;
        DenseMatrix x;

        @Override
        public void run(int b) {
            MemorySegment xs = x.segment();
            int end = Math.min(x.rows(), (b + 1) * ROW_BLOCK_ROWS);
            for (int i = b * ROW_BLOCK_ROWS; i < end; i++) {
                provider.scale(alpha, xs, x.offset(i, 0), x.cols());
            }
        }

        @Override
        void clear() {
            provider = null;
            x = null;
        }
    }

    /**
     * One Adam step (Keras semantics), elementwise over four same-shape matrices: M += (G − M)(1 − beta1),
     * V += (G² − V)(1 − beta2), P −= (M·alpha) / (√V + epsilon), where alpha already holds the bias
     * correction lr·√(1 − beta2ᵗ)/(1 − beta1ᵗ). P, M and V are written and must not share memory with
     * each other or with G.
     */
    public void adamStep(float alpha, float beta1, float beta2, float epsilon, DenseMatrix p, DenseMatrix g,
                         DenseMatrix m, DenseMatrix v) {
        requireFinite(alpha, "alpha");
        if (!(beta1 >= 0f && beta1 < 1f) || !(beta2 >= 0f && beta2 < 1f)) {
            throw new IllegalArgumentException("beta1 = " + beta1 + ", beta2 = " + beta2 + ": both must lie in [0, 1)");
        }
        if (!(epsilon > 0f) || !Float.isFinite(epsilon)) {
            throw new IllegalArgumentException("epsilon = " + epsilon + " must be positive and finite");
        }
        requireOpen(p, "P");
        requireOpen(g, "G");
        requireOpen(m, "M");
        requireOpen(v, "V");
        requireSameShape(p, "P", g, "G");
        requireSameShape(p, "P", m, "M");
        requireSameShape(p, "P", v, "V");
        requireDisjoint(p.segment(), "P", g.segment(), "G");
        requireDisjoint(p.segment(), "P", m.segment(), "M");
        requireDisjoint(p.segment(), "P", v.segment(), "V");
        requireDisjoint(m.segment(), "M", g.segment(), "G");
        requireDisjoint(m.segment(), "M", v.segment(), "V");
        requireDisjoint(v.segment(), "V", g.segment(), "G");
        requireShareable(p, "P");
        requireShareable(g, "G");
        requireShareable(m, "M");
        requireShareable(v, "V");
        AdamRows job = ADAM_ROWS.acquire();
        try {
            job.provider = provider;
            job.alpha = alpha;
            job.beta1 = beta1;
            job.beta2 = beta2;
            job.epsilon = epsilon;
            job.p = p;
            job.g = g;
            job.m = m;
            job.v = v;
            parallel.forEachBlock(blocks(p.rows(), ROW_BLOCK_ROWS), job);
        } finally {
            ADAM_ROWS.release(job);
        }
    }

    private static final Jobs<AdamRows> ADAM_ROWS = new Jobs<>(AdamRows::new);

    private static final class AdamRows extends Job implements Parallel.Block {
        KernelProvider provider;
        float alpha;
        float beta1;
        float beta2;
        float epsilon;
        DenseMatrix p;
        DenseMatrix g;
        DenseMatrix m;
        DenseMatrix v;

        @Override
        public void run(int b) {
            MemorySegment ps = p.segment();
            MemorySegment gs = g.segment();
            MemorySegment ms = m.segment();
            MemorySegment vs = v.segment();
            int end = Math.min(p.rows(), (b + 1) * ROW_BLOCK_ROWS);
            for (int i = b * ROW_BLOCK_ROWS; i < end; i++) {
                provider.adam(alpha, beta1, beta2, epsilon, ps, p.offset(i, 0), gs, g.offset(i, 0),
                        ms, m.offset(i, 0), vs, v.offset(i, 0), p.cols());
            }
        }

        @Override
        void clear() {
            provider = null;
            p = null;
            g = null;
            m = null;
            v = null;
        }
    }

    // ---------------------------------------------------------------- dense products

    /**
     * C = alpha·op(A)·op(B) + beta·C. With beta = 0, C's old values are not read (so C may hold anything).
     * C must not share memory with A or B.
     */
    public void gemm(float alpha, Op opA, DenseMatrix a, Op opB, DenseMatrix b, float beta, DenseMatrix c) {
        Objects.requireNonNull(opA, "opA");
        Objects.requireNonNull(opB, "opB");
        requireFinite(alpha, "alpha");
        requireFinite(beta, "beta");
        requireOpen(a, "A");
        requireOpen(b, "B");
        requireOpen(c, "C");
        boolean transA = opA == Op.TRANSPOSE;
        boolean transB = opB == Op.TRANSPOSE;
        int m = transA ? a.cols() : a.rows();
        int inner = transA ? a.rows() : a.cols();
        int innerB = transB ? b.cols() : b.rows();
        int n = transB ? b.rows() : b.cols();
        if (inner != innerB) {
            throw new IllegalArgumentException("op(A) is " + m + "x" + inner + " but op(B) is " + innerB + "x" + n
                    + ": inner dimensions differ (A is " + a.shape() + " " + opA + ", B is " + b.shape() + " " + opB + ")");
        }
        if (c.rows() != m || c.cols() != n) {
            throw new IllegalArgumentException("C is " + c.shape() + " but op(A)·op(B) is " + m + "x" + n);
        }
        requireDisjoint(c.segment(), "C", a.segment(), "A");
        requireDisjoint(c.segment(), "C", b.segment(), "B");
        requireShareable(a, "A");
        requireShareable(b, "B");
        requireShareable(c, "C");
        if ((long) m * n * inner <= GEMM_SERIAL_WORK) {
            provider.gemm(transA, transB, alpha, a, b, beta, c, 0, m, 0, n);
            return;
        }
        if (transA && !transB && (long) m * n <= GEMM_SPLIT_K_MAX_C && inner >= 2 * GEMM_SPLIT_K_CHUNK) {
            gemmSplitK(alpha, a, b, beta, c, m, n, inner);
            return;
        }
        int tileCols = Math.min(n, GEMM_TILE_COLS);
        int colTiles = blocks(n, tileCols);
        int targetTiles = parallel.parallelism() == 1 ? 1 : GEMM_TILES_PER_THREAD * parallel.parallelism();
        int wantRowTiles = Math.max(1, (targetTiles + colTiles - 1) / colTiles);
        int rows = blocks(m, wantRowTiles);
        rows = ((rows + GEMM_TILE_ROW_QUANTUM - 1) / GEMM_TILE_ROW_QUANTUM) * GEMM_TILE_ROW_QUANTUM;
        int tileRows = Math.max(GEMM_TILE_MIN_ROWS, Math.min(GEMM_TILE_MAX_ROWS, rows));
        int rowTiles = blocks(m, tileRows);
        GemmTiles job = GEMM_TILES.acquire();
        try {
            job.provider = provider;
            job.transA = transA;
            job.transB = transB;
            job.alpha = alpha;
            job.beta = beta;
            job.a = a;
            job.b = b;
            job.c = c;
            job.tileRows = tileRows;
            job.tileCols = tileCols;
            job.colTiles = colTiles;
            parallel.forEachBlock(rowTiles * colTiles, job);
        } finally {
            GEMM_TILES.release(job);
        }
    }

    private static final Jobs<GemmTiles> GEMM_TILES = new Jobs<>(GemmTiles::new);

    /** Block t is the tile (t / colTiles, t % colTiles) of C. */
    private static final class GemmTiles extends Job implements Parallel.Block {
        KernelProvider provider;
        boolean transA;
        boolean transB;
        float alpha;
        float beta;
        DenseMatrix a;
        DenseMatrix b;
        DenseMatrix c;
        int tileRows;
        int tileCols;
        int colTiles;

        @Override
        public void run(int t) {
            int r0 = (t / colTiles) * tileRows;
            int c0 = (t % colTiles) * tileCols;
            provider.gemm(transA, transB, alpha, a, b, beta, c, r0, Math.min(c.rows(), r0 + tileRows),
                    c0, Math.min(c.cols(), c0 + tileCols));
        }

        @Override
        void clear() {
            provider = null;
            a = null;
            b = null;
            c = null;
        }
    }

    /**
     * C = alpha·AᵀB + beta·C with the inner dimension (the rows of A and B) cut into fixed chunks: each
     * chunk's AᵀB goes to its own slice of a scratch matrix, then the slices are added in chunk order in
     * double. The scratch is m·n·chunks floats, small by the guard above.
     */
    private void gemmSplitK(float alpha, DenseMatrix a, DenseMatrix b, float beta, DenseMatrix c, int m, int n, int inner) {
        int chunks = blocks(inner, GEMM_SPLIT_K_CHUNK);
        Partials scratch = Partials.acquire(chunks, m, n);
        SplitKChunks job = SPLIT_K_CHUNKS.acquire();
        try {
            job.provider = provider;
            job.a = a;
            job.b = b;
            job.partials = scratch.blocks;
            parallel.forEachBlock(chunks, job);
            DenseMatrix partial = scratch.all;
            MemorySegment ps = partial.segment();
            MemorySegment cs = c.segment();
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    for (int q = 0; q < chunks; q++) {
                        sum += ps.get(ValueLayout.JAVA_FLOAT, partial.offset(q * m + i, j));
                    }
                    float v = alpha * (float) sum;
                    if (beta != 0f) {
                        v += beta * cs.get(ValueLayout.JAVA_FLOAT, c.offset(i, j));
                    }
                    cs.set(ValueLayout.JAVA_FLOAT, c.offset(i, j), v);
                }
            }
        } finally {
            SPLIT_K_CHUNKS.release(job);
            scratch.release();
        }
    }

    private static final Jobs<SplitKChunks> SPLIT_K_CHUNKS = new Jobs<>(SplitKChunks::new);

    /** Block q is Aᵀ·B over the inner rows [q·CHUNK, (q+1)·CHUNK), into partial q. */
    private static final class SplitKChunks extends Job implements Parallel.Block {
        KernelProvider provider;
        DenseMatrix a;
        DenseMatrix b;
        DenseMatrix[] partials;

        @Override
        public void run(int q) {
            int p0 = q * GEMM_SPLIT_K_CHUNK;
            int p1 = Math.min(a.rows(), p0 + GEMM_SPLIT_K_CHUNK);
            DenseMatrix out = partials[q];
            provider.gemm(true, false, 1f, a, b, p0, p1, 0f, out, 0, out.rows(), 0, out.cols());
        }

        @Override
        void clear() {
            provider = null;
            a = null;
            b = null;
            partials = null;
        }
    }

    /**
     * The Gramian C = AᵀA (k×k for an m×k A), written whole and exactly symmetric. Each fixed block of
     * rows contributes the upper triangle of its own AᵀA through {@link #addGramUpper}'s packing-free
     * register tile (measured about twice as fast as the packed GEMM route it replaced, on one thread);
     * the blocks are added in double in block order and the upper triangle is mirrored.
     */
    public void gram(DenseMatrix a, DenseMatrix c) {
        requireOpen(a, "A");
        requireOpen(c, "C");
        int k = a.cols();
        if (c.rows() != k || c.cols() != k) {
            throw new IllegalArgumentException("C is " + c.shape() + " but AᵀA is " + k + "x" + k + " (A is " + a.shape() + ")");
        }
        requireDisjoint(c.segment(), "C", a.segment(), "A");
        requireShareable(a, "A");
        int rows = a.rows();
        int blockRows = gramBlockRows(rows);
        int blockCount = blocks(rows, blockRows);
        Partials scratch = Partials.acquire(blockCount, k, k);
        GramBlocks job = GRAM_BLOCKS.acquire();
        try {
            job.provider = provider;
            job.a = a;
            job.blockRows = blockRows;
            job.partials = scratch.blocks;
            parallel.forEachBlock(blockCount, job);
            DenseMatrix partials = scratch.all;
            MemorySegment ps = partials.segment();
            MemorySegment cs = c.segment();
            for (int i = 0; i < k; i++) {
                for (int j = i; j < k; j++) {
                    double sum = 0;
                    for (int b = 0; b < blockCount; b++) {
                        sum += ps.get(ValueLayout.JAVA_FLOAT, partials.offset(b * k + i, j));
                    }
                    cs.set(ValueLayout.JAVA_FLOAT, c.offset(i, j), (float) sum);
                    cs.set(ValueLayout.JAVA_FLOAT, c.offset(j, i), (float) sum);
                }
            }
        } finally {
            GRAM_BLOCKS.release(job);
            scratch.release();
        }
    }

    private static final Jobs<GramBlocks> GRAM_BLOCKS = new Jobs<>(GramBlocks::new);
    /** A block's upper triangle, per thread (the provider's addGramUpper adds into a heap array). */
    private static final ThreadLocal<float[]> GRAM_UPPER = ThreadLocal.withInitial(() -> new float[0]);

    /** Block b is A[rows of block b]ᵀ·A[rows of block b], into partial b. */
    private static final class GramBlocks extends Job implements Parallel.Block {
        KernelProvider provider;
        DenseMatrix a;
        int blockRows;
        DenseMatrix[] partials;

        @Override
        public void run(int b) {
            int k = a.cols();
            float[] upper = GRAM_UPPER.get();
            if (upper.length < k * k) {
                upper = new float[k * k];
                GRAM_UPPER.set(upper);
            }
            Arrays.fill(upper, 0, k * k, 0f);
            provider.addGramUpper(a, b * blockRows, Math.min(a.rows(), (b + 1) * blockRows), upper);
            DenseMatrix partial = partials[b];
            for (int i = 0; i < k; i++) {
                MemorySegment.copy(upper, i * k + i, partial.segment(), ValueLayout.JAVA_FLOAT, partial.offset(i, i), k - i);
            }
        }

        @Override
        void clear() {
            provider = null;
            a = null;
            partials = null;
        }
    }

    /**
     * Rows per Gram block: REDUCTION_BLOCK_ROWS, grown for tall matrices so that there are at most
     * GRAM_MAX_BLOCKS partial products. Depends on the row count alone (never on threads).
     */
    private static int gramBlockRows(int rows) {
        return Math.max(REDUCTION_BLOCK_ROWS, (int) (((long) rows + GRAM_MAX_BLOCKS - 1) / GRAM_MAX_BLOCKS));
    }

    /**
     * The calling thread's per-block partial products (Gram, split-K GEMM), kept from call to call with
     * their per-block views, so that repeated calls of one shape (ALS, every half-step) allocate nothing;
     * a new shape makes new views over the same memory while it is large enough. The memory comes from an
     * automatic arena: shared with the pool's workers, and freed by the garbage collector once its thread
     * is gone. Busy while a call runs: should a waiting thread run another such call, that call gets
     * scratch of its own. Partials over PARTIALS_MAX_FLOATS are never kept.
     */
    private static final class Partials {
        private MemorySegment kept = MemorySegment.NULL;
        private boolean busy;
        private int blockCount = -1;
        private int rows = -1;
        private int cols = -1;
        /** Partial b is rows [b·rows, (b+1)·rows) of {@code all}, and {@code blocks[b]}. */
        DenseMatrix all;
        DenseMatrix[] blocks;

        static Partials acquire(int blockCount, int rows, int cols) {
            Partials p = PARTIALS.get();
            long floats = (long) blockCount * rows * DenseMatrix.paddedStride(cols);
            if (p.busy || floats > PARTIALS_MAX_FLOATS) {
                p = new Partials();
            }
            p.busy = true;
            p.shape(blockCount, rows, cols);
            return p;
        }

        private void shape(int blockCount, int rows, int cols) {
            if (blockCount == this.blockCount && rows == this.rows && cols == this.cols) {
                return;
            }
            int stride = DenseMatrix.paddedStride(cols);
            long bytes = Math.max(1L, (long) blockCount * rows * stride * Float.BYTES);
            if (kept.byteSize() < bytes) {
                kept = Arena.ofAuto().allocate(bytes, 64);
            }
            all = DenseMatrix.wrap(kept, blockCount * rows, cols, stride);
            blocks = new DenseMatrix[blockCount];
            for (int b = 0; b < blockCount; b++) {
                blocks[b] = all.rowView(b * rows, (b + 1) * rows);
            }
            this.blockCount = blockCount;
            this.rows = rows;
            this.cols = cols;
        }

        void release() {
            busy = false;
        }
    }

    private static final ThreadLocal<Partials> PARTIALS = ThreadLocal.withInitial(Partials::new);

    // ---------------------------------------------------------------- sparse products

    /**
     * C = alpha·op(A)·B + beta·C for a sparse A. With beta = 0, C's old values are not read. For
     * {@code Op.TRANSPOSE} a temporary transpose of A is built (O(nnz)) and freed; code that multiplies
     * by Aᵀ repeatedly should keep {@link CsrMatrix#transpose()} and pass it with {@code Op.IDENTITY}.
     */
    public void spmm(float alpha, Op opA, CsrMatrix a, DenseMatrix b, float beta, DenseMatrix c) {
        Objects.requireNonNull(opA, "opA");
        requireFinite(alpha, "alpha");
        requireFinite(beta, "beta");
        requireOpen(a, "A");
        requireOpen(b, "B");
        requireOpen(c, "C");
        int m = opA == Op.TRANSPOSE ? a.cols() : a.rows();
        int inner = opA == Op.TRANSPOSE ? a.rows() : a.cols();
        if (b.rows() != inner) {
            throw new IllegalArgumentException("op(A) is " + m + "x" + inner + " but B is " + b.shape()
                    + ": inner dimensions differ (A is " + a.shape() + " " + opA + ")");
        }
        if (c.rows() != m || c.cols() != b.cols()) {
            throw new IllegalArgumentException("C is " + c.shape() + " but op(A)·B is " + m + "x" + b.cols());
        }
        requireDisjoint(c.segment(), "C", b.segment(), "B");
        requireShareable(b, "B");
        requireShareable(c, "C");
        if (opA == Op.TRANSPOSE) {
            try (CsrMatrix at = a.transpose()) {
                spmmRows(alpha, at, b, beta, c);
            }
        } else {
            spmmRows(alpha, a, b, beta, c);
        }
    }

    private void spmmRows(float alpha, CsrMatrix a, DenseMatrix b, float beta, DenseMatrix c) {
        int k = Math.max(1, b.cols());
        int blockCount = sparseBlockCount(a, k);
        SpmmBlocks job = SPMM_BLOCKS.acquire();
        try {
            job.provider = provider;
            job.alpha = alpha;
            job.beta = beta;
            job.a = a;
            job.b = b;
            job.c = c;
            job.work = k;
            job.blockCount = blockCount;
            parallel.forEachBlock(blockCount, job);
        } finally {
            SPMM_BLOCKS.release(job);
        }
    }

    private static final Jobs<SpmmBlocks> SPMM_BLOCKS = new Jobs<>(SpmmBlocks::new);

    private static final class SpmmBlocks extends Job implements Parallel.Block {
        KernelProvider provider;
        float alpha;
        float beta;
        CsrMatrix a;
        DenseMatrix b;
        DenseMatrix c;
        int work;
        int blockCount;

        @Override
        public void run(int t) {
            provider.spmm(alpha, a, b, beta, c, sparseBlockStart(a, work, blockCount, t),
                    sparseBlockStart(a, work, blockCount, t + 1));
        }

        @Override
        void clear() {
            provider = null;
            a = null;
            b = null;
            c = null;
        }
    }

    /**
     * Sampled dense-dense product: for every entry (i, j) stored in {@code pattern}, the matching entry of
     * {@code out} becomes u_i·v_j (the pattern's own values are ignored). {@code out} must have the
     * pattern's structure (see {@link CsrMatrix#copyStructure()} and {@link CsrMatrix#sharingStructure()})
     * and may be the pattern itself.
     */
    public void sddmm(CsrMatrix pattern, DenseMatrix u, DenseMatrix v, CsrMatrix out) {
        requireSddmmShapes(pattern, u, v);
        requireOpen(out, "out");
        if (!out.hasSameStructure(pattern)) {
            throw new IllegalArgumentException("out (" + out.shape() + ", nnz " + out.nnz()
                    + ") does not have the pattern's structure (" + pattern.shape() + ", nnz " + pattern.nnz() + ")");
        }
        requireShareable(u, "U");
        requireShareable(v, "V");
        int k = Math.max(1, u.cols());
        int blockCount = sparseBlockCount(pattern, k);
        SddmmBlocks job = SDDMM_BLOCKS.acquire();
        try {
            job.provider = provider;
            job.pattern = pattern;
            job.u = u;
            job.v = v;
            job.outValues = out.values();
            job.work = k;
            job.blockCount = blockCount;
            parallel.forEachBlock(blockCount, job);
        } finally {
            SDDMM_BLOCKS.release(job);
        }
    }

    /**
     * {@link #sddmm} for the rows [rowStart, rowEnd) only, in the calling thread, into a scratch that
     * holds just those rows' entries: out[p − first] = u_i·v_j for every entry stored at position p of
     * those rows, first being the position of the first one. Each entry has the bits that {@link #sddmm}
     * gives it. For callers that consume the products block by block (a loss's value) instead of keeping
     * a score per rating.
     */
    public void sddmmRows(CsrMatrix pattern, DenseMatrix u, DenseMatrix v, int rowStart, int rowEnd, MemorySegment out) {
        requireSddmmShapes(pattern, u, v);
        Objects.checkFromToIndex(rowStart, rowEnd, pattern.rows());
        Objects.requireNonNull(out, "out");
        long first = rowStart == rowEnd ? 0 : pattern.rowStart(rowStart);
        long entries = rowStart == rowEnd ? 0 : pattern.rowEnd(rowEnd - 1) - first;
        if (out.isReadOnly() || out.byteSize() < entries * Float.BYTES) {
            throw new IllegalArgumentException("out holds " + out.byteSize() + " bytes" + (out.isReadOnly()
                    ? ", read-only," : "") + " but rows [" + rowStart + ", " + rowEnd + ") of the pattern store "
                    + entries + " entries: a writable segment of at least " + entries * Float.BYTES + " bytes is needed");
        }
        provider.sddmm(pattern, u, v, out, first, rowStart, rowEnd);
    }

    private static void requireSddmmShapes(CsrMatrix pattern, DenseMatrix u, DenseMatrix v) {
        requireOpen(pattern, "pattern");
        requireOpen(u, "U");
        requireOpen(v, "V");
        if (u.cols() != v.cols()) {
            throw new IllegalArgumentException("U is " + u.shape() + " but V is " + v.shape() + ": ranks differ");
        }
        if (u.rows() != pattern.rows() || v.rows() != pattern.cols()) {
            throw new IllegalArgumentException("pattern is " + pattern.shape() + " but U·Vᵀ is "
                    + u.rows() + "x" + v.rows() + " (U is " + u.shape() + ", V is " + v.shape() + ")");
        }
    }

    private static final Jobs<SddmmBlocks> SDDMM_BLOCKS = new Jobs<>(SddmmBlocks::new);

    private static final class SddmmBlocks extends Job implements Parallel.Block {
        KernelProvider provider;
        CsrMatrix pattern;
        DenseMatrix u;
        DenseMatrix v;
        MemorySegment outValues;
        int work;
        int blockCount;

        @Override
        public void run(int t) {
            provider.sddmm(pattern, u, v, outValues, 0, sparseBlockStart(pattern, work, blockCount, t),
                    sparseBlockStart(pattern, work, blockCount, t + 1));
        }

        @Override
        void clear() {
            provider = null;
            pattern = null;
            u = null;
            v = null;
            outValues = null;
        }
    }

    // ---------------------------------------------------------------- scoring

    /**
     * The {@code k} rows of {@code items} with the highest dot product with row {@code queryRow} of
     * {@code query}, best first, ties to the lower index. Asking for more rows than exist returns all.
     */
    public TopK topK(DenseMatrix query, int queryRow, DenseMatrix items, int k) {
        requireOpen(query, "query");
        requireOpen(items, "items");
        checkRow(queryRow, query, "query");
        if (query.cols() != items.cols()) {
            throw new IllegalArgumentException("query is " + query.shape() + " but items is " + items.shape()
                    + ": rows differ in length");
        }
        if (k < 1) {
            throw new IllegalArgumentException("k = " + k + " but at least 1 result must be asked for");
        }
        requireShareable(query, "query");
        requireShareable(items, "items");
        int want = Math.min(k, items.rows());
        int blockCount = blocks(items.rows(), ROW_BLOCK_ROWS);
        TopKCollector[] partial = new TopKCollector[blockCount];
        MemorySegment qs = query.segment();
        MemorySegment is = items.segment();
        long qo = query.offset(queryRow, 0);
        parallel.forEachBlock(blockCount, b -> {
            TopKCollector collector = new TopKCollector(want);
            int end = Math.min(items.rows(), (b + 1) * ROW_BLOCK_ROWS);
            for (int r = b * ROW_BLOCK_ROWS; r < end; r++) {
                collector.offer(r, provider.dot(qs, qo, is, items.offset(r, 0), items.cols()));
            }
            partial[b] = collector;
        });
        TopKCollector all = new TopKCollector(want);
        for (TopKCollector c : partial) {
            c.drainInto(all);
        }
        return all.toTopK();
    }

    // ---------------------------------------------------------------- building blocks for row solvers

    /**
     * Adds the upper triangle (diagonal included) of R[0, n)ᵀ·R[0, n) to {@code out} (row-major d×d for
     * d = R's columns; the lower triangle is not touched), in the calling thread: how ALS and fold-in
     * build a row's normal matrix from its gathered rows, so both round the same way. Allocates nothing
     * once the thread's panel has grown to the largest n·d seen.
     */
    public void addGramUpper(DenseMatrix rows, int n, float[] out) {
        requireOpen(rows, "rows");
        Objects.checkFromToIndex(0, n, rows.rows());
        int d = rows.cols();
        Objects.requireNonNull(out, "out");
        if (out.length < d * d) {
            throw new IllegalArgumentException("out has length " + out.length + " but a " + d + "x" + d
                    + " result needs " + d * d);
        }
        provider.addGramUpper(rows, 0, n, out);
    }

    /**
     * Solves M·x = b in place for a symmetric positive-definite n×n M (row-major; only the upper
     * triangle is read, and it is overwritten with the Cholesky factor R, M = RᵀR); {@code b} becomes x.
     * Runs in the calling thread and allocates nothing. Throws {@link ArithmeticException} if M is not
     * positive definite to float precision (then m and b hold partial results).
     */
    public void choleskySolve(float[] m, float[] b, int n) {
        Objects.requireNonNull(m, "m");
        Objects.requireNonNull(b, "b");
        if (n < 0 || m.length < n * n || b.length < n) {
            throw new IllegalArgumentException("a " + n + "x" + n + " system needs m.length >= " + (long) n * n
                    + " and b.length >= " + n + ", but they are " + m.length + " and " + b.length);
        }
        if (!provider.choleskySolve(m, b, n)) {
            throw new ArithmeticException("the " + n + "x" + n + " matrix is not positive definite");
        }
    }

    /**
     * One SGD step on row {@code i} of U and row {@code j} of V, both computed from the old values:
     * u_i ← shrink·u_i + step·v_j, v_j ← shrink·v_j + step·u_i (for the squared loss with L2 weight ρ and
     * rate η: step = η·error, shrink = 1 − η·ρ). Runs in the calling thread and allocates nothing.
     */
    public void sgdUpdate(DenseMatrix u, int i, DenseMatrix v, int j, float step, float shrink) {
        requireOpen(u, "U");
        requireOpen(v, "V");
        checkRow(i, u, "U");
        checkRow(j, v, "V");
        if (u.cols() != v.cols()) {
            throw new IllegalArgumentException("U is " + u.shape() + " but V is " + v.shape() + ": ranks differ");
        }
        if (u == v && i == j) {
            throw new IllegalArgumentException("u_i and v_j are the same row");
        }
        provider.sgdUpdate(u.segment(), u.offset(i, 0), v.segment(), v.offset(j, 0), u.cols(), step, shrink);
    }

    /**
     * Rows {@code [rowStart, rowEnd)} of the masked squared loss on a dense A (users × items), A read in
     * place: the building block of {@code SquaredLoss} on dense input, run in the calling thread (the loss
     * forks over fixed row blocks and adds the blocks' partials in order). With s_ij = u_i·v_j, where
     * v_j is column j of {@code vt} = Vᵀ (k × items), x_ij = ((μ + b_i) + c_j) + s_ij when
     * {@code userBias} (1 × users) and {@code itemBias} (1 × items) are given (both or neither), else
     * s_ij, and Ω = {mask_ij ≠ 0} when {@code mask} is given, else {a_ij ≠ 0}: returns
     * Σ_(i,j)∈Ω [w·(a_ij − x_ij)² − λ2·s_ij²] over the rows, summed in double.
     *
     * <p>With {@code gu} (users × k) not null, for e_ij = −2w(a_ij − x_ij) and d_ij = e_ij − 2λ2·s_ij on Ω
     * (0 elsewhere): rows [rowStart, rowEnd) of {@code gu} := Σ_j d_ij·v_j; {@code partial} (k × items, or
     * (k+1) × items with biases) := Σ_(i in rows) d_ij·u_i in column j, and in row k Σ_i e_ij; with biases
     * {@code userBiasGrad} (1 × users) [i] := Σ_j e_ij. Allocates nothing proportional to the data.
     */
    public double maskedSquaredRows(DenseMatrix a, DenseMatrix mask, DenseMatrix u, DenseMatrix vt, float mu,
                                    DenseMatrix userBias, DenseMatrix itemBias, float weight, float lambda2,
                                    DenseMatrix gu, DenseMatrix partial, DenseMatrix userBiasGrad,
                                    int rowStart, int rowEnd) {
        requireOpen(a, "A");
        requireOpen(u, "U");
        requireOpen(vt, "Vt");
        requireFinite(weight, "weight");
        requireFinite(lambda2, "lambda2");
        int m = a.rows();
        int n = a.cols();
        int k = u.cols();
        Objects.checkFromToIndex(rowStart, rowEnd, m);
        if (mask != null) {
            requireOpen(mask, "mask");
            requireSameShape(a, "A", mask, "mask");
        }
        if (u.rows() != m) {
            throw new IllegalArgumentException("A is " + a.shape() + " but U is " + u.shape() + ": U needs a row per row of A");
        }
        if (vt.rows() != k || vt.cols() != n) {
            throw new IllegalArgumentException("U is " + u.shape() + " and A is " + a.shape() + " but Vt is " + vt.shape()
                    + "; Vt must be " + k + "x" + n);
        }
        boolean biases = userBias != null || itemBias != null;
        if (biases) {
            requireOpen(userBias, "user biases");
            requireOpen(itemBias, "item biases");
            if (userBias.rows() != 1 || userBias.cols() != m || itemBias.rows() != 1 || itemBias.cols() != n) {
                throw new IllegalArgumentException("A is " + a.shape() + " but the user biases are " + userBias.shape()
                        + " and the item biases " + itemBias.shape() + " (want 1x" + m + " and 1x" + n + ")");
            }
            requireFinite(mu, "mu");
        }
        if (gu != null) {
            requireOpen(gu, "gU");
            requireOpen(partial, "partial");
            requireSameShape(u, "U", gu, "gU");
            if (partial.rows() != k + (biases ? 1 : 0) || partial.cols() != n) {
                throw new IllegalArgumentException("A is " + a.shape() + " and k = " + k + " but partial is " + partial.shape()
                        + "; it must be " + (k + (biases ? 1 : 0)) + "x" + n);
            }
            requireDisjoint(gu.segment(), "gU", partial.segment(), "partial");
            for (DenseMatrix in : new DenseMatrix[] {a, mask, u, vt, userBias, itemBias}) {
                if (in != null) {
                    requireDisjoint(gu.segment(), "gU", in.segment(), "an input");
                    requireDisjoint(partial.segment(), "partial", in.segment(), "an input");
                }
            }
            if (biases) {
                requireOpen(userBiasGrad, "user-bias gradient");
                requireSameShape(userBias, "user biases", userBiasGrad, "user-bias gradient");
            }
        }
        return provider.maskedSquaredRows(a, mask, u, vt, mu, biases ? userBias : null, biases ? itemBias : null,
                weight, lambda2, gu, gu == null ? null : partial, gu == null || !biases ? null : userBiasGrad,
                rowStart, rowEnd);
    }

    /**
     * The matrix-free product of row {@code row}'s normal equations with x, for conjugate-gradient row
     * solves: for each stored entry (j, a_p) of that row of A, in storage order, s_p = y_j·x and
     * out += ((scale + valueScale·a_p)·s_p + shift)·y_j, where y_j is row j of Y (A has Y's rows as
     * columns). {@code out} is accumulated into. Returns Σ s_p (float, storage order). Costs
     * O(nnz_row·k) and never forms the k×k matrix. Runs in the calling thread and allocates nothing.
     */
    public float normalApply(CsrMatrix a, int row, DenseMatrix y, float[] x, float scale, float valueScale,
                             float shift, float[] out) {
        requireOpen(a, "A");
        requireOpen(y, "Y");
        Objects.checkIndex(row, a.rows());
        requireRowsMatchColumns(a, y);
        requireLength(x, "x", y.cols());
        requireLength(out, "out", y.cols());
        return provider.normalApply(a, row, y, x, scale, valueScale, shift, out);
    }

    /**
     * The right-hand side of row {@code row}'s normal equations: out += Σ_p t_p·y_j with
     * t_p = valueScale·a_p + shift + biasScale·yBias_j over the row's stored entries (j, a_p), in storage
     * order; {@code yBias} is a 1×(Y's rows) matrix or null (then that term is 0). Returns Σ t_p (float).
     * Runs in the calling thread and allocates nothing.
     */
    public float normalRhs(CsrMatrix a, int row, DenseMatrix y, float valueScale, float shift, DenseMatrix yBias,
                           float biasScale, float[] out) {
        requireOpen(a, "A");
        requireOpen(y, "Y");
        Objects.checkIndex(row, a.rows());
        requireRowsMatchColumns(a, y);
        requireLength(out, "out", y.cols());
        if (yBias != null) {
            requireOpen(yBias, "yBias");
            if (yBias.rows() != 1 || yBias.cols() != y.rows()) {
                throw new IllegalArgumentException("yBias is " + yBias.shape() + " but Y is " + y.shape()
                        + ": one bias per row of Y is needed");
            }
        }
        return provider.normalRhs(a, row, y, valueScale, shift, yBias, biasScale, out);
    }

    /**
     * Gathers entries {@code [first, first + count)} of row {@code row} of A (counted from the row's
     * start, in storage order) for the panel kernels: for the t-th of them (column j, value a_p), row j of
     * Y goes to {@code panel[t·k, (t+1)·k)} (k = Y's columns) and a_p to {@code values[t]} ({@code values}
     * may be null). Re-reading the panel from a heap array (L1/L2) is what makes several products per row
     * cheap; Y's rows are read once. Runs in the calling thread and allocates nothing.
     */
    public void gatherRows(CsrMatrix a, int row, long first, int count, DenseMatrix y, float[] panel, float[] values) {
        requireOpen(a, "A");
        requireOpen(y, "Y");
        Objects.checkIndex(row, a.rows());
        requireRowsMatchColumns(a, y);
        long start = a.rowStart(row);
        Objects.checkFromIndexSize(first, count, a.rowEnd(row) - start);
        int k = y.cols();
        requirePanel(panel, count, k);
        if (values != null && values.length < count) {
            throw new IllegalArgumentException("values has length " + values.length + " but " + count + " entries are gathered");
        }
        provider.gatherRows(a, start + first, count, y, panel, values);
    }

    /**
     * {@link #normalApply} on rows gathered by {@link #gatherRows}: for t in [0, n), s_t = panel_t·x and
     * out += ((scale + valueScale·values[t])·s_t + shift)·panel_t, where panel_t is
     * {@code panel[t·k, (t+1)·k)}. Returns Σ s_t (float, in order). Gives the bits of normalApply on the
     * same entries. Runs in the calling thread and allocates nothing.
     */
    public float panelApply(float[] panel, int n, int k, float[] values, float[] x, float scale, float valueScale,
                            float shift, float[] out) {
        requirePanel(panel, n, k);
        Objects.requireNonNull(values, "values");
        if (values.length < n) {
            throw new IllegalArgumentException("values has length " + values.length + " but the panel has " + n + " rows");
        }
        requireLength(x, "x", k);
        requireLength(out, "out", k);
        return provider.panelApply(panel, n, k, values, x, scale, valueScale, shift, out);
    }

    /**
     * out[0..k) += Σ_t coef[t]·panel_t over the n gathered rows, one update per row in order: the
     * right-hand side of a row's normal equations from its gathered rows (coef = the targets). Runs in
     * the calling thread and allocates nothing.
     */
    public void panelCombine(float[] panel, int n, int k, float[] coef, float[] out) {
        requirePanel(panel, n, k);
        Objects.requireNonNull(coef, "coef");
        if (coef.length < n) {
            throw new IllegalArgumentException("coef has length " + coef.length + " but the panel has " + n + " rows");
        }
        requireLength(out, "out", k);
        provider.panelCombine(panel, n, k, coef, out);
    }

    private static void requirePanel(float[] panel, int n, int k) {
        Objects.requireNonNull(panel, "panel");
        if (n < 0 || k < 1) {
            throw new IllegalArgumentException("a panel of " + n + " rows of " + k + " floats is not valid");
        }
        if (panel.length < (long) n * k) {
            throw new IllegalArgumentException("panel has length " + panel.length + " but " + n + " rows of " + k
                    + " floats need " + (long) n * k);
        }
    }

    /**
     * Plain SGD over ratings {@code [from, to)} of the parallel arrays (user, item, value), visited in
     * that order, for the squared loss: with e = value − (u_i·v_j [+ mu + b_i + c_j]),
     * b_i ← biasShrink·b_i + rate·e and c_j likewise (only when the bias arrays are given), then
     * u_i ← factorShrink·u_i + rate·e·v_j and v_j ← factorShrink·v_j + rate·e·u_i (from the old rows).
     * The factors are heap arrays of {@code rank}-float rows (row i of U is u[i·rank, (i + 1)·rank)), one
     * bias per row: a solver's private working copy, where the per-rating stores run about twice as fast
     * as into off-heap memory. Returns Σ e² (double, in order). Validates once per call, then runs the
     * provider's tight loop in the calling thread without allocating: the caller runs disjoint blocks
     * on different threads.
     */
    public double sgdPass(float[] u, float[] v, int rank, int[] users, int[] items, float[] values, int from, int to,
                          float[] userBias, float[] itemBias, float mu, float rate, float factorShrink,
                          float biasShrink) {
        Objects.requireNonNull(u, "u");
        Objects.requireNonNull(v, "v");
        if (rank < 1 || u.length % rank != 0 || v.length % rank != 0) {
            throw new IllegalArgumentException("u has length " + u.length + " and v " + v.length + " but rank is "
                    + rank + ": both must hold whole rows of at least one float");
        }
        if (u == v) {
            throw new IllegalArgumentException("u and v are the same array");
        }
        int userCount = u.length / rank;
        int itemCount = v.length / rank;
        Objects.requireNonNull(users, "users");
        Objects.requireNonNull(items, "items");
        Objects.requireNonNull(values, "values");
        if (users.length != items.length || users.length != values.length) {
            throw new IllegalArgumentException("users, items and values have lengths " + users.length + ", "
                    + items.length + " and " + values.length + " but must be parallel arrays");
        }
        Objects.checkFromToIndex(from, to, users.length);
        for (int t = from; t < to; t++) {
            Objects.checkIndex(users[t], userCount);
            Objects.checkIndex(items[t], itemCount);
        }
        if ((userBias == null) != (itemBias == null)) {
            throw new IllegalArgumentException("give both bias arrays or neither");
        }
        if (userBias != null && (userBias.length != userCount || itemBias.length != itemCount || userBias == itemBias)) {
            throw new IllegalArgumentException("userBias has length " + userBias.length + " and itemBias "
                    + itemBias.length + " but there are " + userCount + " users and " + itemCount
                    + " items: one bias per row, in two arrays, is needed");
        }
        requireFinite(mu, "mu");
        requireFinite(rate, "rate");
        requireFinite(factorShrink, "factorShrink");
        requireFinite(biasShrink, "biasShrink");
        return provider.sgdPass(u, v, rank, users, items, values, from, to, userBias, itemBias, mu, rate,
                factorShrink, biasShrink);
    }

    private static void requireRowsMatchColumns(CsrMatrix a, DenseMatrix y) {
        if (a.cols() != y.rows()) {
            throw new IllegalArgumentException("A is " + a.rows() + "x" + a.cols() + " but Y is " + y.shape()
                    + ": A's columns must index Y's rows");
        }
    }

    private static void requireLength(float[] array, String name, int length) {
        Objects.requireNonNull(array, name);
        if (array.length < length) {
            throw new IllegalArgumentException(name + " has length " + array.length + " but Y's rows have "
                    + length + " columns");
        }
    }

    // ---------------------------------------------------------------- reusable block bodies

    /**
     * A parallel call's block body, with the call's arguments in fields instead of captured by a lambda
     * (a capturing lambda is a new object per call). Each thread keeps one body of each kind and reuses
     * it; a call made while the thread's body is in use (from a block, or from a task the thread runs
     * while it waits) gets a new one.
     */
    private abstract static class Job {
        boolean busy;

        /** Drops the call's references, so that a kept body keeps no matrix reachable. */
        abstract void clear();
    }

    private static final class Jobs<T extends Job> extends ThreadLocal<T> {
        private final Supplier<T> factory;

        Jobs(Supplier<T> factory) {
            this.factory = factory;
        }

        @Override
        protected T initialValue() {
            return factory.get();
        }

        T acquire() {
            T job = get();
            if (job.busy) {
                job = factory.get();
            }
            job.busy = true;
            return job;
        }

        void release(T job) {
            job.clear();
            job.busy = false;
        }
    }

    // ---------------------------------------------------------------- helpers

    private static int blocks(int n, int blockSize) {
        return (int) (((long) n + blockSize - 1) / blockSize);
    }

    /**
     * Sparse products are cut into blocks of about the same work (nonzeros × k plus a per-row cost), not
     * equal row counts. The count and the boundaries depend on the matrix and k only, never on threads.
     */
    static int sparseBlockCount(CsrMatrix a, int k) {
        long totalWork = a.nnz() * k + a.rows();
        return (int) Math.max(1, Math.min(a.rows(), (totalWork + SPARSE_BLOCK_WORK - 1) / SPARSE_BLOCK_WORK));
    }

    /**
     * The first row of block {@code b} of {@code blockCount} (b = blockCount gives the row count): the
     * smallest row r with work(0..r) = offsets[r]·k + r ≥ b/blockCount of the total, by binary search on
     * the row offsets. Each block finds its own bounds, so a call allocates no bounds array.
     */
    static int sparseBlockStart(CsrMatrix a, int k, int blockCount, int b) {
        int rows = a.rows();
        if (b >= blockCount) {
            return rows;
        }
        MemorySegment offsets = a.rowOffsets();
        long target = (a.nnz() * k + rows) * b / blockCount;
        int lo = 0;
        int hi = rows;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (offsets.getAtIndex(ValueLayout.JAVA_LONG, mid) * k + mid < target) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private static void requireOpen(DenseMatrix m, String name) {
        Objects.requireNonNull(m, name);
        if (m.isClosed()) {
            throw new IllegalStateException(name + " (" + m.shape() + ") is closed");
        }
    }

    private static void requireOpen(CsrMatrix m, String name) {
        Objects.requireNonNull(m, name);
        if (m.isClosed()) {
            throw new IllegalStateException(name + " (" + m.shape() + " CSR) is closed");
        }
    }

    private static void requireSameShape(DenseMatrix x, String xName, DenseMatrix y, String yName) {
        if (x.rows() != y.rows() || x.cols() != y.cols()) {
            throw new IllegalArgumentException(xName + " is " + x.shape() + " but " + yName + " is " + y.shape());
        }
    }

    private static void requireFinite(float value, String name) {
        if (!Float.isFinite(value)) {
            throw new IllegalArgumentException(name + " = " + value + " is not finite");
        }
    }

    private static void requireDisjoint(MemorySegment out, String outName, MemorySegment in, String inName) {
        if (out.byteSize() > 0 && in.byteSize() > 0 && out.asOverlappingSlice(in).isPresent()) {
            throw new IllegalArgumentException(outName + " shares memory with " + inName
                    + "; the output must not overlap an input");
        }
    }

    /**
     * A row index outside the matrix is an {@link IndexOutOfBoundsException}, as for
     * {@link DenseMatrix#get} and every Java collection; unlike {@code Objects.checkIndex} the message
     * names the operand and its shape. Allocates nothing unless it throws (sgdUpdate calls it per rating).
     */
    private static void checkRow(int row, DenseMatrix m, String name) {
        if (row < 0 || row >= m.rows()) {
            throw new IndexOutOfBoundsException("row " + row + " of " + name + " (" + m.shape()
                    + ") is out of bounds for length " + m.rows());
        }
    }

    /** Fork/join workers cannot touch a confined arena's memory: refuse it up front with the fix. */
    private void requireShareable(DenseMatrix m, String name) {
        if (parallel.parallelism() > 1 && !m.segment().isAccessibleBy(OTHER_THREAD)) {
            throw new IllegalArgumentException(name + " (" + m.shape() + ") lives in memory confined to one thread,"
                    + " which fork/join workers cannot access; allocate it in a shared arena or use Parallel.sequential()");
        }
    }
}
