package dev.lowrank.train;

/**
 * Lawson and Hanson's active-set method for min ½xᵀMx − bᵀx subject to x_c ≥ 0 for c ≥ {@code free}
 * (the first {@code free} unknowns, e.g. a bias, are unconstrained), M symmetric positive definite.
 * Works in double on a copy of M. Each outer step adds the constrained unknown with the largest
 * negative-gradient component to the passive set; the inner loop moves towards the unconstrained
 * minimiser on the passive set and drops unknowns that hit 0. The objective strictly decreases from one
 * passive set to the next, so no set repeats and the method stops after finitely many steps (an
 * iteration cap guards against rounding). At the end the KKT conditions hold to rounding:
 * x ≥ 0, gradient ≥ 0 where x = 0, gradient = 0 where x > 0.
 *
 * <p>One object per worker: every array is allocated once, in the constructor.
 */
final class Nnls {
    private final int capacity;
    private final double[] m;
    private final double[] b;
    private final double[] x;
    private final double[] s;
    private final double[] w;
    private final double[] factor;
    private final double[] sub;
    private final int[] index;
    private final boolean[] passive;

    Nnls(int capacity) {
        this.capacity = capacity;
        m = new double[capacity * capacity];
        b = new double[capacity];
        x = new double[capacity];
        s = new double[capacity];
        w = new double[capacity];
        factor = new double[capacity * capacity];
        sub = new double[capacity];
        index = new int[capacity];
        passive = new boolean[capacity];
    }

    /**
     * Solves for an n×n system whose upper triangle (row-major) is in {@code upper}; the solution
     * replaces {@code rhs}. Returns false if a passive subsystem is not positive definite.
     */
    boolean solve(float[] upper, float[] rhs, int n, int free) {
        assert n <= capacity;
        double scale = 0;
        for (int r = 0; r < n; r++) {
            for (int c = r; c < n; c++) {
                double v = upper[r * n + c];
                m[r * n + c] = v;
                m[c * n + r] = v;
                scale = Math.max(scale, Math.abs(v));
            }
            b[r] = rhs[r];
            x[r] = 0;
            passive[r] = r < free;
        }
        if (free > 0) {
            if (!subsystem(n)) {
                return false;
            }
            for (int r = 0; r < n; r++) {
                x[r] = s[r];
            }
        }
        double bScale = 0;
        for (int r = 0; r < n; r++) {
            bScale = Math.max(bScale, Math.abs(b[r]));
        }
        // A negative-gradient component below this is rounding, not a descent direction.
        double tol = 1e-10 * (bScale + scale) * n;
        int outer = 0;
        while (outer++ < 3 * n + 10) {
            int best = -1;
            double bestW = tol;
            for (int r = 0; r < n; r++) {
                double g = b[r];
                for (int c = 0; c < n; c++) {
                    g -= m[r * n + c] * x[c];
                }
                w[r] = g;
                if (r >= free && !passive[r] && g > bestW) {
                    bestW = g;
                    best = r;
                }
            }
            if (best < 0) {
                break;
            }
            passive[best] = true;
            boolean first = true;
            while (true) {
                if (!subsystem(n)) {
                    return false;
                }
                if (first && s[best] <= 0) {
                    // Rounding: the added unknown cannot move off 0, so the optimum is already reached.
                    passive[best] = false;
                    outer = Integer.MAX_VALUE - 1;
                    break;
                }
                first = false;
                double alpha = 1;
                int blocking = -1;
                for (int r = free; r < n; r++) {
                    if (passive[r] && s[r] <= 0) {
                        double t = x[r] / (x[r] - s[r]);
                        if (t < alpha) {
                            alpha = t;
                            blocking = r;
                        }
                    }
                }
                if (blocking < 0) {
                    for (int r = 0; r < n; r++) {
                        x[r] = s[r];
                    }
                    break;
                }
                for (int r = 0; r < n; r++) {
                    x[r] += alpha * (s[r] - x[r]);
                }
                for (int r = free; r < n; r++) {
                    if (passive[r] && (r == blocking || x[r] <= 0)) {
                        passive[r] = false;
                        x[r] = 0;
                    }
                }
            }
        }
        for (int r = 0; r < n; r++) {
            rhs[r] = (float) (r >= free ? Math.max(0, x[r]) : x[r]);
        }
        return true;
    }

    /** s = the minimiser with the non-passive unknowns at 0: Cholesky of M restricted to the passive set. */
    private boolean subsystem(int n) {
        int p = 0;
        for (int r = 0; r < n; r++) {
            s[r] = 0;
            if (passive[r]) {
                index[p++] = r;
            }
        }
        for (int i = 0; i < p; i++) {
            for (int j = i; j < p; j++) {
                double sum = m[index[i] * n + index[j]];
                for (int t = 0; t < i; t++) {
                    sum -= factor[t * p + i] * factor[t * p + j];
                }
                if (i == j) {
                    if (!(sum > 0)) {
                        return false;
                    }
                    factor[i * p + i] = Math.sqrt(sum);
                } else {
                    factor[i * p + j] = sum / factor[i * p + i];
                }
            }
        }
        for (int i = 0; i < p; i++) {
            double sum = b[index[i]];
            for (int t = 0; t < i; t++) {
                sum -= factor[t * p + i] * sub[t];
            }
            sub[i] = sum / factor[i * p + i];
        }
        for (int i = p - 1; i >= 0; i--) {
            double sum = sub[i];
            for (int t = i + 1; t < p; t++) {
                sum -= factor[i * p + t] * sub[t];
            }
            sub[i] = sum / factor[i * p + i];
        }
        for (int i = 0; i < p; i++) {
            s[index[i]] = sub[i];
        }
        return true;
    }
}
