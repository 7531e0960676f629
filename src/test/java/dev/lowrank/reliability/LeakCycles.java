package dev.lowrank.reliability;

import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.loss.Loss;
import dev.lowrank.loss.Observations;
import dev.lowrank.loss.Regularization;
import dev.lowrank.loss.SquaredLoss;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DuplicatePolicy;
import dev.lowrank.model.FactorModel;
import dev.lowrank.model.Initializer;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.testkit.ChildJvm;
import dev.lowrank.train.Als;
import dev.lowrank.train.EpochListener;
import dev.lowrank.train.GradientDescent;
import dev.lowrank.train.Sgd;
import dev.lowrank.train.Trainer;
import dev.lowrank.train.TrainingInterruptedException;

/**
 * The body of the leak test, run in a child JVM started with {@code -XX:NativeMemoryTracking=summary}:
 * on JDK 25 a native {@code MemorySegment} is not counted by the "direct" BufferPoolMXBean (measured: it
 * stays at 0), but NMT counts every {@code Arena.allocate} under the "Other" category. Prints
 * {@code before=<bytes> after=<bytes> cycles=<n>}. Arg: the number of cycles.
 */
public final class LeakCycles {
    private LeakCycles() {
    }

    public static void main(String[] args) throws Exception {
        int cycles = Integer.parseInt(args[0]);
        Kernels k = Kernels.of(Backend.PANAMA, Parallel.sequential());
        // Warm-up cycles first, so that anything made once per JVM is already counted in "before".
        for (int c = 0; c < 30; c++) {
            cycle(k, c);
        }
        System.gc();
        long before = ChildJvm.nativeOtherBytes();
        for (int c = 1; c <= cycles; c++) {
            cycle(k, c);
        }
        System.gc();
        long after = ChildJvm.nativeOtherBytes();
        System.out.println("before=" + before + " after=" + after + " cycles=" + cycles);
    }

    /**
     * One allocate/fit/close cycle of a 5x4 rank-2 model; the solver rotates over Trainer, Als and Sgd, and
     * every fourth cycle is interrupted after its first epoch, so the interrupt path must free its
     * workspaces too.
     */
    static void cycle(Kernels k, int cycle) {
        int[] r = {0, 0, 1, 2, 3, 4, 4};
        int[] c = {0, 2, 1, 3, 0, 1, 3};
        float[] v = {5, 3, 4, 1, 2, 4, 5};
        boolean interrupt = cycle % 4 == 3;
        EpochListener listener = interrupt ? report -> Thread.currentThread().interrupt() : EpochListener.none();
        try (CsrMatrix a = CsrMatrix.fromCoo(5, 4, r, c, v, DuplicatePolicy.ERROR);
             Observations obs = Observations.of(a);
             FactorModel model = FactorModel.create(5, 4, 2, cycle % 3 != 0, Initializer.scaledNormal(cycle), k)) {
            switch (cycle % 3) {
                case 0 -> {
                    try (Loss loss = SquaredLoss.l4(obs, 1f, 0.1f, Regularization.of(0.1f), k)) {
                        Trainer.builder(GradientDescent.of(0.01)).maxEpochs(2).kernels(k).listener(listener).build()
                                .fit(model, loss);
                    }
                }
                case 1 -> Als.builder().maxIterations(2).kernels(k).listener(listener).build().fit(model, obs);
                default -> Sgd.builder().maxEpochs(2).grid(2).kernels(k).listener(listener).build().fit(model, obs);
            }
            if (interrupt) {
                throw new IllegalStateException("cycle " + cycle + " was not interrupted");
            }
        } catch (TrainingInterruptedException expected) {
            if (!interrupt || !Thread.interrupted()) {
                throw expected;
            }
        }
    }
}
