package dev.lowrank.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.kernel.Op;
import dev.lowrank.kernel.TopK;
import dev.lowrank.loss.Observations;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.matrix.DuplicatePolicy;
import dev.lowrank.model.FactorModel;
import dev.lowrank.model.Initializer;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.testkit.ChildJvm;
import dev.lowrank.train.Als;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Off-heap memory is given back, kernels are safe to call from many threads at once, and a caller's
 * fork/join pool is used and left running.
 */
class ResourcesTest {

    @Test
    @DisplayName("10,000 create/fit/close cycles of a small model leak no off-heap memory (NMT)")
    void noOffHeapLeak() throws Exception {
        long[] clean = leakRun(10_000);
        System.out.println("NMT Other committed: before=" + clean[0] + " after=" + clean[1] + " over 10,000 cycles");
        // Leaving one cycle's 5x4 CSR matrix open costs 112 bytes here (measured once, by leaking on purpose:
        // +56,000 bytes over 500 cycles), so 10,000 leaking cycles would add over 1 MB. Measured growth: 0.
        assertTrue(clean[1] - clean[0] < 16 * 1024,
                "native 'Other' memory grew by " + (clean[1] - clean[0]) + " bytes over 10,000 cycles");
    }

    /** Runs {@link LeakCycles} in a child JVM with NMT on; returns {before, after}. */
    private static long[] leakRun(int cycles) throws Exception {
        String out = ChildJvm.run(Duration.ofSeconds(600), List.of("-XX:NativeMemoryTracking=summary", "--add-modules",
                "jdk.incubator.vector"), LeakCycles.class, Integer.toString(cycles)).stdoutIfSucceeded();
        Matcher m = Pattern.compile("before=(\\d+) after=(\\d+)").matcher(out);
        assertTrue(m.find(), out);
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
    }

    @Test
    @DisplayName("8 threads calling one Kernels on their own data get the single-threaded results")
    void concurrentCallersOnSeparateData() throws Exception {
        try (Parallel two = Parallel.threads(2)) {
            for (Backend backend : Backend.values()) {
                Kernels shared = Kernels.of(backend, two);
                Kernels alone = Kernels.of(backend, Parallel.sequential());
                ExecutorService callers = Executors.newFixedThreadPool(8);
                try {
                    List<Future<Void>> done = new ArrayList<>();
                    for (int t = 0; t < 8; t++) {
                        long seed = 100 + t;
                        done.add(callers.submit(() -> {
                            for (int round = 0; round < 5; round++) {
                                assertSameResults(alone, shared, seed * 31 + round);
                            }
                            return null;
                        }));
                    }
                    for (Future<Void> f : done) {
                        f.get();
                    }
                } finally {
                    callers.shutdown();
                }
            }
        }
    }

    /** gemm, spmm, sddmm, Frobenius dot and top-k on one thread's private data, shared kernels vs alone. */
    private static void assertSameResults(Kernels alone, Kernels shared, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int m = 50 + rnd.nextInt(150);
        int n = 30 + rnd.nextInt(100);
        int k = 1 + rnd.nextInt(40);
        try (DenseMatrix u = random(m, k, rnd); DenseMatrix v = random(n, k, rnd);
             DenseMatrix c1 = DenseMatrix.zeros(m, n); DenseMatrix c2 = DenseMatrix.zeros(m, n);
             DenseMatrix s1 = DenseMatrix.zeros(m, k); DenseMatrix s2 = DenseMatrix.zeros(m, k);
             CsrMatrix a = sparse(m, n, rnd); CsrMatrix o1 = a.copyStructure(); CsrMatrix o2 = a.copyStructure()) {
            alone.gemm(1f, Op.IDENTITY, u, Op.TRANSPOSE, v, 0f, c1);
            shared.gemm(1f, Op.IDENTITY, u, Op.TRANSPOSE, v, 0f, c2);
            assertArrayEquals(c1.toFlatArray(), c2.toFlatArray(), "gemm, seed " + seed);
            alone.spmm(1f, Op.IDENTITY, a, v, 0f, s1);
            shared.spmm(1f, Op.IDENTITY, a, v, 0f, s2);
            assertArrayEquals(s1.toFlatArray(), s2.toFlatArray(), "spmm, seed " + seed);
            alone.sddmm(a, u, v, o1);
            shared.sddmm(a, u, v, o2);
            for (long p = 0; p < a.nnz(); p++) {
                assertEquals(o1.value(p), o2.value(p), "sddmm, seed " + seed);
            }
            assertEquals(alone.dot(u, u), shared.dot(u, u), "dot, seed " + seed);
            TopK t1 = alone.topK(u, m / 2, v, 7);
            TopK t2 = shared.topK(u, m / 2, v, 7);
            assertArrayEquals(t1.indices(), t2.indices(), "topK, seed " + seed);
            assertArrayEquals(t1.scores(), t2.scores(), "topK, seed " + seed);
        }
    }

    private static DenseMatrix random(int rows, int cols, SplittableRandom rnd) {
        float[] x = new float[rows * cols];
        for (int t = 0; t < x.length; t++) {
            x[t] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return DenseMatrix.of(rows, cols, x);
    }

    private static CsrMatrix sparse(int rows, int cols, SplittableRandom rnd) {
        int nnz = rows * 3;
        int[] r = new int[nnz];
        int[] c = new int[nnz];
        float[] v = new float[nnz];
        for (int t = 0; t < nnz; t++) {
            r[t] = rnd.nextInt(rows);
            c[t] = rnd.nextInt(cols);
            v[t] = 1 + rnd.nextInt(5);
        }
        return CsrMatrix.fromCoo(rows, cols, r, c, v, DuplicatePolicy.LAST);
    }

    @Test
    @DisplayName("A caller's ForkJoinPool is used for the work and never shut down")
    void callersPoolIsUsedAndLeftRunning() throws Exception {
        AtomicInteger workers = new AtomicInteger();
        ForkJoinPool pool = new ForkJoinPool(2, p -> {
            workers.incrementAndGet();
            return ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
        }, null, false);
        try {
            Parallel parallel = Parallel.on(pool);
            Kernels k = Kernels.of(Backend.PANAMA, parallel);
            SplittableRandom rnd = new SplittableRandom(3);
            try (CsrMatrix a = sparse(1200, 300, rnd); Observations obs = Observations.of(a);
                 FactorModel model = FactorModel.create(1200, 300, 8, true, Initializer.scaledNormal(1), k)) {
                Als.builder().maxIterations(1).kernels(k).build().fit(model, obs);
            }
            assertTrue(workers.get() > 0, "no worker of the caller's pool ever ran");
            parallel.close(); // documented as a no-op for a borrowed pool
            assertFalse(pool.isShutdown(), "lowrank shut down the caller's pool");
            assertEquals(42, pool.submit(() -> 42).get(), "the caller's pool must still run tasks");
        } finally {
            pool.shutdownNow();
        }
    }
}
