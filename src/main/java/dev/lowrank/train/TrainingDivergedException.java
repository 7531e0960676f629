package dev.lowrank.train;

/**
 * Training produced a NaN or infinite loss, gradient or parameter. The model has been restored to the
 * last parameters whose loss was finite (for ALS: the parameters after the last finite iteration, or the
 * starting parameters if the first iteration diverged).
 */
public final class TrainingDivergedException extends ArithmeticException {

    private static final long serialVersionUID = 1L;

    private final int epoch;
    private final double loss;

    TrainingDivergedException(int epoch, double loss, String what, double rate) {
        this(epoch, loss, "training diverged at epoch " + epoch + ": " + what + " (loss " + loss + ", learning rate "
                + rate + "); the model keeps the last parameters with a finite loss. Try a lower learning rate"
                + " (or a smaller initial scale / stronger regularisation).");
    }

    private TrainingDivergedException(int epoch, double loss, String message) {
        super(message);
        this.epoch = epoch;
        this.loss = loss;
    }

    /**
     * ALS went non-finite at {@code iteration} (1-based). ALS has no learning rate: each step is an exact
     * minimisation, so only float overflow (data or weights too large for the regularization) gets here.
     */
    static TrainingDivergedException als(int iteration, double objective, String what) {
        String kept = iteration == 1 ? "its starting parameters"
                : "the parameters after iteration " + (iteration - 1) + ", the last finite one";
        return new TrainingDivergedException(iteration, objective, "training diverged at ALS iteration " + iteration
                + ": " + what + " (objective " + (Double.isNaN(objective) ? "not computed" : objective)
                + "); the model keeps " + kept + ". The data or the weights overflow float: raise the"
                + " regularization or scale the data down.");
    }

    /** The epoch (1-based) at which a non-finite value appeared; for ALS, the iteration. */
    public int epoch() {
        return epoch;
    }

    /** The loss of that epoch (may itself be finite if only the gradient overflowed; NaN if not computed). */
    public double loss() {
        return loss;
    }
}
