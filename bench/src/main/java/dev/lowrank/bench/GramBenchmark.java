package dev.lowrank.bench;

import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.kernel.Op;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.parallel.Parallel;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;
import org.openjdk.jmh.annotations.*;

/**
 * The Gramian C = AᵀA of a tall m×k factor matrix (ALS needs VᵀV and UᵀU every half-step). {@code shape}
 * is "m x k". Implementations: {@code GRAM} is {@link Kernels#gram} (each row block's upper triangle by the addGramUpper tile, mirrored);
 * {@code GEMM} is the same product through {@link Kernels#gemm} with op(A) = Aᵀ (both triangles, so twice
 * the multiply-adds); {@code UPPER} is {@link Kernels#addGramUpper} over all rows in one thread (the
 * packing-free register tile ALS forms a row's normal matrix with); {@code OPENBLAS} is cblas_ssyrk (upper
 * triangle only); {@code NAIVE} the plain triangle loop over a float[] copy. GFLOP/s in bench/report.py counts the triangle: m·k·(k+1) flops,
 * whatever the implementation actually does.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class GramBenchmark {

    public enum Impl { GRAM, GEMM, UPPER, OPENBLAS, NAIVE }

    @Param({"10000x64", "100000x64", "70000x16", "10000x128"})
    String shape;

    @Param({"GRAM", "GEMM", "OPENBLAS"})
    Impl impl;

    @Param({"1"})
    int threads;

    int m, k;
    DenseMatrix a, c;
    Parallel parallel;
    Kernels kernels;
    FloatPointer ap, cp;
    float[] na, nc, upper;

    @Setup
    public void setup() {
        String[] f = shape.split("x");
        m = Integer.parseInt(f[0]);
        k = Integer.parseInt(f[1]);
        a = BenchSupport.random(m, k, 3);
        c = DenseMatrix.zeros(k, k);
        switch (impl) {
            case GRAM, GEMM, UPPER -> {
                if (impl == Impl.UPPER && threads != 1) {
                    throw new IllegalStateException("UPPER runs in the calling thread");
                }
                parallel = Parallel.threads(threads);
                kernels = Kernels.of(Backend.PANAMA, parallel);
                upper = new float[k * k];
            }
            case OPENBLAS -> {
                openblas.blas_set_num_threads(threads);
                ap = BenchSupport.pointer(a.segment());
                cp = BenchSupport.pointer(c.segment());
            }
            case NAIVE -> {
                if (threads != 1) {
                    throw new IllegalStateException("NAIVE is single-threaded");
                }
                na = a.toFlatArray();
                nc = new float[k * k];
            }
        }
        gram();
        if (impl == Impl.NAIVE) {
            c.copyFrom(nc);
        } else if (impl == Impl.UPPER) {
            c.copyFrom(upper);
        }
        verify();
        System.out.println("\n# " + impl + " " + shape + " threads=" + threads + ": verified");
    }

    /** The upper triangle (all that ssyrk writes) against a double sum. */
    private void verify() {
        for (int i = 0; i < k; i++) {
            for (int j = i; j < k; j++) {
                double sum = 0;
                double abs = 0;
                for (int r = 0; r < m; r++) {
                    double t = (double) a.get(r, i) * a.get(r, j);
                    sum += t;
                    abs += Math.abs(t);
                }
                BenchSupport.check(impl + " C[" + i + "," + j + "] of " + shape, sum, c.get(i, j), m, abs);
            }
        }
    }

    @TearDown
    public void tearDown() {
        if (parallel != null) {
            parallel.close();
        }
        a.close();
        c.close();
    }

    @Benchmark
    public void gram() {
        switch (impl) {
            case GRAM -> kernels.gram(a, c);
            case GEMM -> kernels.gemm(1f, Op.TRANSPOSE, a, Op.IDENTITY, a, 0f, c);
            case UPPER -> {
                java.util.Arrays.fill(upper, 0f);
                kernels.addGramUpper(a, m, upper);
            }
            case OPENBLAS -> openblas.cblas_ssyrk(openblas.CblasRowMajor, openblas.CblasUpper, openblas.CblasTrans,
                    k, m, 1f, ap, a.rowStride(), 0f, cp, c.rowStride());
            case NAIVE -> naive();
        }
    }

    private void naive() {
        float[] x = na, z = nc;
        java.util.Arrays.fill(z, 0f);
        for (int r = 0; r < m; r++) {
            int ro = r * k; // toFlatArray drops the row padding
            for (int i = 0; i < k; i++) {
                float ari = x[ro + i];
                for (int j = i; j < k; j++) {
                    z[i * k + j] += ari * x[ro + j];
                }
            }
        }
    }
}
