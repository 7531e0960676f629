package dev.lowrank.bench;

import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.parallel.Parallel;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/** Row dot product of length n: the innermost operation of SDDMM and prediction. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class DotBenchmark {
    @Param({"64", "1024"})
    int n;

    @Param({"SCALAR", "PANAMA"})
    Backend backend;

    DenseMatrix x;
    Kernels kernels;

    @Setup
    public void setup() {
        SplittableRandom r = new SplittableRandom(42);
        x = DenseMatrix.zeros(2, n);
        for (int j = 0; j < n; j++) {
            x.set(0, j, (float) r.nextGaussian());
            x.set(1, j, (float) r.nextGaussian());
        }
        kernels = Kernels.of(backend, Parallel.sequential());
        double expected = 0;
        for (int j = 0; j < n; j++) {
            expected += (double) x.get(0, j) * x.get(1, j);
        }
        float got = kernels.dot(x, 0, x, 1);
        if (Math.abs(got - expected) > 1e-3 * Math.max(1, Math.abs(expected))) {
            throw new IllegalStateException("dot is wrong: " + got + " vs " + expected);
        }
    }

    @TearDown
    public void tearDown() {
        x.close();
    }

    @Benchmark
    public float dot() {
        return kernels.dot(x, 0, x, 1);
    }
}
