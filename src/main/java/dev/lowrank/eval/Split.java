package dev.lowrank.eval;

import dev.lowrank.io.Ratings;

/** A training set and a held-out test set over the same users and items (shared id maps). */
public record Split(Ratings train, Ratings test) {
}
