package dev.lowrank.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.loss.Gradients;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class TrainerTest {

    /** Seed 000's 5×5 interaction table (0 = unobserved). */
    private static final float[] SEED_000_A = {
            5, 0, 2, 0, 0,
            0, 0, 3, 1, 0,
            0, 0, 0, 1, 5,
            2, 0, 0, 0, 1,
            0, 0, 0, 0, 5};

    @ParameterizedTest
    @EnumSource(Backend.class)
    void seed000LossDecreasesMonotonicallyForL3AndL4(Backend backend) {
        Kernels kernels = Kernels.of(backend, Parallel.sequential());
        for (float lambda2 : new float[] {0f, 0.001f}) {
            try (DenseMatrix a = DenseMatrix.of(5, 5, SEED_000_A);
                 FactorModel model = FactorModel.create(5, 5, 3, false, Initializer.uniform(0), kernels)) {
                History h = Trainer.fit(model, a, 250, Adam.of(1e-3), 0.01f, lambda2, 0);
                assertEquals(250, h.epochs());
                double[] l = h.losses();
                for (int t = 1; t < l.length; t++) {
                    assertTrue(l[t] < l[t - 1], "lambda2=" + lambda2 + ": loss rose at epoch " + (t + 1) + ": "
                            + l[t - 1] + " -> " + l[t]);
                }
                assertTrue(l[249] < 0.9 * l[0], "lambda2=" + lambda2 + ": loss fell only from " + l[0] + " to " + l[249]);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void plantedRankMatrixIsFittedToTheNoiseFloor(Backend backend) {
        int m = 60;
        int n = 45;
        int r = 3;
        double sigma = 0.01;
        SplittableRandom rnd = new SplittableRandom(7);
        double[][] us = gaussian(rnd, m, r);
        double[][] vs = gaussian(rnd, n, r);
        List<int[]> pos = new ArrayList<>();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                if (rnd.nextDouble() < 0.7) {
                    pos.add(new int[] {i, j});
                }
            }
        }
        int[] ri = new int[pos.size()];
        int[] ci = new int[pos.size()];
        float[] v = new float[pos.size()];
        for (int t = 0; t < ri.length; t++) {
            ri[t] = pos.get(t)[0];
            ci[t] = pos.get(t)[1];
            double x = 0;
            for (int q = 0; q < r; q++) {
                x += us[ri[t]][q] * vs[ci[t]][q];
            }
            v[t] = (float) (x + sigma * rnd.nextGaussian());
        }
        Kernels kernels = Kernels.of(backend, Parallel.sequential());
        try (CsrMatrix a = CsrMatrix.fromCoo(m, n, ri, ci, v, DuplicatePolicy.ERROR);
             Observations obs = Observations.of(a);
             Loss loss = SquaredLoss.l3(obs, 1f, Regularization.none(), kernels);
             FactorModel model = FactorModel.create(m, n, r, false, Initializer.scaledNormal(3), kernels)) {
            History h = Trainer.builder(Adam.of(LearningRate.cosine(0.05, 600, 0.002))).maxEpochs(600).kernels(kernels)
                    .build().fit(model, loss);
            double mse = loss.value(model) / ri.length;
            // Rank-r fit on 70% of the entries: the training error should reach about σ² (a bit below).
            assertTrue(mse < 2 * sigma * sigma, "mse " + mse + " after " + h.epochs() + " epochs, noise floor "
                    + sigma * sigma + ", first loss " + h.loss(1));
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void sameSeedGivesIdenticalFactorsOnOneTwoAndThreeThreads(Backend backend) {
        float[][] reference = null;
        for (int threads = 1; threads <= 3; threads++) {
            try (Parallel par = Parallel.threads(threads)) {
                Kernels kernels = Kernels.of(backend, par);
                float[][] got = trainSmall(kernels);
                if (reference == null) {
                    reference = got;
                } else {
                    for (int t = 0; t < got.length; t++) {
                        assertArrayEquals(reference[t], got[t], "parameter " + t + " differs on " + threads + " threads");
                    }
                }
            }
        }
    }

    /** A 3000×400 problem: big enough that every kernel and pass is cut into several blocks. */
    private static float[][] trainSmall(Kernels kernels) {
        SplittableRandom rnd = new SplittableRandom(11);
        int m = 3000;
        int n = 400;
        int nnz = 40_000;
        int[] ri = new int[nnz];
        int[] ci = new int[nnz];
        float[] v = new float[nnz];
        for (int t = 0; t < nnz; t++) {
            ri[t] = rnd.nextInt(m);
            ci[t] = rnd.nextInt(n);
            v[t] = 1 + rnd.nextInt(5);
        }
        try (CsrMatrix a = CsrMatrix.fromCoo(m, n, ri, ci, v, DuplicatePolicy.SUM);
             Observations obs = Observations.of(a);
             Loss loss = SquaredLoss.l4(obs, 1f, 0.01f, Regularization.of(0.05f), kernels);
             FactorModel model = FactorModel.create(m, n, 16, true, Initializer.scaledNormal(5), kernels)) {
            Trainer.builder(Adam.of(0.01)).maxEpochs(3).kernels(kernels).build().fit(model, loss);
            float[][] out = new float[5][];
            for (int t = 0; t < 5; t++) {
                out[t] = model.parameters().get(t).toFlatArray();
            }
            return out;
        }
    }

    @Test
    void adamMatchesAHandComputedReference() {
        // Loss ½‖p − c‖² over every parameter, so ∇p = p − c; three steps checked against Keras's formulas.
        Kernels kernels = Kernels.of(Backend.SCALAR, Parallel.sequential());
        try (FactorModel model = FactorModel.create(3, 2, 2, true, Initializer.normal(1, 9), kernels)) {
            int count = 0;
            List<double[]> p = new ArrayList<>();
            for (DenseMatrix d : model.parameters()) {
                float[] f = d.toFlatArray();
                double[] x = new double[f.length];
                for (int t = 0; t < f.length; t++) {
                    x[t] = f[t];
                }
                p.add(x);
                count += f.length;
            }
            Loss quadratic = new TargetLoss(3, 2, 0.25f);
            double[] lrs = {0.1, 0.05, 0.2};
            Trainer.builder(Adam.of(epoch -> lrs[epoch - 1])).maxEpochs(3).kernels(kernels).build().fit(model, quadratic);
            for (int part = 0; part < p.size(); part++) {
                double[] x = p.get(part);
                float[] got = model.parameters().get(part).toFlatArray();
                for (int t = 0; t < x.length; t++) {
                    double mm = 0;
                    double vv = 0;
                    double xx = x[t];
                    for (int step = 1; step <= 3; step++) {
                        double g = xx - 0.25;
                        mm = 0.9 * mm + 0.1 * g;
                        vv = 0.999 * vv + 0.001 * g * g;
                        double alpha = lrs[step - 1] * Math.sqrt(1 - Math.pow(0.999, step)) / (1 - Math.pow(0.9, step));
                        xx -= alpha * mm / (Math.sqrt(vv) + 1e-7);
                    }
                    assertEquals(xx, got[t], 1e-5 * (1 + Math.abs(xx)), "parameter " + part + "[" + t + "]");
                }
            }
            assertTrue(count > 0);
        }
    }

    /** ½‖p − c‖² over all parameters: a test loss whose gradient is known exactly. */
    private record TargetLoss(int users, int items, float c) implements Loss {
        @Override
        public double evaluate(FactorModel model, Gradients out) {
            double sum = 0;
            for (int part = 0; part < model.parameters().size(); part++) {
                DenseMatrix p = model.parameters().get(part);
                for (int i = 0; i < p.rows(); i++) {
                    for (int j = 0; j < p.cols(); j++) {
                        float d = p.get(i, j) - c;
                        sum += 0.5 * d * d;
                        if (out != null) {
                            out.parts().get(part).set(i, j, d);
                        }
                    }
                }
            }
            return sum;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void divergenceThrowsNamingTheEpochAndKeepsTheLastFiniteFactors() {
        Kernels kernels = Kernels.of(Backend.SCALAR, Parallel.sequential());
        try (DenseMatrix a = DenseMatrix.of(5, 5, SEED_000_A);
             Observations obs = Observations.nonZero(a);
             Loss loss = SquaredLoss.l3(obs, 1f, Regularization.none(), kernels);
             FactorModel model = FactorModel.create(5, 5, 3, false, Initializer.uniform(1), kernels)) {
            List<float[]> seen = new ArrayList<>();
            List<Double> losses = new ArrayList<>();
            EpochListener record = r -> {
                losses.add(r.loss());
            };
            Trainer t = Trainer.builder(GradientDescent.of(5.0)).maxEpochs(200).kernels(kernels)
                    .listener(r -> {
                        record.onEpoch(r);
                        seen.add(model.userFactors().toFlatArray());
                    }).build();
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> t.fit(model, loss));
            assertTrue(e.getMessage().contains("epoch " + e.epoch()) && e.getMessage().contains("lower learning rate"),
                    e.getMessage());
            double last = loss.value(model);
            assertTrue(Double.isFinite(last), "the model was left with loss " + last);
            for (DenseMatrix p : model.parameters()) {
                for (float x : p.toFlatArray()) {
                    assertTrue(Float.isFinite(x));
                }
            }
            assertTrue(e.epoch() >= 2, "diverged at epoch " + e.epoch());
        }
    }

    @Test
    void toleranceStopsEarlyAndTimeBudgetStops() {
        Kernels kernels = Kernels.of(Backend.SCALAR, Parallel.sequential());
        try (DenseMatrix a = DenseMatrix.of(5, 5, SEED_000_A);
             Observations obs = Observations.nonZero(a);
             Loss loss = SquaredLoss.l3(obs, 1f, Regularization.of(0.1f), kernels);
             FactorModel model = FactorModel.create(5, 5, 2, true, Initializer.scaledNormal(2), kernels)) {
            History h = Trainer.builder(Adam.of(0.05)).maxEpochs(100_000).tolerance(1e-6).kernels(kernels).build()
                    .fit(model, loss);
            assertEquals(StopReason.CONVERGED, h.stopReason());
            assertTrue(h.epochs() < 100_000);
            double[] l = h.losses();
            assertTrue(Math.abs(l[l.length - 1] - l[l.length - 2]) <= 1e-6 * Math.abs(l[l.length - 2]));
            List<Integer> epochs = new ArrayList<>();
            History b = Trainer.builder(Adam.of(1e-4)).maxEpochs(Integer.MAX_VALUE / 16).timeBudget(Duration.ofMillis(50))
                    .kernels(kernels).listener(r -> epochs.add(r.epoch())).build().fit(model, loss);
            assertEquals(StopReason.TIME_BUDGET, b.stopReason());
            assertEquals(b.epochs(), epochs.size());
            for (int t = 0; t < epochs.size(); t++) {
                assertEquals(t + 1, epochs.get(t));
            }
        }
    }

    @Test
    void argumentsAreValidatedWithMessages() {
        assertThrows(IllegalArgumentException.class, () -> Adam.of(0));
        assertThrows(IllegalArgumentException.class, () -> GradientDescent.of(-1));
        assertThrows(IllegalArgumentException.class, () -> Trainer.builder(Adam.of(1e-3)).maxEpochs(0));
        assertThrows(IllegalArgumentException.class, () -> Trainer.builder(Adam.of(1e-3)).tolerance(-1));
        IllegalArgumentException rank = assertThrows(IllegalArgumentException.class,
                () -> FactorModel.create(3, 3, 0, false, Initializer.uniform(1)));
        assertTrue(rank.getMessage().contains("rank"), rank.getMessage());
        Kernels kernels = Kernels.of(Backend.SCALAR, Parallel.sequential());
        try (DenseMatrix a = DenseMatrix.of(5, 5, SEED_000_A);
             Observations obs = Observations.nonZero(a);
             FactorModel wrong = FactorModel.create(4, 5, 2, false, Initializer.uniform(1), kernels);
             Loss loss = SquaredLoss.l3(obs, 1f, Regularization.none(), kernels)) {
            IllegalArgumentException neg = assertThrows(IllegalArgumentException.class,
                    () -> SquaredLoss.l4(obs, 1f, -0.1f, Regularization.none(), kernels));
            assertTrue(neg.getMessage().contains("lambda2"), neg.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new Regularization(-1f, 0f));
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> Trainer.builder(Adam.of(1e-3)).build().fit(wrong, loss));
            assertTrue(shape.getMessage().contains("5x5") && shape.getMessage().contains("4x5"), shape.getMessage());
            IllegalArgumentException eval = assertThrows(IllegalArgumentException.class, () -> loss.value(wrong));
            assertTrue(eval.getMessage().contains("A is 5x5"), eval.getMessage());
        }
    }

    @Test
    void schedules() {
        assertEquals(0.1, LearningRate.constant(0.1).at(77));
        LearningRate step = LearningRate.step(1.0, 10, 0.5);
        assertEquals(1.0, step.at(1));
        assertEquals(1.0, step.at(10));
        assertEquals(0.5, step.at(11));
        assertEquals(0.25, step.at(21));
        LearningRate cos = LearningRate.cosine(1.0, 11, 0.1);
        assertEquals(1.0, cos.at(1), 1e-12);
        assertEquals(0.55, cos.at(6), 1e-12);
        assertEquals(0.1, cos.at(11), 1e-12);
        assertEquals(0.1, cos.at(50), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> LearningRate.cosine(1.0, 10, 2.0));
    }

    private static double[][] gaussian(SplittableRandom rnd, int rows, int cols) {
        double[][] x = new double[rows][cols];
        for (double[] row : x) {
            for (int j = 0; j < cols; j++) {
                row[j] = rnd.nextGaussian();
            }
        }
        return x;
    }
}
