package dev.lowrank.parallel;

import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
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
    /** Teams not in use, kept for the next calls; more concurrent calls than slots make teams of their own. */
    private final AtomicReferenceArray<Team> idleTeams = new AtomicReferenceArray<>(IDLE_TEAMS);
    private static final int IDLE_TEAMS = 4;

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
        if (inCallingThread(blockCount)) {
            for (int b = 0; b < blockCount; b++) {
                body.run(b);
            }
            return;
        }
        Team team = takeTeam();
        try {
            team.run(pool, blockCount, body, null);
        } finally {
            putBack(team);
        }
    }

    /**
     * The sum of {@code block.applyAsDouble(b)} over {@code b} in {@code [0, blockCount)}, computed in
     * parallel and added in block order, so the result does not depend on the thread count.
     */
    public double sumBlocks(int blockCount, IntToDoubleFunction block) {
        Objects.requireNonNull(block, "block");
        if (blockCount < 0) {
            throw new IllegalArgumentException("blockCount = " + blockCount + " is negative");
        }
        double sum = 0;
        if (inCallingThread(blockCount)) {
            // The same additions in the same order as the parallel path below, so the same bits.
            for (int b = 0; b < blockCount; b++) {
                sum += block.applyAsDouble(b);
            }
            return sum;
        }
        Team team = takeTeam();
        try {
            double[] partials = team.run(pool, blockCount, null, block);
            for (int b = 0; b < blockCount; b++) {
                sum += partials[b];
            }
            return sum;
        } finally {
            putBack(team);
        }
    }

    private boolean inCallingThread(int blockCount) {
        return pool == null || blockCount <= 1 || pool.getParallelism() == 1;
    }

    /** An idle team, or a new one when every kept team is busy (concurrent or nested calls). */
    private Team takeTeam() {
        int members = pool.getParallelism();
        for (int i = 0; i < idleTeams.length(); i++) {
            Team team = idleTeams.get(i);
            if (team != null && idleTeams.compareAndSet(i, team, null) && team.members.length == members) {
                return team;
            }
        }
        return new Team(members);
    }

    /** Keeps a team for the next call, unless it did not finish cleanly or every slot is taken. */
    private void putBack(Team team) {
        if (!team.reusable()) {
            return;
        }
        for (int i = 0; i < idleTeams.length(); i++) {
            if (idleTeams.get(i) == null && idleTeams.compareAndSet(i, null, team)) {
                return;
            }
        }
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
     * A fixed team of members, one per worker, that take block numbers from a shared counter until none
     * are left; a worker that finishes early simply claims more. Which thread runs a block never changes
     * what the block computes.
     *
     * <p>A team and its members are reused from call to call (one call at a time: {@link #takeTeam()}
     * hands a busy team to nobody), so a call allocates nothing: the members are re-armed with
     * {@link ForkJoinTask#reinitialize()} once they are done, and a caller outside the pool waits with
     * {@link LockSupport#park} for the last member to unpark it, not with {@code ForkJoinTask.join},
     * which allocates a wait node whenever it blocks. A worker of the pool itself (a nested call) joins
     * the members instead, so that it helps run the pool's tasks rather than parking a worker.
     */
    private static final class Team {
        private static final long TERMINATION_CHECK_NANOS = 10_000_000;
        final Member[] members;
        final AtomicInteger next = new AtomicInteger();
        /** Members that have not finished this call's work; the one that brings it to 0 unparks the waiter. */
        final AtomicInteger pending = new AtomicInteger();
        int blockCount;
        int active;
        Block body;
        IntToDoubleFunction sumBody;
        double[] partials = new double[0];
        Thread waiter;
        Throwable failure;

        Team(int size) {
            members = new Member[size];
            for (int t = 0; t < size; t++) {
                members[t] = new Member(this, t);
            }
        }

        /**
         * Runs every block (of {@code body}, or of {@code sumBody} into the returned partials) and returns
         * when no member runs any more; rethrows the first failure.
         */
        double[] run(ForkJoinPool pool, int blockCount, Block body, IntToDoubleFunction sumBody) {
            if (sumBody != null && partials.length < blockCount) {
                partials = new double[blockCount];
            }
            this.blockCount = blockCount;
            this.body = body;
            this.sumBody = sumBody;
            failure = null;
            next.set(0);
            active = Math.min(blockCount, members.length);
            pending.set(active);
            for (int t = 0; t < active; t++) {
                members[t].reinitialize();
            }
            boolean nested = ForkJoinTask.inForkJoinPool() && ForkJoinTask.getPool() == pool;
            try {
                if (nested) {
                    waiter = null;
                    members[0].invoke();
                    for (int t = 1; t < active; t++) {
                        members[t].join();
                    }
                } else {
                    waiter = Thread.currentThread();
                    pool.execute(members[0]);
                    awaitMembers(pool);
                }
            } finally {
                this.body = null;
                this.sumBody = null;
                waiter = null;
            }
            Throwable f = failure;
            failure = null;
            if (f instanceof RuntimeException re) {
                throw re;
            } else if (f instanceof Error err) {
                throw err;
            } else if (f != null) {
                throw new IllegalStateException("a block failed", f);
            }
            return partials;
        }

        /** Uninterruptible, like ForkJoinPool.invoke: an interrupt is kept and re-asserted on return. */
        private void awaitMembers(ForkJoinPool pool) {
            boolean interrupted = false;
            while (pending.get() != 0) {
                // Timed, to notice a pool terminated by shutdownNow(), whose cancelled members never count out.
                LockSupport.parkNanos(this, TERMINATION_CHECK_NANOS);
                if (Thread.interrupted()) {
                    interrupted = true;
                }
                if (pending.get() != 0 && pool.isTerminated()) {
                    if (interrupted) {
                        Thread.currentThread().interrupt();
                    }
                    throw new CancellationException("the pool was terminated while blocks were waiting to run");
                }
            }
            // A member counts itself out just before its task is marked done; wait for that too, so that
            // reinitialize() on the next call never races with the pool's completion of this one.
            for (int t = 0; t < active; t++) {
                while (!members[t].isDone()) {
                    Thread.yield();
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        void claimUntilDone() {
            try {
                for (int b = next.getAndIncrement(); b < blockCount; b = next.getAndIncrement()) {
                    if (body != null) {
                        body.run(b);
                    } else {
                        partials[b] = sumBody.applyAsDouble(b);
                    }
                }
            } catch (Throwable e) {
                next.set(blockCount);
                recordFailure(e);
            }
        }

        synchronized void recordFailure(Throwable e) {
            if (failure == null) {
                failure = e;
            } else if (failure != e) {
                failure.addSuppressed(e);
            }
        }

        void memberDone() {
            if (pending.decrementAndGet() == 0) {
                Thread w = waiter;
                if (w != null) {
                    LockSupport.unpark(w);
                }
            }
        }

        /** Whether the last call finished cleanly: every member done, none still counted as running. */
        boolean reusable() {
            if (pending.get() != 0) {
                return false;
            }
            for (int t = 0; t < active; t++) {
                if (!members[t].isDone()) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * Member 0 starts the others (forks them from inside the pool, where forking is a local push), then
     * all claim blocks; afterwards member 0 runs itself any member that no worker has started yet.
     */
    private static final class Member extends RecursiveAction {
        private final Team team;
        private final int index;

        Member(Team team, int index) {
            this.team = team;
            this.index = index;
        }

        @Override
        protected void compute() {
            Team t = team;
            try {
                int forked = 1;
                if (index == 0) {
                    try {
                        for (; forked < t.active; forked++) {
                            t.members[forked].fork();
                        }
                    } catch (Throwable e) { // out of memory growing the queue: run the rest here instead
                        t.recordFailure(e);
                    }
                }
                t.claimUntilDone();
                if (index == 0) {
                    for (int m = t.active - 1; m >= 1; m--) {
                        if (m >= forked || t.members[m].tryUnfork()) {
                            t.members[m].invoke();
                        }
                    }
                }
            } finally {
                t.memberDone();
            }
        }
    }
}
