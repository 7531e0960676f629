package dev.lowrank.testkit;

import java.util.SplittableRandom;
import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * Seeds for parameterized property tests. Use as a {@code @MethodSource}:
 * <pre>{@code
 * static Stream<Case> cases() { return Cases.of("gemm", 250); }
 * @ParameterizedTest @MethodSource("cases") void gemmMatchesReference(Case c) { Gen g = c.gen(); ... }
 * }</pre>
 * The seeds are fixed per property name, so every run tries the same cases. To replay one case, pass
 * {@code -Dlowrank.seed=N} (surefire: {@code ./mvnw test -Dtest=GemmPropertyTest -Dlowrank.seed=N});
 * {@code -Dlowrank.cases=N} changes how many cases every property runs.
 */
public final class Cases {
    private Cases() {
    }

    public static Stream<Case> of(String property, int count) {
        String replay = System.getProperty("lowrank.seed");
        if (replay != null && !replay.isBlank()) {
            return Stream.of(new Case(property, Long.decode(replay.trim())));
        }
        int n = Integer.getInteger("lowrank.cases", count);
        SplittableRandom seeds = new SplittableRandom(0x10_0A_4Bl ^ property.hashCode());
        return LongStream.range(0, n).mapToObj(i -> new Case(property, seeds.nextLong() & Long.MAX_VALUE));
    }
}
