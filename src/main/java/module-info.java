/**
 * lowrank: matrix-factorization embeddings trained with hand-written Vector API kernels over
 * off-heap memory. Depends on the JDK alone; the Vector API module is optional at run time (without
 * it the scalar kernels are used and one warning says which flag to add).
 */
module dev.lowrank {
    requires static jdk.incubator.vector;
    requires jdk.management;

    exports dev.lowrank.matrix;
    exports dev.lowrank.parallel;
    exports dev.lowrank.kernel;
    exports dev.lowrank.io;
    exports dev.lowrank.eval;
    exports dev.lowrank.loss;
    exports dev.lowrank.train;
    exports dev.lowrank.model;
}
