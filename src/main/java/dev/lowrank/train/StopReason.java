package dev.lowrank.train;

/** Why {@link Trainer#fit} stopped. */
public enum StopReason {
    /** The epoch limit was reached. */
    MAX_EPOCHS,
    /** The relative change of the loss between two epochs fell below the tolerance. */
    CONVERGED,
    /** The time budget was spent. */
    TIME_BUDGET
}
