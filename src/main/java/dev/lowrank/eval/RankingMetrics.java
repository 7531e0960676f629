package dev.lowrank.eval;

/**
 * Top-k ranking quality averaged over the users that have at least one relevant held-out item:
 * precision@k, recall@k, NDCG@k (binary gains, log2 discount) and MAP@k (average precision normalised
 * by min(k, relevant)).
 */
public record RankingMetrics(int k, int usersEvaluated, double precision, double recall, double ndcg, double map) {
}
