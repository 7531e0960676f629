package dev.lowrank.model;

import dev.lowrank.io.IdMap;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileChannel.MapMode;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32C;

/**
 * Saves and loads a {@link FactorModel} with its id maps and the pattern of its training interactions in
 * lowrank's binary model format (version 1, little-endian; byte by byte in docs/file-format.md).
 *
 * <p>The factors are stored with the row stride and 64-byte alignment that {@link DenseMatrix} uses, so
 * {@link #load} maps the file and wraps the factors where they lie, without copying or parsing them.
 * The mapping is private (copy-on-write): changing a loaded model never changes the file.
 *
 * <p>Loading trusts nothing: it checks the magic, the version, the header checksum, every section offset
 * and length against the file size (in overflow-checked arithmetic, before reading or allocating
 * anything the header sizes), then a CRC32C over the whole file, then the contents (UTF-8 ids without
 * duplicates, finite values, a valid CSR pattern). Any failure is a {@link ModelFileException} that
 * names the file and the problem.
 */
public final class ModelFile {

    /** "LOWRANK" and a NUL byte. */
    static final byte[] MAGIC = {'L', 'O', 'W', 'R', 'A', 'N', 'K', 0};
    static final int VERSION = 1;

    static final int FLAG_BIASES = 1;
    static final int FLAG_SEEN = 2;
    static final int FLAG_USER_IDS = 4;
    static final int FLAG_ITEM_IDS = 8;
    static final int KNOWN_FLAGS = FLAG_BIASES | FLAG_SEEN | FLAG_USER_IDS | FLAG_ITEM_IDS;

    /** Sections in file order; the header's table has an (offset, length) pair of longs for each. */
    enum Section { USER_IDS, ITEM_IDS, U, V, GLOBAL_BIAS, USER_BIASES, ITEM_BIASES, SEEN_OFFSETS, SEEN_COLUMNS }

    static final int OFF_VERSION = 8;
    static final int OFF_FLAGS = 12;
    static final int OFF_USERS = 16;
    static final int OFF_ITEMS = 20;
    static final int OFF_RANK = 24;
    static final int OFF_STRIDE = 28;
    static final int OFF_FILE_LENGTH = 32;
    static final int OFF_SEEN_NNZ = 40;
    static final int OFF_TABLE = 48;
    static final int OFF_HEADER_CRC = OFF_TABLE + Section.values().length * 16;
    /** Bytes of the fixed header, its checksum included. */
    static final int HEADER_BYTES = OFF_HEADER_CRC + Integer.BYTES;
    static final int ALIGNMENT = DenseMatrix.ALIGNMENT_BYTES;
    static final int TRAILER_BYTES = Integer.BYTES;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private ModelFile() {
    }

    /**
     * Writes {@code model}, its id maps and the pattern of {@code seen} to {@code file}: first to a
     * temporary file in the same directory, which is fsynced and then atomically renamed over
     * {@code file}. If anything fails, the temporary file is deleted and an existing {@code file} is
     * left as it was.
     *
     * @param users the users' external ids (size = model.users()), or null: the file then has no user
     *              ids and {@link SavedModel#users()} will give "0".."users−1"
     * @param items the items' external ids (size = model.items()), or null: likewise "0".."items−1"
     * @param seen  the training interactions (users × items; only the pattern is saved, not the values),
     *              or null for a file without a seen section
     * @throws IllegalArgumentException if the shapes or sizes disagree, or a parameter is not finite
     */
    public static void save(Path file, FactorModel model, IdMap users, IdMap items, CsrMatrix seen) throws IOException {
        save(file, model, users, items, seen, UnaryOperator.identity());
    }

    /** As {@link #save(Path, FactorModel, IdMap, IdMap, CsrMatrix)}, writing through {@code channel} (tests inject failures). */
    static void save(Path file, FactorModel model, IdMap users, IdMap items, CsrMatrix seen,
                     UnaryOperator<WritableByteChannel> channel) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(model, "model");
        if (model.isClosed()) {
            throw new IllegalStateException("the model is closed");
        }
        if (users != null && users.size() != model.users()) {
            throw new IllegalArgumentException("users has " + users.size() + " ids but the model has " + model.users() + " users");
        }
        if (items != null && items.size() != model.items()) {
            throw new IllegalArgumentException("items has " + items.size() + " ids but the model has " + model.items() + " items");
        }
        if (seen != null) {
            seen.checkOpen();
            if (seen.rows() != model.users() || seen.cols() != model.items()) {
                throw new IllegalArgumentException("seen is " + seen.shape() + " but the model is " + model.users() + "x"
                        + model.items() + " (users x items)");
            }
        }
        for (DenseMatrix p : model.parameters()) {
            p.requireFinite(p == model.userFactors() ? "U" : p == model.itemFactors() ? "V" : "a bias");
        }
        Layout layout = Layout.of(model, encode(users), encode(items), seen);
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Path temp = null;
        boolean done = false;
        try {
            FileChannel fc = null;
            while (fc == null) {
                temp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
                try {
                    fc = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                } catch (FileAlreadyExistsException e) {
                    fc = null;
                }
            }
            try (FileChannel out = fc) {
                Writer w = new Writer(channel.apply(out));
                layout.write(w, model, seen);
                out.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            done = true;
            syncDirectory(dir);
        } finally {
            if (!done && temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // The save already failed with the exception that matters; a stray temp file is harmless.
                }
            }
        }
    }

    /** Makes the rename durable; some platforms cannot open a directory, and then there is nothing to do. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // Best effort: the file itself is already on disk.
        }
    }

    /** Loads {@code file}, scoring with {@link Kernels#defaults()}. */
    public static SavedModel load(Path file) throws IOException {
        return load(file, Kernels.defaults());
    }

    /**
     * Maps {@code file} (privately: writes to the loaded model never reach the file) and returns the
     * model, whose factors wrap the mapping, with its ids and seen pattern. Close the result to unmap.
     *
     * @throws ModelFileException if the file is truncated, corrupt, not a model file or of another version
     */
    public static SavedModel load(Path file, Kernels kernels) throws IOException {
        return load(file, kernels, false);
    }

    /**
     * {@code copy}: read the file into memory instead of mapping it (what {@link #load(Path, Kernels)}
     * does by itself when it cannot open the file for writing, which a private mapping needs).
     */
    static SavedModel load(Path file, Kernels kernels, boolean copy) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(kernels, "kernels");
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("model files are little-endian and are mapped without conversion;"
                    + " this JVM is big-endian");
        }
        try (FileChannel fc = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = fc.size();
            Header h = Header.read(file, fc, size);
            Arena arena = Arena.ofShared();
            try {
                MemorySegment seg = copy ? null : mapPrivate(file, size, arena);
                if (seg == null) {
                    seg = readAll(file, fc, size, arena);
                }
                return h.decode(file, seg, kernels, arena);
            } catch (IOException | RuntimeException | Error e) {
                arena.close();
                throw e;
            }
        }
    }

    /**
     * A copy-on-write mapping of the file, or null when the file cannot be opened for writing (read-only
     * file or file system): the JDK maps privately only through a writable channel, although a private
     * mapping never writes the file.
     */
    private static MemorySegment mapPrivate(Path file, long size, Arena arena) throws IOException {
        FileChannel rw;
        try {
            rw = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (FileSystemException | UnsupportedOperationException e) {
            return null;
        }
        try (rw) {
            if (rw.size() != size) {
                throw new ModelFileException(file, "the file changed size while being loaded");
            }
            return rw.map(MapMode.PRIVATE, 0, size, arena);
        }
    }

    /** The whole file in 64-byte-aligned memory of {@code arena}, for when it cannot be mapped privately. */
    private static MemorySegment readAll(Path file, FileChannel fc, long size, Arena arena) throws IOException {
        MemorySegment seg = arena.allocate(size, ALIGNMENT);
        long chunk = 1L << 30;
        for (long pos = 0; pos < size; pos += chunk) {
            ByteBuffer b = seg.asSlice(pos, Math.min(chunk, size - pos)).asByteBuffer();
            while (b.hasRemaining()) {
                if (fc.read(b, pos + b.position()) < 0) {
                    throw new ModelFileException(file, "truncated: the file shrank while being read");
                }
            }
        }
        return seg;
    }

    // ------------------------------------------------------------------------------------------ layout

    static long align(long position) {
        return (position + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    /** The row stride, in floats, that U and V are stored with: {@link DenseMatrix#paddedStride} for rank, as a long. */
    static long strideFor(long rank) {
        return (rank + 15) / 16 * 16;
    }

    private static byte[][] encode(IdMap ids) {
        if (ids == null) {
            return null;
        }
        byte[][] out = new byte[ids.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = ids.id(i).getBytes(StandardCharsets.UTF_8);
        }
        return out;
    }

    private static long idBytes(byte[][] ids) {
        if (ids == null) {
            return 0;
        }
        long n = 0;
        for (byte[] id : ids) {
            n += Integer.BYTES + id.length;
        }
        return n;
    }

    /** Where every section goes, computed before anything is written so the header can come first. */
    private record Layout(int flags, int users, int items, int rank, int stride, long seenNnz, long[] offsets,
                          long[] lengths, long fileLength, byte[][] userIds, byte[][] itemIds) {

        static Layout of(FactorModel model, byte[][] userIds, byte[][] itemIds, CsrMatrix seen) {
            int users = model.users();
            int items = model.items();
            int rank = model.rank();
            int stride = DenseMatrix.paddedStride(rank);
            boolean biases = model.hasBiases();
            long nnz = seen == null ? 0 : seen.nnz();
            int flags = (biases ? FLAG_BIASES : 0) | (seen != null ? FLAG_SEEN : 0)
                    | (userIds != null ? FLAG_USER_IDS : 0) | (itemIds != null ? FLAG_ITEM_IDS : 0);
            long[] lengths = new long[Section.values().length];
            lengths[Section.USER_IDS.ordinal()] = idBytes(userIds);
            lengths[Section.ITEM_IDS.ordinal()] = idBytes(itemIds);
            lengths[Section.U.ordinal()] = (long) users * stride * Float.BYTES;
            lengths[Section.V.ordinal()] = (long) items * stride * Float.BYTES;
            lengths[Section.GLOBAL_BIAS.ordinal()] = biases ? Float.BYTES : 0;
            lengths[Section.USER_BIASES.ordinal()] = biases ? (long) users * Float.BYTES : 0;
            lengths[Section.ITEM_BIASES.ordinal()] = biases ? (long) items * Float.BYTES : 0;
            lengths[Section.SEEN_OFFSETS.ordinal()] = seen == null ? 0 : ((long) users + 1) * Long.BYTES;
            lengths[Section.SEEN_COLUMNS.ordinal()] = nnz * Integer.BYTES;
            long[] offsets = new long[lengths.length];
            long pos = HEADER_BYTES;
            for (int s = 0; s < lengths.length; s++) {
                offsets[s] = align(pos);
                pos = offsets[s] + lengths[s];
            }
            return new Layout(flags, users, items, rank, stride, nnz, offsets, lengths, pos + TRAILER_BYTES,
                    userIds, itemIds);
        }

        byte[] header() {
            ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            b.put(MAGIC).putInt(VERSION).putInt(flags).putInt(users).putInt(items).putInt(rank).putInt(stride)
                    .putLong(fileLength).putLong(seenNnz);
            for (int s = 0; s < offsets.length; s++) {
                b.putLong(offsets[s]).putLong(lengths[s]);
            }
            CRC32C crc = new CRC32C();
            crc.update(b.array(), 0, OFF_HEADER_CRC);
            b.putInt((int) crc.getValue());
            return b.array();
        }

        void write(Writer w, FactorModel model, CsrMatrix seen) throws IOException {
            w.putBytes(header());
            for (Section s : Section.values()) {
                w.padTo(offsets[s.ordinal()]);
                switch (s) {
                    case USER_IDS -> w.putIds(userIds);
                    case ITEM_IDS -> w.putIds(itemIds);
                    case U -> w.putRows(model.userFactors(), stride);
                    case V -> w.putRows(model.itemFactors(), stride);
                    case GLOBAL_BIAS -> w.putRows(model.globalBiasMatrix(), 1);
                    case USER_BIASES -> w.putRows(model.userBiases(), users);
                    case ITEM_BIASES -> w.putRows(model.itemBiases(), items);
                    case SEEN_OFFSETS -> {
                        if (seen != null) {
                            MemorySegment ro = seen.rowOffsets();
                            for (long i = 0; i <= users; i++) {
                                w.putLong(ro.getAtIndex(ValueLayout.JAVA_LONG, i));
                            }
                        }
                    }
                    case SEEN_COLUMNS -> {
                        if (seen != null) {
                            MemorySegment ci = seen.columnIndices();
                            for (long p = 0; p < seenNnz; p++) {
                                w.putInt(ci.getAtIndex(ValueLayout.JAVA_INT, p));
                            }
                        }
                    }
                }
                if (w.position != offsets[s.ordinal()] + lengths[s.ordinal()]) {
                    throw new IllegalStateException("section " + s + " ended at " + w.position + ", expected "
                            + (offsets[s.ordinal()] + lengths[s.ordinal()]) + " (the model changed during save?)");
                }
            }
            w.finish();
        }
    }

    /** Buffered little-endian output that keeps a CRC32C of everything written, then appends it. */
    private static final class Writer {
        private final WritableByteChannel out;
        private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        private final CRC32C crc = new CRC32C();
        long position;

        Writer(WritableByteChannel out) {
            this.out = out;
        }

        private void room(int bytes) throws IOException {
            if (buf.remaining() < bytes) {
                flush();
            }
        }

        void putInt(int v) throws IOException {
            room(Integer.BYTES);
            buf.putInt(v);
            position += Integer.BYTES;
        }

        void putLong(long v) throws IOException {
            room(Long.BYTES);
            buf.putLong(v);
            position += Long.BYTES;
        }

        void putFloat(float v) throws IOException {
            room(Float.BYTES);
            buf.putFloat(v);
            position += Float.BYTES;
        }

        void putBytes(byte[] bytes) throws IOException {
            int done = 0;
            while (done < bytes.length) {
                room(1);
                int n = Math.min(buf.remaining(), bytes.length - done);
                buf.put(bytes, done, n);
                done += n;
            }
            position += bytes.length;
        }

        void putIds(byte[][] ids) throws IOException {
            if (ids != null) {
                for (byte[] id : ids) {
                    putInt(id.length);
                    putBytes(id);
                }
            }
        }

        /** Each row's values, then zeros up to {@code stride} floats (the padding DenseMatrix keeps). */
        void putRows(DenseMatrix m, int stride) throws IOException {
            if (m == null) {
                return;
            }
            MemorySegment s = m.segment();
            for (int i = 0; i < m.rows(); i++) {
                for (int j = 0; j < m.cols(); j++) {
                    putFloat(s.get(ValueLayout.JAVA_FLOAT, m.offset(i, j)));
                }
                for (int j = m.cols(); j < stride; j++) {
                    putFloat(0f);
                }
            }
        }

        void padTo(long offset) throws IOException {
            while (position < offset) {
                room(1);
                buf.put((byte) 0);
                position++;
            }
        }

        void flush() throws IOException {
            buf.flip();
            crc.update(buf.duplicate());
            while (buf.hasRemaining()) {
                out.write(buf);
            }
            buf.clear();
        }

        void finish() throws IOException {
            flush();
            buf.putInt((int) crc.getValue()).flip();
            while (buf.hasRemaining()) {
                out.write(buf);
            }
            buf.clear();
        }
    }

    // ------------------------------------------------------------------------------------------ loading

    /** The fixed header, read with ordinary reads and checked before anything is mapped or allocated. */
    private record Header(int flags, int users, int items, int rank, int stride, long fileLength, long seenNnz,
                          long[] offsets, long[] lengths) {

        static Header read(Path file, FileChannel fc, long size) throws IOException {
            ByteBuffer b = ByteBuffer.allocate((int) Math.min(size, HEADER_BYTES)).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) {
                if (fc.read(b, b.position()) < 0) {
                    throw new ModelFileException(file, "truncated: the file shrank while being read");
                }
            }
            byte[] bytes = b.array();
            int magicBytes = Math.min(bytes.length, MAGIC.length);
            if (!Arrays.equals(bytes, 0, magicBytes, MAGIC, 0, magicBytes)) {
                throw new ModelFileException(file, "bad magic: not a lowrank model file (starts with "
                        + HexFormat.of().formatHex(bytes, 0, magicBytes) + ", expected "
                        + HexFormat.of().formatHex(MAGIC) + ")");
            }
            if (size < OFF_FLAGS) {
                throw truncatedHeader(file, size);
            }
            int version = b.getInt(OFF_VERSION);
            if (version != VERSION) {
                throw new ModelFileException(file, "unsupported format version " + Integer.toUnsignedString(version)
                        + " (this code reads version " + VERSION + ")");
            }
            if (size < HEADER_BYTES) {
                throw truncatedHeader(file, size);
            }
            CRC32C crc = new CRC32C();
            crc.update(bytes, 0, OFF_HEADER_CRC);
            int stored = b.getInt(OFF_HEADER_CRC);
            if (stored != (int) crc.getValue()) {
                throw new ModelFileException(file, "corrupt header: checksum mismatch (stored "
                        + hex(stored) + ", computed " + hex((int) crc.getValue()) + ")");
            }
            long fileLength = b.getLong(OFF_FILE_LENGTH);
            if (fileLength > size) {
                throw new ModelFileException(file, "truncated: header says " + fileLength + " bytes, file has " + size);
            }
            if (fileLength < size) {
                throw new ModelFileException(file, "corrupt: header says " + fileLength + " bytes but the file has "
                        + size + " (data after the end)");
            }
            long[] offsets = new long[Section.values().length];
            long[] lengths = new long[offsets.length];
            for (int s = 0; s < offsets.length; s++) {
                offsets[s] = b.getLong(OFF_TABLE + 16 * s);
                lengths[s] = b.getLong(OFF_TABLE + 16 * s + 8);
            }
            Header h = new Header(b.getInt(OFF_FLAGS), b.getInt(OFF_USERS), b.getInt(OFF_ITEMS), b.getInt(OFF_RANK),
                    b.getInt(OFF_STRIDE), fileLength, b.getLong(OFF_SEEN_NNZ), offsets, lengths);
            h.validate(file);
            return h;
        }

        private static ModelFileException truncatedHeader(Path file, long size) {
            return new ModelFileException(file, "truncated: the file has " + size + " bytes, fewer than the "
                    + HEADER_BYTES + "-byte header");
        }

        boolean has(int flag) {
            return (flags & flag) != 0;
        }

        /** Every size and offset against the others and the file length, in arithmetic that cannot overflow. */
        void validate(Path file) throws ModelFileException {
            if ((flags & ~KNOWN_FLAGS) != 0) {
                throw corrupt(file, "unknown flags " + hex(flags & ~KNOWN_FLAGS));
            }
            if (users < 0 || items < 0) {
                throw corrupt(file, "header says " + users + " users and " + items + " items");
            }
            if (rank < 1) {
                throw corrupt(file, "header says rank " + rank + " (must be at least 1)");
            }
            if (stride != strideFor(rank)) {
                throw corrupt(file, "header says row stride " + stride + " but rank " + rank + " is stored with stride "
                        + strideFor(rank));
            }
            if (seenNnz < 0 || (!has(FLAG_SEEN) && seenNnz != 0)) {
                throw corrupt(file, "header says the seen pattern has " + seenNnz + " entries"
                        + (has(FLAG_SEEN) ? "" : " but the file has no seen section"));
            }
            boolean biases = has(FLAG_BIASES);
            boolean seen = has(FLAG_SEEN);
            long[] expected = new long[offsets.length];
            expected[Section.USER_IDS.ordinal()] = -1;
            expected[Section.ITEM_IDS.ordinal()] = -1;
            expected[Section.U.ordinal()] = bytes(file, "U", users, stride, Float.BYTES);
            expected[Section.V.ordinal()] = bytes(file, "V", items, stride, Float.BYTES);
            expected[Section.GLOBAL_BIAS.ordinal()] = biases ? Float.BYTES : 0;
            expected[Section.USER_BIASES.ordinal()] = biases ? (long) users * Float.BYTES : 0;
            expected[Section.ITEM_BIASES.ordinal()] = biases ? (long) items * Float.BYTES : 0;
            expected[Section.SEEN_OFFSETS.ordinal()] = seen ? ((long) users + 1) * Long.BYTES : 0;
            expected[Section.SEEN_COLUMNS.ordinal()] = bytes(file, "the seen pattern", seenNnz, 1, Integer.BYTES);
            long end = HEADER_BYTES;
            long limit = fileLength - TRAILER_BYTES;
            for (Section s : Section.values()) {
                int k = s.ordinal();
                long off = offsets[k];
                long len = lengths[k];
                if (expected[k] >= 0 && len != expected[k]) {
                    throw corrupt(file, "section " + s + " has " + len + " bytes but the header's sizes need " + expected[k]);
                }
                if (expected[k] < 0) {
                    boolean present = has(s == Section.USER_IDS ? FLAG_USER_IDS : FLAG_ITEM_IDS);
                    long count = s == Section.USER_IDS ? users : items;
                    // Each id takes at least its 4-byte length: a cheap bound before any id is read.
                    if (present ? len < count * Integer.BYTES : len != 0) {
                        throw corrupt(file, "section " + s + " has " + len + " bytes, impossible for "
                                + (present ? count + " ids" : "an absent section"));
                    }
                }
                if (off < end || off % ALIGNMENT != 0 || off != align(end)) {
                    throw corrupt(file, "section " + s + " starts at " + off + " but must start at " + align(end));
                }
                if (len > limit - off) {
                    throw new ModelFileException(file, "truncated: section " + s + " needs bytes [" + off + ", "
                            + (off + len) + ") but the data ends at " + limit);
                }
                end = off + len;
            }
            if (end != limit) {
                throw corrupt(file, "the last section ends at " + end + " but the checksum is at " + limit);
            }
        }

        /** count·perRow·width, or a ModelFileException if it exceeds any file a long can describe. */
        private static long bytes(Path file, String what, long count, long perRow, long width) throws ModelFileException {
            try {
                return Math.multiplyExact(Math.multiplyExact(count, perRow), width);
            } catch (ArithmeticException e) {
                throw corrupt(file, what + " would need more than 2^63 bytes (" + count + " x " + perRow + " x " + width + ")");
            }
        }

        SavedModel decode(Path file, MemorySegment seg, Kernels kernels, Arena arena) throws IOException {
            int stored = seg.get(INT, fileLength - TRAILER_BYTES);
            int computed = crc32c(seg, fileLength - TRAILER_BYTES);
            if (stored != computed) {
                throw corrupt(file, "checksum mismatch (stored " + hex(stored) + ", computed " + hex(computed) + ")");
            }
            IdMap userIds = ids(file, seg, Section.USER_IDS, users, has(FLAG_USER_IDS));
            IdMap itemIds = ids(file, seg, Section.ITEM_IDS, items, has(FLAG_ITEM_IDS));
            DenseMatrix u = matrix(file, seg, Section.U, users, rank, stride, "U");
            DenseMatrix v = matrix(file, seg, Section.V, items, rank, stride, "V");
            DenseMatrix mu = null;
            DenseMatrix b = null;
            DenseMatrix c = null;
            if (has(FLAG_BIASES)) {
                mu = matrix(file, seg, Section.GLOBAL_BIAS, 1, 1, 1, "the global bias");
                b = matrix(file, seg, Section.USER_BIASES, 1, users, users, "the user biases");
                c = matrix(file, seg, Section.ITEM_BIASES, 1, items, items, "the item biases");
            }
            CsrMatrix seen = has(FLAG_SEEN) ? seen(file, seg) : null;
            FactorModel model = FactorModel.adopt(u, v, mu, b, c, kernels);
            return new SavedModel(model, userIds, itemIds, seen, arena);
        }

        private MemorySegment slice(MemorySegment seg, Section s) {
            return seg.asSlice(offsets[s.ordinal()], lengths[s.ordinal()]);
        }

        private IdMap ids(Path file, MemorySegment seg, Section s, int count, boolean present) throws ModelFileException {
            IdMap map = new IdMap();
            if (!present) {
                for (int i = 0; i < count; i++) {
                    map.add(Integer.toString(i));
                }
                return map;
            }
            MemorySegment ids = slice(seg, s);
            CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder();
            long pos = 0;
            for (int i = 0; i < count; i++) {
                if (ids.byteSize() - pos < Integer.BYTES) {
                    throw corrupt(file, "section " + s + " ends inside id " + i);
                }
                int n = ids.get(INT, pos);
                pos += Integer.BYTES;
                if (n < 0 || n > ids.byteSize() - pos) {
                    throw corrupt(file, "section " + s + ": id " + i + " claims " + n + " bytes but "
                            + (ids.byteSize() - pos) + " remain");
                }
                String id;
                try {
                    id = utf8.decode(ids.asSlice(pos, n).asByteBuffer()).toString();
                } catch (CharacterCodingException e) {
                    throw corrupt(file, "section " + s + ": id " + i + " is not valid UTF-8");
                }
                pos += n;
                if (map.add(id) != i) {
                    throw corrupt(file, "section " + s + ": id \"" + id + "\" appears twice");
                }
            }
            if (pos != ids.byteSize()) {
                throw corrupt(file, "section " + s + " has " + (ids.byteSize() - pos) + " bytes after its " + count + " ids");
            }
            return map;
        }

        /** Wraps a section in place; its values must be finite and the row padding zero. */
        private DenseMatrix matrix(Path file, MemorySegment seg, Section s, int rows, int cols, int rowStride, String what)
                throws ModelFileException {
            MemorySegment m = slice(seg, s);
            for (long i = 0; i < rows; i++) {
                long row = i * rowStride * Float.BYTES;
                for (int j = 0; j < rowStride; j++) {
                    float x = m.get(FLOAT, row + (long) j * Float.BYTES);
                    if (j < cols ? !Float.isFinite(x) : Float.floatToRawIntBits(x) != 0) {
                        throw corrupt(file, what + " has " + x + " at (" + i + ", " + j + ")"
                                + (j < cols ? "" : ", in the row padding that must be zero"));
                    }
                }
            }
            return DenseMatrix.wrap(m, rows, cols, rowStride);
        }

        private CsrMatrix seen(Path file, MemorySegment seg) throws ModelFileException {
            if (seenNnz > Integer.MAX_VALUE - 8) {
                throw new ModelFileException(file, "the seen pattern has " + seenNnz
                        + " entries, more than this version can load (at most 2^31 - 9)");
            }
            int nnz = (int) seenNnz;
            long[] rowOffsets = slice(seg, Section.SEEN_OFFSETS).toArray(LONG);
            int[] columns = slice(seg, Section.SEEN_COLUMNS).toArray(INT);
            float[] ones = new float[nnz];
            Arrays.fill(ones, 1f);
            try {
                return CsrMatrix.of(users, items, rowOffsets, columns, ones);
            } catch (IllegalArgumentException e) {
                throw corrupt(file, "seen pattern: " + e.getMessage());
            }
        }
    }

    static int crc32c(MemorySegment seg, long length) {
        CRC32C crc = new CRC32C();
        long chunk = 1L << 30;
        for (long pos = 0; pos < length; pos += chunk) {
            crc.update(seg.asSlice(pos, Math.min(chunk, length - pos)).asByteBuffer());
        }
        return (int) crc.getValue();
    }

    private static ModelFileException corrupt(Path file, String what) {
        return new ModelFileException(file, "corrupt: " + what);
    }

    private static String hex(int v) {
        return "0x" + HexFormat.of().toHexDigits(v);
    }
}
