package dev.lowrank.kernel;

import java.util.Arrays;

/**
 * The highest-scoring rows, best first: {@code indices[r]} scored {@code scores[r]}. Equal scores are
 * ordered by ascending index, so the result is deterministic.
 */
public record TopK(int[] indices, float[] scores) {

    public TopK {
        if (indices.length != scores.length) {
            throw new IllegalArgumentException("indices has " + indices.length + " entries but scores has " + scores.length);
        }
    }

    public int size() {
        return indices.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TopK t && Arrays.equals(indices, t.indices) && Arrays.equals(scores, t.scores);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(indices) + Arrays.hashCode(scores);
    }

    @Override
    public String toString() {
        return "TopK" + Arrays.toString(indices) + Arrays.toString(scores);
    }
}
