package dev.lowrank.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Objects;

/** Called after every epoch of {@link Trainer#fit}, on the calling thread. */
@FunctionalInterface
public interface EpochListener {

    void onEpoch(EpochReport report);

    /** Does nothing. */
    static EpochListener none() {
        return r -> { };
    }

    /**
     * Seed 000's progress line every {@code every} epochs (and at the last epoch):
     * {@code Epoch 50/250 | Loss 0.527 | Total Runtime 0.82 sec.}
     */
    static EpochListener printEvery(int every, PrintStream out) {
        Objects.requireNonNull(out, "out");
        if (every < 1) {
            throw new IllegalArgumentException("every = " + every + " but must be at least 1");
        }
        return r -> {
            if (r.epoch() % every == 0 || r.epoch() == r.maxEpochs()) {
                out.println(String.format(Locale.ROOT, "Epoch %d/%d | Loss %.8g | |grad| %.4g | Total Runtime %.4f sec.",
                        r.epoch(), r.maxEpochs(), r.loss(), r.gradientNorm(), r.totalSeconds()));
            }
        };
    }
}
