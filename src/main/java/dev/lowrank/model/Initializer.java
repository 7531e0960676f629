package dev.lowrank.model;

import dev.lowrank.matrix.DenseMatrix;
import java.util.SplittableRandom;

/**
 * How the factors U and V start. Every initialiser is seeded and fills U row by row, then V row by
 * row, from one {@link SplittableRandom}: the result depends on the seed and the shapes only, never on
 * threads. Biases always start at zero.
 */
public final class Initializer {

    private enum Kind { UNIFORM, NORMAL, SCALED_NORMAL }

    private final Kind kind;
    private final double sigma;
    private final long seed;

    private Initializer(Kind kind, double sigma, long seed) {
        this.kind = kind;
        this.sigma = sigma;
        this.seed = seed;
    }

    /** Uniform on [0, 1), as TensorFlow's {@code tf.random.uniform} default (seed 000). */
    public static Initializer uniform(long seed) {
        return new Initializer(Kind.UNIFORM, 0, seed);
    }

    /** Normal with mean 0 and standard deviation {@code sigma} (seed 001 uses σ = 1). */
    public static Initializer normal(double sigma, long seed) {
        if (!(sigma > 0) || !Double.isFinite(sigma)) {
            throw new IllegalArgumentException("sigma = " + sigma + " must be positive and finite");
        }
        return new Initializer(Kind.NORMAL, sigma, seed);
    }

    /**
     * Normal with σ = 1/√k for rank k (the default): u·v then starts with variance about 1 whatever
     * the rank, so neither the loss nor the first gradients blow up at large k.
     */
    public static Initializer scaledNormal(long seed) {
        return new Initializer(Kind.SCALED_NORMAL, 0, seed);
    }

    public long seed() {
        return seed;
    }

    /** Fills {@code u} then {@code v} (same column count) with this initialiser's values. */
    public void fill(DenseMatrix u, DenseMatrix v) {
        if (u.cols() != v.cols()) {
            throw new IllegalArgumentException("U is " + u.shape() + " but V is " + v.shape() + ": ranks differ");
        }
        SplittableRandom random = new SplittableRandom(seed);
        double s = switch (kind) {
            case UNIFORM -> 0;
            case NORMAL -> sigma;
            case SCALED_NORMAL -> 1.0 / Math.sqrt(Math.max(1, u.cols()));
        };
        fillOne(u, random, s);
        fillOne(v, random, s);
    }

    private void fillOne(DenseMatrix m, SplittableRandom random, double s) {
        for (int i = 0; i < m.rows(); i++) {
            for (int j = 0; j < m.cols(); j++) {
                double x = kind == Kind.UNIFORM ? random.nextDouble() : s * random.nextGaussian();
                // nextDouble() can round up to 1.0f in float; keep the interval half-open.
                float f = (float) x;
                if (kind == Kind.UNIFORM && f >= 1f) {
                    f = Math.nextDown(1f);
                }
                m.set(i, j, f);
            }
        }
    }

    @Override
    public String toString() {
        return switch (kind) {
            case UNIFORM -> "uniform[0,1) seed " + seed;
            case NORMAL -> "normal(0, " + sigma + ") seed " + seed;
            case SCALED_NORMAL -> "normal(0, 1/sqrt(k)) seed " + seed;
        };
    }
}
