package dev.lowrank.kernel;

/** How a kernel reads a matrix operand: as stored, or transposed. */
public enum Op {
    /** op(X) = X. */
    IDENTITY,
    /** op(X) = Xᵀ. */
    TRANSPOSE
}
