package dev.lowrank.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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

/**
 * topK against a full sort (descending score, ties to the lower index) of the backend's own row dots,
 * and each score against the double reference. Integer-valued cases make exact ties common.
 */
class TopKPropertyTest {

    static Stream<Case> cases() {
        return Cases.of("topk", 250);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void topKMatchesFullSort(Case c) {
        try (Gen g = c.gen()) {
            // One case in eight spans several 512-row scoring blocks.
            int rows = g.nextInt(8) == 0 ? 513 + g.nextInt(1500) : g.dim(0, 130);
            boolean ties = g.nextInt(3) == 0;
            int n = ties ? g.dim(0, 6) : g.dim(0, 100);
            DenseMatrix items = ties ? g.denseInts("items", rows, n, 2) : g.anyDense("items", rows, n);
            DenseMatrix query = ties ? g.denseInts("query", 3, n, 2) : g.anyDense("query", 3, n);
            int q = g.nextInt(3);
            int k = 1 + g.nextInt(Math.max(1, rows + 5));
            g.note("q=" + q + " k=" + k);
            float[][] itemValues = items.toArray();
            float[] queryValues = query.toArray()[q];
            for (Backend backend : Backend.values()) {
                String context = g.describe() + " backend=" + backend;
                Kernels kernels = Kernels.of(backend, Parallel.defaults());
                float[] scores = new float[rows];
                for (int r = 0; r < rows; r++) {
                    scores[r] = kernels.dot(query, q, items, r);
                    Tolerance.assertClose(Reference.dot(queryValues, itemValues[r]), scores[r], n,
                            Reference.absDot(queryValues, itemValues[r]), context + " score of row " + r);
                }
                int[] want = Reference.topK(scores, k);
                TopK got = kernels.topK(query, q, items, k);
                assertEquals(Math.min(k, rows), got.size(), context + ": size");
                assertArrayEquals(want, got.indices(), context + ": indices");
                for (int t = 0; t < want.length; t++) {
                    assertEquals(scores[want[t]], got.scores()[t], context + ": score " + t);
                }
            }
        }
    }
}
