package dev.lowrank.train;

/**
 * What a listener hears after each epoch: the loss and gradient norm at the parameters the epoch
 * started from (before its update, as seed 000 reports), the rate used, and wall times in seconds.
 */
public record EpochReport(int epoch, int maxEpochs, double loss, double gradientNorm, double learningRate,
                          double epochSeconds, double totalSeconds) {
}
