package dev.lowrank.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.testkit.Case;
import dev.lowrank.testkit.Cases;
import dev.lowrank.testkit.Gen;
import java.util.Comparator;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The reusable collector keeps exactly the best pairs in TopK's order, whatever the order of the offers. */
class TopKCollectorTest {

    static Stream<Case> cases() {
        return Cases.of("topk-collector", 100);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void keepsTheBestPairsAcrossResets(Case c) {
        try (Gen g = c.gen()) {
            TopKCollector collector = new TopKCollector(20);
            for (int round = 0; round < 3; round++) {
                int n = g.dim(0, 60);
                int want = g.nextInt(21);
                // Few distinct scores, so ties are common and the index order decides.
                float[] scores = new float[n];
                for (int i = 0; i < n; i++) {
                    scores[i] = g.nextInt(5);
                }
                collector.reset(want);
                int[] order = IntStream.range(0, n).toArray();
                for (int i = n - 1; i > 0; i--) {
                    int j = g.nextInt(i + 1);
                    int t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
                for (int i : order) {
                    collector.offer(i, scores[i]);
                }
                int[] expected = IntStream.range(0, n).boxed()
                        .sorted(Comparator.<Integer>comparingDouble(i -> -scores[i]).thenComparingInt(i -> i))
                        .limit(want).mapToInt(Integer::intValue).toArray();
                TopK got = collector.toTopK();
                assertArrayEquals(expected, got.indices(), g.describe() + " round " + round + " want " + want);
                for (int r = 0; r < got.size(); r++) {
                    assertEquals(scores[got.indices()[r]], got.scores()[r]);
                }
                assertEquals(0, collector.toTopK().size(), "toTopK leaves the collector empty");
            }
        }
    }

    @Test
    void badCapacitiesAreNamed() {
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> new TopKCollector(-1));
        assertTrue(negative.getMessage().contains("capacity = -1"), negative.getMessage());
        TopKCollector collector = new TopKCollector(3);
        IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class, () -> collector.reset(4));
        assertTrue(tooMany.getMessage().contains("capacity = 4 but must be in [0, 3]"), tooMany.getMessage());
    }
}
