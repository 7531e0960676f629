package dev.lowrank.model;

/**
 * A user who was not in the training data, folded into a trained model by {@link Recommender#foldIn}:
 * their factor row (length = the model's rank), their user bias (0 for a model without biases) and the
 * items they rated, sorted ascending (what {@link Recommender#recommend(FoldedUser, int, boolean)}
 * excludes when asked to).
 *
 * <p>The arrays are the caller's to keep; the record neither copies them nor checks them (the
 * recommender validates them when it uses them).
 */
public record FoldedUser(float[] factors, float bias, int[] ratedItems) {
}
