package dev.lowrank.model;

import dev.lowrank.kernel.Kernels;
import dev.lowrank.matrix.DenseMatrix;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A trained (or training) matrix-factorization model: user factors U (users × rank), item factors V
 * (items × rank) and, optionally, a global bias μ, user biases b (one per user) and item biases c (one
 * per item). The prediction for user i and item j is {@code μ + b_i + c_j + u_i·v_j}.
 *
 * <p>Storage: all parameters are off-heap {@link DenseMatrix} objects that this model owns and frees on
 * {@link #close()}. The biases are one-row matrices (1×1, 1×users, 1×items), so the same vector kernels
 * that update U and V also update them. {@link #parameters()} lists the parameter matrices in a fixed
 * order that gradients and optimiser state mirror.
 *
 * <p>Not thread-safe for writes; reads ({@link #predict}, {@link #predictRow}) may run concurrently
 * when nothing writes.
 */
public final class FactorModel implements AutoCloseable {

    private final DenseMatrix u;
    private final DenseMatrix v;
    /** 1×1, 1×users, 1×items; all null when the model has no biases. */
    private final DenseMatrix globalBias;
    private final DenseMatrix userBias;
    private final DenseMatrix itemBias;
    private final List<DenseMatrix> parameters;
    private final Kernels kernels;

    private FactorModel(DenseMatrix u, DenseMatrix v, boolean biases, Kernels kernels) {
        this(u, v, biases ? DenseMatrix.zeros(1, 1) : null, biases ? DenseMatrix.zeros(1, u.rows()) : null,
                biases ? DenseMatrix.zeros(1, v.rows()) : null, kernels);
    }

    private FactorModel(DenseMatrix u, DenseMatrix v, DenseMatrix globalBias, DenseMatrix userBias,
                        DenseMatrix itemBias, Kernels kernels) {
        this.u = u;
        this.v = v;
        this.kernels = kernels;
        this.globalBias = globalBias;
        this.userBias = userBias;
        this.itemBias = itemBias;
        List<DenseMatrix> ps = new ArrayList<>(List.of(u, v));
        if (globalBias != null) {
            ps.addAll(List.of(globalBias, userBias, itemBias));
        }
        this.parameters = Collections.unmodifiableList(ps);
    }

    /**
     * A model that takes the given matrices as its parameters without copying: it closes them on
     * {@link #close()}. For {@link ModelFile#load}, whose matrices wrap a mapped file (closing a wrapped
     * matrix only marks it closed; the mapping is freed by {@link SavedModel#close()}). The biases are
     * all null or all given (1×1, 1×users, 1×items); shapes are asserted, the caller has checked them.
     */
    static FactorModel adopt(DenseMatrix u, DenseMatrix v, DenseMatrix globalBias, DenseMatrix userBias,
                             DenseMatrix itemBias, Kernels kernels) {
        assert u.cols() == v.cols() && u.cols() > 0 : u.shape() + " vs " + v.shape();
        assert (globalBias == null) == (userBias == null) && (userBias == null) == (itemBias == null);
        assert globalBias == null || (globalBias.rows() == 1 && globalBias.cols() == 1
                && userBias.rows() == 1 && userBias.cols() == u.rows() && itemBias.rows() == 1 && itemBias.cols() == v.rows());
        return new FactorModel(u, v, globalBias, userBias, itemBias, Objects.requireNonNull(kernels, "kernels"));
    }

    /**
     * A new model for {@code users × items} data at the given rank, U and V filled by {@code init}, the
     * biases (if asked for) zero. Uses {@link Kernels#defaults()} for {@link #predictRow}.
     */
    public static FactorModel create(int users, int items, int rank, boolean biases, Initializer init) {
        return create(users, items, rank, biases, init, Kernels.defaults());
    }

    /** As {@link #create(int, int, int, boolean, Initializer)}, scoring with the given kernels. */
    public static FactorModel create(int users, int items, int rank, boolean biases, Initializer init,
                                     Kernels kernels) {
        Objects.requireNonNull(init, "init");
        Objects.requireNonNull(kernels, "kernels");
        if (users < 0 || items < 0) {
            throw new IllegalArgumentException("users = " + users + ", items = " + items + ": must not be negative");
        }
        if (rank <= 0) {
            throw new IllegalArgumentException("rank = " + rank + " but must be at least 1");
        }
        DenseMatrix u = DenseMatrix.zeros(users, rank);
        DenseMatrix v = null;
        try {
            v = DenseMatrix.zeros(items, rank);
            init.fill(u, v);
            return new FactorModel(u, v, biases, kernels);
        } catch (RuntimeException | Error e) {
            u.close();
            if (v != null) {
                v.close();
            }
            throw e;
        }
    }

    /** A model holding copies of {@code u} and {@code v} (same rank), with zero biases if asked for. */
    public static FactorModel of(DenseMatrix u, DenseMatrix v, boolean biases, Kernels kernels) {
        Objects.requireNonNull(u, "U");
        Objects.requireNonNull(v, "V");
        Objects.requireNonNull(kernels, "kernels");
        if (u.cols() != v.cols()) {
            throw new IllegalArgumentException("U is " + u.shape() + " but V is " + v.shape() + ": ranks differ");
        }
        if (u.cols() == 0) {
            throw new IllegalArgumentException("U is " + u.shape() + ": rank must be at least 1");
        }
        u.requireFinite("U");
        v.requireFinite("V");
        DenseMatrix uc = u.copy();
        try {
            return new FactorModel(uc, v.copy(), biases, kernels);
        } catch (RuntimeException | Error e) {
            uc.close();
            throw e;
        }
    }

    /** A deep copy (same kernels). */
    public FactorModel copy() {
        FactorModel c = of(u, v, hasBiases(), kernels);
        if (hasBiases()) {
            c.globalBias.copyFrom(globalBias);
            c.userBias.copyFrom(userBias);
            c.itemBias.copyFrom(itemBias);
        }
        return c;
    }

    public int users() {
        return u.rows();
    }

    public int items() {
        return v.rows();
    }

    public int rank() {
        return u.cols();
    }

    public boolean hasBiases() {
        return globalBias != null;
    }

    public Kernels kernels() {
        return kernels;
    }

    /** The user factors (owned by this model: do not close). */
    public DenseMatrix userFactors() {
        u.checkOpen();
        return u;
    }

    /** The item factors (owned by this model: do not close). */
    public DenseMatrix itemFactors() {
        v.checkOpen();
        return v;
    }

    /** μ, or 0 without biases. */
    public float globalBias() {
        return globalBias == null ? 0f : globalBias.get(0, 0);
    }

    public void setGlobalBias(float mu) {
        requireBiases();
        globalBias.set(0, 0, mu);
    }

    /** b_i, or 0 without biases. */
    public float userBias(int i) {
        Objects.checkIndex(i, users());
        return userBias == null ? 0f : userBias.get(0, i);
    }

    /** c_j, or 0 without biases. */
    public float itemBias(int j) {
        Objects.checkIndex(j, items());
        return itemBias == null ? 0f : itemBias.get(0, j);
    }

    /** The 1×users matrix of user biases, or null without biases (owned by this model). */
    public DenseMatrix userBiases() {
        return userBias;
    }

    /** The 1×items matrix of item biases, or null without biases (owned by this model). */
    public DenseMatrix itemBiases() {
        return itemBias;
    }

    /** The 1×1 matrix holding μ, or null without biases (owned by this model). */
    public DenseMatrix globalBiasMatrix() {
        return globalBias;
    }

    /**
     * The trainable parameter matrices in a fixed order: U, V, then (with biases) μ (1×1), user biases
     * (1×users), item biases (1×items). Gradients and optimiser state use the same order and shapes.
     */
    public List<DenseMatrix> parameters() {
        return parameters;
    }

    /** μ + b_i + c_j + u_i·v_j. */
    public float predict(int i, int j) {
        Objects.checkIndex(i, users());
        Objects.checkIndex(j, items());
        float dot = kernels.dot(u, i, v, j);
        return hasBiases() ? globalBias() + userBias.get(0, i) + itemBias.get(0, j) + dot : dot;
    }

    /** The prediction for user {@code i} and every item, written to {@code out[0..items)}; allocates nothing. */
    public void predictRow(int i, float[] out) {
        Objects.checkIndex(i, users());
        Objects.requireNonNull(out, "out");
        if (out.length < items()) {
            throw new IllegalArgumentException("out has length " + out.length + " but the model has " + items() + " items");
        }
        float base = hasBiases() ? globalBias() + userBias.get(0, i) : 0f;
        MemorySegment ib = hasBiases() ? itemBias.segment() : null;
        for (int j = 0; j < out.length && j < items(); j++) {
            float c = ib == null ? 0f : ib.getAtIndex(ValueLayout.JAVA_FLOAT, j);
            out[j] = base + c + kernels.dot(u, i, v, j);
        }
    }

    /** A new array with {@link #predictRow(int, float[])}'s scores. */
    public float[] predictRow(int i) {
        float[] out = new float[items()];
        predictRow(i, out);
        return out;
    }

    private void requireBiases() {
        if (!hasBiases()) {
            throw new IllegalStateException("this model was created without biases");
        }
    }

    /** Throws {@link IllegalArgumentException} naming both shapes unless the data is users × items of this model. */
    public void requireDataShape(int dataUsers, int dataItems) {
        if (users() != dataUsers || items() != dataItems) {
            throw new IllegalArgumentException("the data is " + dataUsers + "x" + dataItems + " but the model is "
                    + users() + "x" + items() + " (users x items)");
        }
    }

    public boolean isClosed() {
        return u.isClosed();
    }

    @Override
    public void close() {
        for (DenseMatrix p : parameters) {
            p.close();
        }
    }

    @Override
    public String toString() {
        return "FactorModel[" + users() + " users x " + items() + " items, rank " + rank()
                + (hasBiases() ? ", biases]" : "]");
    }
}
