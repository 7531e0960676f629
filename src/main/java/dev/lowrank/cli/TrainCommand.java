package dev.lowrank.cli;

import dev.lowrank.eval.Split;
import dev.lowrank.eval.Splits;
import dev.lowrank.io.Ratings;
import dev.lowrank.io.RatingsFormat;
import dev.lowrank.io.RatingsReader;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.parallel.Parallel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/** {@code lowrank train}: read, split, train, report, optionally save. */
final class TrainCommand {
    static final double DEFAULT_TEST_FRACTION = 0.1;
    static final long DEFAULT_SEED = 42;

    private TrainCommand() {
    }

    static int run(Args a, Main.Context ctx) throws UsageException, IOException {
        Path input = a.path("--input");
        RatingsFormat format = Formats.of("train", a.string("--format", null), input);
        Solver solver = Solver.of("train", a.string("--solver", "als"));
        if (!solver.hasLearningRate() && a.has("--learning-rate")) {
            throw new UsageException("train", "--learning-rate does not apply to " + solver.id()
                    + " (it solves each half-step exactly)");
        }
        long seed = a.longValue("--seed", DEFAULT_SEED);
        Training.Settings settings = new Training.Settings(solver, a.integer("--rank", solver.rank, 1),
                a.integer("--epochs", solver.epochs, 1), (float) a.number("--lambda", solver.lambda, 0, false),
                (float) a.number("--lambda-bias", solver.lambdaBias, 0, false),
                solver.hasLearningRate() ? a.number("--learning-rate", solver.learningRate, 0, true) : Double.NaN, seed);
        double fraction = a.fraction("--test-fraction", DEFAULT_TEST_FRACTION);
        Path modelOut = a.has("--model-out") ? a.path("--model-out") : null;
        boolean json = a.flag("--json");
        int threads = Main.threadCount(a);
        PrintStream out = ctx.out();

        Ratings ratings = RatingsReader.of(format).read(input);
        if (ratings.size() == 0) {
            throw new IllegalArgumentException(input + " holds no ratings");
        }
        Split split = Splits.randomHoldout(ratings, fraction, seed);
        if (split.train().size() == 0) {
            throw new IllegalArgumentException("no ratings are left for training with --test-fraction " + fraction);
        }
        if (!json) {
            out.printf(Locale.ROOT, "%s: %d ratings, %d users x %d items; %d train, %d test%n", input, ratings.size(),
                    ratings.userCount(), ratings.itemCount(), split.train().size(), split.test().size());
        }
        try (Parallel parallel = Main.pool(threads)) {
            Kernels kernels = Kernels.defaults().withParallel(parallel);
            Progress.Mode mode = json ? Progress.Mode.QUIET : ctx.progress();
            try (Training.Result r = Training.fit(split, settings, kernels, m -> new Progress(out, mode, m, split.test()))) {
                if (modelOut != null) {
                    ModelCommands.save(modelOut, r, ratings);
                }
                if (json) {
                    out.println(json(input, format, ratings, split, fraction, settings, kernels, r, modelOut));
                } else {
                    summary(out, settings, kernels, r, modelOut);
                }
            }
        }
        return 0;
    }

    private static void summary(PrintStream out, Training.Settings s, Kernels kernels, Training.Result r, Path modelOut) {
        out.printf(Locale.ROOT, "solver   %s, rank %d, lambda %s, lambda-bias %s%s, %d of %d epochs (%s)%n",
                s.solver().id(), s.rank(), num(s.lambda()), num(s.lambdaBias()),
                s.solver().hasLearningRate() ? ", learning rate " + num(s.learningRate()) : "",
                r.history().epochs(), s.epochs(), r.history().stopReason().name().toLowerCase(Locale.ROOT).replace('_', ' '));
        out.printf(Locale.ROOT, "kernels  %s, %d threads%n", kernels.providerName(), kernels.parallel().parallelism());
        out.printf(Locale.ROOT, "time     %.2f s, %.4f s per epoch%n", r.seconds(), r.seconds() / r.history().epochs());
        out.printf(Locale.ROOT, "RMSE     train %.4f, test %s%n", r.trainRmse(),
                Double.isNaN(r.testRmse()) ? "- (no test ratings)" : String.format(Locale.ROOT, "%.4f", r.testRmse()));
        out.println("model    " + (modelOut == null ? "not saved (use --model-out FILE)" : "saved to " + modelOut));
    }

    private static Json json(Path input, RatingsFormat format, Ratings ratings, Split split, double fraction,
                             Training.Settings s, Kernels kernels, Training.Result r, Path modelOut) {
        return Json.object()
                .put("command", "train")
                .put("input", input.toString())
                .put("format", format.toString())
                .put("ratings", ratings.size())
                .put("skippedLines", ratings.skippedLines())
                .put("users", ratings.userCount())
                .put("items", ratings.itemCount())
                .put("trainRatings", split.train().size())
                .put("testRatings", split.test().size())
                .put("testFraction", fraction)
                .put("seed", s.seed())
                .put("solver", s.solver().id())
                .put("rank", s.rank())
                .put("lambda", (double) s.lambda())
                .put("lambdaBias", (double) s.lambdaBias())
                .put("learningRate", s.learningRate())
                .put("maxEpochs", s.epochs())
                .put("epochs", r.history().epochs())
                .put("stopReason", r.history().stopReason().name())
                .put("backend", kernels.providerName())
                .put("threads", kernels.parallel().parallelism())
                .put("seconds", r.seconds())
                .put("secondsPerEpoch", r.seconds() / r.history().epochs())
                .put("trainRmse", r.trainRmse())
                .put("testRmse", r.testRmse())
                .put("loss", r.history().losses())
                .put("testRmsePerEpoch", r.testRmsePerEpoch())
                .put("model", modelOut == null ? null : modelOut.toString());
    }

    /** A setting as a person would type it: 10, 0.1, 1e-05 (six significant digits, no trailing zeros). */
    static String num(double x) {
        if (x == Math.rint(x) && Math.abs(x) < 1e9) {
            return Long.toString((long) x);
        }
        String t = String.format(Locale.ROOT, "%.6g", x);
        int exp = t.indexOf('e');
        String mantissa = exp < 0 ? t : t.substring(0, exp);
        if (mantissa.contains(".")) {
            mantissa = mantissa.replaceAll("0+$", "").replaceAll("\\.$", "");
        }
        return exp < 0 ? mantissa : mantissa + t.substring(exp);
    }
}
