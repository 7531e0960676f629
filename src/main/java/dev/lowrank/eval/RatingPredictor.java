package dev.lowrank.eval;

/** Predicts the rating of one (user, item) pair by dense indices. */
@FunctionalInterface
public interface RatingPredictor {
    float predict(int user, int item);
}
