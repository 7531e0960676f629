package dev.lowrank.loss;

/**
 * The double-precision reference for every loss: a plain loop over all m·n entries (the unobserved
 * ones included, for the λ2 term), on a flat parameter vector [U (m·k), V (n·k), μ, b (m), c (n)].
 */
final class NaiveLoss {
    enum Kind { SQUARED, SIGNED, LOGISTIC, POISSON }

    final Kind kind;
    final int m;
    final int n;
    final int k;
    final boolean biases;
    final double[][] a;
    final boolean[][] observed;
    final double lambda1;
    final double lambda2;
    final double regFactors;
    final double regBiases;
    final double[] centres;

    NaiveLoss(Kind kind, double[][] a, boolean[][] observed, int k, boolean biases, double lambda1, double lambda2,
              double regFactors, double regBiases) {
        this.kind = kind;
        this.a = a;
        this.observed = observed;
        this.m = a.length;
        this.n = m == 0 ? 0 : a[0].length;
        this.k = k;
        this.biases = biases;
        this.lambda1 = lambda1;
        this.lambda2 = lambda2;
        this.regFactors = regFactors;
        this.regBiases = regBiases;
        this.centres = new double[m];
        for (int i = 0; i < m; i++) {
            double s = 0;
            int c = 0;
            for (int j = 0; j < n; j++) {
                if (observed[i][j]) {
                    s += (float) a[i][j];
                    c++;
                }
            }
            centres[i] = c == 0 ? 0 : (float) (s / c);
        }
    }

    int size() {
        return (m + n) * k + (biases ? 1 + m + n : 0);
    }

    /** Loss, and in {@code absSum[0]} the sum of the absolute values of its terms (for tolerances). */
    double value(double[] p, double[] absSum) {
        double loss = 0;
        double abs = 0;
        int vOff = m * k;
        int muOff = (m + n) * k;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int t = 0; t < k; t++) {
                    s += p[i * k + t] * p[vOff + j * k + t];
                }
                double x = biases ? p[muOff] + p[muOff + 1 + i] + p[muOff + 1 + m + j] + s : s;
                double term;
                if (observed[i][j]) {
                    double av = a[i][j];
                    term = switch (kind) {
                        case SQUARED -> lambda1 * (av - x) * (av - x);
                        case SIGNED -> {
                            double c = (float) av - centres[i];
                            yield c < 0 ? x : c > 0 ? -x : 0;
                        }
                        case LOGISTIC -> lambda1 * (Math.log1p(Math.exp(-Math.abs(x))) + Math.max(x, 0) - av * x);
                        case POISSON -> lambda1 * (Math.exp(x) - av * x);
                    };
                    abs += Math.abs(term) + (kind == Kind.SQUARED ? lambda1 * (av * av + x * x) : Math.abs(x));
                } else {
                    term = lambda2 * s * s;
                    abs += Math.abs(term);
                }
                loss += term;
            }
        }
        double f = 0;
        for (int t = 0; t < muOff; t++) {
            f += p[t] * p[t];
        }
        loss += regFactors * f;
        abs += regFactors * f;
        if (biases) {
            double b = 0;
            for (int t = muOff + 1; t < muOff + 1 + m + n; t++) {
                b += p[t] * p[t];
            }
            loss += regBiases * b;
            abs += regBiases * b;
        }
        if (absSum != null) {
            absSum[0] = abs;
        }
        return loss;
    }

    /** Central differences of {@link #value} with step h, for every parameter. */
    double[] numericGradient(double[] p, double h) {
        double[] g = new double[p.length];
        double[] q = p.clone();
        for (int t = 0; t < p.length; t++) {
            q[t] = p[t] + h;
            double up = value(q, null);
            q[t] = p[t] - h;
            double down = value(q, null);
            q[t] = p[t];
            g[t] = (up - down) / (2 * h);
        }
        return g;
    }
}
