package dev.lowrank.parallel;

import static dev.lowrank.testkit.Expect.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Block scheduling, ordered reductions, pool ownership and error propagation of {@link Parallel}. */
class ParallelTest {

    private static void forEachParallel(java.util.function.Consumer<Parallel> body) {
        ForkJoinPool callers = new ForkJoinPool(3);
        try (Parallel two = Parallel.threads(2); Parallel four = Parallel.threads(4)) {
            for (Parallel p : List.of(Parallel.sequential(), Parallel.defaults(), two, four, Parallel.on(callers))) {
                body.accept(p);
            }
        } finally {
            callers.shutdown();
        }
    }

    @Test
    void theDefaultPoolHasAWorkerPerProcessorAndIsShared() {
        int cores = Runtime.getRuntime().availableProcessors();
        org.junit.jupiter.api.Assertions.assertEquals(cores, Parallel.defaults().parallelism());
        org.junit.jupiter.api.Assertions.assertSame(Parallel.defaults(), Parallel.defaults());
        Parallel.defaults().close(); // not owned by the caller: closing must leave it usable
        org.junit.jupiter.api.Assertions.assertEquals(6.0, Parallel.defaults().sumBlocks(4, b -> b));
    }

    @Test
    void everyBlockRunsExactlyOnce() {
        forEachParallel(p -> {
            for (int blocks : new int[] {0, 1, 2, 3, 7, 64, 1000}) {
                AtomicIntegerArray runs = new AtomicIntegerArray(blocks);
                p.forEachBlock(blocks, b -> runs.incrementAndGet(b));
                for (int b = 0; b < blocks; b++) {
                    assertEquals(1, runs.get(b), p + ": block " + b + " of " + blocks);
                }
            }
        });
    }

    @Test
    void sumBlocksAddsInBlockOrder() {
        // In block order: (1 + 1e16) rounds to 1e16, minus 1e16 gives 0. Any other order gives 1 or 2.
        double[] partials = {1.0, 1e16, -1e16, 0.0};
        forEachParallel(p -> {
            for (int rep = 0; rep < 20; rep++) {
                assertEquals(0.0, p.sumBlocks(partials.length, b -> partials[b]), p.toString());
            }
            assertEquals(0.0, p.sumBlocks(0, b -> 1.0), p + ": empty sum");
            double[] many = new double[513];
            double expected = 0;
            for (int b = 0; b < many.length; b++) {
                many[b] = (b % 3 == 0 ? 1e16 : 1.0) * (b % 2 == 0 ? 1 : -1) + b * 0.1;
                expected += many[b];
            }
            assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(p.sumBlocks(many.length, b -> many[b])),
                    p.toString());
        });
    }

    @Test
    void threadsOwnsItsPoolAndShutsItDownOnClose() {
        AtomicReference<ForkJoinPool> seen = new AtomicReference<>();
        Parallel p = Parallel.threads(2);
        assertEquals(2, p.parallelism());
        p.forEachBlock(4, b -> seen.compareAndSet(null, ForkJoinTask.getPool()));
        ForkJoinPool pool = seen.get();
        assertNotNull(pool, "the blocks did not run in a fork/join pool");
        assertFalse(pool.isShutdown());
        p.close();
        assertTrue(pool.isShutdown(), "close() left the owned pool running");
        assertThrows(RejectedExecutionException.class, () -> p.forEachBlock(4, b -> { }));
    }

    @Test
    void onNeverShutsTheCallersPoolDown() {
        ForkJoinPool pool = new ForkJoinPool(2);
        try {
            AtomicReference<ForkJoinPool> seen = new AtomicReference<>();
            Parallel p = Parallel.on(pool);
            p.forEachBlock(4, b -> seen.compareAndSet(null, ForkJoinTask.getPool()));
            assertSame(pool, seen.get());
            p.close();
            assertFalse(pool.isShutdown(), "close() shut down the caller's pool");
            Parallel.defaults().close();
            assertFalse(ForkJoinPool.commonPool().isShutdown());
            AtomicIntegerArray runs = new AtomicIntegerArray(3);
            p.forEachBlock(3, runs::incrementAndGet);
            assertEquals(1, runs.get(2), "the pool no longer runs work after close()");
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void singleThreadRunsInTheCallingThreadInOrder() {
        Thread caller = Thread.currentThread();
        try (Parallel one = Parallel.threads(1)) {
            for (Parallel p : List.of(Parallel.sequential(), one)) {
                assertEquals(1, p.parallelism());
                int[] next = {0};
                p.forEachBlock(10, b -> {
                    assertSame(caller, Thread.currentThread());
                    assertEquals(next[0]++, b, p + " ran blocks out of order");
                });
                assertEquals(10, next[0]);
            }
        }
    }

    @Test
    void nestedBlocksInTheSamePoolComplete() {
        try (Parallel p = Parallel.threads(2)) {
            AtomicIntegerArray runs = new AtomicIntegerArray(16);
            p.forEachBlock(4, outer -> p.forEachBlock(4, inner -> runs.incrementAndGet(outer * 4 + inner)));
            for (int t = 0; t < 16; t++) {
                assertEquals(1, runs.get(t));
            }
        }
    }

    @Test
    void anExceptionInABlockPropagates() {
        forEachParallel(p -> {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.forEachBlock(8, b -> {
                if (b == 5) {
                    throw new IllegalStateException("block 5 failed");
                }
            }), p.toString());
            assertTrue(String.valueOf(e.getMessage()).contains("block 5 failed"), p + ": " + e);
            assertThrows(ArithmeticException.class, () -> p.sumBlocks(8, b -> 1 / (b - 7)), p.toString());
        });
    }

    @Test
    void afterAFailureTheRemainingBlocksAreSkippedAndNoneIsLeftRunning() throws InterruptedException {
        try (Parallel p = Parallel.threads(2)) {
            int blockCount = 1000;
            java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();
            assertThrows(IllegalStateException.class, () -> p.forEachBlock(blockCount, b -> {
                if (b == 0) {
                    throw new IllegalStateException("block 0 failed");
                }
                ran.incrementAndGet();
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
            int afterReturn = ran.get();
            assertTrue(afterReturn < blockCount - 1, "only " + afterReturn + " of " + (blockCount - 1) + " blocks should run");
            Thread.sleep(50);
            assertEquals(afterReturn, ran.get(), "a block ran after forEachBlock returned");
        }
    }

    @Test
    void aFailedCallLeavesNothingBehindForTheNextCall() {
        // Teams are reused from call to call: a failure must not leak into the calls after it.
        forEachParallel(p -> {
            for (int rep = 0; rep < 50; rep++) {
                int failAt = rep % 7;
                assertThrows(IllegalStateException.class, () -> p.forEachBlock(7, b -> {
                    if (b == failAt) {
                        throw new IllegalStateException("block " + b);
                    }
                }), p.toString());
                AtomicIntegerArray runs = new AtomicIntegerArray(9);
                p.forEachBlock(9, runs::incrementAndGet);
                for (int b = 0; b < 9; b++) {
                    assertEquals(1, runs.get(b), p + ": block " + b + " after a failed call");
                }
                assertEquals(36.0, p.sumBlocks(9, b -> b), p + ": sum after a failed call");
                assertThrows(ArithmeticException.class, () -> p.sumBlocks(5, b -> 1 / (b - failAt % 5)), p.toString());
                assertEquals(10.0, p.sumBlocks(5, b -> b), p + ": sum after a failed sum");
            }
        });
    }

    @Test
    void concurrentCallersEachGetTheirOwnResults() throws Exception {
        // More callers than kept teams: each call must see its own blocks, sums and failures only.
        try (Parallel p = Parallel.threads(2)) {
            int callers = 8;
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(callers);
            try {
                List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
                for (int c = 0; c < callers; c++) {
                    int caller = c;
                    done.add(pool.submit(() -> {
                        for (int rep = 0; rep < 200; rep++) {
                            int blocks = 2 + (caller + rep) % 11;
                            double want = 0;
                            for (int b = 0; b < blocks; b++) {
                                want += caller * 1000.0 + b;
                            }
                            assertEquals(want, p.sumBlocks(blocks, b -> caller * 1000.0 + b), "caller " + caller);
                            AtomicIntegerArray runs = new AtomicIntegerArray(blocks);
                            p.forEachBlock(blocks, runs::incrementAndGet);
                            for (int b = 0; b < blocks; b++) {
                                assertEquals(1, runs.get(b), "caller " + caller + ", block " + b);
                            }
                            if (rep % 10 == caller % 10) {
                                IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.forEachBlock(blocks, b -> {
                                    throw new IllegalStateException("caller " + caller);
                                }));
                                assertEquals("caller " + caller, e.getMessage());
                            }
                        }
                        return null;
                    }));
                }
                for (java.util.concurrent.Future<?> f : done) {
                    f.get(60, java.util.concurrent.TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void nestedCallsReuseTeamsAndAddInBlockOrder() {
        try (Parallel p = Parallel.threads(2)) {
            for (int rep = 0; rep < 50; rep++) {
                double[] outer = new double[6];
                p.forEachBlock(outer.length, o -> outer[o] = p.sumBlocks(5, i -> o * 10 + i));
                for (int o = 0; o < outer.length; o++) {
                    assertEquals(o * 50 + 10, outer[o], "outer block " + o);
                }
                assertEquals(6 * 10 + 50 * 15, p.sumBlocks(6, o -> p.sumBlocks(5, i -> o * 10 + i)));
            }
        }
    }

    @Test
    void anInterruptedCallerStillRunsEveryBlockAndKeepsItsInterrupt() {
        try (Parallel p = Parallel.threads(2)) {
            AtomicIntegerArray runs = new AtomicIntegerArray(20);
            Thread.currentThread().interrupt();
            try {
                p.forEachBlock(20, b -> {
                    runs.incrementAndGet(b);
                    java.util.concurrent.locks.LockSupport.parkNanos(200_000);
                });
                assertTrue(Thread.currentThread().isInterrupted(), "the caller's interrupt was lost");
            } finally {
                Thread.interrupted();
            }
            for (int b = 0; b < 20; b++) {
                assertEquals(1, runs.get(b), "block " + b);
            }
        }
    }

    @Test
    void badArgumentsAreRejected() {
        fails(IllegalArgumentException.class, () -> Parallel.threads(0), "threads = 0", "at least 1");
        fails(IllegalArgumentException.class, () -> Parallel.sequential().forEachBlock(-1, b -> { }),
                "blockCount = -1", "negative");
        fails(NullPointerException.class, () -> Parallel.on(null), "pool");
        fails(NullPointerException.class, () -> Parallel.sequential().forEachBlock(1, null), "body");
        fails(NullPointerException.class, () -> Parallel.sequential().sumBlocks(1, null), "block");
    }
}
