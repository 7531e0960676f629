package dev.lowrank.kernel;

import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.matrix.DuplicatePolicy;
import dev.lowrank.parallel.Parallel;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Fixed inputs through every Panama kernel, reduced to one hash of the output bits per kernel. Run by
 * {@link JitIndependenceTest} in this JVM (warmed up, C2-compiled) and in a child JVM where the Panama
 * class is never compiled, so the Vector API runs its Java fallback there: the hashes must agree.
 */
public final class KernelBits {
    private KernelBits() {
    }

    /** Ranks that reach every code path: masked, one vector, several, register-held u_i, chunked. */
    private static final int[] RANKS = {3, 8, 13, 16, 24, 64, 70, 130};

    public static Map<String, Integer> compute() {
        Kernels k = Kernels.of(Backend.PANAMA, Parallel.sequential());
        Map<String, Integer> out = new LinkedHashMap<>();
        for (int rank : RANKS) {
            SplittableRandom r = new SplittableRandom(rank);
            try (DenseMatrix u = random(r, 17, rank); DenseMatrix v = random(r, 23, rank);
                 CsrMatrix a = randomCsr(r, 17, 23);
                 CsrMatrix s = a.copyStructure();
                 DenseMatrix g = DenseMatrix.zeros(rank, rank);
                 DenseMatrix c = DenseMatrix.zeros(17, 23);
                 DenseMatrix av = DenseMatrix.zeros(17, rank)) {
                float[] dots = new float[17 * 23];
                for (int i = 0; i < 17; i++) {
                    for (int j = 0; j < 23; j++) {
                        dots[i * 23 + j] = k.dot(u, i, v, j);
                    }
                }
                out.put("dot/" + rank, Arrays.hashCode(dots));
                k.sddmm(a, u, v, s);
                out.put("sddmm/" + rank, hash(s));
                out.put("frobenius/" + rank, Double.hashCode(k.dot(u, u)));
                k.gram(v, g);
                out.put("gram/" + rank, Arrays.hashCode(g.toFlatArray()));
                k.gemm(1f, Op.IDENTITY, u, Op.TRANSPOSE, v, 0f, c);
                out.put("gemm/" + rank, Arrays.hashCode(c.toFlatArray()));
                k.spmm(1f, Op.IDENTITY, a, v, 0f, av);
                out.put("spmm/" + rank, Arrays.hashCode(av.toFlatArray()));
                float[] m = new float[rank * rank];
                float[] b = new float[rank];
                float[] gu = g.toFlatArray();
                for (int t = 0; t < rank; t++) {
                    gu[t * rank + t] += 1f;
                    b[t] = (float) r.nextGaussian();
                }
                System.arraycopy(gu, 0, m, 0, m.length);
                k.choleskySolve(m, b, rank);
                out.put("cholesky/" + rank, Arrays.hashCode(b));
                k.sgdUpdate(u, 1, v, 2, 0.01f, 0.999f);
                out.put("sgd/" + rank, Arrays.hashCode(u.toFlatArray()) * 31 + Arrays.hashCode(v.toFlatArray()));
                float[] x = new float[rank];
                for (int t = 0; t < rank; t++) {
                    x[t] = (float) r.nextGaussian();
                }
                float[] applied = new float[rank];
                float[] rhs = new float[rank];
                float sums = 0f;
                for (int row = 0; row < a.rows(); row++) {
                    sums += k.normalApply(a, row, v, x, 0.5f, 0.25f, 0.125f, applied);
                    sums += k.normalRhs(a, row, v, 1.5f, -0.5f, null, 0f, rhs);
                }
                out.put("normalApply/" + rank, Arrays.hashCode(applied) * 31 + Float.hashCode(sums));
                out.put("normalRhs/" + rank, Arrays.hashCode(rhs));
            }
        }
        return out;
    }

    private static int hash(CsrMatrix s) {
        float[] values = new float[(int) s.nnz()];
        for (int p = 0; p < values.length; p++) {
            values[p] = s.value(p);
        }
        return Arrays.hashCode(values);
    }

    private static DenseMatrix random(SplittableRandom r, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int t = 0; t < v.length; t++) {
            v[t] = (float) r.nextGaussian();
        }
        return DenseMatrix.of(rows, cols, v);
    }

    private static CsrMatrix randomCsr(SplittableRandom r, int rows, int cols) {
        CsrMatrix.Builder b = CsrMatrix.builder(rows, cols);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                if (r.nextInt(3) == 0) {
                    b.add(i, j, (float) r.nextGaussian());
                }
            }
        }
        return b.build(DuplicatePolicy.ERROR);
    }

    /** Child-JVM entry: one "bits name hash" line per kernel. */
    public static void main(String[] args) {
        compute().forEach((name, hash) -> System.out.println("bits " + name + " " + hash));
    }
}
