package dev.lowrank.matrix;

/** What building a {@link CsrMatrix} from coordinates does with two entries at the same (row, column). */
public enum DuplicatePolicy {
    /** Reject the input with an {@link IllegalArgumentException} naming the position. */
    ERROR,
    /**
     * Store the sum of the duplicates. They are added in ascending order of their values' bit patterns,
     * so the sum does not depend on the order the entries were given in.
     */
    SUM,
    /** Keep the entry that was added last (a later rating of the same item replaces an earlier one). */
    LAST
}
