package dev.lowrank.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Naive double-precision references for every kernel. Each result also carries, per output element,
 * the sum of the absolute values of the terms that produced it, which is what {@link Tolerance} scales
 * the allowed error by. The references read plain arrays (or the CSR accessors), never the kernels'
 * code paths, so a shared bug cannot cancel out.
 */
public final class Reference {
    private Reference() {
    }

    /**
     * The exact value of each element of a dense result, its Σ|terms|, and how many terms (at most) were
     * summed in float to get it.
     */
    public record Expected(double[][] value, double[][] absSum, int terms) {

        public int rows() {
            return value.length;
        }

        /** Fails with {@code context}, the element and the bound unless every element of {@code actual} is close. */
        public void assertMatches(DenseMatrix actual, String context) {
            if (actual.rows() != value.length || (value.length > 0 && actual.cols() != value[0].length)) {
                fail(context + ": result is " + actual.shape() + " but expected " + value.length + "x"
                        + (value.length == 0 ? 0 : value[0].length));
            }
            float[][] got = actual.toArray();
            for (int i = 0; i < value.length; i++) {
                for (int j = 0; j < value[i].length; j++) {
                    if (!Tolerance.within(value[i][j], got[i][j], terms, absSum[i][j])) {
                        Tolerance.assertClose(value[i][j], got[i][j], terms, absSum[i][j],
                                context + " at (" + i + ", " + j + ")");
                    }
                }
            }
        }
    }

    /** C = alpha·op(A)·op(B) + beta·C; with beta = 0, {@code c} is ignored (may be null). */
    public static Expected gemm(float alpha, boolean transA, DenseMatrix am, boolean transB, DenseMatrix bm, float beta,
                                float[][] c) {
        float[][] a = am.toArray();
        float[][] b = bm.toArray();
        int m = transA ? am.cols() : am.rows();
        int inner = transA ? am.rows() : am.cols();
        int n = transB ? bm.rows() : bm.cols();
        double[][] value = new double[m][n];
        double[][] abs = new double[m][n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                double sumAbs = 0;
                for (int p = 0; p < inner; p++) {
                    double t = (double) (transA ? a[p][i] : a[i][p]) * (transB ? b[j][p] : b[p][j]);
                    sum += t;
                    sumAbs += Math.abs(t);
                }
                double old = beta == 0f ? 0 : (double) beta * c[i][j];
                value[i][j] = alpha * sum + old;
                abs[i][j] = Math.abs(alpha) * sumAbs + Math.abs(old);
            }
        }
        return new Expected(value, abs, inner + 1);
    }

    /** C = AᵀA, full. */
    public static Expected gram(DenseMatrix am) {
        float[][] a = am.toArray();
        int k = am.cols();
        double[][] value = new double[k][k];
        double[][] abs = new double[k][k];
        for (float[] row : a) {
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < k; j++) {
                    double t = (double) row[i] * row[j];
                    value[i][j] += t;
                    abs[i][j] += Math.abs(t);
                }
            }
        }
        return new Expected(value, abs, a.length);
    }

    /** C = alpha·op(A)·B + beta·C for a sparse A; with beta = 0, {@code c} is ignored (may be null). */
    public static Expected spmm(float alpha, boolean transA, CsrMatrix a, DenseMatrix bm, float beta, float[][] c) {
        float[][] b = bm.toArray();
        int m = transA ? a.cols() : a.rows();
        int inner = transA ? a.rows() : a.cols();
        int n = bm.cols();
        double[][] sum = new double[m][n];
        double[][] sumAbs = new double[m][n];
        for (int r = 0; r < a.rows(); r++) {
            for (long p = a.rowStart(r); p < a.rowEnd(r); p++) {
                int col = a.columnIndex(p);
                double v = a.value(p);
                int i = transA ? col : r;
                int q = transA ? r : col;
                for (int j = 0; j < n; j++) {
                    double t = v * b[q][j];
                    sum[i][j] += t;
                    sumAbs[i][j] += Math.abs(t);
                }
            }
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double old = beta == 0f ? 0 : (double) beta * c[i][j];
                sum[i][j] = alpha * sum[i][j] + old;
                sumAbs[i][j] = Math.abs(alpha) * sumAbs[i][j] + Math.abs(old);
            }
        }
        return new Expected(sum, sumAbs, inner + 1);
    }

    /**
     * SDDMM: for each stored position p of {@code pattern} (in storage order), {@code [0][p]} is u_i·v_j
     * and {@code [1][p]} its Σ|terms|.
     */
    public static double[][] sddmm(CsrMatrix pattern, DenseMatrix um, DenseMatrix vm) {
        float[][] u = um.toArray();
        float[][] v = vm.toArray();
        int nnz = Math.toIntExact(pattern.nnz());
        double[][] out = new double[2][nnz];
        for (int i = 0; i < pattern.rows(); i++) {
            for (long p = pattern.rowStart(i); p < pattern.rowEnd(i); p++) {
                int j = pattern.columnIndex(p);
                out[0][(int) p] = dot(u[i], v[j]);
                out[1][(int) p] = absDot(u[i], v[j]);
            }
        }
        return out;
    }

    /** Σ x_t·y_t in double. */
    public static double dot(float[] x, float[] y) {
        double sum = 0;
        for (int t = 0; t < x.length; t++) {
            sum += (double) x[t] * y[t];
        }
        return sum;
    }

    /** Σ |x_t·y_t|. */
    public static double absDot(float[] x, float[] y) {
        double sum = 0;
        for (int t = 0; t < x.length; t++) {
            sum += Math.abs((double) x[t] * y[t]);
        }
        return sum;
    }

    /** ⟨X, Y⟩ = Σ x_ij·y_ij in double: {@code [0]} the value, {@code [1]} Σ|terms|. */
    public static double[] frobenius(float[][] x, float[][] y) {
        double sum = 0;
        double abs = 0;
        for (int i = 0; i < x.length; i++) {
            sum += dot(x[i], y[i]);
            abs += absDot(x[i], y[i]);
        }
        return new double[] {sum, abs};
    }

    /** Y + alpha·X. */
    public static Expected axpy(float alpha, float[][] x, float[][] y, int n) {
        double[][] value = new double[x.length][n];
        double[][] abs = new double[x.length][n];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < n; j++) {
                double t = (double) alpha * x[i][j];
                value[i][j] = y[i][j] + t;
                abs[i][j] = Math.abs(y[i][j]) + Math.abs(t);
            }
        }
        return new Expected(value, abs, 2);
    }

    /** alpha·X, each element rounded once to float: the exact answer a correct kernel must give. */
    public static float[][] scale(float alpha, float[][] x) {
        float[][] out = new float[x.length][];
        for (int i = 0; i < x.length; i++) {
            out[i] = new float[x[i].length];
            for (int j = 0; j < x[i].length; j++) {
                // A product of two floats is exact in double, so this rounds only once.
                out[i][j] = (float) ((double) alpha * x[i][j]);
            }
        }
        return out;
    }

    /** The indices of the {@code min(k, n)} best scores: descending score, ties to the lower index. */
    public static int[] topK(float[] scores, int k) {
        return IntStream.range(0, scores.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> scores[i]).reversed().thenComparingInt(i -> i))
                .limit(Math.min(k, scores.length))
                .mapToInt(Integer::intValue)
                .toArray();
    }

    /** A copy of a CSR matrix's values in storage order. */
    public static float[] values(CsrMatrix a) {
        float[] out = new float[Math.toIntExact(a.nnz())];
        for (int p = 0; p < out.length; p++) {
            out[p] = a.value(p);
        }
        return out;
    }

}
