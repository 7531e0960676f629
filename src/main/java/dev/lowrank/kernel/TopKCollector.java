package dev.lowrank.kernel;

/**
 * Keeps the best {@code capacity} (index, score) pairs offered so far in a binary min-heap whose root is
 * the worst kept pair. "Better" is {@link TopK}'s order: a higher score, or an equal score and a lower
 * index, so the result does not depend on the order of the offers. Reusable ({@link #reset}), so that a
 * worker scoring many queries allocates one. Not thread-safe.
 */
public final class TopKCollector {
    private final int[] indices;
    private final float[] scores;
    private int capacity;
    private int size;

    /** A collector that keeps up to {@code capacity} pairs (also the most {@link #reset} accepts). */
    public TopKCollector(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity = " + capacity + " is negative");
        }
        indices = new int[capacity];
        scores = new float[capacity];
        this.capacity = capacity;
    }

    /** Empties the collector and keeps at most {@code capacity} pairs from now on. */
    public void reset(int capacity) {
        if (capacity < 0 || capacity > indices.length) {
            throw new IllegalArgumentException("capacity = " + capacity + " but must be in [0, " + indices.length + "]");
        }
        this.capacity = capacity;
        this.size = 0;
    }

    public void offer(int index, float score) {
        if (size < capacity) {
            indices[size] = index;
            scores[size] = score;
            siftUp(size++);
        } else if (size > 0 && better(index, score, indices[0], scores[0])) {
            indices[0] = index;
            scores[0] = score;
            siftDown(0);
        }
    }

    void drainInto(TopKCollector other) {
        for (int t = 0; t < size; t++) {
            other.offer(indices[t], scores[t]);
        }
    }

    /** The kept pairs, best first; leaves the collector empty. */
    public TopK toTopK() {
        int n = size;
        int[] outIdx = new int[n];
        float[] outScore = new float[n];
        // Popping the worst repeatedly fills the result from the back.
        for (int t = n - 1; t >= 0; t--) {
            outIdx[t] = indices[0];
            outScore[t] = scores[0];
            size--;
            indices[0] = indices[size];
            scores[0] = scores[size];
            siftDown(0);
        }
        return new TopK(outIdx, outScore);
    }

    private static boolean better(int i, float s, int j, float t) {
        return s > t || (s == t && i < j);
    }

    private void siftUp(int pos) {
        while (pos > 0) {
            int parent = (pos - 1) >>> 1;
            if (!better(indices[parent], scores[parent], indices[pos], scores[pos])) {
                return;
            }
            swap(pos, parent);
            pos = parent;
        }
    }

    private void siftDown(int pos) {
        while (true) {
            int left = 2 * pos + 1;
            if (left >= size) {
                return;
            }
            int worst = left;
            int right = left + 1;
            if (right < size && better(indices[left], scores[left], indices[right], scores[right])) {
                worst = right;
            }
            if (!better(indices[pos], scores[pos], indices[worst], scores[worst])) {
                return;
            }
            swap(pos, worst);
            pos = worst;
        }
    }

    private void swap(int a, int b) {
        int i = indices[a];
        indices[a] = indices[b];
        indices[b] = i;
        float s = scores[a];
        scores[a] = scores[b];
        scores[b] = s;
    }
}
