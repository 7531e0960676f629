package dev.lowrank.cli;

import dev.lowrank.eval.Metrics;
import dev.lowrank.io.Ratings;
import dev.lowrank.model.FactorModel;
import dev.lowrank.train.EpochListener;
import dev.lowrank.train.EpochReport;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Per-epoch progress of a training run: epoch, loss, test RMSE and the estimated time left. On a
 * terminal one line is rewritten in place ({@code \r}); elsewhere (a pipe, a file, a CI log) every epoch
 * gets its own line, so logs stay readable. It also records the test RMSE of every epoch for the summary.
 */
final class Progress implements EpochListener {
    enum Mode { TERMINAL, LINES, QUIET }

    private final PrintStream out;
    private final Mode mode;
    private final FactorModel model;
    private final Ratings test;
    private final List<Double> testRmse = new ArrayList<>();
    private int lastWidth;
    private double firstEpochSeconds;

    Progress(PrintStream out, Mode mode, FactorModel model, Ratings test) {
        this.out = out;
        this.mode = mode;
        this.model = model;
        this.test = test;
    }

    @Override
    public void onEpoch(EpochReport r) {
        // The listener runs after the epoch's update, so the model holds the parameters the epoch made.
        double rmse = test.size() == 0 ? Double.NaN : Metrics.rmse(model::predict, test);
        testRmse.add(rmse);
        if (mode == Mode.QUIET) {
            return;
        }
        // The first epoch carries the JIT's warm-up (seconds under load, against tenths after it): the
        // estimate leaves it out as soon as there is a later epoch to go by.
        if (r.epoch() == 1) {
            firstEpochSeconds = r.epochSeconds();
        }
        double perEpoch = r.epoch() == 1 ? r.epochSeconds() : (r.totalSeconds() - firstEpochSeconds) / (r.epoch() - 1);
        String line = String.format(Locale.ROOT, "epoch %d/%d  loss %.6g  test RMSE %s  %.3f s/epoch  ETA %s",
                r.epoch(), r.maxEpochs(), r.loss(), Double.isNaN(rmse) ? "-" : String.format(Locale.ROOT, "%.4f", rmse),
                perEpoch, duration(perEpoch * (r.maxEpochs() - r.epoch())));
        if (mode == Mode.TERMINAL) {
            int pad = Math.max(0, lastWidth - line.length());
            out.print("\r" + line + " ".repeat(pad));
            lastWidth = line.length();
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** Ends the in-place line (a fit may stop before its last epoch, so this cannot wait for it). */
    void finish() {
        if (mode == Mode.TERMINAL && lastWidth > 0) {
            out.println();
            lastWidth = 0;
        }
    }

    double[] testRmse() {
        return testRmse.stream().mapToDouble(Double::doubleValue).toArray();
    }

    static String duration(double seconds) {
        if (seconds < 60) {
            return String.format(Locale.ROOT, "%.1f s", seconds);
        }
        long s = Math.round(seconds);
        return s < 3600 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60)
                : String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
    }
}
