package dev.lowrank.train;

import dev.lowrank.parallel.Parallel;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.IntToDoubleFunction;

/**
 * Runs an epoch's B strata as a dataflow instead of B barrier-separated rounds. Task (s, p), the
 * block (p, (p + s) mod B) of stratum s, reads what exactly two earlier tasks wrote: user group p
 * after task (s − 1, p), item group (p + s) mod B after task (s − 1, p + 1). Every other task either
 * touches neither group or waits (directly or through a chain) for one of those two, so a task may
 * start as soon as its two predecessors are done, and the result is that of running the strata one
 * after another: the same bits on any number of threads. Without the barriers, a thread that ends
 * its share of a stratum early goes on with the next stratum instead of idling.
 *
 * <p>Tasks are claimed in stratum order, so a claimed task's predecessors are claimed too, by
 * threads that are running them: the earliest unfinished task can always run, and waits are short
 * spins. The epoch's loss is the tasks' partial sums added in task order, like the strata's.
 */
final class Wavefront {
    private final int grid;
    private final double[] taskLoss;
    /** The epoch stamp each task last finished in; waiting compares with the current stamp. */
    private final AtomicIntegerArray finished;
    private final AtomicInteger nextTask = new AtomicInteger();
    /** Set when a task throws, so that threads waiting for its result give up instead of spinning on. */
    private volatile boolean failed;
    private int stamp;

    Wavefront(int grid) {
        this.grid = grid;
        taskLoss = new double[grid * grid];
        finished = new AtomicIntegerArray(grid * grid);
    }

    /** Runs every block once, returns Σ of the blocks' losses in stratum order. */
    double run(Parallel parallel, IntToDoubleFunction block) {
        int epochStamp = ++stamp;
        nextTask.set(0);
        failed = false;
        // One claiming loop per thread; which thread runs which task does not change any result.
        parallel.forEachBlock(Math.min(parallel.parallelism(), grid), loop -> {
            try {
                for (int task; (task = nextTask.getAndIncrement()) < taskLoss.length; ) {
                    int s = task / grid;
                    int p = task % grid;
                    if (s > 0 && !(await((s - 1) * grid + p, epochStamp)
                            && await((s - 1) * grid + (p + 1) % grid, epochStamp))) {
                        return; // a task failed: its thread rethrows that failure
                    }
                    taskLoss[task] = block.applyAsDouble(p * grid + (p + s) % grid);
                    finished.setRelease(task, epochStamp);
                }
            } catch (RuntimeException | Error e) {
                failed = true;
                throw e;
            }
        });
        double sum = 0;
        for (double part : taskLoss) {
            sum += part;
        }
        return sum;
    }

    /** Waits until {@code task} has finished in this epoch; false if a task failed meanwhile. */
    private boolean await(int task, int epochStamp) {
        for (int spins = 0; finished.getAcquire(task) != epochStamp; spins++) {
            if (failed) {
                return false;
            }
            if (spins < 1_000) {
                Thread.onSpinWait();
            } else {
                Thread.yield(); // more threads than cores: let the predecessor's thread run
            }
        }
        return true;
    }
}
