package dev.lowrank.train;

import java.util.Arrays;

/** The history of one fit as it runs, and the decision after each epoch whether to go on. */
final class EpochRecorder {
    private final StopRules rules;
    private final long deadline;
    private double[] losses;
    private double[] seconds;
    private double[] norms;
    private int epochs;
    private double total;
    private StopReason reason = StopReason.MAX_EPOCHS;

    EpochRecorder(StopRules rules) {
        // An interrupt before the fit has allocated anything stops it here, with nothing to free.
        checkInterrupt(0);
        this.rules = rules;
        this.deadline = rules.timeBudget() == null ? Long.MAX_VALUE : System.nanoTime() + rules.timeBudget().toNanos();
        // Grown as needed: maxEpochs may be a huge "until converged" bound.
        int capacity = Math.min(rules.maxEpochs(), 1024);
        losses = new double[capacity];
        seconds = new double[capacity];
        norms = new double[capacity];
    }

    /** The next epoch's number (1-based). */
    int nextEpoch() {
        return epochs + 1;
    }

    /**
     * Records the epoch just finished (loss, gradient norm or NaN, rate or NaN, wall seconds), tells the
     * listener, and returns true when the fit should stop.
     */
    boolean record(double loss, double gradientNorm, double rate, double elapsed) {
        int epoch = ++epochs;
        if (epoch > losses.length) {
            int grown = (int) Math.min(rules.maxEpochs(), 2L * losses.length);
            losses = Arrays.copyOf(losses, grown);
            seconds = Arrays.copyOf(seconds, grown);
            norms = Arrays.copyOf(norms, grown);
        }
        losses[epoch - 1] = loss;
        seconds[epoch - 1] = elapsed;
        norms[epoch - 1] = gradientNorm;
        total += elapsed;
        rules.listener().onEpoch(new EpochReport(epoch, rules.maxEpochs(), loss, gradientNorm, rate, elapsed, total));
        if (rules.tolerance() > 0 && epoch > 1
                && Math.abs(loss - losses[epoch - 2]) <= rules.tolerance() * Math.abs(losses[epoch - 2])) {
            reason = StopReason.CONVERGED;
            return true;
        }
        if (epoch >= rules.maxEpochs()) {
            return true;
        }
        // Every trainer calls this after each finished epoch, inside the try that frees its workspaces: the
        // one place where an interrupt is honoured, between epochs, never halfway through one.
        checkInterrupt(epoch);
        if (System.nanoTime() >= deadline) {
            reason = StopReason.TIME_BUDGET;
            return true;
        }
        return false;
    }

    /** Throws {@link TrainingInterruptedException} if this thread is interrupted; the flag stays set. */
    private static void checkInterrupt(int completedEpochs) {
        if (Thread.currentThread().isInterrupted()) {
            throw new TrainingInterruptedException(completedEpochs);
        }
    }

    History history() {
        return new History(losses, seconds, norms, epochs, reason);
    }
}
