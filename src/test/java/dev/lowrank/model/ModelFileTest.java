package dev.lowrank.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lowrank.io.IdMap;
import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.testkit.Case;
import dev.lowrank.testkit.Cases;
import dev.lowrank.testkit.Expect;
import dev.lowrank.testkit.Gen;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ModelFileTest {

    @TempDir
    Path dir;

    static Stream<Case> cases() {
        return Cases.of("model-file-round-trip", 40);
    }

    /** A model with random factors and (if asked) random biases. */
    static FactorModel randomModel(Gen g, int users, int items, int rank, boolean biases, Kernels kernels) {
        FactorModel model = g.own(FactorModel.create(users, items, rank, biases, Initializer.normal(1, g.seed()), kernels));
        if (biases) {
            model.setGlobalBias(g.value());
            for (int i = 0; i < users; i++) {
                model.userBiases().set(0, i, g.value());
            }
            for (int j = 0; j < items; j++) {
                model.itemBiases().set(0, j, g.value());
            }
        }
        return model;
    }

    static IdMap ids(String prefix, int n, Gen g) {
        IdMap map = new IdMap();
        for (int i = 0; i < n; i++) {
            // Non-ASCII and empty ids exercise the UTF-8 lengths.
            map.add(switch (g.nextInt(4)) {
                case 0 -> prefix + "é" + i;
                case 1 -> i == 0 ? "" : prefix + i;
                case 2 -> "\u65e5\u672c" + prefix + i;
                default -> Integer.toString(i * 7 + 3) + prefix;
            });
        }
        return map;
    }

    static void assertSameModel(FactorModel expected, FactorModel actual, String ctx) {
        assertEquals(expected.users(), actual.users(), ctx);
        assertEquals(expected.items(), actual.items(), ctx);
        assertEquals(expected.rank(), actual.rank(), ctx);
        assertEquals(expected.hasBiases(), actual.hasBiases(), ctx);
        assertBits(expected.userFactors(), actual.userFactors(), ctx + " U");
        assertBits(expected.itemFactors(), actual.itemFactors(), ctx + " V");
        if (expected.hasBiases()) {
            assertEquals(Float.floatToRawIntBits(expected.globalBias()), Float.floatToRawIntBits(actual.globalBias()), ctx);
            assertBits(expected.userBiases(), actual.userBiases(), ctx + " b");
            assertBits(expected.itemBiases(), actual.itemBiases(), ctx + " c");
        }
    }

    static void assertBits(DenseMatrix expected, DenseMatrix actual, String ctx) {
        assertEquals(expected.shape(), actual.shape(), ctx);
        float[] e = expected.toFlatArray();
        float[] a = actual.toFlatArray();
        for (int t = 0; t < e.length; t++) {
            if (Float.floatToRawIntBits(e[t]) != Float.floatToRawIntBits(a[t])) {
                fail(ctx + ": element " + t + " is " + a[t] + " but was saved as " + e[t]);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void saveThenLoadIsBitIdentical(Case c) throws IOException {
        try (Gen g = c.gen()) {
            int users = g.dim(0, 40);
            int items = g.dim(0, 40);
            int rank = g.dim(1, 33);
            boolean biases = g.nextBoolean();
            boolean withIds = g.nextBoolean();
            boolean withSeen = g.nextBoolean();
            Backend backend = g.nextBoolean() ? Backend.SCALAR : Backend.PANAMA;
            Kernels kernels = Kernels.of(backend, Parallel.sequential());
            g.note("rank=" + rank + " biases=" + biases + " ids=" + withIds + " seen=" + withSeen + " " + backend);
            FactorModel model = randomModel(g, users, items, rank, biases, kernels);
            IdMap userIds = withIds ? ids("u", users, g) : null;
            IdMap itemIds = withIds ? ids("i", items, g) : null;
            CsrMatrix seen = withSeen ? g.csr("seen", users, items) : null;
            Path file = dir.resolve("model.lrm");
            ModelFile.save(file, model, userIds, itemIds, seen);
            String ctx = g.describe();
            try (SavedModel loaded = ModelFile.load(file, kernels)) {
                assertSameModel(model, loaded.model(), ctx);
                assertTrue(loaded.model().userFactors().segment().address() % DenseMatrix.ALIGNMENT_BYTES == 0, ctx);
                assertTrue(loaded.model().itemFactors().segment().address() % DenseMatrix.ALIGNMENT_BYTES == 0, ctx);
                assertEquals(DenseMatrix.paddedStride(rank), loaded.model().userFactors().rowStride(), ctx);
                for (int i = 0; i < users; i++) {
                    assertEquals(withIds ? userIds.id(i) : Integer.toString(i), loaded.users().id(i), ctx);
                }
                for (int j = 0; j < items; j++) {
                    assertEquals(withIds ? itemIds.id(j) : Integer.toString(j), loaded.items().id(j), ctx);
                }
                assertEquals(users, loaded.users().size(), ctx);
                assertEquals(items, loaded.items().size(), ctx);
                if (withSeen) {
                    CsrMatrix s = loaded.seen();
                    assertEquals(seen.shape(), s.shape(), ctx);
                    assertEquals(seen.nnz(), s.nnz(), ctx);
                    for (int i = 0; i < users; i++) {
                        assertEquals(seen.rowStart(i), s.rowStart(i), ctx);
                        assertEquals(seen.rowEnd(i), s.rowEnd(i), ctx);
                    }
                    for (long p = 0; p < seen.nnz(); p++) {
                        assertEquals(seen.columnIndex(p), s.columnIndex(p), ctx);
                        assertEquals(1f, s.value(p), ctx);
                    }
                } else {
                    assertNull(loaded.seen(), ctx);
                }
                if (users > 0 && items > 0) {
                    assertEquals(model.predict(users - 1, items - 1), loaded.model().predict(users - 1, items - 1), ctx);
                }
            }
        }
    }

    @Test
    void writingToALoadedModelNeverChangesTheFile() throws IOException {
        try (Gen g = new Gen(7)) {
            FactorModel model = randomModel(g, 5, 6, 3, true, Kernels.defaults());
            Path file = dir.resolve("m.lrm");
            ModelFile.save(file, model, null, null, null);
            byte[] before = Files.readAllBytes(file);
            try (SavedModel loaded = ModelFile.load(file)) {
                loaded.model().userFactors().fill(42f);
                loaded.model().setGlobalBias(-1f);
                assertEquals(42f, loaded.model().userFactors().get(4, 2));
            }
            assertArrayEquals(before, Files.readAllBytes(file));
            try (SavedModel again = ModelFile.load(file)) {
                assertSameModel(model, again.model(), "reloaded");
            }
        }
    }

    @Test
    void closingTheSavedModelMakesEveryUseThrow() throws IOException {
        try (Gen g = new Gen(8)) {
            FactorModel model = randomModel(g, 4, 3, 2, true, Kernels.defaults());
            Path file = dir.resolve("m.lrm");
            try (CsrMatrix seen = CsrMatrix.of(4, 3, new long[] {0, 1, 1, 2, 2}, new int[] {2, 0}, new float[] {5, 5})) {
                ModelFile.save(file, model, null, null, seen);
            }
            SavedModel loaded = ModelFile.load(file);
            FactorModel m = loaded.model();
            DenseMatrix u = m.userFactors();
            CsrMatrix s = loaded.seen();
            loaded.close();
            loaded.close();
            assertTrue(loaded.isClosed());
            assertThrows(IllegalStateException.class, () -> m.predict(0, 0));
            assertThrows(IllegalStateException.class, () -> u.get(0, 0));
            assertThrows(IllegalStateException.class, m::userFactors);
            assertThrows(IllegalStateException.class, () -> m.itemBias(0));
            assertThrows(IllegalStateException.class, () -> s.rowStart(0));
            assertThrows(IllegalStateException.class, loaded::model);
        }
    }
}
