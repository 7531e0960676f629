package dev.lowrank.bench;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.kernel.Op;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.parallel.Parallel;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;
import org.openjdk.jmh.annotations.*;

/**
 * C = A·B (or with op() transposes) in fp32, timed per call. {@code shape} is "MxNxK" or "MxNxK-AB" with
 * A, B ∈ {N, T} the ops (N when left out); GFLOP/s is
 * 2mnk / time (bench/report.py does the arithmetic from JMH's JSON). Every implementation is checked
 * against a double-precision reference on sampled entries of C before timing starts.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Xmx20g"})
public class GemmBenchmark {

    public enum Impl { PANAMA, SCALAR, NAIVE, OPENBLAS }

    @Param({"256x256x256", "512x512x512", "1024x1024x1024", "2048x2048x2048", "4096x4096x4096",
            "10000x10000x3-NT", "10000x10000x16-NT", "10000x10000x64-NT", "10000x10000x128-NT", "64x64x100000-TN"})
    String shape;

    @Param({"PANAMA", "OPENBLAS"})
    Impl impl;

    @Param({"1"})
    int threads;

    int m, n, k;
    boolean transA, transB;
    DenseMatrix a, b, c;
    Parallel parallel;
    Kernels kernels;
    FloatPointer ap, bp, cp;
    float[] na, nb, nc;

    @Setup
    public void setup() {
        String[] ops = shape.split("-");
        String[] f = ops[0].split("x");
        m = Integer.parseInt(f[0]);
        n = Integer.parseInt(f[1]);
        k = Integer.parseInt(f[2]);
        transA = ops.length > 1 && ops[1].charAt(0) == 'T';
        transB = ops.length > 1 && ops[1].charAt(1) == 'T';
        a = transA ? BenchSupport.random(k, m, 1) : BenchSupport.random(m, k, 1);
        b = transB ? BenchSupport.random(n, k, 2) : BenchSupport.random(k, n, 2);
        c = DenseMatrix.zeros(m, n);
        switch (impl) {
            case PANAMA, SCALAR -> {
                parallel = Parallel.threads(threads);
                kernels = Kernels.of(impl == Impl.PANAMA ? Backend.PANAMA : Backend.SCALAR, parallel);
            }
            case OPENBLAS -> {
                openblas.blas_set_num_threads(threads);
                ap = BenchSupport.pointer(a.segment());
                bp = BenchSupport.pointer(b.segment());
                cp = BenchSupport.pointer(c.segment());
            }
            case NAIVE -> {
                if (threads != 1 || transA || transB) {
                    throw new IllegalStateException("NAIVE is the single-threaded ikj loop on op = N,N only");
                }
                na = a.toFlatArray();
                nb = b.toFlatArray();
                nc = new float[m * n];
            }
        }
        multiply();
        if (impl == Impl.NAIVE) {
            c.copyFrom(nc);
        }
        verify();
        System.out.println("\n# " + impl + " " + shape + " threads=" + threads
                + (impl == Impl.OPENBLAS ? " openblas " + BenchSupport.openblasCore() + ", threads " + openblas.blas_get_num_threads()
                : kernels != null ? " provider " + kernels.providerName() : "") + ": verified");
    }

    private void verify() {
        SplittableRandom r = new SplittableRandom(7);
        for (int s = 0; s < 200; s++) {
            int i = r.nextInt(m);
            int j = r.nextInt(n);
            double sum = 0;
            double abs = 0;
            for (int p = 0; p < k; p++) {
                double t = (double) (transA ? a.get(p, i) : a.get(i, p)) * (transB ? b.get(j, p) : b.get(p, j));
                sum += t;
                abs += Math.abs(t);
            }
            BenchSupport.check(impl + " C[" + i + "," + j + "] of " + shape, sum, c.get(i, j), k, abs);
        }
    }

    @TearDown
    public void tearDown() {
        if (parallel != null) {
            parallel.close();
        }
        a.close();
        b.close();
        c.close();
    }

    @Benchmark
    public void multiply() {
        switch (impl) {
            case PANAMA, SCALAR -> kernels.gemm(1f, transA ? Op.TRANSPOSE : Op.IDENTITY, a,
                    transB ? Op.TRANSPOSE : Op.IDENTITY, b, 0f, c);
            case OPENBLAS -> openblas.cblas_sgemm(openblas.CblasRowMajor,
                    transA ? openblas.CblasTrans : openblas.CblasNoTrans,
                    transB ? openblas.CblasTrans : openblas.CblasNoTrans,
                    m, n, k, 1f, ap, a.rowStride(), bp, b.rowStride(), 0f, cp, c.rowStride());
            case NAIVE -> naive();
        }
    }

    /** The plain ikj loop a Java programmer writes first (over float[] copies, so no segment overhead). */
    private void naive() {
        float[] x = na, y = nb, z = nc;
        int sa = k, sb = n; // toFlatArray drops the row padding
        java.util.Arrays.fill(z, 0f);
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                float aip = x[i * sa + p];
                int bo = p * sb;
                int co = i * n;
                for (int j = 0; j < n; j++) {
                    z[co + j] += aip * y[bo + j];
                }
            }
        }
    }
}
