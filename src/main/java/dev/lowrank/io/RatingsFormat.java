package dev.lowrank.io;

/**
 * How a ratings file is laid out. Delimited formats name the delimiter, whether a header line comes
 * first, and which 0-based fields hold the user, the item, the rating and the timestamp (-1: absent; an
 * absent rating means every line is an observation of value 1, as in implicit feedback). Fields are
 * split on the delimiter exactly (no quoting) and trimmed of surrounding spaces.
 */
public final class RatingsFormat {

    /** MovieLens {@code ratings.csv}: {@code userId,movieId,rating,timestamp} after a header line. */
    public static final RatingsFormat MOVIELENS_CSV = delimited(",", true, 0, 1, 2, 3);
    /** MovieLens 1M/10M {@code ratings.dat}: {@code UserID::MovieID::Rating::Timestamp}. */
    public static final RatingsFormat MOVIELENS_DAT = delimited("::", false, 0, 1, 2, 3);
    /** MovieLens 100K {@code u.data}: {@code user item rating timestamp}, tab-separated. */
    public static final RatingsFormat MOVIELENS_UDATA = delimited("\t", false, 0, 1, 2, 3);
    /**
     * MatrixMarket coordinate format ({@code real}, {@code integer} or {@code pattern}; {@code general},
     * {@code symmetric} or {@code skew-symmetric}). Row and column numbers (1-based) become the ids
     * "1".."rows" and "1".."cols", so indices are the numbers minus one, empty rows and columns included.
     */
    public static final RatingsFormat MATRIX_MARKET = new RatingsFormat(null, false, 0, 1, 2, -1);

    private final String delimiter;
    private final boolean header;
    private final int userField;
    private final int itemField;
    private final int ratingField;
    private final int timestampField;

    private RatingsFormat(String delimiter, boolean header, int userField, int itemField, int ratingField, int timestampField) {
        this.delimiter = delimiter;
        this.header = header;
        this.userField = userField;
        this.itemField = itemField;
        this.ratingField = ratingField;
        this.timestampField = timestampField;
    }

    /** A delimited text format; see the class comment. */
    public static RatingsFormat delimited(String delimiter, boolean header, int userField, int itemField,
                                          int ratingField, int timestampField) {
        if (delimiter == null || delimiter.isEmpty()) {
            throw new IllegalArgumentException("the delimiter must be a non-empty string");
        }
        if (userField < 0 || itemField < 0) {
            throw new IllegalArgumentException("user field " + userField + " and item field " + itemField
                    + " must both be >= 0");
        }
        if (ratingField < -1 || timestampField < -1) {
            throw new IllegalArgumentException("rating field " + ratingField + " and timestamp field " + timestampField
                    + " must be >= 0, or -1 for absent");
        }
        int[] used = {userField, itemField, ratingField, timestampField};
        for (int a = 0; a < used.length; a++) {
            for (int b = a + 1; b < used.length; b++) {
                if (used[a] >= 0 && used[a] == used[b]) {
                    throw new IllegalArgumentException("field " + used[a] + " is named for two columns");
                }
            }
        }
        return new RatingsFormat(delimiter, header, userField, itemField, ratingField, timestampField);
    }

    boolean isMatrixMarket() {
        return delimiter == null;
    }

    String delimiter() {
        return delimiter;
    }

    boolean header() {
        return header;
    }

    int userField() {
        return userField;
    }

    int itemField() {
        return itemField;
    }

    int ratingField() {
        return ratingField;
    }

    int timestampField() {
        return timestampField;
    }

    /** Fields a line must have. */
    int requiredFields() {
        return Math.max(Math.max(userField, itemField), Math.max(ratingField, timestampField)) + 1;
    }

    @Override
    public String toString() {
        return isMatrixMarket() ? "MatrixMarket coordinate"
                : "delimited(\"" + delimiter.replace("\t", "\\t") + "\", header " + header + ", user " + userField
                + ", item " + itemField + ", rating " + ratingField + ", timestamp " + timestampField + ")";
    }
}
