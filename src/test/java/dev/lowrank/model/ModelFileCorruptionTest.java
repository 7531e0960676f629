package dev.lowrank.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lowrank.io.IdMap;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.testkit.Expect;
import dev.lowrank.testkit.Gen;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.StandardOpenOption;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every way a model file can be damaged must end in a ModelFileException naming the file, never anything else. */
class ModelFileCorruptionTest {

    @TempDir
    Path dir;

    private Path file;
    private byte[] good;
    private final Kernels kernels = Kernels.defaults();

    /** A small file with every section present: biases, ids (one non-ASCII), seen. */
    @BeforeEach
    void writeSmallModel() throws IOException {
        file = dir.resolve("small.lrm");
        try (Gen g = new Gen(11);
             CsrMatrix seen = CsrMatrix.of(3, 4, new long[] {0, 2, 2, 3}, new int[] {1, 3, 0}, new float[] {4, 5, 3})) {
            FactorModel model = ModelFileTest.randomModel(g, 3, 4, 2, true, kernels);
            IdMap users = new IdMap();
            List.of("ann", "bé", "c").forEach(users::add);
            IdMap items = new IdMap();
            List.of("10", "20", "30", "40").forEach(items::add);
            ModelFile.save(file, model, users, items, seen);
        }
        good = Files.readAllBytes(file);
        try (SavedModel ok = ModelFile.load(file, kernels)) {
            assertEquals(3, ok.model().users());
        }
    }

    /** Loads {@code bytes} from a file and expects a ModelFileException whose message has the fragments. */
    private ModelFileException rejects(byte[] bytes, String what, String... fragments) throws IOException {
        Path bad = dir.resolve("bad.lrm");
        Files.write(bad, bytes);
        try (SavedModel loaded = ModelFile.load(bad, kernels)) {
            fail(what + ": loaded " + loaded + " from a damaged file");
            return null;
        } catch (ModelFileException e) {
            assertEquals(bad, e.file(), what);
            assertTrue(e.getMessage().startsWith(bad.toString()), what + ": " + e.getMessage());
            for (String f : fragments) {
                assertTrue(e.getMessage().contains(f), what + ": \"" + e.getMessage() + "\" does not contain \"" + f + "\"");
            }
            return e;
        } catch (Throwable t) {
            throw new AssertionError(what + ": expected a ModelFileException but got " + t, t);
        }
    }

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A copy of the good file changed by {@code edit}, with both checksums recomputed so that only the edit is wrong. */
    private byte[] forged(Consumer<ByteBuffer> edit) {
        byte[] b = good.clone();
        edit.accept(le(b));
        return resealed(b);
    }

    static byte[] resealed(byte[] b) {
        ByteBuffer buf = le(b);
        CRC32C crc = new CRC32C();
        crc.update(b, 0, ModelFile.OFF_HEADER_CRC);
        buf.putInt(ModelFile.OFF_HEADER_CRC, (int) crc.getValue());
        if (b.length >= ModelFile.HEADER_BYTES + 4) {
            crc.reset();
            crc.update(b, 0, b.length - 4);
            buf.putInt(b.length - 4, (int) crc.getValue());
        }
        return b;
    }

    private long sectionOffset(ModelFile.Section s) {
        return le(good).getLong(ModelFile.OFF_TABLE + 16 * s.ordinal());
    }

    private long sectionLength(ModelFile.Section s) {
        return le(good).getLong(ModelFile.OFF_TABLE + 16 * s.ordinal() + 8);
    }

    @Test
    void truncationAtEverySectionBoundaryAndAtRandomPointsIsRefused() throws IOException {
        TreeSet<Long> cuts = new TreeSet<>(List.of(0L, 1L, 7L, 8L, 11L, 12L, (long) ModelFile.HEADER_BYTES - 1,
                (long) ModelFile.HEADER_BYTES, (long) good.length - 4, (long) good.length - 1));
        for (ModelFile.Section s : ModelFile.Section.values()) {
            long off = sectionOffset(s);
            long len = sectionLength(s);
            for (long c : new long[] {off - 1, off, off + 1, off + len - 1, off + len, off + len + 1}) {
                if (c >= 0 && c < good.length) {
                    cuts.add(c);
                }
            }
        }
        SplittableRandom random = new SplittableRandom(5);
        for (int t = 0; t < 40; t++) {
            cuts.add((long) random.nextInt(good.length));
        }
        for (long cut : cuts) {
            byte[] part = java.util.Arrays.copyOf(good, (int) cut);
            rejects(part, "cut at " + cut + " of " + good.length, "truncated");
        }
    }

    /** Every byte inverted in turn, and one random bit flipped at each of 64 random positions. */
    @Test
    void everySingleByteFlipIsRefused() throws IOException {
        Path bad = dir.resolve("flip.lrm");
        Files.write(bad, good);
        SplittableRandom random = new SplittableRandom(6);
        int flips = good.length + 64;
        try (FileChannel ch = FileChannel.open(bad, StandardOpenOption.WRITE)) {
            for (int t = 0; t < flips; t++) {
                int pos = t < good.length ? t : random.nextInt(good.length);
                int mask = t < good.length ? 0xFF : 1 << random.nextInt(8);
                ch.write(ByteBuffer.wrap(new byte[] {(byte) (good[pos] ^ mask)}), pos);
                try (SavedModel loaded = ModelFile.load(bad, kernels)) {
                    fail("byte " + pos + " ^ " + mask + " of " + good.length + ": loaded " + loaded);
                } catch (ModelFileException expected) {
                    assertTrue(expected.getMessage().startsWith(bad.toString()), expected.getMessage());
                } catch (Throwable e) {
                    throw new AssertionError("byte " + pos + " ^ " + mask + ": expected a ModelFileException but got " + e, e);
                }
                ch.write(ByteBuffer.wrap(new byte[] {good[pos]}), pos);
            }
        }
        try (SavedModel restored = ModelFile.load(bad, kernels)) {
            assertEquals(3, restored.model().users());
        }
    }

    @Test
    void badMagicAndOtherVersionsAreNamed() throws IOException {
        byte[] b = good.clone();
        b[0] = 'X';
        rejects(b, "magic", "bad magic", "not a lowrank model file");
        rejects("userId,movieId,rating\n1,2,3\n".getBytes(StandardCharsets.UTF_8), "csv", "bad magic");
        rejects("LOW".getBytes(StandardCharsets.UTF_8), "prefix of the magic", "truncated");
        rejects(new byte[0], "empty", "truncated", "0 bytes");
        rejects(forged(h -> h.putInt(ModelFile.OFF_VERSION, 2)), "version 2", "unsupported format version 2", "version 1");
        rejects(forged(h -> h.putInt(ModelFile.OFF_VERSION, -1)), "version -1", "unsupported format version 4294967295");
    }

    @Test
    void aHeaderChecksumMismatchIsNamed() throws IOException {
        byte[] b = good.clone();
        b[ModelFile.OFF_USERS] ^= 1;
        rejects(b, "users flipped", "corrupt header", "checksum mismatch");
    }

    @Test
    void aBodyChecksumMismatchIsNamed() throws IOException {
        byte[] b = good.clone();
        b[(int) sectionOffset(ModelFile.Section.V)] ^= 0x10;
        rejects(b, "V flipped", "corrupt", "checksum mismatch");
    }

    @Test
    void trailingDataIsRefused() throws IOException {
        byte[] longer = java.util.Arrays.copyOf(good, good.length + 3);
        rejects(longer, "3 extra bytes", "header says " + good.length + " bytes but the file has " + (good.length + 3));
        rejects(forged(h -> h.putLong(ModelFile.OFF_FILE_LENGTH, good.length + 1000L)), "length grown",
                "truncated: header says " + (good.length + 1000) + " bytes, file has " + good.length);
    }

    /** Headers with a valid checksum but sizes that would need gigabytes or overflow: refused by arithmetic. */
    @Test
    void hostileHeaderSizesAreRefusedWithoutAllocating() throws IOException {
        int max = Integer.MAX_VALUE;
        rejects(forged(h -> h.putInt(ModelFile.OFF_USERS, max)), "users = 2^31-1", "corrupt");
        rejects(forged(h -> {
            h.putInt(ModelFile.OFF_USERS, max);
            // Make the U table entry consistent with the claimed users, so only the file size refutes it.
            h.putLong(ModelFile.OFF_TABLE + 16 * ModelFile.Section.U.ordinal() + 8, (long) max * 16 * 4);
            h.putLong(ModelFile.OFF_TABLE + 16 * ModelFile.Section.USER_IDS.ordinal() + 8, (long) max * 4);
        }), "consistent users = 2^31-1", "truncated", "section USER_IDS needs bytes [256, 8589934844)");
        rejects(forged(h -> h.putInt(ModelFile.OFF_ITEMS, max)), "items = 2^31-1", "corrupt");
        rejects(forged(h -> h.putInt(ModelFile.OFF_USERS, -3)), "negative users", "-3 users");
        rejects(forged(h -> {
            h.putInt(ModelFile.OFF_RANK, max);
            h.putInt(ModelFile.OFF_STRIDE, max);
        }), "rank = 2^31-1", "corrupt");
        rejects(forged(h -> h.putInt(ModelFile.OFF_RANK, 0)), "rank 0", "rank 0");
        rejects(forged(h -> h.putInt(ModelFile.OFF_STRIDE, 2)), "stride 2", "row stride 2");
        rejects(forged(h -> h.putLong(ModelFile.OFF_SEEN_NNZ, Long.MAX_VALUE)), "nnz = 2^63-1", "2^63");
        rejects(forged(h -> h.putLong(ModelFile.OFF_SEEN_NNZ, -1)), "nnz = -1", "-1 entries");
        rejects(forged(h -> h.putLong(ModelFile.OFF_SEEN_NNZ, 1L << 40)), "nnz = 2^40", "corrupt");
        rejects(forged(h -> h.putInt(ModelFile.OFF_FLAGS, 0x100 | ModelFile.KNOWN_FLAGS)), "unknown flag", "unknown flags");
        for (ModelFile.Section s : ModelFile.Section.values()) {
            int at = ModelFile.OFF_TABLE + 16 * s.ordinal();
            rejects(forged(h -> h.putLong(at, Long.MAX_VALUE - 8)), s + " offset huge", "corrupt");
            rejects(forged(h -> h.putLong(at, -64)), s + " offset negative", "corrupt");
            rejects(forged(h -> h.putLong(at + 8, Long.MAX_VALUE)), s + " length huge", "");
            rejects(forged(h -> h.putLong(at + 8, -4)), s + " length negative", "corrupt");
        }
    }

    @Test
    void invalidContentsBehindAValidChecksumAreRefused() throws IOException {
        long u = sectionOffset(ModelFile.Section.U);
        rejects(forged(b -> b.putFloat((int) u, Float.NaN)), "NaN in U", "U has NaN at (0, 0)");
        rejects(forged(b -> b.putFloat((int) u + 4 * 5, 1f)), "padding of U", "row padding");
        long c = sectionOffset(ModelFile.Section.ITEM_BIASES);
        rejects(forged(b -> b.putFloat((int) c + 4, Float.POSITIVE_INFINITY)), "Inf in c", "item biases has Infinity at (0, 1)");
        long ids = sectionOffset(ModelFile.Section.USER_IDS);
        // "ann" → "c\0\0" would not be a duplicate, but "c" at length 1 needs the lengths redone: set id 0's
        // bytes to 0xFF instead (never valid in UTF-8).
        rejects(forged(b -> b.put((int) ids + 4, (byte) 0xFF)), "invalid UTF-8", "not valid UTF-8");
        long items = sectionOffset(ModelFile.Section.ITEM_IDS);
        rejects(forged(b -> b.put((int) items + 4 + 2 + 4, (byte) '1')), "duplicate id", "\"10\" appears twice");
        rejects(forged(b -> b.putInt((int) ids, 1 << 20)), "id length too long", "claims 1048576 bytes");
        long cols = sectionOffset(ModelFile.Section.SEEN_COLUMNS);
        rejects(forged(b -> b.putInt((int) cols + 4, 1)), "unsorted seen row", "seen pattern", "duplicate column 1");
        rejects(forged(b -> b.putInt((int) cols, 9)), "seen column out of range", "seen pattern", "out of range");
        long offs = sectionOffset(ModelFile.Section.SEEN_OFFSETS);
        rejects(forged(b -> b.putLong((int) offs + 8, 7)), "seen offsets beyond nnz", "seen pattern");
    }

    @Test
    void anInterruptedSaveLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        try (Gen g = new Gen(12)) {
            FactorModel bigger = ModelFileTest.randomModel(g, 50, 60, 8, true, kernels);
            Path probe = dir.resolve("probe").resolve("size.lrm");
            Files.createDirectory(probe.getParent());
            ModelFile.save(probe, bigger, null, null, null);
            long size = Files.size(probe);
            Files.delete(probe);
            Files.delete(probe.getParent());
            // The last value fails on the checksum, the final write.
            for (long failAfter : new long[] {0, 1, 100, 5000, size - 1}) {
                IOException e = assertThrows(IOException.class,
                        () -> ModelFile.save(file, bigger, null, null, null, ch -> failingAfter(ch, failAfter)));
                assertEquals("disk full (simulated)", e.getMessage());
                assertArrayEquals(good, Files.readAllBytes(file), "after a failure at byte " + failAfter);
                try (Stream<Path> files = Files.list(dir)) {
                    assertEquals(List.of(file), files.toList(), "after a failure at byte " + failAfter);
                }
            }
            Path fresh = dir.resolve("fresh.lrm");
            assertThrows(IOException.class, () -> ModelFile.save(fresh, bigger, null, null, null, ch -> failingAfter(ch, 10)));
            assertFalse(Files.exists(fresh));
            // The same save without the failure replaces the file.
            ModelFile.save(file, bigger, null, null, null);
            try (SavedModel loaded = ModelFile.load(file, kernels)) {
                ModelFileTest.assertSameModel(bigger, loaded.model(), "replaced");
            }
        }
    }

    /** A channel that writes through until {@code limit} bytes have gone, then fails like a full disk. */
    private static WritableByteChannel failingAfter(WritableByteChannel out, long limit) {
        return new WritableByteChannel() {
            long written;

            @Override
            public int write(ByteBuffer src) throws IOException {
                if (written + src.remaining() > limit) {
                    throw new IOException("disk full (simulated)");
                }
                int n = out.write(src);
                written += n;
                return n;
            }

            @Override
            public boolean isOpen() {
                return out.isOpen();
            }

            @Override
            public void close() throws IOException {
                out.close();
            }
        };
    }

    @Test
    void theCopyingLoadGivesTheSameModel() throws IOException {
        try (SavedModel mapped = ModelFile.load(file, kernels);
             SavedModel copied = ModelFile.load(file, kernels, true)) {
            ModelFileTest.assertSameModel(mapped.model(), copied.model(), "copied");
            assertEquals(mapped.users().ids(), copied.users().ids());
            assertEquals(mapped.seen().nnz(), copied.seen().nnz());
        }
    }

    @Test
    void saveRejectsMismatchedIdsAndSeen() throws IOException {
        try (Gen g = new Gen(13);
             CsrMatrix wrong = CsrMatrix.of(2, 4, new long[] {0, 0, 0}, new int[0], new float[0])) {
            FactorModel model = ModelFileTest.randomModel(g, 3, 4, 2, false, kernels);
            IdMap two = new IdMap();
            two.add("a");
            two.add("b");
            Path out = dir.resolve("x.lrm");
            Expect.fails(IllegalArgumentException.class, () -> ModelFile.save(out, model, two, null, null),
                    "users has 2 ids but the model has 3 users");
            Expect.fails(IllegalArgumentException.class, () -> ModelFile.save(out, model, null, two, null),
                    "items has 2 ids but the model has 4 items");
            Expect.fails(IllegalArgumentException.class, () -> ModelFile.save(out, model, null, null, wrong),
                    "seen is 2x4 but the model is 3x4");
            assertFalse(Files.exists(out));
        }
    }
}
