package dev.lowrank.cli;

import dev.lowrank.eval.Metrics;
import dev.lowrank.eval.Split;
import dev.lowrank.eval.Splits;
import dev.lowrank.io.Ratings;
import dev.lowrank.io.RatingsFormat;
import dev.lowrank.io.RatingsReader;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.parallel.Parallel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@code lowrank demo}, the embedded default ({@code ./mvnw -B -q compile exec:exec}): ALS on a seeded
 * planted-rank data set, where the best possible test RMSE is known (the noise), then on ML-latest-small
 * when the shared data folder is there, then a short kernel table.
 */
final class DemoCommand {
    /** Relative to the repository root, where exec:exec and bin/lowrank's users run. */
    static final Path MOVIELENS = Path.of("../shared/data/movielens-small/ratings.csv");
    static final double NOISE = 0.25;

    private DemoCommand() {
    }

    static int run(Args a, Main.Context ctx) throws UsageException, IOException {
        PrintStream out = ctx.out();
        int threads = Main.threadCount(a);
        Path movielens = a.has("--movielens") ? a.path("--movielens") : MOVIELENS;
        try (Parallel parallel = Main.pool(threads)) {
            Kernels kernels = Kernels.defaults().withParallel(parallel);
            out.printf(Locale.ROOT, "lowrank %s demo on %s, %d threads%n%n", Main.VERSION, kernels.providerName(),
                    parallel.parallelism());

            Ratings planted = planted(1000, 800, 5, 0.05, NOISE, 7);
            out.printf(Locale.ROOT, "1. planted rank 5 + noise (sd %.2f): %d ratings, %d users x %d items%n", NOISE,
                    planted.size(), planted.userCount(), planted.itemCount());
            Training.Settings als = new Training.Settings(Solver.ALS, 16, 10, 2f, 2f, Double.NaN, 42);
            train(out, planted, als, kernels, "noise floor " + String.format(Locale.ROOT, "%.2f", NOISE));

            out.println();
            if (Files.isRegularFile(movielens)) {
                Ratings ml = RatingsReader.of(RatingsFormat.MOVIELENS_CSV).read(movielens);
                out.printf(Locale.ROOT, "2. MovieLens (%s): %d ratings, %d users x %d items%n", movielens, ml.size(),
                        ml.userCount(), ml.itemCount());
                train(out, ml, Training.Settings.defaults(Solver.ALS, 42), kernels,
                        "biases only 0.8915, Spark ALS 0.892 in DESIGN.md");
            } else {
                out.println("2. MovieLens: skipped, " + movielens + " is absent (the data is not part of the repository)");
            }

            out.println();
            out.println("3. kernel throughput (short; lowrank bench for the full table)");
            KernelBench.run(KernelBench.Settings.SHORT, parallel, out);
        }
        return 0;
    }

    private static void train(PrintStream out, Ratings ratings, Training.Settings s, Kernels kernels, String reference) {
        Split split = Splits.randomHoldout(ratings, 0.1, s.seed());
        double mean = split.train().mean();
        double meanRmse = Metrics.rmse((u, i) -> (float) mean, split.test());
        try (Training.Result r = Training.fit(split, s, kernels,
                m -> new Progress(out, Progress.Mode.QUIET, m, split.test()))) {
            out.printf(Locale.ROOT, "   ALS rank %d, lambda %s, lambda-bias %s, %d iterations: %.2f s (%.3f s each)%n",
                    s.rank(), TrainCommand.num(s.lambda()), TrainCommand.num(s.lambdaBias()), r.history().epochs(),
                    r.seconds(), r.seconds() / r.history().epochs());
            out.printf(Locale.ROOT, "   test RMSE %.4f (train %.4f); predicting the mean: %.4f; %s%n", r.testRmse(),
                    r.trainRmse(), meanRmse, reference);
        }
    }

    /** 3 + u*_i·v*_j + N(0, noise²) at random positions, from hidden N(0, 1/√rank) factors. */
    static Ratings planted(int users, int items, int rank, double density, double noise, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double sd = 1 / Math.sqrt(Math.sqrt(rank));
        double[][] u = new double[users][rank];
        double[][] v = new double[items][rank];
        for (double[] row : u) {
            for (int t = 0; t < rank; t++) {
                row[t] = random.nextGaussian() * sd;
            }
        }
        for (double[] row : v) {
            for (int t = 0; t < rank; t++) {
                row[t] = random.nextGaussian() * sd;
            }
        }
        Ratings.Builder builder = Ratings.builder();
        for (int i = 0; i < users; i++) {
            for (int j = 0; j < items; j++) {
                if (random.nextDouble() < density) {
                    double x = 3;
                    for (int t = 0; t < rank; t++) {
                        x += u[i][t] * v[j][t];
                    }
                    builder.add(Integer.toString(i), Integer.toString(j), (float) (x + noise * random.nextGaussian()));
                }
            }
        }
        return builder.build(dev.lowrank.matrix.DuplicatePolicy.ERROR);
    }
}
