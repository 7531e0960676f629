package dev.lowrank.train;

/**
 * How {@link Als} solves each row's k×k (k + 1 with biases) normal equations.
 *
 * <ul>
 *   <li>{@link #cholesky()}: forms the system (a Gramian of the row's observed partners, O(nnz_i·k²))
 *       and factors it (O(k³)): exact; the default up to rank 128.</li>
 *   <li>{@link #conjugateGradient(int)}: a few CG steps on the system applied matrix-free,
 *       Σ_j v_j(v_j·x) + …, O(nnz_i·k) per step, warm-started from the row's current value: not exact,
 *       but each step lowers the half-step objective, so ALS still never raises the objective (in exact
 *       arithmetic). The default above rank 128 (3 steps).</li>
 *   <li>{@link #nonNegative()}: non-negative factors (biases stay free). Lawson and Hanson's active-set
 *       method on the formed normal equations, in double: exact, and finite (each outer step strictly
 *       lowers the row objective and no active set repeats).</li>
 * </ul>
 */
public final class RowSolver {

    enum Kind { CHOLESKY, CONJUGATE_GRADIENT, NON_NEGATIVE }

    /** The rank up to which {@link #automatic()} uses Cholesky. */
    static final int AUTOMATIC_CHOLESKY_MAX_RANK = 128;
    static final int AUTOMATIC_CG_STEPS = 3;

    private static final RowSolver CHOLESKY = new RowSolver(Kind.CHOLESKY, 0);
    private static final RowSolver NON_NEGATIVE = new RowSolver(Kind.NON_NEGATIVE, 0);
    private static final RowSolver AUTOMATIC = new RowSolver(null, 0);

    private final Kind kind;
    private final int steps;

    private RowSolver(Kind kind, int steps) {
        this.kind = kind;
        this.steps = steps;
    }

    /** Cholesky of the formed normal equations: exact. */
    public static RowSolver cholesky() {
        return CHOLESKY;
    }

    /** {@code steps} conjugate-gradient steps per row, warm-started from the current row (1 to 1024). */
    public static RowSolver conjugateGradient(int steps) {
        if (steps < 1 || steps > 1024) {
            throw new IllegalArgumentException("conjugate-gradient steps = " + steps + " but must lie in [1, 1024]");
        }
        return new RowSolver(Kind.CONJUGATE_GRADIENT, steps);
    }

    /** Non-negative factors by an exact active-set (Lawson–Hanson) solve of each row; biases stay free. */
    public static RowSolver nonNegative() {
        return NON_NEGATIVE;
    }

    /** Cholesky up to rank 128, three conjugate-gradient steps above. */
    public static RowSolver automatic() {
        return AUTOMATIC;
    }

    /** The solver used at this rank (resolves {@link #automatic()}). */
    RowSolver at(int rank) {
        if (kind != null) {
            return this;
        }
        return rank <= AUTOMATIC_CHOLESKY_MAX_RANK ? CHOLESKY : conjugateGradient(AUTOMATIC_CG_STEPS);
    }

    Kind kind() {
        return kind;
    }

    int steps() {
        return steps;
    }

    @Override
    public String toString() {
        if (kind == null) {
            return "automatic";
        }
        return switch (kind) {
            case CHOLESKY -> "cholesky";
            case CONJUGATE_GRADIENT -> "conjugateGradient(" + steps + ")";
            case NON_NEGATIVE -> "nonNegative";
        };
    }
}
