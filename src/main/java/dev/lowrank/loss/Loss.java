package dev.lowrank.loss;

import dev.lowrank.model.FactorModel;

/**
 * A training objective bound to its data. {@link #evaluate} is the one fused call a trainer makes per
 * epoch: it returns the loss at the model's current parameters and writes every gradient into a
 * preallocated {@link Gradients}. A loss owns the workspaces it needs (allocated once, when it is made)
 * and frees them on {@link #close()}; it borrows the data it was made from.
 *
 * <p>See docs/losses.md for the exact definitions, the accumulation order and the NaN policy.
 */
public interface Loss extends AutoCloseable {

    /** Rows of the data (users). */
    int users();

    /** Columns of the data (items). */
    int items();

    /**
     * The loss at {@code model}'s parameters; when {@code out} is not null, also writes ∂loss/∂p for every
     * parameter p of the model into {@code out} (overwriting it). Summed in double in a fixed block order:
     * the result does not depend on the thread count.
     */
    double evaluate(FactorModel model, Gradients out);

    /** The loss alone (no gradients are computed). */
    default double value(FactorModel model) {
        return evaluate(model, null);
    }

    @Override
    void close();
}
