package dev.lowrank.train;

import dev.lowrank.loss.Gradients;
import dev.lowrank.model.FactorModel;

/** An optimiser's state during one fit. Made by {@link Optimizer#start}; close it to free it. */
public interface OptimizerState extends AutoCloseable {

    /** Applies one update to {@code model}'s parameters with gradients {@code g} at learning rate {@code rate}. */
    void step(FactorModel model, Gradients g, double rate);

    @Override
    void close();
}
