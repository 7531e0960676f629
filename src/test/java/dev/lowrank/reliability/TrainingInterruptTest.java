package dev.lowrank.reliability;

import static dev.lowrank.testkit.Expect.fails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.loss.Loss;
import dev.lowrank.loss.Observations;
import dev.lowrank.loss.Regularization;
import dev.lowrank.loss.SquaredLoss;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.matrix.DuplicatePolicy;
import dev.lowrank.model.FactorModel;
import dev.lowrank.model.Initializer;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.train.Adam;
import dev.lowrank.train.Als;
import dev.lowrank.train.EpochListener;
import dev.lowrank.train.GradientDescent;
import dev.lowrank.train.LearningRate;
import dev.lowrank.train.Sgd;
import dev.lowrank.train.Trainer;
import dev.lowrank.train.TrainingDivergedException;
import dev.lowrank.train.TrainingInterruptedException;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Interrupted and diverging fits: the fit stops at an epoch boundary with a documented exception, the
 * model holds exactly the factors of the last completed (or last finite) epoch, and for interrupts the
 * thread's flag stays set.
 */
class TrainingInterruptTest {

    private static Parallel two;
    private static CsrMatrix data;

    @BeforeAll
    static void setUp() {
        two = Parallel.threads(2);
        SplittableRandom rnd = new SplittableRandom(5);
        int m = 60;
        int n = 40;
        int nnz = 600;
        int[] r = new int[nnz];
        int[] c = new int[nnz];
        float[] v = new float[nnz];
        for (int t = 0; t < nnz; t++) {
            r[t] = rnd.nextInt(m);
            c[t] = rnd.nextInt(n);
            v[t] = 1 + rnd.nextInt(5);
        }
        data = CsrMatrix.fromCoo(m, n, r, c, v, DuplicatePolicy.LAST);
    }

    @AfterAll
    static void tearDown() {
        data.close();
        two.close();
    }

    /** A solver run on a fresh model: the listener sees each epoch, and the fit uses {@code epochs} epochs at most. */
    private interface Fit {
        void run(FactorModel model, Observations obs, int epochs, EpochListener listener);
    }

    private static FactorModel model(Kernels k, boolean biases) {
        return FactorModel.create(data.rows(), data.cols(), 4, biases, Initializer.scaledNormal(9), k);
    }

    private static float[][] parameters(FactorModel model) {
        return model.parameters().stream().map(DenseMatrix::toFlatArray).toArray(float[][]::new);
    }

    /**
     * Interrupts the fitting thread from inside the listener after epoch {@code at} (the boundary case) and
     * from another thread while epochs run (the mid-epoch case); either way the model must equal a clean
     * fit of the reported number of completed epochs.
     */
    private static void interruptStopsAtAnEpochBoundary(Fit fit, boolean biases) throws Exception {
        Kernels k = Kernels.of(Backend.PANAMA, two);
        try (Observations obs = Observations.of(data)) {
            // 1. The interrupt arrives at the end of epoch 2, from the fitting thread itself.
            try (FactorModel model = model(k, biases)) {
                TrainingInterruptedException e = fails(TrainingInterruptedException.class, () -> fit.run(model, obs, 50,
                        r -> {
                            if (r.epoch() == 2) {
                                Thread.currentThread().interrupt();
                            }
                        }), "interrupted after 2 completed epoch(s)");
                assertTrue(Thread.interrupted(), "the interrupt flag must stay set");
                assertEquals(2, e.completedEpochs());
                assertSameAsCleanFit(fit, obs, k, biases, 2, parameters(model));
            }
            // 2. Another thread interrupts while epochs run; whichever epoch was running completes.
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicReference<float[][]> after = new AtomicReference<>();
            AtomicReference<Boolean> flag = new AtomicReference<>();
            CountDownLatch running = new CountDownLatch(1);
            try (FactorModel model = model(k, biases)) {
                Thread worker = Thread.ofPlatform().start(() -> {
                    try {
                        fit.run(model, obs, 1_000_000, r -> running.countDown());
                    } catch (Throwable t) {
                        thrown.set(t);
                    }
                    flag.set(Thread.currentThread().isInterrupted());
                    after.set(parameters(model));
                });
                running.await();
                worker.interrupt();
                worker.join();
            }
            TrainingInterruptedException e = (TrainingInterruptedException) thrown.get();
            assertNotNull(e, "the fit must end with TrainingInterruptedException");
            assertTrue(flag.get(), "the interrupt flag must stay set");
            assertTrue(e.completedEpochs() >= 1);
            assertSameAsCleanFit(fit, obs, k, biases, e.completedEpochs(), after.get());
            // 3. An interrupt before the fit starts: nothing is trained or allocated.
            try (FactorModel model = model(k, biases)) {
                float[][] before = parameters(model);
                Thread.currentThread().interrupt();
                try {
                    fails(TrainingInterruptedException.class, () -> fit.run(model, obs, 5, EpochListener.none()),
                            "after 0 completed epoch(s)");
                } finally {
                    assertTrue(Thread.interrupted());
                }
                assertArrays(before, parameters(model), "an interrupt before the first epoch changes nothing");
            }
        }
    }

    private static void assertSameAsCleanFit(Fit fit, Observations obs, Kernels k, boolean biases, int epochs,
                                             float[][] got) {
        try (FactorModel clean = model(k, biases)) {
            fit.run(clean, obs, epochs, EpochListener.none());
            assertFalse(Thread.currentThread().isInterrupted());
            assertArrays(parameters(clean), got, "the model after the interrupt vs a clean " + epochs + "-epoch fit");
        }
    }

    private static void assertArrays(float[][] expected, float[][] actual, String what) {
        assertEquals(expected.length, actual.length);
        for (int t = 0; t < expected.length; t++) {
            assertArrayEquals(expected[t], actual[t], what + ", parameter " + t);
        }
    }

    @Test
    @DisplayName("R41 interrupt during Trainer.fit (Adam)")
    void r41() throws Exception {
        interruptStopsAtAnEpochBoundary((model, obs, epochs, listener) -> {
            try (Loss loss = SquaredLoss.l4(obs, 1f, 0.05f, Regularization.of(0.05f), model.kernels())) {
                Trainer.builder(Adam.of(0.01)).maxEpochs(epochs).kernels(model.kernels()).listener(listener).build()
                        .fit(model, loss);
            }
        }, true);
    }

    @Test
    @DisplayName("R42 interrupt during Als.fit")
    void r42() throws Exception {
        interruptStopsAtAnEpochBoundary((model, obs, epochs, listener) -> Als.builder().maxIterations(epochs)
                .kernels(model.kernels()).listener(listener).build().fit(model, obs), true);
    }

    @Test
    @DisplayName("R43 interrupt during Sgd.fit")
    void r43() throws Exception {
        interruptStopsAtAnEpochBoundary((model, obs, epochs, listener) -> Sgd.builder().maxEpochs(epochs).grid(3)
                .kernels(model.kernels()).listener(listener).build().fit(model, obs), true);
    }

    @Test
    @DisplayName("R44 exploding learning rate in Trainer (gradient descent)")
    void r44() {
        Kernels k = Kernels.of(Backend.PANAMA, two);
        try (Observations obs = Observations.of(data);
             Loss loss = SquaredLoss.l3(obs, 1f, Regularization.none(), k);
             FactorModel model = model(k, false)) {
            float[][][] lastGood = new float[1][][];
            TrainingDivergedException e = fails(TrainingDivergedException.class,
                    () -> Trainer.builder(GradientDescent.of(5)).maxEpochs(500).kernels(k)
                            .listener(r -> lastGood[0] = parameters(model)).build().fit(model, loss),
                    "diverged at epoch", "learning rate 5.0", "lower learning rate");
            assertTrue(e.epoch() >= 1, "epoch " + e.epoch());
            for (float[] p : parameters(model)) {
                for (float x : p) {
                    assertTrue(Float.isFinite(x), "the model must keep finite factors");
                }
            }
        }
    }

    @Test
    @DisplayName("R45 exploding learning rate in Sgd")
    void r45() {
        Kernels k = Kernels.of(Backend.PANAMA, two);
        try (Observations obs = Observations.of(data); FactorModel model = model(k, true)) {
            float[][][] lastGood = {parameters(model)};
            TrainingDivergedException e = fails(TrainingDivergedException.class,
                    () -> Sgd.builder().maxEpochs(500).learningRate(LearningRate.constant(3)).grid(3).kernels(k)
                            .listener(r -> lastGood[0] = parameters(model)).build().fit(model, obs),
                    "diverged at epoch", "learning rate 3.0", "lower learning rate");
            assertTrue(e.epoch() >= 1, "epoch " + e.epoch());
            // μ is set from the data before the first epoch; everything else is the last finite epoch's.
            float[][] now = parameters(model);
            for (int t = 0; t < now.length; t++) {
                if (now[t].length > 1) {
                    assertArrayEquals(lastGood[0][t], now[t], "parameter " + t + " after divergence at epoch " + e.epoch());
                }
            }
        }
    }
}
