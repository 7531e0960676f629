package dev.lowrank.testkit;

import dev.lowrank.parallel.Parallel;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;

/**
 * Counts the heap bytes that a piece of code allocates per call, in the calling thread and in the
 * worker threads of a fork/join pool made here (its thread factory records every worker it starts, so
 * no thread is missed). The counters ({@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes})
 * are exact byte counts, not timings, so a bound on them is a sound unit-test assertion.
 *
 * <p>The risk is the JIT, not the counter: until C2 has compiled a path, the interpreter and C1 allocate
 * what C2 would not (boxed vectors, above all). {@link #minBytesPerCall} therefore measures rounds of
 * many calls and keeps the smallest per-call figure, stopping as soon as a round is within the bound
 * (a passing test takes a few rounds) or after {@code maxRounds} (a failing one).
 */
public final class AllocationProbe implements AutoCloseable {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private final List<Thread> workers = new CopyOnWriteArrayList<>();
    private final ForkJoinPool pool;
    private final Parallel parallel;

    /** A probe whose {@link #parallel()} runs on a pool of {@code threads} recorded workers. */
    public AllocationProbe(int threads) {
        if (!THREADS.isThreadAllocatedMemorySupported()) {
            throw new IllegalStateException("this JVM cannot count allocated bytes per thread");
        }
        THREADS.setThreadAllocatedMemoryEnabled(true);
        pool = new ForkJoinPool(threads, p -> {
            ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            workers.add(t);
            return t;
        }, null, false);
        parallel = Parallel.on(pool);
    }

    /** Runs on this probe's pool, whose every worker is counted. */
    public Parallel parallel() {
        return parallel;
    }

    /** Bytes allocated so far by the calling thread and every worker this probe's pool has started. */
    public long allocatedBytes() {
        // The single-id overload allocates nothing (the long[] one returns a new array).
        long sum = THREADS.getThreadAllocatedBytes(Thread.currentThread().threadId());
        for (int i = 0; i < workers.size(); i++) { // indexed: an iterator would be an allocation
            long bytes = THREADS.getThreadAllocatedBytes(workers.get(i).threadId());
            if (bytes > 0) {
                sum += bytes; // a worker that has exited reads -1; its bytes were counted while it lived
            }
        }
        return sum;
    }

    /**
     * The smallest average bytes per call over rounds of {@code callsPerRound} calls, after
     * {@code warmupCalls} calls; returns early once a round averages at most {@code enough} bytes per
     * call. Otherwise it goes on for at least {@code minRounds} rounds and at least {@link #MIN_NANOS}:
     * on a busy machine a C2 compilation can take longer than many rounds of a small kernel, and until
     * it is installed the interpreter or C1 code allocates. The average includes whatever the
     * measurement itself allocates (nothing with this JDK), spread over the round.
     */
    public double minBytesPerCall(Runnable call, int warmupCalls, int callsPerRound, int minRounds, double enough) {
        for (int i = 0; i < warmupCalls; i++) {
            call.run();
        }
        double best = Double.POSITIVE_INFINITY;
        long start = System.nanoTime();
        for (int round = 0; round < MAX_ROUNDS; round++) {
            long before = allocatedBytes();
            for (int i = 0; i < callsPerRound; i++) {
                call.run();
            }
            long after = allocatedBytes();
            best = Math.min(best, (double) (after - before) / callsPerRound);
            if (best <= enough || round + 1 >= minRounds && System.nanoTime() - start >= MIN_NANOS) {
                break;
            }
        }
        return best;
    }

    /** How long to keep measuring a call that still allocates, to give the JIT its chance (not a bound on the test). */
    private static final long MIN_NANOS = 3_000_000_000L;
    private static final int MAX_ROUNDS = 10_000;

    @Override
    public void close() {
        pool.shutdown();
    }
}
