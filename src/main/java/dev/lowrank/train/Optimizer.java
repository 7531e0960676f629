package dev.lowrank.train;

import dev.lowrank.kernel.Kernels;
import dev.lowrank.model.FactorModel;

/** A full-batch update rule: {@link GradientDescent} or {@link Adam}. Immutable; state lives per fit. */
public sealed interface Optimizer permits GradientDescent, Adam {

    LearningRate learningRate();

    /** Allocates this rule's per-fit state (moments etc.) for {@code model}'s parameters. */
    OptimizerState start(FactorModel model, Kernels kernels);
}
