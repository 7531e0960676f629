package dev.lowrank.kernel;

/** The kernel implementations lowrank ships. */
public enum Backend {
    /** Plain Java loops: always available, and the baseline in benchmarks. */
    SCALAR,
    /** Hand-written {@code jdk.incubator.vector} kernels: needs {@code --add-modules jdk.incubator.vector} and C2. */
    PANAMA
}
