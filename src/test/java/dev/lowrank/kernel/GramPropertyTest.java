package dev.lowrank.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.testkit.Case;
import dev.lowrank.testkit.Cases;
import dev.lowrank.testkit.Gen;
import dev.lowrank.testkit.Reference;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** C = AᵀA against the double reference on both backends; the result is exactly symmetric. */
class GramPropertyTest {

    static Stream<Case> cases() {
        return Cases.of("gram", 250);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void gramMatchesReference(Case c) {
        try (Gen g = c.gen()) {
            // One case in eight spans several 1024-row reduction blocks; one in 32 is tall enough (over
            // 64 blocks of 1024 rows) for the blocks to grow.
            int shape = g.nextInt(32);
            boolean veryTall = shape == 0;
            boolean tall = shape < 4;
            int m = veryTall ? 65_537 + g.nextInt(70_000) : tall ? 1025 + g.nextInt(2000) : g.dim(0, 130);
            // k past 48 and 96 crosses the Gram's row panels (the upper triangle is computed panel by panel).
            int k = veryTall ? g.dim(1, 4) : tall ? g.dim(1, 24) : g.nextInt(4) == 0 ? g.dim(90, 150) : g.dim(0, 70);
            DenseMatrix a = g.anyDense("A", m, k);
            Reference.Expected want = Reference.gram(a);
            for (Backend backend : Backend.values()) {
                DenseMatrix out = g.anyDense("C[" + backend + "]", k, k);
                // C is only written: NaN left there must not survive.
                Gen.poison(out);
                Kernels.of(backend, Parallel.defaults()).gram(a, out);
                String context = g.describe() + " backend=" + backend;
                want.assertMatches(out, context);
                Gen.assertPaddingZero(out, context);
                for (int i = 0; i < k; i++) {
                    for (int j = 0; j < i; j++) {
                        assertEquals(Float.floatToRawIntBits(out.get(i, j)), Float.floatToRawIntBits(out.get(j, i)),
                                context + ": C is not exactly symmetric at (" + i + ", " + j + ")");
                    }
                }
            }
        }
    }

    /**
     * Gram calls made from inside the blocks of a parallel loop on the same pool (as a solver parallel over
     * users might) give the same bits as the same calls made one at a time: the per-thread partials are
     * never shared between two calls in flight.
     */
    @ParameterizedTest
    @MethodSource("nestedCases")
    void nestedGramCallsAreIndependent(Case c) {
        try (Gen g = c.gen(); Parallel four = Parallel.threads(4)) {
            int calls = 24;
            DenseMatrix[] a = new DenseMatrix[calls];
            DenseMatrix[] nested = new DenseMatrix[calls];
            DenseMatrix[] alone = new DenseMatrix[calls];
            for (int t = 0; t < calls; t++) {
                int k = g.dim(1, 20);
                a[t] = g.anyDense("A" + t, 2049 + g.nextInt(4000), k);
                nested[t] = g.anyDense("nested" + t, k, k);
                alone[t] = g.anyDense("alone" + t, k, k);
            }
            Kernels kernels = Kernels.of(Kernels.defaultBackend(), four);
            four.forEachBlock(calls, t -> kernels.gram(a[t], nested[t]));
            for (int t = 0; t < calls; t++) {
                kernels.gram(a[t], alone[t]);
                int k = a[t].cols();
                for (int i = 0; i < k; i++) {
                    for (int j = 0; j < k; j++) {
                        assertEquals(Float.floatToRawIntBits(alone[t].get(i, j)), Float.floatToRawIntBits(nested[t].get(i, j)),
                                g.describe() + ": call " + t + " differs at (" + i + ", " + j + ")");
                    }
                }
            }
        }
    }

    static Stream<Case> nestedCases() {
        return Cases.of("gram-nested", 10);
    }
}
