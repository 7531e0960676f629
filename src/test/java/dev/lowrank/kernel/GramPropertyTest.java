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
            // One case in eight spans several 1024-row reduction blocks.
            boolean tall = g.nextInt(8) == 0;
            int m = tall ? 1025 + g.nextInt(2000) : g.dim(0, 130);
            int k = tall ? g.dim(1, 24) : g.dim(0, 70);
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
}
