package dev.lowrank.matrix;

/**
 * Two entries at the same (row, column) under {@link DuplicatePolicy#ERROR}. Carries the position so
 * that readers can point at the offending input lines.
 */
public final class DuplicateEntryException extends IllegalArgumentException {
    private final int row;
    private final int column;

    public DuplicateEntryException(int row, int column) {
        super("duplicate entry at (" + row + ", " + column + "); use DuplicatePolicy.SUM or LAST to merge duplicates");
        this.row = row;
        this.column = column;
    }

    public int row() {
        return row;
    }

    public int column() {
        return column;
    }
}
