package dev.lowrank.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.testkit.Case;
import dev.lowrank.testkit.Cases;
import dev.lowrank.testkit.Gen;
import dev.lowrank.testkit.Tolerance;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** normalApply, normalRhs, addGramUpper and sgdPass against naive double references, on both backends. */
class RowSolveKernelsPropertyTest {

    static Stream<Case> cases() {
        return Cases.of("row-solve-kernels", 150);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void normalApplyMatchesTheDefinition(Case c) {
        try (Gen g = c.gen()) {
            int rows = g.dim(1, 12);
            int cols = g.dim(1, 30);
            int k = g.dim(1, 70);
            CsrMatrix a = g.csr("A", rows, cols);
            DenseMatrix y = g.anyDense("Y", cols, k);
            float[] x = g.values(1, k)[0];
            float[] out0 = g.values(1, k + g.nextInt(3))[0];
            float scale = g.scalar();
            float valueScale = g.scalar();
            float shift = g.scalar();
            int row = g.nextInt(rows);
            float[][] yv = y.toArray();
            for (Backend backend : Backend.values()) {
                float[] out = out0.clone();
                float sum = Kernels.of(backend, Parallel.sequential()).normalApply(a, row, y, x, scale, valueScale, shift, out);
                double expectedSum = 0;
                double sumAbs = 0;
                double[] expected = new double[k];
                double[] absSum = new double[k];
                for (int t = 0; t < k; t++) {
                    expected[t] = out0[t];
                    absSum[t] = Math.abs(out0[t]);
                }
                long nnz = a.rowEnd(row) - a.rowStart(row);
                for (long p = a.rowStart(row); p < a.rowEnd(row); p++) {
                    float[] yj = yv[a.columnIndex(p)];
                    double s = 0;
                    double sAbs = 0;
                    for (int t = 0; t < k; t++) {
                        s += (double) yj[t] * x[t];
                        sAbs += Math.abs((double) yj[t] * x[t]);
                    }
                    expectedSum += s;
                    sumAbs += sAbs;
                    double w = (double) scale + (double) valueScale * a.value(p);
                    double wAbs = Math.abs(scale) + Math.abs((double) valueScale * a.value(p));
                    double coef = w * s + shift;
                    double coefAbs = wAbs * sAbs + Math.abs(shift);
                    for (int t = 0; t < k; t++) {
                        expected[t] += coef * yj[t];
                        absSum[t] += coefAbs * Math.abs(yj[t]);
                    }
                }
                String context = backend + " " + g.describe() + " row=" + row;
                Tolerance.assertClose(expectedSum, sum, (int) (k + nnz), sumAbs, context + ": returned sum");
                for (int t = 0; t < k; t++) {
                    Tolerance.assertClose(expected[t], out[t], (int) (k + nnz + 4), absSum[t], context + " out[" + t + "]");
                }
                for (int t = k; t < out.length; t++) {
                    assertEquals(out0[t], out[t], context + ": wrote past k");
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void panelKernelsMatchTheDefinitionAndTheSegmentKernels(Case c) {
        try (Gen g = c.gen()) {
            // Rows up to several hundred entries, so the segment kernels' chunked gathers are crossed too.
            int cols = g.dim(1, 700);
            int k = g.dim(1, 70);
            CsrMatrix a = g.csrUniform("A", 2, cols, 0.3 + 0.7 * g.random().nextDouble());
            DenseMatrix y = g.anyDense("Y", cols, k);
            float[] x = g.values(1, k)[0];
            float[] out0 = g.values(1, k + g.nextInt(3))[0];
            float scale = g.scalar();
            float valueScale = g.scalar();
            float shift = g.scalar();
            int row = g.nextInt(2);
            int n = (int) (a.rowEnd(row) - a.rowStart(row));
            float[] coef = g.values(1, n + 1)[0];
            float[][] yv = y.toArray();
            for (Backend backend : Backend.values()) {
                Kernels kernels = Kernels.of(backend, Parallel.sequential());
                String context = backend + " " + g.describe() + " row=" + row + " n=" + n;
                float[] panel = new float[n * k + g.nextInt(5)];
                float[] values = new float[n + 1];
                kernels.gatherRows(a, row, 0, n, y, panel, values);
                for (int e = 0; e < n; e++) {
                    long p = a.rowStart(row) + e;
                    assertEquals(a.value(p), values[e], context + ": values[" + e + "]");
                    for (int t = 0; t < k; t++) {
                        assertEquals(yv[a.columnIndex(p)][t], panel[e * k + t], context + ": panel[" + e + "][" + t + "]");
                    }
                }
                float[] out = out0.clone();
                float sum = kernels.panelApply(panel, n, k, values, x, scale, valueScale, shift, out);
                float[] segmentOut = out0.clone();
                float segmentSum = kernels.normalApply(a, row, y, x, scale, valueScale, shift, segmentOut);
                assertEquals(segmentSum, sum, context + ": panelApply and normalApply sums differ");
                assertArrayEquals(segmentOut, out, context + ": panelApply and normalApply differ");
                double[] expected = new double[k];
                double[] absSum = new double[k];
                double[] combined = new double[k];
                double[] combinedAbs = new double[k];
                for (int t = 0; t < k; t++) {
                    expected[t] = out0[t];
                    absSum[t] = Math.abs(out0[t]);
                    combined[t] = out0[t];
                    combinedAbs[t] = Math.abs(out0[t]);
                }
                double expectedSum = 0;
                double sumAbs = 0;
                for (int e = 0; e < n; e++) {
                    float[] yj = yv[a.columnIndex(a.rowStart(row) + e)];
                    double s = 0;
                    double sAbs = 0;
                    for (int t = 0; t < k; t++) {
                        s += (double) yj[t] * x[t];
                        sAbs += Math.abs((double) yj[t] * x[t]);
                    }
                    expectedSum += s;
                    sumAbs += sAbs;
                    double w = (double) scale + (double) valueScale * values[e];
                    double wAbs = Math.abs(scale) + Math.abs((double) valueScale * values[e]);
                    for (int t = 0; t < k; t++) {
                        expected[t] += (w * s + shift) * yj[t];
                        absSum[t] += (wAbs * sAbs + Math.abs(shift)) * Math.abs(yj[t]);
                        combined[t] += (double) coef[e] * yj[t];
                        combinedAbs[t] += Math.abs((double) coef[e] * yj[t]);
                    }
                }
                Tolerance.assertClose(expectedSum, sum, k + n, sumAbs, context + ": returned sum");
                float[] combineOut = out0.clone();
                kernels.panelCombine(panel, n, k, coef, combineOut);
                for (int t = 0; t < k; t++) {
                    Tolerance.assertClose(expected[t], out[t], k + n + 4, absSum[t], context + " out[" + t + "]");
                    Tolerance.assertClose(combined[t], combineOut[t], n + 1, combinedAbs[t], context + " combined[" + t + "]");
                }
                for (int t = k; t < out.length; t++) {
                    assertEquals(out0[t], out[t], context + ": panelApply wrote past k");
                    assertEquals(out0[t], combineOut[t], context + ": panelCombine wrote past k");
                }
            }
        }
    }

    /** out += upper triangle of R[0, n)ᵀR[0, n); the lower triangle keeps its bits. n crosses the kernel's 96-row passes. */
    @ParameterizedTest
    @MethodSource("cases")
    void addGramUpperAddsTheUpperTriangle(Case c) {
        try (Gen g = c.gen()) {
            int d = g.nextInt(4) == 0 ? g.dim(60, 140) : g.dim(1, 40);
            int count = g.nextInt(3) == 0 ? g.dim(90, 300) : g.dim(0, 60);
            DenseMatrix r = g.anyDense("R", count, d);
            int n = g.nextInt(count + 1);
            g.note("n=" + n);
            float[] start = new float[d * d];
            for (int e = 0; e < start.length; e++) {
                start[e] = g.value();
            }
            for (Backend backend : Backend.values()) {
                String context = g.describe() + " backend=" + backend;
                float[] out = start.clone();
                Kernels.of(backend, Parallel.sequential()).addGramUpper(r, n, out);
                for (int i = 0; i < d; i++) {
                    for (int col = 0; col < d; col++) {
                        int e = i * d + col;
                        if (col < i) {
                            assertEquals(Float.floatToRawIntBits(start[e]), Float.floatToRawIntBits(out[e]),
                                    context + ": lower-triangle entry (" + i + ", " + col + ") changed");
                            continue;
                        }
                        double want = start[e];
                        double abs = Math.abs(start[e]);
                        for (int row = 0; row < n; row++) {
                            double term = (double) r.get(row, i) * r.get(row, col);
                            want += term;
                            abs += Math.abs(term);
                        }
                        Tolerance.assertClose(want, out[e], n + 1, abs, context + " at (" + i + ", " + col + ")");
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void normalRhsMatchesTheDefinition(Case c) {
        try (Gen g = c.gen()) {
            int rows = g.dim(1, 12);
            int cols = g.dim(1, 30);
            int k = g.dim(1, 70);
            CsrMatrix a = g.csr("A", rows, cols);
            DenseMatrix y = g.anyDense("Y", cols, k);
            DenseMatrix bias = g.nextBoolean() ? g.dense("bias", 1, cols) : null;
            float[] out0 = g.values(1, k)[0];
            float valueScale = g.scalar();
            float shift = g.scalar();
            float biasScale = g.scalar();
            int row = g.nextInt(rows);
            float[][] yv = y.toArray();
            for (Backend backend : Backend.values()) {
                float[] out = out0.clone();
                float sum = Kernels.of(backend, Parallel.sequential()).normalRhs(a, row, y, valueScale, shift, bias,
                        biasScale, out);
                double expectedSum = 0;
                double sumAbs = 0;
                double[] expected = new double[k];
                double[] absSum = new double[k];
                for (int t = 0; t < k; t++) {
                    expected[t] = out0[t];
                    absSum[t] = Math.abs(out0[t]);
                }
                long nnz = a.rowEnd(row) - a.rowStart(row);
                for (long p = a.rowStart(row); p < a.rowEnd(row); p++) {
                    int j = a.columnIndex(p);
                    double b = bias == null ? 0 : bias.get(0, j);
                    double target = (double) valueScale * a.value(p) + shift + biasScale * b;
                    double targetAbs = Math.abs((double) valueScale * a.value(p)) + Math.abs(shift) + Math.abs(biasScale * b);
                    expectedSum += target;
                    sumAbs += targetAbs;
                    for (int t = 0; t < k; t++) {
                        expected[t] += target * yv[j][t];
                        absSum[t] += targetAbs * Math.abs(yv[j][t]);
                    }
                }
                String context = backend + " " + g.describe() + " row=" + row;
                Tolerance.assertClose(expectedSum, sum, (int) (3 * nnz + 3), sumAbs, context + ": returned sum");
                for (int t = 0; t < k; t++) {
                    Tolerance.assertClose(expected[t], out[t], (int) (nnz + 5), absSum[t], context + " out[" + t + "]");
                }
            }
        }
    }

    /**
     * sgdPass is the per-rating facade calls (dot, bias updates, sgdUpdate) fused into one loop, so it
     * must give exactly their bits; one step is also checked against the formula in double.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void sgdPassEqualsTheRatingByRatingUpdates(Case c) {
        try (Gen g = c.gen()) {
            int users = g.dim(1, 9);
            int items = g.dim(1, 9);
            // 32, 64 and 128 are 8 vectors on some species (a path that keeps u_i in registers over a run
            // of ratings by the same user); sorted users make such runs.
            int k = g.nextInt(3) == 0 ? 32 << g.nextInt(3) : g.dim(1, 70);
            int n = g.nextInt(30);
            boolean biases = g.nextBoolean();
            boolean sorted = g.nextBoolean();
            int[] us = new int[n];
            int[] is = new int[n];
            float[] vs = new float[n];
            for (int t = 0; t < n; t++) {
                us[t] = g.nextInt(users);
                is[t] = g.nextInt(items);
                vs[t] = (float) g.random().nextGaussian();
            }
            if (sorted) {
                java.util.Arrays.sort(us);
            }
            float rate = 0.01f * (1 + g.nextInt(5));
            float factorShrink = 1f - rate * 0.1f;
            float biasShrink = 1f - rate * 0.05f;
            float mu = (float) g.random().nextGaussian();
            int from = n == 0 ? 0 : g.nextInt(n);
            g.note("k=" + k + " n=" + n + " from=" + from + " biases=" + biases + " sorted=" + sorted);
            float[][] u0 = new float[users][k];
            float[][] v0 = new float[items][k];
            for (float[] row : u0) {
                for (int t = 0; t < k; t++) {
                    row[t] = (float) (0.3 * g.random().nextGaussian());
                }
            }
            for (float[] row : v0) {
                for (int t = 0; t < k; t++) {
                    row[t] = (float) (0.3 * g.random().nextGaussian());
                }
            }
            for (Backend backend : Backend.values()) {
                Kernels kernels = Kernels.of(backend, Parallel.sequential());
                try (DenseMatrix u2 = DenseMatrix.of(u0); DenseMatrix v2 = DenseMatrix.of(v0);
                     DenseMatrix b2 = DenseMatrix.zeros(1, users); DenseMatrix cb2 = DenseMatrix.zeros(1, items)) {
                    float[] u = u2.toFlatArray();
                    float[] v = v2.toFlatArray();
                    float[] b = new float[users];
                    float[] cb = new float[items];
                    double sum = kernels.sgdPass(u, v, k, us, is, vs, from, n, biases ? b : null, biases ? cb : null, mu,
                            rate, factorShrink, biasShrink);
                    double expectedSum = 0;
                    for (int t = from; t < n; t++) {
                        int i = us[t];
                        int j = is[t];
                        float prediction = kernels.dot(u2, i, v2, j);
                        if (biases) {
                            prediction += mu + b2.get(0, i) + cb2.get(0, j);
                        }
                        float e = vs[t] - prediction;
                        expectedSum += (double) e * e;
                        if (t == from) {
                            checkOneStepInDouble(u2, i, v2, j, e, rate, factorShrink, k, kernels, g, backend);
                        }
                        if (biases) {
                            b2.set(0, i, biasShrink * b2.get(0, i) + rate * e);
                            cb2.set(0, j, biasShrink * cb2.get(0, j) + rate * e);
                        }
                        kernels.sgdUpdate(u2, i, v2, j, rate * e, factorShrink);
                    }
                    String context = backend + " " + g.describe();
                    assertEquals(expectedSum, sum, context + ": sum of squared errors");
                    assertArrayEquals(u2.toFlatArray(), u, context + ": U");
                    assertArrayEquals(v2.toFlatArray(), v, context + ": V");
                    assertArrayEquals(b2.toFlatArray(), b, context + ": user biases");
                    assertArrayEquals(cb2.toFlatArray(), cb, context + ": item biases");
                }
            }
        }
    }

    /** u' = shrink·u + rate·e·v and v' = shrink·v + rate·e·u, from the old rows, to a few ulps. */
    private static void checkOneStepInDouble(DenseMatrix u, int i, DenseMatrix v, int j, float e, float rate,
                                             float shrink, int k, Kernels kernels, Gen g, Backend backend) {
        if (u == v) {
            return;
        }
        float[] ui = new float[k];
        float[] vj = new float[k];
        u.copyRow(i, ui);
        v.copyRow(j, vj);
        try (DenseMatrix uc = u.copy(); DenseMatrix vc = v.copy()) {
            kernels.sgdUpdate(uc, i, vc, j, rate * e, shrink);
            for (int t = 0; t < k; t++) {
                double eu = (double) shrink * ui[t] + (double) (rate * e) * vj[t];
                double ev = (double) shrink * vj[t] + (double) (rate * e) * ui[t];
                double absU = Math.abs((double) shrink * ui[t]) + Math.abs((double) (rate * e) * vj[t]);
                double absV = Math.abs((double) shrink * vj[t]) + Math.abs((double) (rate * e) * ui[t]);
                Tolerance.assertClose(eu, uc.get(i, t), 2, absU, backend + " " + g.describe() + " u[" + t + "]");
                Tolerance.assertClose(ev, vc.get(j, t), 2, absV, backend + " " + g.describe() + " v[" + t + "]");
            }
        }
    }

    @Test
    void rejectsBadArguments() {
        Kernels kernels = Kernels.of(Backend.SCALAR, Parallel.sequential());
        try (CsrMatrix a = CsrMatrix.fromCoo(2, 3, new int[] {0}, new int[] {1}, new float[] {1f},
                dev.lowrank.matrix.DuplicatePolicy.ERROR);
             DenseMatrix y = DenseMatrix.zeros(3, 4); DenseMatrix wrong = DenseMatrix.zeros(2, 4);
             DenseMatrix u = DenseMatrix.zeros(2, 4); DenseMatrix v = DenseMatrix.zeros(3, 4)) {
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> kernels.normalApply(a, 0, wrong, new float[4], 1, 0, 0, new float[4]));
            org.junit.jupiter.api.Assertions.assertTrue(shape.getMessage().contains("2x3")
                    && shape.getMessage().contains("2x4"), shape.getMessage());
            assertThrows(IllegalArgumentException.class, () -> kernels.normalApply(a, 0, y, new float[3], 1, 0, 0, new float[4]));
            assertThrows(IndexOutOfBoundsException.class, () -> kernels.normalApply(a, 2, y, new float[4], 1, 0, 0, new float[4]));
            assertThrows(IllegalArgumentException.class, () -> kernels.normalRhs(a, 0, y, 1, 0, u, 1, new float[4]));
            assertThrows(IllegalArgumentException.class, () -> kernels.gatherRows(a, 0, 0, 1, y, new float[3], null));
            assertThrows(IndexOutOfBoundsException.class, () -> kernels.gatherRows(a, 0, 0, 2, y, new float[8], null));
            assertThrows(IllegalArgumentException.class,
                    () -> kernels.panelApply(new float[7], 2, 4, new float[2], new float[4], 1, 0, 0, new float[4]));
            assertThrows(IllegalArgumentException.class,
                    () -> kernels.panelApply(new float[8], 2, 4, new float[1], new float[4], 1, 0, 0, new float[4]));
            assertThrows(IllegalArgumentException.class, () -> kernels.panelCombine(new float[8], 2, 4, new float[2], new float[3]));
            assertThrows(IndexOutOfBoundsException.class,
                    () -> kernels.sgdPass(new float[8], new float[8], 4, new int[] {2}, new int[] {0}, new float[] {1}, 0, 1,
                            null, null, 0, 0.1f, 1, 1));
            assertThrows(IllegalArgumentException.class,
                    () -> kernels.sgdPass(new float[8], new float[8], 4, new int[] {1}, new int[] {0, 1}, new float[] {1}, 0, 1,
                            null, null, 0, 0.1f, 1, 1));
            float[] same = new float[8];
            assertThrows(IllegalArgumentException.class,
                    () -> kernels.sgdPass(same, same, 4, new int[] {1}, new int[] {0}, new float[] {1}, 0, 1, null, null, 0, 0.1f, 1, 1));
            assertThrows(IllegalArgumentException.class,
                    () -> kernels.sgdPass(new float[8], new float[7], 4, new int[] {1}, new int[] {0}, new float[] {1}, 0, 1,
                            null, null, 0, 0.1f, 1, 1));
            assertThrows(IllegalArgumentException.class,
                    () -> kernels.sgdPass(new float[8], new float[8], 4, new int[] {1}, new int[] {0}, new float[] {1}, 0, 1,
                            new float[2], new float[3], 0, 0.1f, 1, 1));
        }
    }
}
