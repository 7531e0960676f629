package dev.lowrank.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.testkit.Case;
import dev.lowrank.testkit.Cases;
import dev.lowrank.testkit.Gen;
import dev.lowrank.testkit.Reference;
import dev.lowrank.testkit.Tolerance;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Row dot, Frobenius dot, axpy and scale against the double reference on both backends. */
class VectorOpsPropertyTest {

    static Stream<Case> dotCases() {
        return Cases.of("dot", 250);
    }

    static Stream<Case> frobeniusCases() {
        return Cases.of("frobenius", 250);
    }

    static Stream<Case> axpyCases() {
        return Cases.of("axpy", 250);
    }

    static Stream<Case> scaleCases() {
        return Cases.of("scale", 250);
    }

    /** Rows × cols for elementwise work: one case in eight spans several 512-row blocks. */
    private static int[] shape(Gen g) {
        return g.nextInt(8) == 0 ? new int[] {513 + g.nextInt(1200), g.dim(0, 20)} : new int[] {g.dim(0, 130), g.dim(0, 130)};
    }

    @ParameterizedTest
    @MethodSource("dotCases")
    void rowDotMatchesReference(Case c) {
        try (Gen g = c.gen()) {
            // Lengths up to 300 cover the 4-vector unrolled body, the single-vector loop and the masked tail.
            int n = g.nextBoolean() ? g.dim(0, 300) : g.dim(0, 70);
            DenseMatrix x = g.anyDense("X", 1 + g.nextInt(4), n);
            DenseMatrix y = g.anyDense("Y", 1 + g.nextInt(4), n);
            int xr = g.nextInt(x.rows());
            int yr = g.nextInt(y.rows());
            g.note("rows " + xr + "·" + yr);
            float[] xs = x.toArray()[xr];
            float[] ys = y.toArray()[yr];
            for (Backend backend : Backend.values()) {
                float got = Kernels.of(backend, Parallel.defaults()).dot(x, xr, y, yr);
                Tolerance.assertClose(Reference.dot(xs, ys), got, n, Reference.absDot(xs, ys),
                        g.describe() + " backend=" + backend);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("frobeniusCases")
    void frobeniusDotMatchesReference(Case c) {
        try (Gen g = c.gen()) {
            // One case in eight spans several 1024-row reduction blocks.
            boolean tall = g.nextInt(8) == 0;
            int m = tall ? 1025 + g.nextInt(2000) : g.dim(0, 130);
            int n = tall ? g.dim(0, 20) : g.dim(0, 130);
            DenseMatrix x = g.anyDense("X", m, n);
            DenseMatrix y = g.nextInt(6) == 0 ? x : g.anyDense("Y", m, n);
            double[] want = Reference.frobenius(x.toArray(), y.toArray());
            for (Backend backend : Backend.values()) {
                double got = Kernels.of(backend, Parallel.defaults()).dot(x, y);
                Tolerance.assertClose(want[0], got, n, want[1], g.describe() + " backend=" + backend);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("axpyCases")
    void axpyMatchesReference(Case c) {
        try (Gen g = c.gen()) {
            int[] s = shape(g);
            DenseMatrix x = g.anyDense("X", s[0], s[1]);
            DenseMatrix y0 = g.dense("Y0", s[0], s[1]);
            float alpha = g.scalar();
            boolean self = g.nextInt(6) == 0;
            g.note("alpha=" + alpha + (self ? " Y+=alpha·Y" : ""));
            float[][] before = y0.toArray();
            Reference.Expected want = Reference.axpy(alpha, self ? before : x.toArray(), before, s[1]);
            for (Backend backend : Backend.values()) {
                DenseMatrix y = g.anyDense("Y[" + backend + "]", s[0], s[1]);
                y.copyFrom(y0);
                Kernels.of(backend, Parallel.defaults()).axpy(alpha, self ? y : x, y);
                String context = g.describe() + " backend=" + backend;
                want.assertMatches(y, context);
                Gen.assertPaddingZero(y, context);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("scaleCases")
    void scaleIsExactlyRounded(Case c) {
        try (Gen g = c.gen()) {
            int[] s = shape(g);
            DenseMatrix x0 = g.dense("X0", s[0], s[1]);
            float alpha = g.scalar();
            g.note("alpha=" + alpha);
            float[][] want = Reference.scale(alpha, x0.toArray());
            for (Backend backend : Backend.values()) {
                DenseMatrix x = g.anyDense("X[" + backend + "]", s[0], s[1]);
                x.copyFrom(x0);
                Kernels.of(backend, Parallel.defaults()).scale(alpha, x);
                String context = g.describe() + " backend=" + backend;
                float[][] got = x.toArray();
                for (int i = 0; i < s[0]; i++) {
                    for (int j = 0; j < s[1]; j++) {
                        if (Float.floatToRawIntBits(want[i][j]) != Float.floatToRawIntBits(got[i][j])) {
                            assertEquals(want[i][j], got[i][j], context + " at (" + i + ", " + j + ")");
                        }
                    }
                }
                Gen.assertPaddingZero(x, context);
            }
        }
    }
}
