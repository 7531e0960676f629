package dev.lowrank.bench;

import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.kernel.Op;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.parallel.Parallel;
import java.io.IOException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * SpMM (C = A·B, A sparse m×n, B n×k) and SDDMM (out_p = u_i·v_j on A's pattern) on ML-latest-small and
 * on a synthetic 10M-nonzero ratings-like matrix (100,000 × 20,000, 100 per row, popular columns more
 * likely). bench/report.py turns times into GB/s with the compulsory-traffic model documented in
 * docs/benchmarks.md. Both kernels are checked against a double reference on sampled rows first.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx8g"})
public class SparseBenchmark {

    @Param({"movielens", "synthetic10m"})
    String data;

    @Param({"16", "64", "128"})
    int k;

    @Param({"PANAMA"})
    Backend backend;

    @Param({"1"})
    int threads;

    CsrMatrix a;
    CsrMatrix out;
    DenseMatrix b, c, u;
    Parallel parallel;
    Kernels kernels;

    @Setup
    public void setup() throws IOException {
        a = data.equals("movielens") ? BenchSupport.movielens() : BenchSupport.synthetic(100_000, 20_000, 10_000_000L, 11);
        b = BenchSupport.random(a.cols(), k, 3);
        u = BenchSupport.random(a.rows(), k, 4);
        c = DenseMatrix.zeros(a.rows(), k);
        out = a.copyStructure();
        parallel = Parallel.threads(threads);
        kernels = Kernels.of(backend, parallel);
        spmm();
        sddmm();
        SplittableRandom r = new SplittableRandom(5);
        for (int s = 0; s < 100; s++) {
            int i = r.nextInt(a.rows());
            int j = r.nextInt(k);
            double sum = 0;
            double abs = 0;
            for (long p = a.rowStart(i); p < a.rowEnd(i); p++) {
                double t = (double) a.value(p) * b.get(a.columnIndex(p), j);
                sum += t;
                abs += Math.abs(t);
            }
            BenchSupport.check("spmm C[" + i + "," + j + "]", sum, c.get(i, j), (int) (a.rowEnd(i) - a.rowStart(i)), abs);
            for (long p = a.rowStart(i); p < a.rowEnd(i); p++) {
                int col = a.columnIndex(p);
                double d = 0;
                double da = 0;
                for (int t = 0; t < k; t++) {
                    double x = (double) u.get(i, t) * b.get(col, t);
                    d += x;
                    da += Math.abs(x);
                }
                BenchSupport.check("sddmm (" + i + "," + col + ")", d, out.value(p), k, da);
            }
        }
        System.out.println("\n# " + data + ": " + a.shape() + " nnz " + a.nnz() + ", k " + k + ", " + backend
                + " " + kernels.providerName() + ", threads " + threads + ": verified");
    }

    @TearDown
    public void tearDown() {
        parallel.close();
        a.close();
        out.close();
        b.close();
        c.close();
        u.close();
    }

    @Benchmark
    public void spmm() {
        kernels.spmm(1f, Op.IDENTITY, a, b, 0f, c);
    }

    @Benchmark
    public void sddmm() {
        kernels.sddmm(a, u, b, out);
    }
}
