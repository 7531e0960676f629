package dev.lowrank.train;

/**
 * A learning-rate schedule: the rate for each epoch, counted from 1. Implementations are pure
 * functions of the epoch (so a fit is reproducible).
 */
@FunctionalInterface
public interface LearningRate {

    /** The rate for {@code epoch} (1-based); must be positive and finite. */
    double at(int epoch);

    /** The same rate every epoch. */
    static LearningRate constant(double rate) {
        requirePositive(rate, "learning rate");
        return epoch -> rate;
    }

    /** {@code rate · factor^⌊(epoch − 1) / every⌋}: multiplied by {@code factor} every {@code every} epochs. */
    static LearningRate step(double rate, int every, double factor) {
        requirePositive(rate, "learning rate");
        requirePositive(factor, "step factor");
        if (every < 1) {
            throw new IllegalArgumentException("step every = " + every + " epochs but must be at least 1");
        }
        return epoch -> rate * Math.pow(factor, (epoch - 1) / every);
    }

    /**
     * Cosine decay from {@code rate} at epoch 1 to {@code floor} at epoch {@code epochs} (and after):
     * {@code floor + (rate − floor)·(1 + cos(π·(epoch − 1)/(epochs − 1)))/2}.
     */
    static LearningRate cosine(double rate, int epochs, double floor) {
        requirePositive(rate, "learning rate");
        if (!(floor > 0) || floor > rate || !Double.isFinite(floor)) {
            throw new IllegalArgumentException("cosine floor = " + floor + " must lie in (0, " + rate + "]");
        }
        if (epochs < 1) {
            throw new IllegalArgumentException("cosine epochs = " + epochs + " but must be at least 1");
        }
        return epoch -> {
            if (epochs == 1 || epoch >= epochs) {
                return epochs == 1 && epoch <= 1 ? rate : floor;
            }
            double t = (double) (epoch - 1) / (epochs - 1);
            return floor + (rate - floor) * 0.5 * (1 + Math.cos(Math.PI * t));
        };
    }

    private static void requirePositive(double x, String name) {
        if (!(x > 0) || !Double.isFinite(x)) {
            throw new IllegalArgumentException(name + " = " + x + " must be positive and finite");
        }
    }
}
