package dev.lowrank.loss;

import dev.lowrank.matrix.DenseMatrix;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * The observed entries Ω of a dense users × items matrix A, read in place by the dense squared loss
 * (no CSR copy): Ω is {a_ij ≠ 0} ({@link #nonZero}, seed 000's {@code tf.where(A != 0, …)}) or the
 * 1-entries of an explicit 0/1 mask ({@link #masked}, observed zeros allowed).
 *
 * <p>One scan at construction rejects NaN/Inf in A and mask values other than 0 and 1, and counts
 * |Ω| (which {@code Trainer.fit} uses to choose between this path and {@link Observations}). A and the
 * mask are borrowed, not copied: keep them open and unchanged while a loss uses them. When to prefer
 * this over {@link Observations}: docs/losses.md ("Dense input").
 */
public final class DenseObservations {

    private final DenseMatrix a;
    private final DenseMatrix mask;
    private final long size;

    private DenseObservations(DenseMatrix a, DenseMatrix mask) {
        this.a = a;
        this.mask = mask;
        this.size = scan(a, mask);
    }

    /** Entries of {@code a} that are not 0 are observed; zeros mean "unobserved" (seed 000). */
    public static DenseObservations nonZero(DenseMatrix a) {
        Objects.requireNonNull(a, "A");
        a.checkOpen();
        return new DenseObservations(a, null);
    }

    /** Entries where {@code mask} is 1 are observed (their value in {@code a} may be 0); where it is 0 they are not. */
    public static DenseObservations masked(DenseMatrix a, DenseMatrix mask) {
        Objects.requireNonNull(a, "A");
        Objects.requireNonNull(mask, "mask");
        a.checkOpen();
        mask.checkOpen();
        if (a.rows() != mask.rows() || a.cols() != mask.cols()) {
            throw new IllegalArgumentException("A is " + a.shape() + " but mask is " + mask.shape());
        }
        return new DenseObservations(a, mask);
    }

    /** Row by row as bulk copies: finiteness, mask values, and |Ω|. */
    private static long scan(DenseMatrix a, DenseMatrix mask) {
        int cols = a.cols();
        float[] row = new float[cols];
        float[] mrow = mask == null ? null : new float[cols];
        MemorySegment as = a.segment();
        long count = 0;
        for (int i = 0; i < a.rows(); i++) {
            MemorySegment.copy(as, ValueLayout.JAVA_FLOAT, a.offset(i, 0), row, 0, cols);
            if (mask != null) {
                MemorySegment.copy(mask.segment(), ValueLayout.JAVA_FLOAT, mask.offset(i, 0), mrow, 0, cols);
            }
            for (int j = 0; j < cols; j++) {
                float x = row[j];
                if (!Float.isFinite(x)) {
                    throw new IllegalArgumentException("A (" + a.shape() + ") has " + x + " at (" + i + ", " + j + ")");
                }
                if (mask == null) {
                    count += x != 0f ? 1 : 0;
                } else {
                    float m = mrow[j];
                    if (m != 0f && m != 1f) {
                        throw new IllegalArgumentException("mask value " + m + " at (" + i + ", " + j
                                + ") is neither 0 nor 1");
                    }
                    count += m == 1f ? 1 : 0;
                }
            }
        }
        return count;
    }

    /** A, borrowed. */
    public DenseMatrix values() {
        a.checkOpen();
        return a;
    }

    /** The 0/1 mask, or null when Ω is {a_ij ≠ 0}. */
    public DenseMatrix mask() {
        if (mask != null) {
            mask.checkOpen();
        }
        return mask;
    }

    public int users() {
        return a.rows();
    }

    public int items() {
        return a.cols();
    }

    /** |Ω|, counted once at construction. */
    public long size() {
        return size;
    }

    /** |Ω| / (users·items); 0 for an empty matrix. */
    public double density() {
        double all = (double) a.rows() * a.cols();
        return all == 0 ? 0 : size / all;
    }

    public String shape() {
        return a.shape();
    }
}
