package dev.lowrank.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.testkit.Case;
import dev.lowrank.testkit.Cases;
import dev.lowrank.testkit.Gen;
import dev.lowrank.testkit.Reference;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kernel gives bit-identical results on 1, 2 and 3 threads and on the common pool, with shapes
 * large enough that the work is cut into several blocks (tiles, reduction blocks, sparse blocks).
 */
class ThreadInvarianceTest {

    private static Parallel two;
    private static Parallel three;
    private static List<Parallel> parallels;

    @BeforeAll
    static void pools() {
        two = Parallel.threads(2);
        three = Parallel.threads(3);
        parallels = List.of(Parallel.sequential(), two, three, Parallel.commonPool(), Parallel.defaults());
    }

    @AfterAll
    static void closePools() {
        two.close();
        three.close();
    }

    static Stream<Case> cases() {
        return Cases.of("threads", 4);
    }

    /** Runs {@code kernel} on every parallel and backend; the raw bits must match the sequential run. */
    private static void assertInvariant(Gen g, Function<Kernels, int[]> kernel) {
        for (Backend backend : Backend.values()) {
            int[] first = null;
            for (Parallel parallel : parallels) {
                int[] bits = kernel.apply(Kernels.of(backend, parallel));
                if (first == null) {
                    first = bits;
                } else {
                    assertArrayEquals(first, bits, g.describe() + " backend=" + backend + " " + parallel
                            + " differs from " + parallels.get(0));
                }
            }
        }
    }

    private static int[] bits(DenseMatrix m) {
        float[] v = m.toFlatArray();
        int[] out = new int[v.length];
        for (int t = 0; t < v.length; t++) {
            out[t] = Float.floatToRawIntBits(v[t]);
        }
        return out;
    }

    private static int[] bits(float[] v) {
        int[] out = new int[v.length];
        for (int t = 0; t < v.length; t++) {
            out[t] = Float.floatToRawIntBits(v[t]);
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void gemm(Case c) {
        try (Gen g = c.gen()) {
            // Two tile rows × two tile columns, above the single-task threshold.
            int m = 193 + g.nextInt(60);
            int n = 1025 + g.nextInt(20);
            int inner = 8 + g.nextInt(5);
            Op opA = g.nextBoolean() ? Op.TRANSPOSE : Op.IDENTITY;
            Op opB = g.nextBoolean() ? Op.TRANSPOSE : Op.IDENTITY;
            DenseMatrix a = opA == Op.TRANSPOSE ? g.dense("A", inner, m) : g.dense("A", m, inner);
            DenseMatrix b = opB == Op.TRANSPOSE ? g.dense("B", n, inner) : g.dense("B", inner, n);
            DenseMatrix c0 = g.dense("C0", m, n);
            float alpha = g.scalar();
            float beta = g.scalar();
            g.note(opA + " " + opB + " alpha=" + alpha + " beta=" + beta);
            assertTrue((long) m * n * inner > 1L << 18, g.describe());
            assertInvariant(g, k -> {
                try (DenseMatrix out = c0.copy()) {
                    k.gemm(alpha, opA, a, opB, b, beta, out);
                    return bits(out);
                }
            });
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void gramAndFrobenius(Case c) {
        try (Gen g = c.gen()) {
            // Three 1024-row reduction blocks.
            int m = 2049 + g.nextInt(1000);
            int k = 5 + g.nextInt(16);
            DenseMatrix a = g.dense("A", m, k);
            DenseMatrix b = g.dense("B", m, k);
            assertInvariant(g, kernels -> {
                try (DenseMatrix out = DenseMatrix.zeros(k, k)) {
                    kernels.gram(a, out);
                    return bits(out);
                }
            });
            assertInvariant(g, kernels -> {
                long v = Double.doubleToRawLongBits(kernels.dot(a, b));
                return new int[] {(int) (v >>> 32), (int) v};
            });
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void spmmAndSddmm(Case c) {
        try (Gen g = c.gen()) {
            CsrMatrix a = g.csrUniform("A", 150 + g.nextInt(70), 150 + g.nextInt(70), 0.2 + 0.1 * g.random().nextDouble());
            int n = 32 + g.nextInt(17);
            Op op = g.nextBoolean() ? Op.TRANSPOSE : Op.IDENTITY;
            int m = op == Op.TRANSPOSE ? a.cols() : a.rows();
            int inner = op == Op.TRANSPOSE ? a.rows() : a.cols();
            DenseMatrix b = g.dense("B", inner, n);
            DenseMatrix c0 = g.dense("C0", m, n);
            float alpha = g.scalar();
            float beta = g.scalar();
            g.note(op + " alpha=" + alpha + " beta=" + beta);
            assertTrue(a.nnz() * n > 2L << 16, g.describe() + ": too little work for several sparse blocks");
            assertInvariant(g, k -> {
                try (DenseMatrix out = c0.copy()) {
                    k.spmm(alpha, op, a, b, beta, out);
                    return bits(out);
                }
            });
            DenseMatrix u = g.dense("U", a.rows(), n);
            DenseMatrix v = g.dense("V", a.cols(), n);
            assertInvariant(g, k -> {
                try (CsrMatrix out = a.copyStructure()) {
                    k.sddmm(a, u, v, out);
                    return bits(Reference.values(out));
                }
            });
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void axpyScaleDotAndTopK(Case c) {
        try (Gen g = c.gen()) {
            // Three 512-row blocks.
            int m = 1025 + g.nextInt(500);
            int n = 5 + g.nextInt(16);
            DenseMatrix x = g.dense("X", m, n);
            DenseMatrix y0 = g.dense("Y0", m, n);
            float alpha = g.scalar();
            g.note("alpha=" + alpha);
            assertInvariant(g, k -> {
                try (DenseMatrix y = y0.copy()) {
                    k.axpy(alpha, x, y);
                    k.scale(alpha, y);
                    return bits(y);
                }
            });
            assertInvariant(g, k -> new int[] {Float.floatToRawIntBits(k.dot(x, 3, y0, m - 1))});
            DenseMatrix items = g.denseInts("items", m, n, 1);
            int want = 1 + g.nextInt(40);
            assertInvariant(g, k -> {
                TopK top = k.topK(items, 0, items, want);
                int[] out = Arrays.copyOf(top.indices(), 2 * top.size());
                System.arraycopy(bits(top.scores()), 0, out, top.size(), top.size());
                return out;
            });
        }
    }
}
