package dev.lowrank.eval;

/**
 * Scores every item for one user (higher is better): writes {@code scores[j]} for every item j. Called
 * from several threads at once, each with its own array.
 */
@FunctionalInterface
public interface ItemScorer {
    void scoreAll(int user, float[] scores);
}
