package dev.lowrank.model;

import dev.lowrank.kernel.Kernels;
import dev.lowrank.kernel.TopK;
import dev.lowrank.kernel.TopKCollector;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Objects;

/**
 * Recommendations from a trained {@link FactorModel}: the top items for a user (optionally without the
 * items they already interacted with), for all users at once, items similar to an item, and users who
 * were not in the training data ({@link #foldIn}).
 *
 * <p>Scores are the model's predictions {@code μ + b_i + c_j + u_i·v_j}, computed exactly as
 * {@link FactorModel#predictRow} computes them; results are ordered best first, equal scores by
 * ascending item index ({@link TopK}'s rule), so every result is deterministic. Asking for more items
 * than there are candidates returns all candidates.
 *
 * <p>A recommender borrows the model and the seen matrix (it closes neither) and must not outlive them.
 * It computes the item norms for {@link #similarItems} once, when it is made: after training the model
 * further, make a new recommender. Reads only; several threads may use one recommender at once.
 */
public final class Recommender {

    /** Users per parallel block of {@link #recommendAll}: fixed, so blocks never depend on the thread count. */
    private static final int USER_BLOCK = 64;
    /** Rated items gathered per {@link Kernels#addGramUpper} call in {@link #foldIn}, as in ALS. */
    private static final int CHUNK_ROWS = 1024;

    private final FactorModel model;
    private final CsrMatrix seen;
    private final Kernels kernels;
    private final float[] itemNorms;

    private Recommender(FactorModel model, CsrMatrix seen) {
        this.model = model;
        this.seen = seen;
        this.kernels = model.kernels();
        DenseMatrix v = model.itemFactors();
        itemNorms = new float[model.items()];
        for (int j = 0; j < itemNorms.length; j++) {
            itemNorms[j] = (float) Math.sqrt(kernels.dot(v, j, v, j));
        }
    }

    /**
     * A recommender for {@code model}, scoring with the model's kernels (whose {@link
     * dev.lowrank.parallel.Parallel} {@link #recommendAll} runs on).
     *
     * @param seen the users' known interactions (users × items; only the pattern is read), or null: then
     *             recommending with {@code excludeSeen} throws {@link IllegalArgumentException}
     */
    public static Recommender of(FactorModel model, CsrMatrix seen) {
        Objects.requireNonNull(model, "model");
        if (model.isClosed()) {
            throw new IllegalStateException("the model is closed");
        }
        if (seen != null) {
            seen.checkOpen();
            if (seen.rows() != model.users() || seen.cols() != model.items()) {
                throw new IllegalArgumentException("seen is " + seen.shape() + " but the model is " + model.users() + "x"
                        + model.items() + " (users x items)");
            }
        }
        return new Recommender(model, seen);
    }

    public FactorModel model() {
        return model;
    }

    /** The seen matrix given to {@link #of}, or null. */
    public CsrMatrix seen() {
        return seen;
    }

    /**
     * The {@code n} items with the highest predicted score for {@code user}, best first; with
     * {@code excludeSeen}, items in the user's row of the seen matrix are not candidates.
     */
    public TopK recommend(int user, int n, boolean excludeSeen) {
        Objects.checkIndex(user, model.users());
        requireCount(n);
        requireSeen(excludeSeen);
        float[] scores = new float[model.items()];
        TopKCollector top = new TopKCollector(Math.min(n, model.items()));
        return recommendInto(user, n, excludeSeen, scores, top);
    }

    /**
     * {@link #recommend(int, int, boolean)} for every user, indexed by user. Runs in parallel over fixed
     * blocks of users on the model's kernels' {@link dev.lowrank.parallel.Parallel}; each user's result
     * is computed the same way on any thread, so the result is identical for every thread count.
     */
    public TopK[] recommendAll(int n, boolean excludeSeen) {
        requireCount(n);
        requireSeen(excludeSeen);
        int users = model.users();
        TopK[] out = new TopK[users];
        int blocks = (int) (((long) users + USER_BLOCK - 1) / USER_BLOCK);
        kernels.parallel().forEachBlock(blocks, b -> {
            float[] scores = new float[model.items()];
            TopKCollector top = new TopKCollector(Math.min(n, model.items()));
            int end = Math.min(users, (b + 1) * USER_BLOCK);
            for (int i = b * USER_BLOCK; i < end; i++) {
                out[i] = recommendInto(i, n, excludeSeen, scores, top);
            }
        });
        return out;
    }

    private TopK recommendInto(int user, int n, boolean excludeSeen, float[] scores, TopKCollector top) {
        model.predictRow(user, scores);
        int items = model.items();
        long p = 0;
        long end = 0;
        MemorySegment cols = null;
        if (excludeSeen) {
            p = seen.rowStart(user);
            end = seen.rowEnd(user);
            cols = seen.columnIndices();
        }
        top.reset((int) Math.min(n, items - (end - p)));
        for (int j = 0; j < items; j++) {
            // The seen row's columns are sorted, so one pointer walks along with j.
            if (p < end && cols.getAtIndex(ValueLayout.JAVA_INT, p) == j) {
                p++;
                continue;
            }
            top.offer(j, scores[j]);
        }
        return top.toTopK();
    }

    /**
     * The {@code n} items most similar to {@code item} by cosine similarity of their factor rows
     * ({@code v_i·v_j / (‖v_i‖·‖v_j‖)}, biases ignored), best first, the item itself excluded. An item
     * whose factor row is all zero has similarity 0 to every item (and every item to it).
     */
    public TopK similarItems(int item, int n) {
        Objects.checkIndex(item, model.items());
        requireCount(n);
        DenseMatrix v = model.itemFactors();
        int items = model.items();
        TopKCollector top = new TopKCollector(Math.min(n, items - 1));
        top.reset(Math.min(n, items - 1));
        float qn = itemNorms[item];
        for (int j = 0; j < items; j++) {
            if (j == item) {
                continue;
            }
            float nj = itemNorms[j];
            float score = qn == 0f || nj == 0f ? 0f : kernels.dot(v, item, v, j) / (qn * nj);
            top.offer(j, score);
        }
        return top.toTopK();
    }

    /**
     * Folds in a user who was not in the training data: with V, μ and the item biases c fixed, finds the
     * factor row x (and, for a model with biases, the user bias b) minimising
     * <pre>
     *   Σ_j (r_j − μ − c_j − b − x·v_j)² + λ(‖x‖² + b²)
     * </pre>
     * over the rated items j — the same row problem explicit ALS solves (L3, λ1 = 1) with
     * {@code Regularization.of(lambda)}. See {@link #foldIn(int[], float[], float, float)}.
     */
    public FoldedUser foldIn(int[] items, float[] ratings, float lambda) {
        return foldIn(items, ratings, lambda, lambda);
    }

    /**
     * As {@link #foldIn(int[], float[], float)} with separate L2 weights on the factors and the bias (ALS's
     * {@code new Regularization(factors, biases)}). With z = (b, x) and ṽ_j = (1, v_j) (no leading 1
     * without biases) it solves {@code (Σ_j ṽ_j ṽ_jᵀ + diag(λ_b, λ_f, …, λ_f)) z = Σ_j (r_j − μ − c_j) ṽ_j}
     * by Cholesky, summing in the order ALS does, so a user who was in the training data gets ALS's own
     * row back (up to the item half-step that followed it).
     *
     * @param items  the rated items (any order, no duplicates)
     * @param ratings their ratings (finite), {@code ratings[t]} for {@code items[t]}
     * @throws IllegalArgumentException if the items are out of range or repeated, a rating is not finite,
     *         the lengths differ, a weight is negative or not finite, or the system is singular (a weight
     *         of 0 with too few or linearly dependent rated items: use a positive weight)
     */
    public FoldedUser foldIn(int[] items, float[] ratings, float factorLambda, float biasLambda) {
        Objects.requireNonNull(items, "items");
        Objects.requireNonNull(ratings, "ratings");
        if (items.length != ratings.length) {
            throw new IllegalArgumentException("items has " + items.length + " entries but ratings has " + ratings.length);
        }
        requireWeight(factorLambda, "factorLambda");
        requireWeight(biasLambda, "biasLambda");
        int count = items.length;
        int numItems = model.items();
        long[] keyed = new long[count];
        for (int t = 0; t < count; t++) {
            if (items[t] < 0 || items[t] >= numItems) {
                throw new IllegalArgumentException("items[" + t + "] = " + items[t] + " is out of range [0, " + numItems + ")");
            }
            if (!Float.isFinite(ratings[t])) {
                throw new IllegalArgumentException("ratings[" + t + "] = " + ratings[t] + " is not finite");
            }
            keyed[t] = (long) items[t] << 32 | t;
        }
        // Sorting by item gives ALS's summation order (a CSR row is sorted) and exposes duplicates.
        Arrays.sort(keyed);
        int[] sorted = new int[count];
        for (int t = 0; t < count; t++) {
            sorted[t] = (int) (keyed[t] >>> 32);
            if (t > 0 && sorted[t] == sorted[t - 1]) {
                throw new IllegalArgumentException("item " + sorted[t] + " is rated twice (items[" + (int) keyed[t - 1]
                        + "] and items[" + (int) keyed[t] + "])");
            }
        }
        int rank = model.rank();
        int offset = model.hasBiases() ? 1 : 0;
        int dim = rank + offset;
        // Σ ṽ_j ṽ_jᵀ has rank at most count, and each zero weight leaves one direction to it alone:
        // fewer ratings than zero-weighted unknowns is singular whatever the items (float Cholesky
        // need not notice, as rounding can leave tiny positive pivots).
        int unpenalised = (factorLambda == 0f ? rank : 0) + (offset == 1 && biasLambda == 0f ? 1 : 0);
        if (count < unpenalised) {
            throw singular(count, rank);
        }
        float mu = model.globalBias();
        DenseMatrix v = model.itemFactors();
        MemorySegment vs = v.segment();
        float[] m = new float[dim * dim];
        float[] rhs = new float[dim];
        // Scratch in one confined arena: everything below runs in this thread, and closing a confined
        // arena is cheap where a shared one costs tens of microseconds (a fold-in is a serving call).
        try (Arena scratch = Arena.ofConfined()) {
            int chunkRows = Math.max(1, Math.min(CHUNK_ROWS, count));
            int stride = DenseMatrix.paddedStride(dim);
            DenseMatrix rows = DenseMatrix.wrap(scratch.allocate((long) chunkRows * stride * Float.BYTES, 64),
                    chunkRows, dim, stride);
            MemorySegment rs = rows.segment();
            for (int chunk = 0; chunk < count; chunk += CHUNK_ROWS) {
                int n = Math.min(CHUNK_ROWS, count - chunk);
                for (int t = 0; t < n; t++) {
                    int j = sorted[chunk + t];
                    long row = rows.offset(t, 0);
                    if (offset == 1) {
                        rs.set(ValueLayout.JAVA_FLOAT, row, 1f);
                    }
                    MemorySegment.copy(vs, v.offset(j, 0), rs, row + (long) offset * Float.BYTES, (long) rank * Float.BYTES);
                }
                kernels.addGramUpper(rows, n, m);
            }
        }
        // The right-hand side exactly as ALS computes it (λ1 = 1: targets a − μ − c_j), through the same
        // kernel on the same one-row CSR, so a training user's row comes back bit for bit.
        float[] sortedRatings = new float[count];
        for (int t = 0; t < count; t++) {
            sortedRatings[t] = ratings[(int) keyed[t]];
        }
        float[] factorRhs = new float[rank];
        try (CsrMatrix row = CsrMatrix.of(1, numItems, new long[] {0, count}, sorted, sortedRatings)) {
            float sum = kernels.normalRhs(row, 0, v, 1f, -mu, offset == 1 ? model.itemBiases() : null, -1f, factorRhs);
            if (offset == 1) {
                rhs[0] = sum;
            }
        }
        System.arraycopy(factorRhs, 0, rhs, offset, rank);
        for (int r = 0; r < dim; r++) {
            m[r * dim + r] += r < offset ? biasLambda : factorLambda;
        }
        try {
            kernels.choleskySolve(m, rhs, dim);
        } catch (ArithmeticException e) {
            throw singular(count, rank);
        }
        for (float x : rhs) {
            if (!Float.isFinite(x)) {
                throw singular(count, rank);
            }
        }
        float[] factors = Arrays.copyOfRange(rhs, offset, dim);
        return new FoldedUser(factors, offset == 1 ? rhs[0] : 0f, sorted);
    }

    private IllegalArgumentException singular(int count, int rank) {
        return new IllegalArgumentException("the fold-in normal equations for " + count + " rated items at rank " + rank
                + (model.hasBiases() ? " with a user bias" : "") + " are singular; use a positive lambda");
    }

    /**
     * The {@code n} items with the highest score {@code μ + b + c_j + x·v_j} for a folded-in user (x, b =
     * {@code user.factors()}, {@code user.bias()}), best first; with {@code excludeRated}, the user's
     * {@code ratedItems} are not candidates.
     */
    public TopK recommend(FoldedUser user, int n, boolean excludeRated) {
        Objects.requireNonNull(user, "user");
        requireCount(n);
        float[] x = Objects.requireNonNull(user.factors(), "user.factors()");
        int rank = model.rank();
        int items = model.items();
        if (x.length != rank) {
            throw new IllegalArgumentException("the folded user has " + x.length + " factors but the model has rank " + rank);
        }
        if (!Float.isFinite(user.bias())) {
            throw new IllegalArgumentException("the folded user's bias " + user.bias() + " is not finite");
        }
        int[] rated = new int[0];
        if (excludeRated) {
            rated = Objects.requireNonNull(user.ratedItems(), "user.ratedItems()").clone();
            Arrays.sort(rated);
            for (int t = 0; t < rated.length; t++) {
                if (rated[t] < 0 || rated[t] >= items) {
                    throw new IllegalArgumentException("rated item " + rated[t] + " is out of range [0, " + items + ")");
                }
            }
        }
        long excluded = rated.length == 0 ? 0 : Arrays.stream(rated).distinct().count();
        TopKCollector top = new TopKCollector((int) Math.min(n, items - excluded));
        top.reset((int) Math.min(n, items - excluded));
        DenseMatrix v = model.itemFactors();
        float base = model.hasBiases() ? model.globalBias() + user.bias() : 0f;
        try (DenseMatrix q = DenseMatrix.of(1, rank, x)) {
            int p = 0;
            for (int j = 0; j < items; j++) {
                if (p < rated.length && rated[p] == j) {
                    while (p < rated.length && rated[p] == j) {
                        p++;
                    }
                    continue;
                }
                float c = model.hasBiases() ? model.itemBias(j) : 0f;
                top.offer(j, base + c + kernels.dot(q, 0, v, j));
            }
        }
        return top.toTopK();
    }

    private static void requireCount(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n = " + n + " but at least 1 item must be asked for");
        }
    }

    private void requireSeen(boolean excludeSeen) {
        if (excludeSeen && seen == null) {
            throw new IllegalArgumentException("excludeSeen needs the seen matrix, but this recommender was made without one"
                    + " (Recommender.of(model, null))");
        }
        if (seen != null) {
            seen.checkOpen();
        }
    }

    private static void requireWeight(float lambda, String name) {
        if (!(lambda >= 0f) || !Float.isFinite(lambda)) {
            throw new IllegalArgumentException(name + " = " + lambda + " must be finite and non-negative");
        }
    }
}
