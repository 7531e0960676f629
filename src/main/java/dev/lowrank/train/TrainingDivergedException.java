package dev.lowrank.train;

/**
 * Training produced a NaN or infinite loss, gradient or parameter. The model has been restored to the
 * last parameters whose loss was finite.
 */
public final class TrainingDivergedException extends ArithmeticException {

    private static final long serialVersionUID = 1L;

    private final int epoch;
    private final double loss;

    TrainingDivergedException(int epoch, double loss, String what, double rate) {
        super("training diverged at epoch " + epoch + ": " + what + " (loss " + loss + ", learning rate " + rate
                + "); the model keeps the last parameters with a finite loss. Try a lower learning rate"
                + " (or a smaller initial scale / stronger regularisation).");
        this.epoch = epoch;
        this.loss = loss;
    }

    /** The epoch (1-based) at which a non-finite value appeared. */
    public int epoch() {
        return epoch;
    }

    /** The loss of that epoch (may itself be finite if only the gradient overflowed). */
    public double loss() {
        return loss;
    }
}
