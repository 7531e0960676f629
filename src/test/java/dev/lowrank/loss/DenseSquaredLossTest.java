package dev.lowrank.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.model.FactorModel;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.testkit.Case;
import dev.lowrank.testkit.Cases;
import dev.lowrank.testkit.Gen;
import dev.lowrank.testkit.Tolerance;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The dense squared loss (A read in place) on both providers: value and every gradient equal a naive
 * double loop over all m·n entries (within float error bounds) and the CSR path on the same data;
 * results are bit-identical on 1, 2 and 3 threads; gradients match central differences.
 */
class DenseSquaredLossTest {

    static Stream<Case> cases() {
        return Cases.of("dense-squared-loss", 250);
    }

    /** Wide rows: several strips and, for larger k, several column tiles per row. */
    static Stream<Case> wideCases() {
        return Cases.of("dense-squared-loss-wide", 6);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesReferenceAndCsr(Case c) {
        try (Gen g = c.gen()) {
            int m = g.dim(1, 23);
            int n = g.dim(1, 70);
            int k = g.dim(1, 9);
            check(g, m, n, k);
        }
    }

    @ParameterizedTest
    @MethodSource("wideCases")
    void wideRowsMatchReferenceAndCsr(Case c) {
        try (Gen g = c.gen()) {
            int m = g.dim(1, 6);
            int n = 500 + g.nextInt(800);
            int k = 1 + g.nextInt(40);
            check(g, m, n, k);
        }
    }

    /** One random problem, checked on both backends. */
    private static void check(Gen g, int m, int n, int k) {
        Problem p = Problem.random(g, m, n, k);
        for (Backend backend : Backend.values()) {
            Kernels kernels = Kernels.of(backend, Parallel.sequential());
            String desc = g.describe() + " " + backend + " " + p;
            Reference ref = p.reference();
            try (DenseMatrix a = p.a(g); DenseMatrix mask = p.explicitMask ? p.mask() : null;
                 FactorModel model = p.model(kernels);
                 DenseSquaredLoss loss = SquaredLoss.l4(p.explicitMask ? DenseObservations.masked(a, mask)
                         : DenseObservations.nonZero(a), p.l1, p.l2, p.reg(), kernels);
                 Gradients grads = Gradients.like(model);
                 Observations obs = p.explicitMask ? Observations.masked(a, mask) : Observations.nonZero(a);
                 SquaredLoss csr = SquaredLoss.l4(obs, p.l1, p.l2, p.reg(), kernels);
                 Gradients csrGrads = Gradients.like(model)) {
                double got = loss.evaluate(model, grads);
                Tolerance.assertClose(ref.value, got, ref.terms, ref.valueAbs, desc + ": loss");
                assertEquals(got, loss.value(model), desc + ": value() differs from evaluate()");
                double csrValue = csr.evaluate(model, csrGrads);
                if (!(Math.abs(got - csrValue) <= 2 * Tolerance.bound(ref.terms, ref.valueAbs))) {
                    fail(desc + ": loss " + got + " but the CSR path gives " + csrValue);
                }
                double[] ours = LossPropertyTest.flatten(grads, m, n, k, p.biases);
                double[] theirs = LossPropertyTest.flatten(csrGrads, m, n, k, p.biases);
                for (int t = 0; t < ours.length; t++) {
                    Tolerance.assertClose(ref.grad[t], ours[t], ref.terms, ref.gradAbs[t], desc + ": gradient " + t);
                    double tol = 2 * Tolerance.bound(ref.terms, ref.gradAbs[t]);
                    if (!(Math.abs(ours[t] - theirs[t]) <= tol)) {
                        fail(desc + ": gradient " + t + " is " + ours[t] + " but the CSR path gives " + theirs[t]);
                    }
                }
            }
        }
    }

    @Test
    void bitIdenticalOnOneTwoAndThreeThreads() {
        try (Gen g = new Gen(20261123L); Parallel two = Parallel.threads(2); Parallel three = Parallel.threads(3)) {
            // 600·1000 entries: three row blocks; k = 24 gives two column tiles per row.
            for (int k : new int[] {3, 24}) {
                Problem p = Problem.random(g, 600, 1000, k);
                for (Backend backend : Backend.values()) {
                    int[] first = null;
                    for (Parallel par : List.of(Parallel.sequential(), two, three)) {
                        Kernels kernels = Kernels.of(backend, par);
                        try (DenseMatrix a = p.a(g); DenseMatrix mask = p.explicitMask ? p.mask() : null;
                             FactorModel model = p.model(kernels);
                             DenseSquaredLoss loss = SquaredLoss.l4(p.explicitMask ? DenseObservations.masked(a, mask)
                                     : DenseObservations.nonZero(a), p.l1, p.l2, p.reg(), kernels);
                             Gradients grads = Gradients.like(model)) {
                            double value = loss.evaluate(model, grads);
                            int[] bits = bits(value, grads);
                            if (first == null) {
                                first = bits;
                            } else {
                                assertArrayEquals(first, bits, backend + " " + par + " k=" + k + " " + p);
                            }
                        }
                    }
                }
            }
        }
    }

    private static int[] bits(double value, Gradients grads) {
        List<Integer> out = new ArrayList<>();
        long v = Double.doubleToRawLongBits(value);
        out.add((int) v);
        out.add((int) (v >>> 32));
        for (DenseMatrix gm : grads.parts()) {
            for (float x : gm.toFlatArray()) {
                out.add(Float.floatToRawIntBits(x));
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void gradientsMatchCentralDifferences() {
        try (Gen g = new Gen(7L)) {
            Problem p = Problem.random(g, 4, 19, 3);
            p.biases = true;
            p.explicitMask = true;
            for (Backend backend : Backend.values()) {
                Kernels kernels = Kernels.of(backend, Parallel.sequential());
                try (DenseMatrix a = p.a(g); DenseMatrix mask = p.mask(); FactorModel model = p.model(kernels);
                     DenseSquaredLoss loss = SquaredLoss.l4(DenseObservations.masked(a, mask), p.l1, p.l2, p.reg(), kernels);
                     Gradients grads = Gradients.like(model)) {
                    loss.evaluate(model, grads);
                    double[] ours = LossPropertyTest.flatten(grads, p.m, p.n, p.k, true);
                    double[][] av = new double[p.m][p.n];
                    for (int i = 0; i < p.m; i++) {
                        for (int j = 0; j < p.n; j++) {
                            av[i][j] = p.observed[i][j] ? p.values[i][j] : 0;
                        }
                    }
                    NaiveLoss naive = new NaiveLoss(NaiveLoss.Kind.SQUARED, av, p.observed, p.k, true, p.l1, p.l2,
                            p.regF, p.regB);
                    double[] fd = naive.numericGradient(p.params, 1e-3);
                    for (int t = 0; t < fd.length; t++) {
                        double tol = 1e-3 * (1 + Math.abs(fd[t]));
                        assertTrue(Math.abs(ours[t] - fd[t]) <= tol,
                                backend + " " + p + ": gradient " + t + " is " + ours[t] + ", central differences " + fd[t]);
                    }
                }
            }
        }
    }

    @Test
    void rejectsBadInput() {
        Kernels kernels = Kernels.of(Backend.SCALAR, Parallel.sequential());
        try (DenseMatrix a = DenseMatrix.of(2, 3, 1, 0, 2, 0, 3, 0); DenseMatrix badMask = DenseMatrix.of(2, 3, 1, 0, 2, 0, 1, 0);
             DenseMatrix wrongShape = DenseMatrix.zeros(3, 2); DenseMatrix nan = DenseMatrix.zeros(2, 2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DenseObservations.masked(a, badMask));
            assertTrue(e.getMessage().contains("mask value 2.0 at (0, 2)"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> DenseObservations.masked(a, wrongShape));
            assertTrue(e.getMessage().contains("2x3") && e.getMessage().contains("3x2"), e.getMessage());
            nan.segment().set(java.lang.foreign.ValueLayout.JAVA_FLOAT, nan.offset(1, 0), Float.NaN);
            e = assertThrows(IllegalArgumentException.class, () -> DenseObservations.nonZero(nan));
            assertTrue(e.getMessage().contains("NaN at (1, 0)"), e.getMessage());
            DenseObservations obs = DenseObservations.nonZero(a);
            assertEquals(3, obs.size());
            assertThrows(IllegalArgumentException.class, () -> SquaredLoss.l4(obs, 0f, 0f, Regularization.none(), kernels));
            try (DenseMatrix u = DenseMatrix.zeros(2, 2); DenseMatrix vt = DenseMatrix.zeros(2, 4)) {
                e = assertThrows(IllegalArgumentException.class, () -> kernels.maskedSquaredRows(a, null, u, vt, 0f,
                        null, null, 1f, 0f, null, null, null, 0, 2));
                assertTrue(e.getMessage().contains("Vt is 2x4") && e.getMessage().contains("2x3"), e.getMessage());
                assertThrows(IndexOutOfBoundsException.class, () -> kernels.maskedSquaredRows(a, null, u, u, 0f,
                        null, null, 1f, 0f, null, null, null, 0, 3));
            }
            try (DenseSquaredLoss loss = SquaredLoss.l3(obs, 1f, Regularization.none(), kernels);
                 FactorModel model = FactorModel.create(3, 2, 2, false, dev.lowrank.model.Initializer.uniform(1), kernels)) {
                e = assertThrows(IllegalArgumentException.class, () -> loss.value(model));
                assertTrue(e.getMessage().contains("2x3") && e.getMessage().contains("3x2"), e.getMessage());
            }
        }
    }

    /** A random masked problem: values, Ω (some rows empty), parameters and weights. */
    static final class Problem {
        int m;
        int n;
        int k;
        boolean biases;
        boolean explicitMask;
        float[][] values;
        boolean[][] observed;
        double[] params;
        float l1;
        float l2;
        float regF;
        float regB;

        static Problem random(Gen g, int m, int n, int k) {
            Problem p = new Problem();
            p.m = m;
            p.n = n;
            p.k = k;
            p.biases = g.nextBoolean();
            p.explicitMask = g.nextBoolean();
            double density = g.nextInt(4) == 0 ? 1 : g.random().nextDouble();
            p.values = new float[m][n];
            p.observed = new boolean[m][n];
            for (int i = 0; i < m; i++) {
                boolean emptyRow = g.nextInt(5) == 0;
                for (int j = 0; j < n; j++) {
                    p.observed[i][j] = !emptyRow && g.random().nextDouble() < density;
                    if (p.observed[i][j]) {
                        // With an explicit mask an observed value may be 0; under the A != 0 rule it may not.
                        float x = p.explicitMask && g.nextInt(6) == 0 ? 0f : (float) (5 * g.random().nextDouble());
                        p.values[i][j] = x == 0f && !p.explicitMask ? 1f : x;
                    } else if (p.explicitMask) {
                        p.values[i][j] = (float) g.random().nextGaussian();
                    }
                }
            }
            int size = (m + n) * k + (p.biases ? 1 + m + n : 0);
            p.params = new double[size];
            for (int t = 0; t < size; t++) {
                p.params[t] = (float) (0.7 * g.random().nextGaussian());
            }
            p.l1 = (float) (0.1 + g.random().nextDouble());
            p.l2 = g.nextBoolean() ? (float) (0.01 + 0.5 * g.random().nextDouble()) : 0f;
            p.regF = g.nextBoolean() ? (float) (0.1 * g.random().nextDouble()) : 0f;
            p.regB = g.nextBoolean() ? (float) (0.1 * g.random().nextDouble()) : 0f;
            return p;
        }

        Regularization reg() {
            return new Regularization(regF, regB);
        }

        /** A, a third of the time wrapped tightly (no row padding) so reads past a row's end would show. */
        DenseMatrix a(Gen g) {
            DenseMatrix a = g.anyDense("A", m, n);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    a.set(i, j, values[i][j]);
                }
            }
            return a;
        }

        DenseMatrix mask() {
            DenseMatrix mk = DenseMatrix.zeros(m, n);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    mk.set(i, j, observed[i][j] ? 1f : 0f);
                }
            }
            return mk;
        }

        FactorModel model(Kernels kernels) {
            return LossPropertyTest.model(params, m, n, k, biases, kernels);
        }

        /** Naive double loop over all entries: value and the analytic gradient, with error scales. */
        Reference reference() {
            Reference r = new Reference();
            int vOff = m * k;
            int muOff = (m + n) * k;
            r.grad = new double[params.length];
            r.gradAbs = new double[params.length];
            r.terms = m + n + k + 8;
            double mu = biases ? params[muOff] : 0;
            double[] uAbsV = new double[k * k];
            for (int j = 0; j < n; j++) {
                for (int f = 0; f < k; f++) {
                    for (int h = 0; h < k; h++) {
                        uAbsV[f * k + h] += Math.abs(params[vOff + j * k + f] * params[vOff + j * k + h]);
                    }
                }
            }
            double[] uAbsU = new double[k * k];
            for (int i = 0; i < m; i++) {
                for (int f = 0; f < k; f++) {
                    for (int h = 0; h < k; h++) {
                        uAbsU[f * k + h] += Math.abs(params[i * k + f] * params[i * k + h]);
                    }
                }
            }
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    double sAbs = 0;
                    for (int f = 0; f < k; f++) {
                        double prod = params[i * k + f] * params[vOff + j * k + f];
                        s += prod;
                        sAbs += Math.abs(prod);
                    }
                    double bi = biases ? params[muOff + 1 + i] : 0;
                    double cj = biases ? params[muOff + 1 + m + j] : 0;
                    double coef;
                    double coefAbs;
                    if (observed[i][j]) {
                        double res = values[i][j] - (mu + bi + cj + s);
                        r.value += l1 * res * res;
                        double scale = Math.abs(values[i][j]) + Math.abs(mu) + Math.abs(bi) + Math.abs(cj) + sAbs;
                        r.valueAbs += l1 * scale * scale + l2 * sAbs * sAbs;
                        coef = -2 * l1 * res;
                        coefAbs = 2 * l1 * scale + 2 * l2 * sAbs;
                        if (biases) {
                            r.grad[muOff] += coef;
                            r.gradAbs[muOff] += 2 * l1 * scale;
                            r.grad[muOff + 1 + i] += coef;
                            r.gradAbs[muOff + 1 + i] += 2 * l1 * scale;
                            r.grad[muOff + 1 + m + j] += coef;
                            r.gradAbs[muOff + 1 + m + j] += 2 * l1 * scale;
                        }
                    } else {
                        r.value += l2 * s * s;
                        r.valueAbs += 2 * l2 * sAbs * sAbs;
                        coef = 2 * l2 * s;
                        coefAbs = 2 * l2 * sAbs;
                    }
                    for (int f = 0; f < k; f++) {
                        r.grad[i * k + f] += coef * params[vOff + j * k + f];
                        r.gradAbs[i * k + f] += coefAbs * Math.abs(params[vOff + j * k + f]);
                        r.grad[vOff + j * k + f] += coef * params[i * k + f];
                        r.gradAbs[vOff + j * k + f] += coefAbs * Math.abs(params[i * k + f]);
                    }
                }
            }
            // The Gramian route: 2λ2·U·(VᵀV) and 2λ2·V·(UᵀU), each product's own error scale.
            for (int f = 0; f < k; f++) {
                for (int h = 0; h < k; h++) {
                    for (int i = 0; i < m; i++) {
                        r.gradAbs[i * k + f] += 2 * l2 * Math.abs(params[i * k + h]) * uAbsV[h * k + f];
                    }
                    for (int j = 0; j < n; j++) {
                        r.gradAbs[vOff + j * k + f] += 2 * l2 * Math.abs(params[vOff + j * k + h]) * uAbsU[h * k + f];
                    }
                    r.valueAbs += 2 * l2 * uAbsU[f * k + h] * uAbsV[f * k + h];
                }
            }
            for (int t = 0; t < muOff; t++) {
                r.value += regF * params[t] * params[t];
                r.valueAbs += regF * params[t] * params[t];
                r.grad[t] += 2 * regF * params[t];
                r.gradAbs[t] += 2 * regF * Math.abs(params[t]);
            }
            if (biases) {
                for (int t = muOff + 1; t < params.length; t++) {
                    r.value += regB * params[t] * params[t];
                    r.valueAbs += regB * params[t] * params[t];
                    r.grad[t] += 2 * regB * params[t];
                    r.gradAbs[t] += 2 * regB * Math.abs(params[t]);
                }
            }
            return r;
        }

        @Override
        public String toString() {
            return m + "x" + n + " k=" + k + " biases=" + biases + " mask=" + (explicitMask ? "explicit" : "A!=0")
                    + " l1=" + l1 + " l2=" + l2 + " reg=" + regF + "/" + regB;
        }
    }

    static final class Reference {
        double value;
        double valueAbs;
        double[] grad;
        double[] gradAbs;
        int terms;
    }
}
