package dev.lowrank.testkit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Error bounds for float results checked against double references. A float sum of n products, in
 * any order and with or without FMA, differs from the exact sum by at most about n·u·Σ|termᵢ| with
 * u = 2⁻²⁴ (Higham, "Accuracy and Stability of Numerical Algorithms", §3.1). We allow twice that, plus
 * a few ulps for the final scaling: tight enough that a wrong index or a dropped term fails, loose
 * enough that a correct kernel never does.
 */
public final class Tolerance {
    private static final double U = 0x1p-24;

    private Tolerance() {
    }

    /** The allowed error of a float result summing {@code terms} products whose absolute values sum to {@code absSum}. */
    public static double bound(int terms, double absSum) {
        return (2.0 * (terms + 2) * U) * absSum + Float.MIN_NORMAL;
    }

    /** Whether |actual − expected| ≤ bound(terms, absSum) (false for NaN). */
    public static boolean within(double expected, double actual, int terms, double absSum) {
        return Math.abs(actual - expected) <= bound(terms, absSum);
    }

    /** Fails with {@code context} unless |actual − expected| ≤ bound(terms, absSum). */
    public static void assertClose(double expected, float actual, int terms, double absSum, String context) {
        assertClose(expected, (double) actual, terms, absSum, context);
    }

    /** The same for a result returned in double (a float sum accumulated further in double). */
    public static void assertClose(double expected, double actual, int terms, double absSum, String context) {
        double err = Math.abs(actual - expected);
        double tol = bound(terms, absSum);
        if (!(err <= tol)) {
            fail(context + ": expected " + expected + " but got " + actual + " (error " + err + " > tolerance " + tol
                    + ", terms " + terms + ", Σ|terms| " + absSum + ")");
        }
    }
}
