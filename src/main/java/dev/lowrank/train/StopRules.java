package dev.lowrank.train;

import java.time.Duration;
import java.util.Objects;

/**
 * When a fit stops and whom it tells, shared by every trainer: an epoch limit, a relative loss change
 * (|L_t − L_(t−1)| ≤ tol·|L_(t−1)|; 0 turns the rule off), a wall-time budget (checked after each
 * epoch; null for none) and a listener called after every epoch. Each value is validated here, once.
 */
record StopRules(int maxEpochs, double tolerance, Duration timeBudget, EpochListener listener) {

    StopRules {
        if (maxEpochs < 1) {
            throw new IllegalArgumentException("the epoch (iteration) limit = " + maxEpochs + " but must be at least 1");
        }
        if (!(tolerance >= 0) || !Double.isFinite(tolerance)) {
            throw new IllegalArgumentException("tolerance = " + tolerance + " must be finite and non-negative");
        }
        if (timeBudget != null && (timeBudget.isNegative() || timeBudget.isZero())) {
            throw new IllegalArgumentException("time budget " + timeBudget + " must be positive");
        }
        Objects.requireNonNull(listener, "listener");
    }

    /** {@code maxEpochs} epochs, no other rule, nobody told. */
    static StopRules of(int maxEpochs) {
        return new StopRules(maxEpochs, 0, null, EpochListener.none());
    }

    StopRules withMaxEpochs(int epochs) {
        return new StopRules(epochs, tolerance, timeBudget, listener);
    }

    StopRules withTolerance(double tol) {
        return new StopRules(maxEpochs, tol, timeBudget, listener);
    }

    StopRules withTimeBudget(Duration budget) {
        return new StopRules(maxEpochs, tolerance, Objects.requireNonNull(budget, "budget"), listener);
    }

    StopRules withListener(EpochListener l) {
        return new StopRules(maxEpochs, tolerance, timeBudget, l);
    }

    /** A recorder for one fit; its time budget starts now. */
    EpochRecorder start() {
        return new EpochRecorder(this);
    }
}
