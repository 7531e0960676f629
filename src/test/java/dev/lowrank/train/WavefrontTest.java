package dev.lowrank.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.lowrank.parallel.Parallel;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * SGD's dataflow schedule: every block runs once per epoch, never beside a block that shares its user
 * or item group, and only after the blocks of the previous stratum that last wrote those groups, so
 * the strata's sequential result is reproduced on any number of threads.
 */
class WavefrontTest {

    static Stream<Arguments> shapes() {
        return IntStream.of(1, 2, 3, 5, 8).boxed()
                .flatMap(grid -> IntStream.of(1, 2, 3, 4).mapToObj(threads -> Arguments.of(grid, threads)));
    }

    @ParameterizedTest(name = "grid {0}, {1} threads")
    @MethodSource("shapes")
    void blocksRunInStrataOrderWithoutSharingAGroup(int grid, int threads) {
        // Per group: 1 while a block holds it; the last stratum that finished with it.
        AtomicIntegerArray userBusy = new AtomicIntegerArray(grid);
        AtomicIntegerArray itemBusy = new AtomicIntegerArray(grid);
        int[] userStratum = new int[grid];
        int[] itemStratum = new int[grid];
        AtomicReference<String> violation = new AtomicReference<>();
        Wavefront wavefront = new Wavefront(grid);
        try (Parallel parallel = threads == 1 ? null : Parallel.threads(threads)) {
            Parallel p = threads == 1 ? Parallel.sequential() : parallel;
            for (int epoch = 0; epoch < 3; epoch++) {
                java.util.Arrays.fill(userStratum, -1);
                java.util.Arrays.fill(itemStratum, -1);
                long seed = 31L * epoch + grid;
                double sum = wavefront.run(p, block -> {
                    int user = block / grid;
                    int item = block % grid;
                    int stratum = Math.floorMod(item - user, grid);
                    if (!userBusy.compareAndSet(user, 0, 1) || !itemBusy.compareAndSet(item, 0, 1)) {
                        violation.compareAndSet(null, "block " + block + " ran beside a block sharing its group");
                    }
                    if (userStratum[user] != stratum - 1 || itemStratum[item] != stratum - 1) {
                        violation.compareAndSet(null, "block " + block + " of stratum " + stratum + " ran after strata "
                                + userStratum[user] + " (user group) and " + itemStratum[item] + " (item group)");
                    }
                    spin(new SplittableRandom(seed + block).nextInt(20_000));
                    userStratum[user] = stratum;
                    itemStratum[item] = stratum;
                    userBusy.set(user, 0);
                    itemBusy.set(item, 0);
                    return loss(block, seed);
                });
                assertEquals(null, violation.get(), "grid " + grid + ", " + threads + " threads, epoch " + epoch);
                for (int g = 0; g < grid; g++) {
                    assertEquals(grid - 1, userStratum[g], "user group " + g + " missed a stratum");
                    assertEquals(grid - 1, itemStratum[g], "item group " + g + " missed a stratum");
                }
                double expected = 0;
                for (int s = 0; s < grid; s++) {
                    for (int u = 0; u < grid; u++) {
                        expected += loss(u * grid + (u + s) % grid, seed);
                    }
                }
                assertEquals(expected, sum, 0.0, "the loss is added in stratum order");
            }
        }
    }

    @ParameterizedTest(name = "grid {0}, {1} threads")
    @MethodSource("shapes")
    void aFailingBlockEndsTheRunWithItsOwnException(int grid, int threads) {
        IllegalStateException planted = new IllegalStateException("planted");
        int failing = grid * grid / 2;
        try (Parallel parallel = threads == 1 ? null : Parallel.threads(threads)) {
            Parallel p = threads == 1 ? Parallel.sequential() : parallel;
            Wavefront wavefront = new Wavefront(grid);
            IllegalStateException thrown = assertTimeoutPreemptively(Duration.ofSeconds(20), () ->
                    assertThrows(IllegalStateException.class, () -> wavefront.run(p, block -> {
                        if (block == failing) {
                            throw planted;
                        }
                        spin(1_000);
                        return 1;
                    })));
            assertSame(planted, thrown);
        }
    }

    private static double loss(int block, long seed) {
        return new SplittableRandom(seed * 1_000 + block).nextDouble();
    }

    private static void spin(int iterations) {
        double x = 1;
        for (int t = 0; t < iterations; t++) {
            x = x * 1.000001 + 1e-9;
        }
        if (x == 0) {
            throw new AssertionError();
        }
    }
}
