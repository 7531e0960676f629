package dev.lowrank.cli;

import java.util.Locale;
import java.util.StringJoiner;
import java.util.function.ToDoubleFunction;

/**
 * The solvers the command line offers, with defaults that give a sensible model on MovieLens-sized
 * explicit ratings (ALS and SGD from the ML-latest-small grid in docs/benchmarks.md; Adam and GD
 * measured for the CLI on the same split, see docs/user-guide.md). Regularisation weights are on sums of squares, not
 * means, so they differ by solver: ALS's λ multiplies the same penalty once per half-step, SGD's at each
 * visit of a rating.
 */
enum Solver {
    ALS(64, 10, 10f, 5f, Double.NaN),
    SGD(64, 60, 0.08f, 0.02f, 0.01),
    ADAM(64, 100, 15f, 5f, 0.02),
    // The summed loss makes μ's curvature 2·(ratings): plain GD is stable only below 1/(ratings) on
    // ML-small (1e-3 and 3e-4 diverge), so it is slow; it is here for completeness, ALS or Adam for use.
    GD(16, 200, 15f, 5f, 1e-5);

    final int rank;
    final int epochs;
    final float lambda;
    final float lambdaBias;
    /** NaN: the solver has no learning rate. */
    final double learningRate;

    Solver(int rank, int epochs, float lambda, float lambdaBias, double learningRate) {
        this.rank = rank;
        this.epochs = epochs;
        this.lambda = lambda;
        this.lambdaBias = lambdaBias;
        this.learningRate = learningRate;
    }

    String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    boolean hasLearningRate() {
        return !Double.isNaN(learningRate);
    }

    /**
     * One setting's default for each solver that has it, as the usage text lists them ("als 10, sgd 60,
     * ..."), so the help cannot drift from the defaults.
     */
    static String defaults(ToDoubleFunction<Solver> setting) {
        StringJoiner list = new StringJoiner(", ");
        for (Solver s : values()) {
            double value = setting.applyAsDouble(s);
            if (!Double.isNaN(value)) {
                list.add(s.id() + " " + TrainCommand.num(value));
            }
        }
        return list.toString();
    }

    static Solver of(String command, String name) throws UsageException {
        for (Solver s : values()) {
            if (s.id().equalsIgnoreCase(name.trim())) {
                return s;
            }
        }
        throw new UsageException(command, "unknown --solver '" + name + "'; use als, sgd, adam or gd");
    }
}
