package dev.lowrank.loss;

/**
 * L2 penalties added to every loss: {@code factors·(‖U‖² + ‖V‖²) + biases·(‖b‖² + ‖c‖²)}. The global bias
 * μ is never penalised (it only centres the data). Both weights must be finite and non-negative.
 */
public record Regularization(float factors, float biases) {

    public Regularization {
        if (!(factors >= 0f) || !Float.isFinite(factors)) {
            throw new IllegalArgumentException("factor L2 weight = " + factors + " must be finite and non-negative");
        }
        if (!(biases >= 0f) || !Float.isFinite(biases)) {
            throw new IllegalArgumentException("bias L2 weight = " + biases + " must be finite and non-negative");
        }
    }

    /** No penalty (seed 000's losses). */
    public static Regularization none() {
        return new Regularization(0f, 0f);
    }

    /** The same weight on factors and biases. */
    public static Regularization of(float lambda) {
        return new Regularization(lambda, lambda);
    }
}
