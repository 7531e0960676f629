package dev.lowrank.loss;

import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * The observed entries Ω of a users × items matrix, in the two layouts the fused losses read: A in CSR
 * (rows = users, for ∇U) and its transpose Aᵀ (rows = items, for ∇V), so no gradient is ever scattered.
 * Aᵀ is built once here, not per epoch.
 *
 * <p>Dense input: {@link #nonZero(DenseMatrix)} (seed 000's {@code tf.where(A != 0, …)}) and
 * {@link #masked(DenseMatrix, DenseMatrix)} convert to CSR once, in one O(users·items) scan; each epoch
 * then costs O(|Ω|·k) and never touches an unobserved entry. That wins when few entries are observed or
 * k is large. When most are observed and k is small (seed 000's fully observed 10000×10000 A, k = 3) the
 * CSR copy carries 8 bytes of structure per 4-byte value per pass and its kernels, vectorised over k,
 * waste most lanes: use {@link DenseObservations} there, which reads A in place. {@code Trainer.fit} on a
 * dense A chooses between the two by a measured cost model (docs/losses.md, "Dense input").
 *
 * <p>Ownership: {@link #of(CsrMatrix)} borrows the caller's A (the caller keeps it open and closes it
 * after this object); the dense factories own the CSR they build. Aᵀ is always owned.
 */
public final class Observations implements AutoCloseable {

    private final CsrMatrix a;
    private final CsrMatrix at;
    private final boolean ownsA;
    private boolean closed;

    private Observations(CsrMatrix a, boolean ownsA) {
        this.a = a;
        this.ownsA = ownsA;
        this.at = a.transpose();
    }

    /** The stored entries of {@code a} are the observed ones (stored zeros included). */
    public static Observations of(CsrMatrix a) {
        Objects.requireNonNull(a, "A");
        a.checkOpen();
        return new Observations(a, false);
    }

    /** Entries of {@code a} that are not 0 are observed; zeros mean "unobserved" (seed 000). */
    public static Observations nonZero(DenseMatrix a) {
        Objects.requireNonNull(a, "A");
        a.checkOpen();
        return owning(toCsr(a, null));
    }

    /**
     * Entries where {@code mask} is 1 are observed (their value in {@code a} may be 0); where it is 0 they
     * are not. The mask must have A's shape and hold only 0 and 1.
     */
    public static Observations masked(DenseMatrix a, DenseMatrix mask) {
        Objects.requireNonNull(a, "A");
        Objects.requireNonNull(mask, "mask");
        a.checkOpen();
        mask.checkOpen();
        if (a.rows() != mask.rows() || a.cols() != mask.cols()) {
            throw new IllegalArgumentException("A is " + a.shape() + " but mask is " + mask.shape());
        }
        return owning(toCsr(a, mask));
    }

    private static Observations owning(CsrMatrix csr) {
        try {
            return new Observations(csr, true);
        } catch (RuntimeException | Error e) {
            csr.close();
            throw e;
        }
    }

    /** Two passes over the rows (count, then fill), each row read once per pass as a bulk copy. */
    private static CsrMatrix toCsr(DenseMatrix a, DenseMatrix mask) {
        int rows = a.rows();
        int cols = a.cols();
        MemorySegment as = a.segment();
        MemorySegment ms = mask == null ? null : mask.segment();
        float[] row = new float[cols];
        float[] mrow = new float[cols];
        long[] offsets = new long[rows + 1];
        for (int i = 0; i < rows; i++) {
            MemorySegment.copy(as, ValueLayout.JAVA_FLOAT, a.offset(i, 0), row, 0, cols);
            long count = 0;
            if (ms == null) {
                for (int j = 0; j < cols; j++) {
                    count += row[j] != 0f ? 1 : 0;
                }
            } else {
                MemorySegment.copy(ms, ValueLayout.JAVA_FLOAT, mask.offset(i, 0), mrow, 0, cols);
                for (int j = 0; j < cols; j++) {
                    float m = mrow[j];
                    if (m != 0f && m != 1f) {
                        throw new IllegalArgumentException("mask value " + m + " at (" + i + ", " + j
                                + ") is neither 0 nor 1");
                    }
                    count += m == 1f ? 1 : 0;
                }
            }
            offsets[i + 1] = offsets[i] + count;
        }
        long nnz = offsets[rows];
        if (nnz > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("A (" + a.shape() + ") has " + nnz + " observed entries; dense input"
                    + " supports at most " + (Integer.MAX_VALUE - 8) + " (build a CsrMatrix with CsrMatrix.builder)");
        }
        int[] ci = new int[(int) nnz];
        float[] va = new float[(int) nnz];
        int p = 0;
        for (int i = 0; i < rows; i++) {
            MemorySegment.copy(as, ValueLayout.JAVA_FLOAT, a.offset(i, 0), row, 0, cols);
            if (ms != null) {
                MemorySegment.copy(ms, ValueLayout.JAVA_FLOAT, mask.offset(i, 0), mrow, 0, cols);
            }
            for (int j = 0; j < cols; j++) {
                if (ms == null ? row[j] != 0f : mrow[j] == 1f) {
                    ci[p] = j;
                    va[p] = row[j];
                    p++;
                }
            }
        }
        // CsrMatrix.of re-checks finiteness (NaN in A is rejected here, at the boundary).
        return CsrMatrix.of(rows, cols, offsets, ci, va);
    }

    /** A (users × items), rows = users. */
    public CsrMatrix byUser() {
        checkOpen();
        return a;
    }

    /** Aᵀ (items × users), rows = items. */
    public CsrMatrix byItem() {
        checkOpen();
        return at;
    }

    public int users() {
        return a.rows();
    }

    public int items() {
        return a.cols();
    }

    public long size() {
        return a.nnz();
    }

    public String shape() {
        return a.shape();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the observations (" + a.shape() + ") are closed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            at.close();
            if (ownsA) {
                a.close();
            }
        }
    }
}
