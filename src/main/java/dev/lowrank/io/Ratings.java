package dev.lowrank.io;

import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DuplicatePolicy;
import java.util.Arrays;
import java.util.Objects;

/**
 * A set of (user, item, value[, timestamp]) ratings with the maps between external ids and dense
 * indices. Immutable. Entries keep the order they were read in; each (user, item) pair occurs once.
 * Subsets made by {@link #select} (the splits) share the id maps, so a train and a test set index the
 * same users and items the same way.
 */
public final class Ratings {
    private final IdMap users;
    private final IdMap items;
    private final int[] user;
    private final int[] item;
    private final float[] value;
    /** Null when the source had no timestamps. */
    private final long[] timestamp;
    private final long skippedLines;

    private Ratings(IdMap users, IdMap items, int[] user, int[] item, float[] value, long[] timestamp, long skippedLines) {
        this.users = users;
        this.items = items;
        this.user = user;
        this.item = item;
        this.value = value;
        this.timestamp = timestamp;
        this.skippedLines = skippedLines;
    }

    /** A builder for ratings made in code (readers use it too). */
    public static Builder builder() {
        return new Builder(new IdMap(), new IdMap());
    }

    /** Number of ratings. */
    public int size() {
        return user.length;
    }

    public int user(int t) {
        return user[t];
    }

    public int item(int t) {
        return item[t];
    }

    public float value(int t) {
        return value[t];
    }

    public boolean hasTimestamps() {
        return timestamp != null;
    }

    /** The timestamp of rating {@code t}; throws {@link IllegalStateException} if the source had none. */
    public long timestamp(int t) {
        if (timestamp == null) {
            throw new IllegalStateException("these ratings have no timestamps");
        }
        return timestamp[t];
    }

    /** Users' external ids ↔ row indices (shared with every subset). */
    public IdMap users() {
        return users;
    }

    /** Items' external ids ↔ column indices (shared with every subset). */
    public IdMap items() {
        return items;
    }

    /** Number of distinct users known (rows of {@link #toCsr()}), including users with no rating in this subset. */
    public int userCount() {
        return users.size();
    }

    /** Number of distinct items known (columns of {@link #toCsr()}). */
    public int itemCount() {
        return items.size();
    }

    /** Lines the reader skipped as malformed (only when it was told to skip them). */
    public long skippedLines() {
        return skippedLines;
    }

    /** The mean rating (0 for no ratings), summed in double. */
    public double mean() {
        double sum = 0;
        for (float v : value) {
            sum += v;
        }
        return user.length == 0 ? 0 : sum / user.length;
    }

    /** The ratings as a users × items CSR matrix (a new matrix the caller closes). */
    public CsrMatrix toCsr() {
        try (CsrMatrix.Builder b = CsrMatrix.builder(userCount(), itemCount())) {
            for (int t = 0; t < user.length; t++) {
                b.add(user[t], item[t], value[t]);
            }
            return b.build(DuplicatePolicy.ERROR);
        }
    }

    /** The ratings at {@code positions} (in that order), sharing this set's id maps. */
    public Ratings select(int[] positions) {
        Objects.requireNonNull(positions, "positions");
        int n = positions.length;
        int[] u = new int[n];
        int[] i = new int[n];
        float[] v = new float[n];
        long[] ts = timestamp == null ? null : new long[n];
        for (int t = 0; t < n; t++) {
            int p = Objects.checkIndex(positions[t], user.length);
            u[t] = user[p];
            i[t] = item[p];
            v[t] = value[p];
            if (ts != null) {
                ts[t] = timestamp[p];
            }
        }
        return new Ratings(users, items, u, i, v, ts, 0);
    }

    @Override
    public String toString() {
        return "Ratings[" + size() + " ratings, " + userCount() + " users, " + itemCount() + " items]";
    }

    /** Two ratings of the same (user, item) pair under {@link DuplicatePolicy#ERROR}. */
    public static final class DuplicateRatingException extends IllegalArgumentException {
        private final int first;
        private final int second;

        DuplicateRatingException(String userId, String itemId, int first, int second) {
            super("duplicate rating of item \"" + itemId + "\" by user \"" + userId + "\" (entries " + first + " and "
                    + second + ")");
            this.first = first;
            this.second = second;
        }

        /** Position (in the order added) of the earlier rating. */
        public int first() {
            return first;
        }

        /** Position of the later rating. */
        public int second() {
            return second;
        }
    }

    /**
     * Collects ratings by external id. Values must be finite. Timestamps are all present or all absent.
     */
    public static final class Builder {
        private final IdMap users;
        private final IdMap items;
        private int[] user = new int[1024];
        private int[] item = new int[1024];
        private float[] value = new float[1024];
        private long[] timestamp;
        private int size;
        private long skippedLines;

        private Builder(IdMap users, IdMap items) {
            this.users = users;
            this.items = items;
        }

        /** Registers a user with no ratings yet (it gets the next row index). */
        public Builder addUser(String userId) {
            users.add(userId);
            return this;
        }

        /** Registers an item with no ratings yet (it gets the next column index). */
        public Builder addItem(String itemId) {
            items.add(itemId);
            return this;
        }

        public Builder add(String userId, String itemId, float rating) {
            if (timestamp != null) {
                throw new IllegalStateException("rating " + size + " has no timestamp but earlier ones do");
            }
            append(userId, itemId, rating);
            return this;
        }

        public Builder add(String userId, String itemId, float rating, long time) {
            if (size > 0 && timestamp == null) {
                throw new IllegalStateException("rating " + size + " has a timestamp but earlier ones do not");
            }
            if (timestamp == null) {
                timestamp = new long[user.length];
            }
            append(userId, itemId, rating);
            timestamp[size - 1] = time;
            return this;
        }

        void countSkippedLine() {
            skippedLines++;
        }

        public int size() {
            return size;
        }

        private void append(String userId, String itemId, float rating) {
            if (!Float.isFinite(rating)) {
                throw new IllegalArgumentException("rating " + size + " (user \"" + userId + "\", item \"" + itemId
                        + "\") is " + rating + ", which is not finite");
            }
            if (size == Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("more than " + size + " ratings do not fit one Ratings object");
            }
            if (size == user.length) {
                int grown = (int) Math.min(Integer.MAX_VALUE - 8, 2L * size);
                user = Arrays.copyOf(user, grown);
                item = Arrays.copyOf(item, grown);
                value = Arrays.copyOf(value, grown);
                if (timestamp != null) {
                    timestamp = Arrays.copyOf(timestamp, grown);
                }
            }
            user[size] = users.add(userId);
            item[size] = items.add(itemId);
            value[size] = rating;
            size++;
        }

        /**
         * The ratings, with repeated (user, item) pairs resolved by {@code duplicates}: ERROR throws a
         * {@link DuplicateRatingException} naming both positions, LAST keeps the later rating, SUM adds
         * them (keeping the later timestamp). Survivors keep their order.
         */
        public Ratings build(DuplicatePolicy duplicates) {
            Objects.requireNonNull(duplicates, "duplicates");
            boolean[] dropped = findDuplicates(duplicates);
            int kept = 0;
            for (int t = 0; t < size; t++) {
                if (!dropped[t]) {
                    user[kept] = user[t];
                    item[kept] = item[t];
                    value[kept] = value[t];
                    if (timestamp != null) {
                        timestamp[kept] = timestamp[t];
                    }
                    kept++;
                }
            }
            return new Ratings(users, items, Arrays.copyOf(user, kept), Arrays.copyOf(item, kept),
                    Arrays.copyOf(value, kept), timestamp == null ? null : Arrays.copyOf(timestamp, kept), skippedLines);
        }

        /**
         * Groups positions by user with a stable counting sort, then sorts each group by (item, position):
         * equal items are adjacent and in input order. Marks the ratings that lose, merging SUMs into the
         * survivor.
         */
        private boolean[] findDuplicates(DuplicatePolicy policy) {
            boolean[] dropped = new boolean[size];
            int userCount = users.size();
            int[] start = new int[userCount + 1];
            for (int t = 0; t < size; t++) {
                start[user[t] + 1]++;
            }
            for (int u = 0; u < userCount; u++) {
                start[u + 1] += start[u];
            }
            int[] order = new int[size];
            int[] cursor = Arrays.copyOf(start, userCount);
            for (int t = 0; t < size; t++) {
                order[cursor[user[t]]++] = t;
            }
            long[] keys = new long[0];
            for (int u = 0; u < userCount; u++) {
                int len = start[u + 1] - start[u];
                if (keys.length < len) {
                    keys = new long[len];
                }
                for (int g = 0; g < len; g++) {
                    keys[g] = ((long) item[order[start[u] + g]] << 32) | g;
                }
                Arrays.sort(keys, 0, len);
                for (int g = 1; g < len; g++) {
                    if ((keys[g] >>> 32) != (keys[g - 1] >>> 32)) {
                        continue;
                    }
                    int earlier = order[start[u] + (int) keys[g - 1]];
                    int later = order[start[u] + (int) keys[g]];
                    switch (policy) {
                        case ERROR -> throw new DuplicateRatingException(users.id(user[later]), items.id(item[later]),
                                earlier, later);
                        case LAST -> dropped[earlier] = true;
                        case SUM -> {
                            value[later] += value[earlier];
                            if (!Float.isFinite(value[later])) {
                                throw new IllegalArgumentException("the ratings of item \"" + items.id(item[later])
                                        + "\" by user \"" + users.id(user[later]) + "\" sum to " + value[later]);
                            }
                            if (timestamp != null) {
                                timestamp[later] = Math.max(timestamp[later], timestamp[earlier]);
                            }
                            dropped[earlier] = true;
                        }
                    }
                }
            }
            return dropped;
        }
    }
}
