package dev.lowrank.bench;

import dev.lowrank.eval.Metrics;
import dev.lowrank.eval.Split;
import dev.lowrank.eval.Splits;
import dev.lowrank.io.Ratings;
import dev.lowrank.io.RatingsFormat;
import dev.lowrank.io.RatingsReader;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.loss.Observations;
import dev.lowrank.loss.Regularization;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.model.FactorModel;
import dev.lowrank.model.Initializer;
import dev.lowrank.train.Als;
import dev.lowrank.train.History;
import dev.lowrank.train.LearningRate;
import dev.lowrank.train.RowSolver;
import dev.lowrank.train.Sgd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * ALS (plain and ALS-WR, Cholesky and CG rows) and SGD judged on ML-latest-small: seeded 90/10 random
 * split (seed 42), rank 64, biases on; test RMSE and seconds per iteration for a grid of regularisation
 * weights, on the common pool. Not JMH: a
 * fit is seconds long and is timed whole (the first configuration includes JIT warm-up).
 *
 * <pre>./mvnw -B -q -Pbench package exec:exec -Dexec.mainClass=dev.lowrank.bench.MovieLensSolvers [-Dcli.args="ratings.csv als|sgd|all"]</pre>
 */
public final class MovieLensSolvers {
    private MovieLensSolvers() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args.length > 0 ? args[0] : "../shared/data/movielens-small/ratings.csv");
        String solvers = args.length > 1 ? args[1] : "all";
        if (!Files.isRegularFile(file)) {
            System.out.println("skipped: " + file + " is absent (the ratings are not part of the repository)");
            return;
        }
        Ratings all = RatingsReader.of(RatingsFormat.MOVIELENS_CSV).read(file);
        Split split = Splits.randomHoldout(all, 0.1, 42);
        Kernels kernels = Kernels.defaults();
        int rank = 64;
        System.out.printf(Locale.ROOT, "%s, %d train / %d test, rank %d, %s, %d threads%n", all, split.train().size(),
                split.test().size(), rank, kernels.providerName(), kernels.parallel().parallelism());
        try (CsrMatrix a = split.train().toCsr(); Observations data = Observations.of(a)) {
            for (float rho : solvers.equals("sgd") ? new float[0] : new float[] {5f, 10f, 15f}) {
                for (float rhoB : new float[] {1f, 5f}) {
                    try (FactorModel m = FactorModel.create(all.userCount(), all.itemCount(), rank, true,
                            Initializer.scaledNormal(1), kernels)) {
                        History h = Als.builder().maxIterations(10).regularization(new Regularization(rho, rhoB))
                                .kernels(kernels).build().fit(m, data);
                        System.out.printf(Locale.ROOT, "ALS rho_f %4.1f rho_b %3.1f: test RMSE %.4f, %.3f s/iteration (median)%n",
                                rho, rhoB, Metrics.rmse(m::predict, split.test()), median(h.seconds()));
                    }
                }
            }
            // ALS-WR (penalties × observation count): λ about 100× smaller; exact rows and 3 CG steps.
            for (float rho : solvers.equals("sgd") ? new float[0] : new float[] {0.05f, 0.1f, 0.15f, 0.2f}) {
                for (RowSolver solver : new RowSolver[] {RowSolver.cholesky(), RowSolver.conjugateGradient(3)}) {
                    try (FactorModel m = FactorModel.create(all.userCount(), all.itemCount(), rank, true,
                            Initializer.scaledNormal(1), kernels)) {
                        History h = Als.builder().maxIterations(10).regularization(Regularization.of(rho))
                                .weightedRegularization(true).solver(solver).reportObjective(false)
                                .kernels(kernels).build().fit(m, data);
                        System.out.printf(Locale.ROOT, "ALS-WR %-21s rho %.2f: test RMSE %.4f, %.3f s/iteration (median)%n",
                                solver, rho, Metrics.rmse(m::predict, split.test()), median(h.seconds()));
                    }
                }
            }
            // SGD: factors drawn from N(0, σ²), rate η, ρ_f on factors and ρ_b = 0.02 on biases; the test
            // RMSE after 60 and after 100 epochs of one fit.
            for (double sigma : solvers.equals("als") ? new double[0] : new double[] {0.01, 0.1}) {
                for (double rate : new double[] {0.005, 0.01}) {
                    for (float rho : new float[] {0.06f, 0.08f, 0.1f}) {
                        try (FactorModel m = FactorModel.create(all.userCount(), all.itemCount(), rank, true,
                                Initializer.normal(sigma, 1), kernels)) {
                            double[] at = new double[2];
                            History h = Sgd.builder().maxEpochs(100).learningRate(LearningRate.constant(rate))
                                    .regularization(new Regularization(rho, 0.02f)).kernels(kernels)
                                    .listener(r -> {
                                        if (r.epoch() == 60 || r.epoch() == 100) {
                                            at[r.epoch() / 100] = Metrics.rmse(m::predict, split.test());
                                        }
                                    }).build().fit(m, data);
                            System.out.printf(Locale.ROOT, "SGD sigma %.2f rate %.3f rho_f %.2f rho_b 0.02: test RMSE %.4f after 60 epochs,"
                                    + " %.4f after 100, %.4f s/epoch (median)%n", sigma, rate, rho, at[0], at[1], median(h.seconds()));
                        }
                    }
                }
            }
        }
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        java.util.Arrays.sort(s);
        return s[s.length / 2];
    }
}
