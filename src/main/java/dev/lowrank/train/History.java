package dev.lowrank.train;

import java.util.Arrays;

/**
 * The record of one fit: per epoch the loss (at the parameters the epoch started from), the wall time
 * of the epoch in seconds, and the gradient norm ‖∇‖ over all parameters; and why it stopped.
 */
public final class History {

    private final double[] losses;
    private final double[] seconds;
    private final double[] gradientNorms;
    private final StopReason stopReason;

    History(double[] losses, double[] seconds, double[] gradientNorms, int epochs, StopReason stopReason) {
        this.losses = Arrays.copyOf(losses, epochs);
        this.seconds = Arrays.copyOf(seconds, epochs);
        this.gradientNorms = Arrays.copyOf(gradientNorms, epochs);
        this.stopReason = stopReason;
    }

    /** Epochs run. */
    public int epochs() {
        return losses.length;
    }

    /** Loss per epoch (a copy). */
    public double[] losses() {
        return losses.clone();
    }

    /** Wall time per epoch, seconds (a copy). */
    public double[] seconds() {
        return seconds.clone();
    }

    /** Gradient norm per epoch (a copy). */
    public double[] gradientNorms() {
        return gradientNorms.clone();
    }

    public double loss(int epoch) {
        return losses[epoch - 1];
    }

    /** The loss of the last epoch run (NaN if none ran). */
    public double lastLoss() {
        return losses.length == 0 ? Double.NaN : losses[losses.length - 1];
    }

    public double totalSeconds() {
        double s = 0;
        for (double x : seconds) {
            s += x;
        }
        return s;
    }

    public StopReason stopReason() {
        return stopReason;
    }

    @Override
    public String toString() {
        return "History[" + epochs() + " epochs, last loss " + lastLoss() + ", " + stopReason + "]";
    }
}
