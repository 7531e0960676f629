package dev.lowrank.parallel;

import java.util.Objects;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntToDoubleFunction;

/**
 * Where lowrank's kernels run their work: a fork/join pool, or the calling thread.
 *
 * <p>Work is always cut into a number of blocks that the caller derives from the problem alone (never
 * from the thread count), and each block is computed the same way whichever thread runs it. Reductions
 * keep one partial per block and add the partials in block order. That is why every result is
 * bit-identical on 1, 2 or N threads.
 *
 * <p>{@link #defaults()} is what lowrank uses unless told otherwise. A pool passed to {@link #on(ForkJoinPool)} stays the caller's: lowrank never shuts it down.
 * {@link #threads(int)} makes a pool of its own, which {@link #close()} shuts down.
 */
public final class Parallel implements AutoCloseable {

    private static final Parallel COMMON = new Parallel(ForkJoinPool.commonPool(), false);
    private static final Parallel SEQUENTIAL = new Parallel(null, false);

    /** Null means: run every block in the calling thread. */
    private final ForkJoinPool pool;
    private final boolean ownsPool;

    private Parallel(ForkJoinPool pool, boolean ownsPool) {
        this.pool = pool;
        this.ownsPool = ownsPool;
    }

    /** The JVM's common fork/join pool (cores − 1 workers unless configured: 1 on a 2-core machine). */
    public static Parallel commonPool() {
        return COMMON;
    }

    /**
     * lowrank's default: one pool per JVM with a worker per available processor, made on first use and
     * never shut down (its workers are daemon threads). Not the common pool, which has one worker fewer
     * than there are cores, so that a 2-core machine would run everything on one thread.
     */
    public static Parallel defaults() {
        return DefaultPool.INSTANCE;
    }

    private static final class DefaultPool {
        static final Parallel INSTANCE = new Parallel(new ForkJoinPool(Runtime.getRuntime().availableProcessors()), false);
    }

    /** Every block in the calling thread, in order. */
    public static Parallel sequential() {
        return SEQUENTIAL;
    }

    /** The caller's pool, which lowrank uses but never shuts down. */
    public static Parallel on(ForkJoinPool pool) {
        return new Parallel(Objects.requireNonNull(pool, "pool"), false);
    }

    /**
     * A new pool of {@code threads} workers owned by the returned object (close it to stop them);
     * {@code threads == 1} runs in the calling thread.
     */
    public static Parallel threads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads = " + threads + " but at least 1 is needed");
        }
        return threads == 1 ? SEQUENTIAL : new Parallel(new ForkJoinPool(threads), true);
    }

    /** How many threads may run blocks at once. */
    public int parallelism() {
        return pool == null ? 1 : pool.getParallelism();
    }

    /** What runs a block of work: blocks are numbered from 0. */
    @FunctionalInterface
    public interface Block {
        void run(int block);
    }

    /**
     * Runs {@code body.run(b)} for every {@code b} in {@code [0, blockCount)}, and returns when all are done.
     * If a block throws, blocks not yet started are skipped and the first exception is rethrown.
     */
    public void forEachBlock(int blockCount, Block body) {
        Objects.requireNonNull(body, "body");
        if (blockCount < 0) {
            throw new IllegalArgumentException("blockCount = " + blockCount + " is negative");
        }
        if (pool == null || blockCount <= 1 || pool.getParallelism() == 1) {
            for (int b = 0; b < blockCount; b++) {
                body.run(b);
            }
            return;
        }
        BlockTeam team = new BlockTeam(body, blockCount, Math.min(blockCount, pool.getParallelism()));
        if (ForkJoinTask.inForkJoinPool() && ForkJoinTask.getPool() == pool) {
            team.invoke();
        } else {
            pool.invoke(team);
        }
    }

    /**
     * The sum of {@code block.applyAsDouble(b)} over {@code b} in {@code [0, blockCount)}, computed in
     * parallel and added in block order, so the result does not depend on the thread count.
     */
    public double sumBlocks(int blockCount, IntToDoubleFunction block) {
        Objects.requireNonNull(block, "block");
        double[] partials = new double[Math.max(0, blockCount)];
        forEachBlock(blockCount, b -> partials[b] = block.applyAsDouble(b));
        double sum = 0;
        for (double p : partials) {
            sum += p;
        }
        return sum;
    }

    /** Shuts down the pool if this object made it; otherwise does nothing. */
    @Override
    public void close() {
        if (ownsPool) {
            pool.shutdown();
        }
    }

    @Override
    public String toString() {
        return pool == null ? "Parallel[sequential]" : "Parallel[" + pool.getParallelism() + " threads"
                + (ownsPool ? ", own pool]" : "]");
    }

    /**
     * A fixed team of claimers, one per worker, that take block numbers from a shared counter until none
     * are left. A call allocates a few objects whatever the block count (a task per block cost ~40 bytes
     * each, tens of KB per call on a 10M-nonzero sparse product), and a worker that finishes early simply
     * claims more. Which thread runs a block never changes what the block computes.
     */
    private static final class BlockTeam extends RecursiveAction {
        private final Block body;
        private final int blockCount;
        private final int members;
        private final AtomicInteger next = new AtomicInteger();

        BlockTeam(Block body, int blockCount, int members) {
            this.body = body;
            this.blockCount = blockCount;
            this.members = members;
        }

        @Override
        protected void compute() {
            Claimer[] others = new Claimer[members - 1];
            for (int t = 0; t < others.length; t++) {
                others[t] = new Claimer(this);
                others[t].fork();
            }
            Throwable failure = null;
            try {
                claimUntilDone();
            } catch (RuntimeException | Error e) {
                failure = e;
            }
            // Join every member even after a failure, so no block still runs when this call returns.
            for (int t = others.length - 1; t >= 0; t--) {
                try {
                    others[t].join();
                } catch (RuntimeException | Error e) {
                    if (failure == null) {
                        failure = e;
                    } else if (failure != e) {
                        failure.addSuppressed(e);
                    }
                }
            }
            if (failure instanceof RuntimeException re) {
                throw re;
            } else if (failure instanceof Error err) {
                throw err;
            }
        }

        void claimUntilDone() {
            try {
                for (int b = next.getAndIncrement(); b < blockCount; b = next.getAndIncrement()) {
                    body.run(b);
                }
            } catch (RuntimeException | Error e) {
                next.set(blockCount);
                throw e;
            }
        }
    }

    private static final class Claimer extends RecursiveAction {
        private final BlockTeam team;

        Claimer(BlockTeam team) {
            this.team = team;
        }

        @Override
        protected void compute() {
            team.claimUntilDone();
        }
    }
}
