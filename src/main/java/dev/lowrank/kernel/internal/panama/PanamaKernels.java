package dev.lowrank.kernel.internal.panama;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static jdk.incubator.vector.FloatVector.fromMemorySegment;

import dev.lowrank.kernel.internal.KernelProvider;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels written with {@code jdk.incubator.vector} on the preferred float species (256 bits on AVX2,
 * 512 on AVX-512). Loaded by name only after {@code KernelProviders} has checked that the module is
 * present and C2 is on; its constructor refuses species narrower than 128 bits.
 */
public final class PanamaKernels implements KernelProvider {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /*
     * Loads call FloatVector.fromMemorySegment (@ForceInline in the JDK) directly, never through a helper
     * of ours. C2 declines to inline a small helper at a call site its profile calls cold once the helper
     * has its own compiled body ("already compiled into a medium method"); the helper then returns a
     * boxed vector. Measured: after a deoptimization the row dot's unrolled loop ran with boxed loads,
     * 512 B per 32-float dot and 256 KB per 500-rating sgdPass (KernelAllocationTest).
     */

    // GEMM blocking (BLIS; see docs/kernels.md for why these sizes): an MR×NR register tile, A packed in
    // MC×KC panels (L2), B in KC×NC panels (L3), one KC×NR sliver of B (L1) streamed per micro-kernel.
    enum Tile {
        /** 6 rows × 2 vectors: fits 16 vector registers (AVX2, and 128-bit species). */
        T6X2(6, 2 * L),
        /** 8 rows × 3 vectors: needs 32 vector registers (AVX-512). */
        T8X3(8, 3 * L);

        final int mr;
        final int nr;

        Tile(int mr, int nr) {
            this.mr = mr;
            this.nr = nr;
        }
    }

    static final Tile TILE = L >= 16 ? Tile.T8X3 : Tile.T6X2;
    /** The KC×NR sliver of B must stay in L1: 256×16 floats = 16 KiB for 6×2 on AVX2, 128×48 = 24 KiB for 8×3. */
    static final int KC = TILE == Tile.T8X3 ? 128 : 256;
    /** A multiple of both tiles' MR (6 and 8), so only the caller's last panel has short rows. */
    static final int MC = 144;
    static final int NC = 2048;
    private static final int MAX_NR = 3 * L;
    private static final int MAX_MR = 8;

    /** Per-thread packing buffers, allocated once per worker thread and reused by every call. */
    private static final ThreadLocal<float[]> PACKED_A =
            ThreadLocal.withInitial(() -> new float[(MC + MAX_MR) * KC]);
    private static final ThreadLocal<float[]> PACKED_B =
            ThreadLocal.withInitial(() -> new float[KC * (NC + MAX_NR)]);
    private static final ThreadLocal<float[]> TILE_C = ThreadLocal.withInitial(() -> new float[MAX_MR * MAX_NR]);

    public PanamaKernels() {
        if (S.vectorBitSize() < 128) {
            throw new UnsupportedOperationException("the preferred float vector is " + S.vectorBitSize()
                    + " bits; the Panama kernels need at least 128");
        }
    }

    @Override
    public String name() {
        return "panama-" + S.vectorBitSize();
    }

    @Override
    public float dot(MemorySegment x, long xOffset, MemorySegment y, long yOffset, int n) {
        // Four independent accumulators hide the FMA latency (4 cycles) across two FMA pipes.
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int t = 0;
        int bound4 = n - 4 * L;
        for (; t <= bound4; t += 4 * L) {
            long xo = xOffset + (long) t * Float.BYTES;
            long yo = yOffset + (long) t * Float.BYTES;
            s0 = fromMemorySegment(S, x, xo, ORDER).fma(fromMemorySegment(S, y, yo, ORDER), s0);
            s1 = fromMemorySegment(S, x, xo + L * 4L, ORDER).fma(fromMemorySegment(S, y, yo + L * 4L, ORDER), s1);
            s2 = fromMemorySegment(S, x, xo + L * 8L, ORDER).fma(fromMemorySegment(S, y, yo + L * 8L, ORDER), s2);
            s3 = fromMemorySegment(S, x, xo + L * 12L, ORDER).fma(fromMemorySegment(S, y, yo + L * 12L, ORDER), s3);
        }
        for (; t <= n - L; t += L) {
            long xo = xOffset + (long) t * Float.BYTES;
            long yo = yOffset + (long) t * Float.BYTES;
            s0 = fromMemorySegment(S, x, xo, ORDER).fma(fromMemorySegment(S, y, yo, ORDER), s0);
        }
        if (t < n) {
            VectorMask<Float> m = S.indexInRange(t, n);
            long xo = xOffset + (long) t * Float.BYTES;
            long yo = yOffset + (long) t * Float.BYTES;
            s1 = fromMemorySegment(S, x, xo, ORDER, m).fma(fromMemorySegment(S, y, yo, ORDER, m), s1);
        }
        FloatVector lanes = s0.add(s1).add(s2.add(s3));
        lanes = L > 8 ? lanes.add(lanes.rearrange(ROT8)) : lanes; // sumLanes, written out
        lanes = L > 4 ? lanes.add(lanes.rearrange(ROT4)) : lanes;
        lanes = L > 2 ? lanes.add(lanes.rearrange(ROT2)) : lanes;
        return lanes.add(lanes.rearrange(ROT1)).lane(0);
    }

    @Override
    public void axpy(float alpha, MemorySegment x, long xOffset, MemorySegment y, long yOffset, int n) {
        FloatVector a = FloatVector.broadcast(S, alpha);
        int t = 0;
        for (; t <= n - L; t += L) {
            long yo = yOffset + (long) t * Float.BYTES;
            fromMemorySegment(S, x, xOffset + (long) t * Float.BYTES, ORDER).fma(a, fromMemorySegment(S, y, yo, ORDER))
                    .intoMemorySegment(y, yo, ORDER);
        }
        if (t < n) {
            VectorMask<Float> m = S.indexInRange(t, n);
            long yo = yOffset + (long) t * Float.BYTES;
            fromMemorySegment(S, x, xOffset + (long) t * Float.BYTES, ORDER, m).fma(a, fromMemorySegment(S, y, yo, ORDER, m))
                    .intoMemorySegment(y, yo, ORDER, m);
        }
    }

    @Override
    public void scale(float alpha, MemorySegment x, long xOffset, int n) {
        scaleRow(alpha, x, xOffset, n);
    }

    private static void scaleRow(float alpha, MemorySegment x, long xOffset, int n) {
        int t = 0;
        for (; t <= n - L; t += L) {
            long xo = xOffset + (long) t * Float.BYTES;
            fromMemorySegment(S, x, xo, ORDER).mul(alpha).intoMemorySegment(x, xo, ORDER);
        }
        if (t < n) {
            VectorMask<Float> m = S.indexInRange(t, n);
            long xo = xOffset + (long) t * Float.BYTES;
            fromMemorySegment(S, x, xo, ORDER, m).mul(alpha).intoMemorySegment(x, xo, ORDER, m);
        }
    }

    @Override
    public void adam(float alpha, float beta1, float beta2, float epsilon, MemorySegment p, long pOffset,
                     MemorySegment g, long gOffset, MemorySegment m, long mOffset, MemorySegment v, long vOffset, int n) {
        // Plain mul/add, no FMA: the scalar provider rounds the same way, so both give identical bits.
        FloatVector c1 = FloatVector.broadcast(S, 1f - beta1);
        FloatVector c2 = FloatVector.broadcast(S, 1f - beta2);
        FloatVector a = FloatVector.broadcast(S, alpha);
        FloatVector eps = FloatVector.broadcast(S, epsilon);
        int t = 0;
        for (; t <= n - L; t += L) {
            long b = (long) t * Float.BYTES;
            FloatVector gt = fromMemorySegment(S, g, gOffset + b, ORDER);
            FloatVector mt = fromMemorySegment(S, m, mOffset + b, ORDER);
            FloatVector vt = fromMemorySegment(S, v, vOffset + b, ORDER);
            mt = mt.add(gt.sub(mt).mul(c1));
            vt = vt.add(gt.mul(gt).sub(vt).mul(c2));
            mt.intoMemorySegment(m, mOffset + b, ORDER);
            vt.intoMemorySegment(v, vOffset + b, ORDER);
            FloatVector step = mt.mul(a).div(vt.lanewise(VectorOperators.SQRT).add(eps));
            fromMemorySegment(S, p, pOffset + b, ORDER).sub(step).intoMemorySegment(p, pOffset + b, ORDER);
        }
        if (t < n) {
            VectorMask<Float> k = S.indexInRange(t, n);
            long b = (long) t * Float.BYTES;
            FloatVector gt = fromMemorySegment(S, g, gOffset + b, ORDER, k);
            FloatVector mt = fromMemorySegment(S, m, mOffset + b, ORDER, k);
            FloatVector vt = fromMemorySegment(S, v, vOffset + b, ORDER, k);
            mt = mt.add(gt.sub(mt).mul(c1));
            vt = vt.add(gt.mul(gt).sub(vt).mul(c2));
            mt.intoMemorySegment(m, mOffset + b, ORDER, k);
            vt.intoMemorySegment(v, vOffset + b, ORDER, k);
            FloatVector step = mt.mul(a).div(vt.lanewise(VectorOperators.SQRT).add(eps));
            fromMemorySegment(S, p, pOffset + b, ORDER, k).sub(step).intoMemorySegment(p, pOffset + b, ORDER, k);
        }
    }

    /*
     * GEMM, BLIS style. Assumptions the loops below rely on:
     * - A, B, C are row-major with row strides a.rowStride() etc. (floats); op() only changes how packing
     *   reads them, never the micro-kernel.
     * - Packed A: for each MR-row panel, kc columns of MR consecutive floats (zero-padded past the last
     *   row). Packed B: for each NR-column panel, kc rows of NR consecutive floats (zero-padded past the
     *   last column). So the micro-kernel reads both strictly sequentially.
     * - The inner dimension is consumed in KC blocks from 0 upwards in every tile, and within a block in
     *   order p = 0, 1, ..., so an element of C is summed the same way whatever tile or thread computes it.
     * - Loop order jc → pc (pack B once) → ic (pack A) → jr → ir: one packed B panel serves every row of
     *   the caller's tile, which is why the facade hands out tall tiles.
     */
    @Override
    public void gemm(boolean transA, boolean transB, float alpha, DenseMatrix a, DenseMatrix b, int innerStart,
                     int innerEnd, float beta, DenseMatrix c, int rowStart, int rowEnd, int colStart, int colEnd) {
        gemm(TILE, transA, transB, alpha, a, b, innerStart, innerEnd, beta, c, rowStart, rowEnd, colStart, colEnd);
    }

    /**
     * The same product with an explicitly chosen register tile. The provider always uses {@link #TILE}
     * (picked from the species length); this entry exists so tests can run the other micro-kernel's edge
     * handling on any machine. Not part of the provider SPI.
     */
    public static void gemmWithTile(String tile, boolean transA, boolean transB, float alpha, DenseMatrix a,
                                    DenseMatrix b, float beta, DenseMatrix c, int rowStart, int rowEnd,
                                    int colStart, int colEnd) {
        gemm(Tile.valueOf(tile), transA, transB, alpha, a, b, 0, transA ? a.rows() : a.cols(), beta, c,
                rowStart, rowEnd, colStart, colEnd);
    }

    /** The register tile's name ("T6X2": 6 rows × 2 vectors) for docs and benchmarks. */
    public static String tileName() {
        return TILE.name();
    }

    private static void gemm(Tile tile, boolean transA, boolean transB, float alpha, DenseMatrix a, DenseMatrix b,
                             int innerStart, int innerEnd, float beta, DenseMatrix c, int rowStart, int rowEnd,
                             int colStart, int colEnd) {
        if (innerStart >= innerEnd || rowStart >= rowEnd || colStart >= colEnd) {
            scaleTile(c, beta, rowStart, rowEnd, colStart, colEnd);
            return;
        }
        int mr = tile.mr;
        int nr = tile.nr;
        float[] ap = PACKED_A.get();
        float[] bp = PACKED_B.get();
        float[] acc = TILE_C.get();
        MemorySegment cs = c.segment();
        long cRowBytes = (long) c.rowStride() * Float.BYTES;
        for (int jc = colStart; jc < colEnd; jc += NC) {
            int nc = Math.min(NC, colEnd - jc);
            for (int pc = innerStart; pc < innerEnd; pc += KC) {
                int kc = Math.min(KC, innerEnd - pc);
                packB(transB, b, pc, kc, jc, nc, nr, bp);
                float betaNow = pc == innerStart ? beta : 1f;
                for (int ic = rowStart; ic < rowEnd; ic += MC) {
                    int mc = Math.min(MC, rowEnd - ic);
                    packA(transA, a, ic, mc, pc, kc, mr, ap);
                    for (int jr = 0; jr < nc; jr += nr) {
                        int cols = Math.min(nr, nc - jr);
                        for (int ir = 0; ir < mc; ir += mr) {
                            long cOff = c.offset(ic + ir, jc + jr);
                            int rows = Math.min(mr, mc - ir);
                            if (tile == Tile.T6X2) {
                                kernel6x2(kc, ap, ir * kc, mr, bp, jr * kc, nr, acc);
                            } else {
                                kernel8x3(kc, ap, ir * kc, bp, jr * kc, acc);
                            }
                            updateC(acc, nr, cs, cOff, cRowBytes, rows, cols, alpha, betaNow);
                        }
                    }
                }
            }
        }
    }

    /** op(A)[ic, ic+mc) × [pc, pc+kc) into MR-row panels: panel q holds rows ic+q·MR.., column-major. */
    private static void packA(boolean transA, DenseMatrix a, int ic, int mc, int pc, int kc, int mr, float[] ap) {
        MemorySegment as = a.segment();
        long stride = a.rowStride();
        for (int ir = 0; ir < mc; ir += mr) {
            int rows = Math.min(mr, mc - ir);
            int base = ir * kc;
            if (transA) {
                // op(A) row i is A's column i: each p contributes MR floats that sit side by side in A's row.
                for (int p = 0; p < kc; p++) {
                    MemorySegment.copy(as, JAVA_FLOAT, ((pc + p) * stride + ic + ir) * Float.BYTES, ap, base + p * mr, rows);
                }
            } else {
                for (int r = 0; r < rows; r++) {
                    long rowBase = (ic + ir + r) * stride + pc;
                    for (int p = 0; p < kc; p++) {
                        ap[base + p * mr + r] = as.getAtIndex(JAVA_FLOAT, rowBase + p);
                    }
                }
            }
            if (rows < mr) {
                for (int p = 0; p < kc; p++) {
                    Arrays.fill(ap, base + p * mr + rows, base + (p + 1) * mr, 0f);
                }
            }
        }
    }

    /** op(B)[pc, pc+kc) × [jc, jc+nc) into NR-column panels: panel q holds columns jc+q·NR.., row-major. */
    private static void packB(boolean transB, DenseMatrix b, int pc, int kc, int jc, int nc, int nr, float[] bp) {
        MemorySegment bs = b.segment();
        long stride = b.rowStride();
        for (int jr = 0; jr < nc; jr += nr) {
            int cols = Math.min(nr, nc - jr);
            int base = jr * kc;
            if (transB) {
                // op(B) column j is B's row j: read it contiguously, write it with stride NR.
                for (int t = 0; t < cols; t++) {
                    long rowBase = (jc + jr + t) * stride + pc;
                    for (int p = 0; p < kc; p++) {
                        bp[base + p * nr + t] = bs.getAtIndex(JAVA_FLOAT, rowBase + p);
                    }
                }
                if (cols < nr) {
                    for (int p = 0; p < kc; p++) {
                        Arrays.fill(bp, base + p * nr + cols, base + (p + 1) * nr, 0f);
                    }
                }
            } else if (cols == nr) {
                for (int p = 0; p < kc; p++) {
                    long src = ((pc + p) * stride + jc + jr) * Float.BYTES;
                    int dst = base + p * nr;
                    for (int v = 0; v < nr; v += L) {
                        fromMemorySegment(S, bs, src + (long) v * Float.BYTES, ORDER).intoArray(bp, dst + v);
                    }
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    int dst = base + p * nr;
                    MemorySegment.copy(bs, JAVA_FLOAT, ((pc + p) * stride + jc + jr) * Float.BYTES, bp, dst, cols);
                    Arrays.fill(bp, dst + cols, dst + nr, 0f);
                }
            }
        }
    }

    /**
     * The 6×2-vector register tile (AVX2 / 128-bit): 12 accumulators + 2 B vectors + 1 broadcast = 15 of
     * the 16 vector registers. acc[r·2L + t] = Σ_{p &lt; kc} ap[aOff + p·aStep + r]·bp[bOff + p·bStep + t],
     * summed in p order: GEMM passes packed panels (steps 6 and 2L), addGramUpper one heap panel of rows
     * for both operands (both steps its row stride).
     */
    private static void kernel6x2(int kc, float[] ap, int aOff, int aStep, float[] bp, int bOff, int bStep,
                                  float[] acc) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        // Unrolled by two so the loop overhead (counter, range checks) is paid once per 24 FMAs.
        int p = 0;
        for (; p <= kc - 2; p += 2) {
            int ai = aOff + p * aStep;
            int bi = bOff + p * bStep;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            a0 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a0.fma(b0, c10);
            c11 = a0.fma(b1, c11);
            a0 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a0.fma(b0, c20);
            c21 = a0.fma(b1, c21);
            a0 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a0.fma(b0, c30);
            c31 = a0.fma(b1, c31);
            a0 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a0.fma(b0, c40);
            c41 = a0.fma(b1, c41);
            a0 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a0.fma(b0, c50);
            c51 = a0.fma(b1, c51);
            b0 = FloatVector.fromArray(S, bp, bi + bStep);
            b1 = FloatVector.fromArray(S, bp, bi + bStep + L);
            a0 = FloatVector.broadcast(S, ap[ai + aStep]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            a0 = FloatVector.broadcast(S, ap[ai + aStep + 1]);
            c10 = a0.fma(b0, c10);
            c11 = a0.fma(b1, c11);
            a0 = FloatVector.broadcast(S, ap[ai + aStep + 2]);
            c20 = a0.fma(b0, c20);
            c21 = a0.fma(b1, c21);
            a0 = FloatVector.broadcast(S, ap[ai + aStep + 3]);
            c30 = a0.fma(b0, c30);
            c31 = a0.fma(b1, c31);
            a0 = FloatVector.broadcast(S, ap[ai + aStep + 4]);
            c40 = a0.fma(b0, c40);
            c41 = a0.fma(b1, c41);
            a0 = FloatVector.broadcast(S, ap[ai + aStep + 5]);
            c50 = a0.fma(b0, c50);
            c51 = a0.fma(b1, c51);
        }
        for (; p < kc; p++) {
            int ai = aOff + p * aStep;
            int bi = bOff + p * bStep;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            a0 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a0.fma(b0, c10);
            c11 = a0.fma(b1, c11);
            a0 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a0.fma(b0, c20);
            c21 = a0.fma(b1, c21);
            a0 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a0.fma(b0, c30);
            c31 = a0.fma(b1, c31);
            a0 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a0.fma(b0, c40);
            c41 = a0.fma(b1, c41);
            a0 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a0.fma(b0, c50);
            c51 = a0.fma(b1, c51);
        }
        // The accumulators leave through a small scratch array rather than straight into C: the alpha/beta
        // update and its edge masks would make this method too large for C2 to inline every vector
        // intrinsic, and one intrinsic left out boxes the vectors and costs more than the whole k loop.
        c00.intoArray(acc, 0);
        c01.intoArray(acc, L);
        c10.intoArray(acc, 2 * L);
        c11.intoArray(acc, 3 * L);
        c20.intoArray(acc, 4 * L);
        c21.intoArray(acc, 5 * L);
        c30.intoArray(acc, 6 * L);
        c31.intoArray(acc, 7 * L);
        c40.intoArray(acc, 8 * L);
        c41.intoArray(acc, 9 * L);
        c50.intoArray(acc, 10 * L);
        c51.intoArray(acc, 11 * L);
    }

    /**
     * The 8×3-vector register tile (AVX-512, 32 registers): 24 accumulators + 3 B vectors + 1 broadcast.
     * Correct on any species, but on 16-register files it spills, so it is only chosen for 16 lanes.
     */
    private static void kernel8x3(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] acc) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
        FloatVector c40 = c00, c41 = c00, c42 = c00, c50 = c00, c51 = c00, c52 = c00;
        FloatVector c60 = c00, c61 = c00, c62 = c00, c70 = c00, c71 = c00, c72 = c00;
        for (int p = 0; p < kc; p++) {
            int ai = aOff + p * 8;
            int bi = bOff + p * (3 * L);
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector b2 = FloatVector.fromArray(S, bp, bi + 2 * L);
            FloatVector a = FloatVector.broadcast(S, ap[ai]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            c02 = a.fma(b2, c02);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            c12 = a.fma(b2, c12);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            c22 = a.fma(b2, c22);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            c32 = a.fma(b2, c32);
            a = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            c42 = a.fma(b2, c42);
            a = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
            c52 = a.fma(b2, c52);
            a = FloatVector.broadcast(S, ap[ai + 6]);
            c60 = a.fma(b0, c60);
            c61 = a.fma(b1, c61);
            c62 = a.fma(b2, c62);
            a = FloatVector.broadcast(S, ap[ai + 7]);
            c70 = a.fma(b0, c70);
            c71 = a.fma(b1, c71);
            c72 = a.fma(b2, c72);
        }
        c00.intoArray(acc, 0);
        c01.intoArray(acc, L);
        c02.intoArray(acc, 2 * L);
        c10.intoArray(acc, 3 * L);
        c11.intoArray(acc, 4 * L);
        c12.intoArray(acc, 5 * L);
        c20.intoArray(acc, 6 * L);
        c21.intoArray(acc, 7 * L);
        c22.intoArray(acc, 8 * L);
        c30.intoArray(acc, 9 * L);
        c31.intoArray(acc, 10 * L);
        c32.intoArray(acc, 11 * L);
        c40.intoArray(acc, 12 * L);
        c41.intoArray(acc, 13 * L);
        c42.intoArray(acc, 14 * L);
        c50.intoArray(acc, 15 * L);
        c51.intoArray(acc, 16 * L);
        c52.intoArray(acc, 17 * L);
        c60.intoArray(acc, 18 * L);
        c61.intoArray(acc, 19 * L);
        c62.intoArray(acc, 20 * L);
        c70.intoArray(acc, 21 * L);
        c71.intoArray(acc, 22 * L);
        c72.intoArray(acc, 23 * L);
    }

    /** C[rows × cols] at byte offset cOff = alpha·tile + beta·C, the tile row-major with nr floats per row. */
    private static void updateC(float[] acc, int nr, MemorySegment cs, long cOff, long cRowBytes, int rows, int cols,
                                float alpha, float beta) {
        FloatVector va = FloatVector.broadcast(S, alpha);
        FloatVector vb = FloatVector.broadcast(S, beta);
        for (int r = 0; r < rows; r++) {
            long rowOff = cOff + r * cRowBytes;
            int t = 0;
            for (; t <= cols - L; t += L) {
                FloatVector out = FloatVector.fromArray(S, acc, r * nr + t).mul(va);
                long o = rowOff + (long) t * Float.BYTES;
                if (beta != 0f) {
                    out = fromMemorySegment(S, cs, o, ORDER).fma(vb, out);
                }
                out.intoMemorySegment(cs, o, ORDER);
            }
            if (t < cols) {
                VectorMask<Float> m = S.indexInRange(t, cols);
                FloatVector out = FloatVector.fromArray(S, acc, r * nr + t).mul(va);
                long o = rowOff + (long) t * Float.BYTES;
                if (beta != 0f) {
                    out = fromMemorySegment(S, cs, o, ORDER, m).fma(vb, out);
                }
                out.intoMemorySegment(cs, o, ORDER, m);
            }
        }
    }

    private static void scaleTile(DenseMatrix c, float beta, int rowStart, int rowEnd, int colStart, int colEnd) {
        MemorySegment cs = c.segment();
        for (int i = rowStart; i < rowEnd; i++) {
            if (beta == 0f) {
                cs.asSlice(c.offset(i, colStart), (long) (colEnd - colStart) * Float.BYTES).fill((byte) 0);
            } else {
                scaleRow(beta, cs, c.offset(i, colStart), colEnd - colStart);
            }
        }
    }

    /** Rows per pass of addGramUpper: 96 rows of up to 80 floats (a rank-64 row with its bias) fill 30 KiB of L1. */
    private static final int SYRK_ROWS = 96;
    /** addGramUpper's heap copy of one pass of rows (per thread). */
    private static final ThreadLocal<float[]> SYRK_PANEL = ThreadLocal.withInitial(() -> new float[0]);

    /*
     * A row's normal matrix (ALS Cholesky, fold-in). SYRK_ROWS rows at a time are copied to a heap panel
     * whose stride is whole 2L-float tiles, and GEMM's 6-row × 2-vector register tile (kernel6x2) covers
     * the upper triangle streaming through it from L1: per row, two vector loads, six broadcasts and
     * twelve FMAs, no packing (the panel already is what a packed B sliver would be, and its A values sit
     * in the same row). It
     * replaced a packed GEMM path, whose transposed-A packing made one small copy per row per 6-row
     * panel, in ALS rows and in Kernels.gram. Each entry is summed over the rows in order, pass by pass, so
     * its bits depend on the row range only.
     */
    @Override
    public void addGramUpper(DenseMatrix rows, int rowStart, int rowEnd, float[] out) {
        int d = rows.cols();
        if (rowStart == rowEnd || d == 0) {
            return;
        }
        int width = 2 * L;
        int stride = rows.rowStride() % width == 0 ? rows.rowStride() : (d + width - 1) / width * width;
        // + SYRK_MR: a tile's last broadcasts may read past the last row's end (into rows never stored).
        int need = SYRK_ROWS * stride + SYRK_MR;
        float[] panel = SYRK_PANEL.get();
        if (panel.length < need) {
            panel = new float[need];
            SYRK_PANEL.set(panel);
        }
        MemorySegment rs = rows.segment();
        float[] acc = TILE_C.get();
        for (int e0 = rowStart; e0 < rowEnd; e0 += SYRK_ROWS) {
            int count = Math.min(SYRK_ROWS, rowEnd - e0);
            if (stride == rows.rowStride()) {
                MemorySegment.copy(rs, JAVA_FLOAT, rows.offset(e0, 0), panel, 0, (count - 1) * stride + d);
            } else {
                for (int e = 0; e < count; e++) {
                    MemorySegment.copy(rs, JAVA_FLOAT, rows.offset(e0 + e, 0), panel, e * stride, d);
                }
            }
            for (int i0 = 0; i0 < d; i0 += SYRK_MR) {
                for (int c0 = i0 - i0 % width; c0 < d; c0 += width) {
                    kernel6x2(count, panel, i0, stride, panel, c0, stride, acc);
                    int last = Math.min(d, c0 + width);
                    for (int r = 0; r < SYRK_MR && i0 + r < d; r++) {
                        int i = i0 + r;
                        for (int c = Math.max(c0, i); c < last; c++) {
                            out[i * d + c] += acc[r * width + c - c0];
                        }
                    }
                }
            }
        }
    }

    private static final int SYRK_MR = 6;

    /** Rows gathered per chunk by the segment forms of normalApply and normalRhs (per thread, heap). */
    private static final int GATHER_ROWS = 256;
    private static final ThreadLocal<float[][]> GATHER = ThreadLocal.withInitial(() -> new float[3][0]);

    /** This thread's gather buffers: [0] a panel of GATHER_ROWS rows of k floats, [1] values, [2] targets/sums. */
    private static float[][] gatherBuffers(int k) {
        float[][] g = GATHER.get();
        if (g[0].length < GATHER_ROWS * k) {
            g[0] = new float[GATHER_ROWS * k];
            g[1] = new float[GATHER_ROWS];
            g[2] = new float[GATHER_ROWS];
        }
        return g;
    }

    /*
     * One vector load and store per L floats of each row: MemorySegment.copy into an array costs a call
     * and its checks per row, which dominated ALS CG's gathers (rows of 64 floats). Kept to a small
     * method of its own so the segment loads' IR stays below C2's limits.
     */
    @Override
    public void gatherRows(CsrMatrix a, long from, int count, DenseMatrix y, float[] panel, float[] values) {
        MemorySegment cols = a.columnIndices();
        MemorySegment vals = a.values();
        MemorySegment ys = y.segment();
        int k = y.cols();
        long rowBytes = (long) y.rowStride() * Float.BYTES;
        int whole = k - k % L;
        VectorMask<Float> tail = S.indexInRange(whole, k);
        for (int t = 0; t < count; t++) {
            long p = from + t;
            long yo = cols.getAtIndex(JAVA_INT, p) * rowBytes;
            int base = t * k;
            int c = 0;
            for (; c < whole; c += L) {
                fromMemorySegment(S, ys, yo + (long) c * Float.BYTES, ORDER).intoArray(panel, base + c);
            }
            if (whole < k) {
                fromMemorySegment(S, ys, yo + (long) whole * Float.BYTES, ORDER, tail).intoArray(panel, base + whole, tail);
            }
            if (values != null) {
                values[t] = vals.getAtIndex(JAVA_FLOAT, p);
            }
        }
    }

    /*
     * The segment forms gather the row's partners into a per-thread heap panel, GATHER_ROWS at a time,
     * and run the panel kernels on it (the running sum carried across chunks, so the bits are those of
     * one panelApply over the whole row). Vector loads straight from the segment were tried first: a
     * MemorySegment vector load inlines many times the IR of an array load, the kernel hit C2's node
     * cutoff, and the vector operations it could no longer inline were boxed (GBs allocated per ALS
     * iteration at ML-1M shape).
     */
    @Override
    public float normalApply(CsrMatrix a, int row, DenseMatrix y, float[] x, float scale, float valueScale, float shift,
                             float[] out) {
        int k = y.cols();
        float[][] g = gatherBuffers(k);
        float[] sums = SUMS.get();
        float total = 0f;
        long end = a.rowEnd(row);
        for (long p = a.rowStart(row); p < end; p += GATHER_ROWS) {
            int count = (int) Math.min(GATHER_ROWS, end - p);
            gatherRows(a, p, count, y, g[0], g[1]);
            total = panelApplyFrom(total, g[0], count, k, g[1], x, scale, valueScale, shift, out, sums);
        }
        return total;
    }

    @Override
    public float normalRhs(CsrMatrix a, int row, DenseMatrix y, float valueScale, float shift, DenseMatrix yBias,
                           float biasScale, float[] out) {
        int k = y.cols();
        float[][] g = gatherBuffers(k);
        float[] targets = g[2];
        MemorySegment cols = a.columnIndices();
        MemorySegment bs = yBias == null ? null : yBias.segment();
        float total = 0f;
        long end = a.rowEnd(row);
        for (long p = a.rowStart(row); p < end; p += GATHER_ROWS) {
            int count = (int) Math.min(GATHER_ROWS, end - p);
            gatherRows(a, p, count, y, g[0], g[1]);
            for (int t = 0; t < count; t++) {
                float target = valueScale * g[1][t] + shift;
                if (bs != null) {
                    target += biasScale * bs.getAtIndex(JAVA_FLOAT, cols.getAtIndex(JAVA_INT, p + t));
                }
                total += target;
                targets[t] = target;
            }
            panelCombine(g[0], count, k, targets, out);
        }
        return total;
    }

    /** Per-thread scratch for the four dots of panelApply's blocks. */
    private static final ThreadLocal<float[]> SUMS = ThreadLocal.withInitial(() -> new float[4]);

    /*
     * Entries are taken four at a time: the four dots share x's loads and keep eight FMA chains in flight,
     * and out is loaded and stored once per vector for four updates. Every float operation is the one an
     * entry-at-a-time loop does, in the same order, so the blocking changes no bits. Split into small
     * methods on purpose, and no vector crosses a call: the one-method version was too
     * big for C1 ("out of virtual registers"), so it never reached the profiled tier and stayed in
     * unprofiled C1 code with every vector operation boxed.
     */
    @Override
    public float panelApply(float[] panel, int n, int k, float[] values, float[] x, float scale, float valueScale,
                            float shift, float[] out) {
        return panelApplyFrom(0f, panel, n, k, values, x, scale, valueScale, shift, out, SUMS.get());
    }

    private static float panelApplyFrom(float total, float[] panel, int n, int k, float[] values, float[] x, float scale,
                                        float valueScale, float shift, float[] out, float[] sums) {
        int whole = k - k % L;
        int e = 0;
        for (; e + 4 <= n; e += 4) {
            int r0 = e * k;
            dotFour(panel, r0, k, x, whole, sums);
            total += sums[0];
            total += sums[1];
            total += sums[2];
            total += sums[3];
            addFourRows(panel, r0, (scale + valueScale * values[e]) * sums[0] + shift,
                    (scale + valueScale * values[e + 1]) * sums[1] + shift,
                    (scale + valueScale * values[e + 2]) * sums[2] + shift,
                    (scale + valueScale * values[e + 3]) * sums[3] + shift, k, out, whole);
        }
        for (; e < n; e++) {
            int r = e * k;
            float s = dotOne(panel, r, k, x, whole);
            total += s;
            addRow(panel, r, (scale + valueScale * values[e]) * s + shift, k, out, whole);
        }
        return total;
    }

    /**
     * The dots of four consecutive panel rows (from r0) with x into sums[0..4): even vectors in one FMA
     * chain, odd vectors and the masked tail in another, then the fixed-order lane sum.
     */
    private static void dotFour(float[] panel, int r0, int k, float[] x, int whole, float[] sums) {
        int r1 = r0 + k;
        int r2 = r1 + k;
        int r3 = r2 + k;
        FloatVector e0 = FloatVector.zero(S), e1 = e0, e2 = e0, e3 = e0;
        FloatVector d0 = e0, d1 = e0, d2 = e0, d3 = e0;
        int t = 0;
        for (; t + 2 * L <= whole; t += 2 * L) {
            FloatVector xe = FloatVector.fromArray(S, x, t);
            FloatVector xo = FloatVector.fromArray(S, x, t + L);
            e0 = FloatVector.fromArray(S, panel, r0 + t).fma(xe, e0);
            d0 = FloatVector.fromArray(S, panel, r0 + t + L).fma(xo, d0);
            e1 = FloatVector.fromArray(S, panel, r1 + t).fma(xe, e1);
            d1 = FloatVector.fromArray(S, panel, r1 + t + L).fma(xo, d1);
            e2 = FloatVector.fromArray(S, panel, r2 + t).fma(xe, e2);
            d2 = FloatVector.fromArray(S, panel, r2 + t + L).fma(xo, d2);
            e3 = FloatVector.fromArray(S, panel, r3 + t).fma(xe, e3);
            d3 = FloatVector.fromArray(S, panel, r3 + t + L).fma(xo, d3);
        }
        if (t < whole) {
            FloatVector xe = FloatVector.fromArray(S, x, t);
            e0 = FloatVector.fromArray(S, panel, r0 + t).fma(xe, e0);
            e1 = FloatVector.fromArray(S, panel, r1 + t).fma(xe, e1);
            e2 = FloatVector.fromArray(S, panel, r2 + t).fma(xe, e2);
            e3 = FloatVector.fromArray(S, panel, r3 + t).fma(xe, e3);
        }
        if (whole < k) {
            VectorMask<Float> tail = S.indexInRange(whole, k); // made here: a mask argument is boxed if C2 declines the call
            FloatVector xt = FloatVector.fromArray(S, x, whole, tail);
            d0 = FloatVector.fromArray(S, panel, r0 + whole, tail).fma(xt, d0);
            d1 = FloatVector.fromArray(S, panel, r1 + whole, tail).fma(xt, d1);
            d2 = FloatVector.fromArray(S, panel, r2 + whole, tail).fma(xt, d2);
            d3 = FloatVector.fromArray(S, panel, r3 + whole, tail).fma(xt, d3);
        }
        // sumLanes written out: a vector argument is boxed whenever C2 declines the call.
        FloatVector l0 = e0.add(d0);
        FloatVector l1 = e1.add(d1);
        FloatVector l2 = e2.add(d2);
        FloatVector l3 = e3.add(d3);
        if (L > 8) {
            l0 = l0.add(l0.rearrange(ROT8));
            l1 = l1.add(l1.rearrange(ROT8));
            l2 = l2.add(l2.rearrange(ROT8));
            l3 = l3.add(l3.rearrange(ROT8));
        }
        if (L > 4) {
            l0 = l0.add(l0.rearrange(ROT4));
            l1 = l1.add(l1.rearrange(ROT4));
            l2 = l2.add(l2.rearrange(ROT4));
            l3 = l3.add(l3.rearrange(ROT4));
        }
        if (L > 2) {
            l0 = l0.add(l0.rearrange(ROT2));
            l1 = l1.add(l1.rearrange(ROT2));
            l2 = l2.add(l2.rearrange(ROT2));
            l3 = l3.add(l3.rearrange(ROT2));
        }
        sums[0] = l0.add(l0.rearrange(ROT1)).lane(0);
        sums[1] = l1.add(l1.rearrange(ROT1)).lane(0);
        sums[2] = l2.add(l2.rearrange(ROT1)).lane(0);
        sums[3] = l3.add(l3.rearrange(ROT1)).lane(0);
    }

    /** dotFour for one row. */
    private static float dotOne(float[] panel, int r, int k, float[] x, int whole) {
        FloatVector ev = FloatVector.zero(S);
        FloatVector dv = ev;
        int t = 0;
        for (; t + 2 * L <= whole; t += 2 * L) {
            ev = FloatVector.fromArray(S, panel, r + t).fma(FloatVector.fromArray(S, x, t), ev);
            dv = FloatVector.fromArray(S, panel, r + t + L).fma(FloatVector.fromArray(S, x, t + L), dv);
        }
        if (t < whole) {
            ev = FloatVector.fromArray(S, panel, r + t).fma(FloatVector.fromArray(S, x, t), ev);
        }
        if (whole < k) {
            VectorMask<Float> tail = S.indexInRange(whole, k); // made here: a mask argument is boxed if C2 declines the call
            dv = FloatVector.fromArray(S, panel, r + whole, tail).fma(FloatVector.fromArray(S, x, whole, tail), dv);
        }
        FloatVector lanes = ev.add(dv);
        lanes = L > 8 ? lanes.add(lanes.rearrange(ROT8)) : lanes; // sumLanes, written out
        lanes = L > 4 ? lanes.add(lanes.rearrange(ROT4)) : lanes;
        lanes = L > 2 ? lanes.add(lanes.rearrange(ROT2)) : lanes;
        return lanes.add(lanes.rearrange(ROT1)).lane(0);
    }

    @Override
    public void panelCombine(float[] panel, int n, int k, float[] coef, float[] out) {
        int whole = k - k % L;
        int e = 0;
        for (; e + 4 <= n; e += 4) {
            addFourRows(panel, e * k, coef[e], coef[e + 1], coef[e + 2], coef[e + 3], k, out, whole);
        }
        for (; e < n; e++) {
            addRow(panel, e * k, coef[e], k, out, whole);
        }
    }

    /** out[0..k) += c0·row0 + c1·row1 + c2·row2 + c3·row3 for four consecutive panel rows from r0, in that order. */
    private static void addFourRows(float[] panel, int r0, float c0, float c1, float c2, float c3, int k, float[] out,
                                    int whole) {
        FloatVector v0 = FloatVector.broadcast(S, c0);
        FloatVector v1 = FloatVector.broadcast(S, c1);
        FloatVector v2 = FloatVector.broadcast(S, c2);
        FloatVector v3 = FloatVector.broadcast(S, c3);
        int r1 = r0 + k;
        int r2 = r1 + k;
        int r3 = r2 + k;
        int t = 0;
        for (; t < whole; t += L) {
            FloatVector o = FloatVector.fromArray(S, out, t);
            o = FloatVector.fromArray(S, panel, r0 + t).fma(v0, o);
            o = FloatVector.fromArray(S, panel, r1 + t).fma(v1, o);
            o = FloatVector.fromArray(S, panel, r2 + t).fma(v2, o);
            o = FloatVector.fromArray(S, panel, r3 + t).fma(v3, o);
            o.intoArray(out, t);
        }
        if (whole < k) {
            VectorMask<Float> tail = S.indexInRange(whole, k); // made here: a mask argument is boxed if C2 declines the call
            FloatVector o = FloatVector.fromArray(S, out, whole, tail);
            o = FloatVector.fromArray(S, panel, r0 + whole, tail).fma(v0, o);
            o = FloatVector.fromArray(S, panel, r1 + whole, tail).fma(v1, o);
            o = FloatVector.fromArray(S, panel, r2 + whole, tail).fma(v2, o);
            o = FloatVector.fromArray(S, panel, r3 + whole, tail).fma(v3, o);
            o.intoArray(out, whole, tail);
        }
    }

    private static void addRow(float[] panel, int r, float c, int k, float[] out, int whole) {
        FloatVector v = FloatVector.broadcast(S, c);
        int t = 0;
        for (; t < whole; t += L) {
            FloatVector.fromArray(S, panel, r + t).fma(v, FloatVector.fromArray(S, out, t)).intoArray(out, t);
        }
        if (whole < k) {
            VectorMask<Float> tail = S.indexInRange(whole, k); // made here: a mask argument is boxed if C2 declines the call
            FloatVector.fromArray(S, panel, r + whole, tail).fma(v, FloatVector.fromArray(S, out, whole, tail))
                    .intoArray(out, whole, tail);
        }
    }

    @Override
    public double sgdPass(float[] u, float[] v, int rank, int[] users, int[] items, float[] values, int from, int to,
                          float[] userBias, float[] itemBias, float mu, float rate, float factorShrink, float biasShrink) {
        // Heap arrays, not segments: each rating stores two rows, and after a store into off-heap memory
        // C2 must reload a segment's bounds and liveness before the next access; an array's are fixed.
        // The pass ran about 2x faster this way (docs/solvers.md). dot and the update follow dot(segment)
        // and sgdUpdate lane for lane, so the bits equal those of the per-rating kernels.
        if (rank == 8 * L) {
            return sgdPassEightVectors(u, v, users, items, values, from, to, userBias, itemBias, mu, rate,
                    factorShrink, biasShrink);
        }
        double sum = 0;
        for (int t = from; t < to; t++) {
            int i = users[t];
            int j = items[t];
            int uo = i * rank;
            int vo = j * rank;
            float prediction = dot(u, uo, v, vo, rank);
            if (userBias != null) {
                prediction += mu + userBias[i] + itemBias[j];
            }
            float e = values[t] - prediction;
            sum += (double) e * e;
            if (userBias != null) {
                userBias[i] = biasShrink * userBias[i] + rate * e;
                itemBias[j] = biasShrink * itemBias[j] + rate * e;
            }
            sgdUpdate(u, uo, v, vo, rank, rate * e, factorShrink);
        }
        return sum;
    }

    /**
     * sgdPass for rank = 8·L (64 on AVX2): while consecutive ratings share a user (Sgd sorts each block
     * by user), u_i stays in eight registers and b_i in one, so a rating loads and stores only v_j's row
     * and bias (b_i kept in memory puts a store and its reload on every rating's path: about 10% slower in
     * a probe with the rows in L1, within the noise of a whole epoch). Each operation is the one
     * {@link #dot(float[], int, float[], int, int)} and {@link #sgdUpdate(float[], int, float[], int, int,
     * float, float)} perform, in the same order, so the bits are the same as the general loop's.
     */
    private static double sgdPassEightVectors(float[] u, float[] v, int[] users, int[] items, float[] values, int from,
                                              int to, float[] userBias, float[] itemBias, float mu, float rate,
                                              float factorShrink, float biasShrink) {
        final int rank = 8 * L;
        FloatVector zero = FloatVector.zero(S);
        double sum = 0;
        int t = from;
        while (t < to) {
            int i = users[t];
            int uo = i * rank;
            FloatVector u0 = FloatVector.fromArray(S, u, uo);
            FloatVector u1 = FloatVector.fromArray(S, u, uo + L);
            FloatVector u2 = FloatVector.fromArray(S, u, uo + 2 * L);
            FloatVector u3 = FloatVector.fromArray(S, u, uo + 3 * L);
            FloatVector u4 = FloatVector.fromArray(S, u, uo + 4 * L);
            FloatVector u5 = FloatVector.fromArray(S, u, uo + 5 * L);
            FloatVector u6 = FloatVector.fromArray(S, u, uo + 6 * L);
            FloatVector u7 = FloatVector.fromArray(S, u, uo + 7 * L);
            float ub = userBias == null ? 0f : userBias[i];
            for (; t < to && users[t] == i; t++) {
                int j = items[t];
                int vo = j * rank;
                FloatVector v0 = FloatVector.fromArray(S, v, vo);
                FloatVector v1 = FloatVector.fromArray(S, v, vo + L);
                FloatVector v2 = FloatVector.fromArray(S, v, vo + 2 * L);
                FloatVector v3 = FloatVector.fromArray(S, v, vo + 3 * L);
                FloatVector v4 = FloatVector.fromArray(S, v, vo + 4 * L);
                FloatVector v5 = FloatVector.fromArray(S, v, vo + 5 * L);
                FloatVector v6 = FloatVector.fromArray(S, v, vo + 6 * L);
                FloatVector v7 = FloatVector.fromArray(S, v, vo + 7 * L);
                FloatVector s0 = u4.fma(v4, u0.fma(v0, zero));
                FloatVector s1 = u5.fma(v5, u1.fma(v1, zero));
                FloatVector s2 = u6.fma(v6, u2.fma(v2, zero));
                FloatVector s3 = u7.fma(v7, u3.fma(v3, zero));
                FloatVector lanes = s0.add(s1).add(s2.add(s3));
                lanes = L > 8 ? lanes.add(lanes.rearrange(ROT8)) : lanes; // sumLanes, written out
                lanes = L > 4 ? lanes.add(lanes.rearrange(ROT4)) : lanes;
                lanes = L > 2 ? lanes.add(lanes.rearrange(ROT2)) : lanes;
                float prediction = lanes.add(lanes.rearrange(ROT1)).lane(0);
                if (userBias != null) {
                    prediction += mu + ub + itemBias[j];
                }
                float e = values[t] - prediction;
                sum += (double) e * e;
                if (userBias != null) {
                    ub = biasShrink * ub + rate * e;
                    itemBias[j] = biasShrink * itemBias[j] + rate * e;
                }
                FloatVector a = FloatVector.broadcast(S, rate * e);
                // v_j from the old u_i first, then u_i (sgdUpdate's two results).
                u0.fma(a, v0.mul(factorShrink)).intoArray(v, vo);
                u0 = v0.fma(a, u0.mul(factorShrink));
                u1.fma(a, v1.mul(factorShrink)).intoArray(v, vo + L);
                u1 = v1.fma(a, u1.mul(factorShrink));
                u2.fma(a, v2.mul(factorShrink)).intoArray(v, vo + 2 * L);
                u2 = v2.fma(a, u2.mul(factorShrink));
                u3.fma(a, v3.mul(factorShrink)).intoArray(v, vo + 3 * L);
                u3 = v3.fma(a, u3.mul(factorShrink));
                u4.fma(a, v4.mul(factorShrink)).intoArray(v, vo + 4 * L);
                u4 = v4.fma(a, u4.mul(factorShrink));
                u5.fma(a, v5.mul(factorShrink)).intoArray(v, vo + 5 * L);
                u5 = v5.fma(a, u5.mul(factorShrink));
                u6.fma(a, v6.mul(factorShrink)).intoArray(v, vo + 6 * L);
                u6 = v6.fma(a, u6.mul(factorShrink));
                u7.fma(a, v7.mul(factorShrink)).intoArray(v, vo + 7 * L);
                u7 = v7.fma(a, u7.mul(factorShrink));
            }
            u0.intoArray(u, uo);
            u1.intoArray(u, uo + L);
            u2.intoArray(u, uo + 2 * L);
            u3.intoArray(u, uo + 3 * L);
            u4.intoArray(u, uo + 4 * L);
            u5.intoArray(u, uo + 5 * L);
            u6.intoArray(u, uo + 6 * L);
            u7.intoArray(u, uo + 7 * L);
            if (userBias != null) {
                userBias[i] = ub;
            }
        }
        return sum;
    }

    /** {@link #dot(MemorySegment, long, MemorySegment, long, int)} over arrays, with the same order of sums. */
    private static float dot(float[] x, int xo, float[] y, int yo, int n) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int t = 0;
        for (; t <= n - 4 * L; t += 4 * L) {
            s0 = FloatVector.fromArray(S, x, xo + t).fma(FloatVector.fromArray(S, y, yo + t), s0);
            s1 = FloatVector.fromArray(S, x, xo + t + L).fma(FloatVector.fromArray(S, y, yo + t + L), s1);
            s2 = FloatVector.fromArray(S, x, xo + t + 2 * L).fma(FloatVector.fromArray(S, y, yo + t + 2 * L), s2);
            s3 = FloatVector.fromArray(S, x, xo + t + 3 * L).fma(FloatVector.fromArray(S, y, yo + t + 3 * L), s3);
        }
        for (; t <= n - L; t += L) {
            s0 = FloatVector.fromArray(S, x, xo + t).fma(FloatVector.fromArray(S, y, yo + t), s0);
        }
        if (t < n) {
            VectorMask<Float> m = S.indexInRange(t, n);
            s1 = FloatVector.fromArray(S, x, xo + t, m).fma(FloatVector.fromArray(S, y, yo + t, m), s1);
        }
        FloatVector lanes = s0.add(s1).add(s2.add(s3));
        lanes = L > 8 ? lanes.add(lanes.rearrange(ROT8)) : lanes; // sumLanes, written out
        lanes = L > 4 ? lanes.add(lanes.rearrange(ROT4)) : lanes;
        lanes = L > 2 ? lanes.add(lanes.rearrange(ROT2)) : lanes;
        return lanes.add(lanes.rearrange(ROT1)).lane(0);
    }

    /** {@link #sgdUpdate(MemorySegment, long, MemorySegment, long, int, float, float)} over arrays. */
    private static void sgdUpdate(float[] u, int uo, float[] v, int vo, int n, float step, float shrink) {
        FloatVector a = FloatVector.broadcast(S, step);
        int t = 0;
        for (; t <= n - L; t += L) {
            FloatVector ut = FloatVector.fromArray(S, u, uo + t);
            FloatVector vt = FloatVector.fromArray(S, v, vo + t);
            vt.fma(a, ut.mul(shrink)).intoArray(u, uo + t);
            ut.fma(a, vt.mul(shrink)).intoArray(v, vo + t);
        }
        if (t < n) {
            VectorMask<Float> m = S.indexInRange(t, n);
            FloatVector ut = FloatVector.fromArray(S, u, uo + t, m);
            FloatVector vt = FloatVector.fromArray(S, v, vo + t, m);
            vt.fma(a, ut.mul(shrink)).intoArray(u, uo + t, m);
            ut.fma(a, vt.mul(shrink)).intoArray(v, vo + t, m);
        }
    }

    /*
     * SpMM: C's row i is Σ_p a_ip·B[col_p, :]. Four vectors of C's row (4·L columns) stay in registers
     * while the row's nonzeros stream past: four independent FMA chains cover the FMA latency, and every
     * B row is read in full cache lines. Whole chunks use plain loads; only the last chunk of a row whose
     * length is not a multiple of 4·L pays for masks. Nonzeros are summed in storage order in every case.
     */
    @Override
    public void spmm(float alpha, CsrMatrix a, DenseMatrix b, float beta, DenseMatrix c, int rowStart, int rowEnd) {
        MemorySegment offsets = a.rowOffsets();
        MemorySegment cols = a.columnIndices();
        MemorySegment vals = a.values();
        MemorySegment bs = b.segment();
        MemorySegment cs = c.segment();
        int k = b.cols();
        long bRowBytes = (long) b.rowStride() * Float.BYTES;
        int full = k - k % (4 * L);
        for (int i = rowStart; i < rowEnd; i++) {
            long start = offsets.getAtIndex(JAVA_LONG, i);
            long end = offsets.getAtIndex(JAVA_LONG, i + 1L);
            long co = c.offset(i, 0);
            for (int j = 0; j < full; j += 4 * L) {
                FloatVector acc0 = FloatVector.zero(S), acc1 = acc0, acc2 = acc0, acc3 = acc0;
                long jb = (long) j * Float.BYTES;
                for (long p = start; p < end; p++) {
                    FloatVector av = FloatVector.broadcast(S, vals.getAtIndex(JAVA_FLOAT, p));
                    long bo = cols.getAtIndex(JAVA_INT, p) * bRowBytes + jb;
                    acc0 = fromMemorySegment(S, bs, bo, ORDER).fma(av, acc0);
                    acc1 = fromMemorySegment(S, bs, bo + L * 4L, ORDER).fma(av, acc1);
                    acc2 = fromMemorySegment(S, bs, bo + L * 8L, ORDER).fma(av, acc2);
                    acc3 = fromMemorySegment(S, bs, bo + L * 12L, ORDER).fma(av, acc3);
                }
                storeFull(cs, co + jb, acc0, alpha, beta);
                storeFull(cs, co + jb + L * 4L, acc1, alpha, beta);
                storeFull(cs, co + jb + L * 8L, acc2, alpha, beta);
                storeFull(cs, co + jb + L * 12L, acc3, alpha, beta);
            }
            int j = full;
            if (k - j >= 2 * L) {
                // k = 16 on AVX2 lands here: two chains, still without masks.
                FloatVector acc0 = FloatVector.zero(S), acc1 = acc0;
                long jb = (long) j * Float.BYTES;
                for (long p = start; p < end; p++) {
                    FloatVector av = FloatVector.broadcast(S, vals.getAtIndex(JAVA_FLOAT, p));
                    long bo = cols.getAtIndex(JAVA_INT, p) * bRowBytes + jb;
                    acc0 = fromMemorySegment(S, bs, bo, ORDER).fma(av, acc0);
                    acc1 = fromMemorySegment(S, bs, bo + L * 4L, ORDER).fma(av, acc1);
                }
                storeFull(cs, co + jb, acc0, alpha, beta);
                storeFull(cs, co + jb + L * 4L, acc1, alpha, beta);
                j += 2 * L;
            }
            for (; j < k; j += L) {
                VectorMask<Float> m = S.indexInRange(j, k);
                FloatVector acc = FloatVector.zero(S);
                long jb = (long) j * Float.BYTES;
                for (long p = start; p < end; p++) {
                    FloatVector av = FloatVector.broadcast(S, vals.getAtIndex(JAVA_FLOAT, p));
                    acc = fromMemorySegment(S, bs, cols.getAtIndex(JAVA_INT, p) * bRowBytes + jb, ORDER, m).fma(av, acc);
                }
                storeMasked(cs, co + jb, acc, alpha, beta, m);
            }
        }
    }

    private static void storeFull(MemorySegment cs, long offset, FloatVector acc, float alpha, float beta) {
        FloatVector out = acc.mul(alpha);
        if (beta != 0f) {
            out = fromMemorySegment(S, cs, offset, ORDER).fma(FloatVector.broadcast(S, beta), out);
        }
        out.intoMemorySegment(cs, offset, ORDER);
    }

    private static void storeMasked(MemorySegment cs, long offset, FloatVector acc, float alpha, float beta,
                                    VectorMask<Float> m) {
        FloatVector out = acc.mul(alpha);
        if (beta != 0f) {
            out = fromMemorySegment(S, cs, offset, ORDER, m).fma(FloatVector.broadcast(S, beta), out);
        }
        out.intoMemorySegment(cs, offset, ORDER, m);
    }

    /*
     * SDDMM: out_p = u_i·v_{col_p}. For k ≤ 8·L the row u_i is loaded into registers once per row (up to
     * 8 vectors + 2 partial sums + 1 load fit 16 registers) and each nonzero costs only its V row's loads,
     * the FMAs and one lane reduction; longer rows use the general dot. A given k always takes the same
     * path with the same summation order, so every entry is the same whatever block computes it.
     */
    @Override
    public void sddmm(CsrMatrix pattern, DenseMatrix u, DenseMatrix v, MemorySegment outValues, long outBase,
                      int rowStart, int rowEnd) {
        MemorySegment offsets = pattern.rowOffsets();
        MemorySegment cols = pattern.columnIndices();
        MemorySegment us = u.segment();
        MemorySegment vs = v.segment();
        int k = u.cols();
        long vRowBytes = (long) v.rowStride() * Float.BYTES;
        if (k == 0) {
            for (int i = rowStart; i < rowEnd; i++) {
                long end = offsets.getAtIndex(JAVA_LONG, i + 1L);
                for (long p = offsets.getAtIndex(JAVA_LONG, i); p < end; p++) {
                    outValues.setAtIndex(JAVA_FLOAT, p - outBase, 0f);
                }
            }
            return;
        }
        // Chunks of up to 8 whole vectors, then the masked tail; past the first, each chunk's partial sum
        // is added to out in chunk order.
        int whole = k / L;
        for (int c0 = 0; c0 < whole; c0 += 8) {
            sddmmWhole(offsets, cols, us, u, vs, vRowBytes, outValues, outBase, c0 * L, Math.min(8, whole - c0),
                    c0 > 0, rowStart, rowEnd);
        }
        if (k % L != 0) {
            sddmmTail(offsets, cols, us, u, vs, vRowBytes, outValues, outBase, whole * L, k, whole > 0, rowStart,
                    rowEnd);
        }
    }

    /**
     * Columns [j0, j0 + vectors·L) of every dot, vectors ≤ 8, with plain loads (a masked load costs extra
     * µops even with every lane on); {@code accumulate} adds to out instead of overwriting it.
     */
    private static void sddmmWhole(MemorySegment offsets, MemorySegment cols, MemorySegment us, DenseMatrix u,
                                   MemorySegment vs, long vRowBytes, MemorySegment outValues, long outBase, int j0,
                                   int vectors, boolean accumulate, int rowStart, int rowEnd) {
        FloatVector zero = FloatVector.zero(S);
        for (int i = rowStart; i < rowEnd; i++) {
            long start = offsets.getAtIndex(JAVA_LONG, i);
            long end = offsets.getAtIndex(JAVA_LONG, i + 1L);
            if (start == end) {
                continue;
            }
            long uo = u.offset(i, j0);
            FloatVector u0 = fromMemorySegment(S, us, uo, ORDER);
            FloatVector u1 = vectors > 1 ? fromMemorySegment(S, us, uo + L * 4L, ORDER) : zero;
            FloatVector u2 = vectors > 2 ? fromMemorySegment(S, us, uo + L * 8L, ORDER) : zero;
            FloatVector u3 = vectors > 3 ? fromMemorySegment(S, us, uo + L * 12L, ORDER) : zero;
            FloatVector u4 = vectors > 4 ? fromMemorySegment(S, us, uo + L * 16L, ORDER) : zero;
            FloatVector u5 = vectors > 5 ? fromMemorySegment(S, us, uo + L * 20L, ORDER) : zero;
            FloatVector u6 = vectors > 6 ? fromMemorySegment(S, us, uo + L * 24L, ORDER) : zero;
            FloatVector u7 = vectors > 7 ? fromMemorySegment(S, us, uo + L * 28L, ORDER) : zero;
            long jb = (long) j0 * Float.BYTES;
            for (long p = start; p < end; p++) {
                long vo = cols.getAtIndex(JAVA_INT, p) * vRowBytes + jb;
                // Two partial sums: even and odd vectors, so consecutive FMAs do not wait on each other.
                FloatVector s0 = fromMemorySegment(S, vs, vo, ORDER).mul(u0);
                FloatVector s1 = zero;
                if (vectors > 1) s1 = fromMemorySegment(S, vs, vo + L * 4L, ORDER).mul(u1);
                if (vectors > 2) s0 = fromMemorySegment(S, vs, vo + L * 8L, ORDER).fma(u2, s0);
                if (vectors > 3) s1 = fromMemorySegment(S, vs, vo + L * 12L, ORDER).fma(u3, s1);
                if (vectors > 4) s0 = fromMemorySegment(S, vs, vo + L * 16L, ORDER).fma(u4, s0);
                if (vectors > 5) s1 = fromMemorySegment(S, vs, vo + L * 20L, ORDER).fma(u5, s1);
                if (vectors > 6) s0 = fromMemorySegment(S, vs, vo + L * 24L, ORDER).fma(u6, s0);
                if (vectors > 7) s1 = fromMemorySegment(S, vs, vo + L * 28L, ORDER).fma(u7, s1);
                FloatVector lanes = s0.add(s1);
                lanes = L > 8 ? lanes.add(lanes.rearrange(ROT8)) : lanes; // sumLanes, written out
                lanes = L > 4 ? lanes.add(lanes.rearrange(ROT4)) : lanes;
                lanes = L > 2 ? lanes.add(lanes.rearrange(ROT2)) : lanes;
                float dot = lanes.add(lanes.rearrange(ROT1)).lane(0);
                outValues.setAtIndex(JAVA_FLOAT, p - outBase, accumulate ? outValues.getAtIndex(JAVA_FLOAT, p - outBase) + dot : dot);
            }
        }
    }

    /**
     * Columns [j0, k) of every dot, fewer than L, with masked loads (lanes past k read nothing: a wrapped
     * matrix's row padding may hold anything). A separate pass so the whole-vector loop stays mask-free.
     */
    private static void sddmmTail(MemorySegment offsets, MemorySegment cols, MemorySegment us, DenseMatrix u,
                                  MemorySegment vs, long vRowBytes, MemorySegment outValues, long outBase, int j0,
                                  int k, boolean accumulate, int rowStart, int rowEnd) {
        VectorMask<Float> mask = S.indexInRange(j0, k);
        long jb = (long) j0 * Float.BYTES;
        for (int i = rowStart; i < rowEnd; i++) {
            long start = offsets.getAtIndex(JAVA_LONG, i);
            long end = offsets.getAtIndex(JAVA_LONG, i + 1L);
            if (start == end) {
                continue;
            }
            FloatVector ui = fromMemorySegment(S, us, u.offset(i, j0), ORDER, mask);
            for (long p = start; p < end; p++) {
                long vo = cols.getAtIndex(JAVA_INT, p) * vRowBytes + jb;
                FloatVector lanes = fromMemorySegment(S, vs, vo, ORDER, mask).mul(ui);
                lanes = L > 8 ? lanes.add(lanes.rearrange(ROT8)) : lanes; // sumLanes, written out
                lanes = L > 4 ? lanes.add(lanes.rearrange(ROT4)) : lanes;
                lanes = L > 2 ? lanes.add(lanes.rearrange(ROT2)) : lanes;
                float dot = lanes.add(lanes.rearrange(ROT1)).lane(0);
                outValues.setAtIndex(JAVA_FLOAT, p - outBase, accumulate ? outValues.getAtIndex(JAVA_FLOAT, p - outBase) + dot : dot);
            }
        }
    }

    /*
     * Masked squared loss on a dense A, vectorised over columns j (not over k: for seed 000's k = 3 a
     * k-wide vector would leave most lanes empty). Per row i and strip of STRIP columns:
     *   1. s[j] = Σ_f u_if·Vᵀ[f, j] into a per-thread array (f = 0 a multiply, then FMAs, f in order);
     *   2. one pass over A's strip: residual, mask, loss lanes, d (and e with biases) into arrays;
     *   3. per f: the ∇u_if lanes += Vᵀ[f, j]·d[j] (one vector accumulator per f, kept in an array across
     *      strips), and partial[f, j] += d[j]·u_if.
     * Columns are cut into tiles sized so that Vᵀ and the partial for one tile stay in L2 while the block's
     * rows stream past; ∇u_i gets one sumLanes per tile, added in tile order. Strips and tiles depend only
     * on n and k, so every output is summed the same way whatever rows a block holds. The loss lanes are
     * reduced into the double result once per strip (≤ STRIP/L float additions per lane before that).
     */
    private static final int STRIP = 512;
    private static final int DENSE_TILE_BYTES = 192 << 10;
    private static final ThreadLocal<float[][]> DENSE_WORK =
            ThreadLocal.withInitial(() -> new float[][] {new float[STRIP], new float[STRIP], new float[STRIP], new float[0]});

    /** Columns per tile for rank k: a multiple of STRIP (and so of L). */
    static int denseTile(int k) {
        int cols = DENSE_TILE_BYTES / (2 * Float.BYTES * (k + 1));
        return Math.max(STRIP, cols / STRIP * STRIP);
    }

    @Override
    public double maskedSquaredRows(DenseMatrix a, DenseMatrix mask, DenseMatrix u, DenseMatrix vt, float mu,
                                    DenseMatrix userBias, DenseMatrix itemBias, float weight, float lambda2,
                                    DenseMatrix gu, DenseMatrix partial, DenseMatrix userBiasGrad,
                                    int rowStart, int rowEnd) {
        int n = a.cols();
        int k = u.cols();
        boolean biases = userBias != null;
        boolean grads = gu != null;
        MemorySegment as = a.segment();
        // Under the A != 0 rule A is its own mask source: one code path, one extra load from L1.
        MemorySegment ms = mask == null ? as : mask.segment();
        MemorySegment us = u.segment();
        MemorySegment vs = vt.segment();
        MemorySegment ps = grads ? partial.segment() : null;
        MemorySegment cs = biases ? itemBias.segment() : null;
        long vtRow = (long) vt.rowStride() * Float.BYTES;
        long pRow = grads ? (long) partial.rowStride() * Float.BYTES : 0;
        long c0 = biases ? itemBias.offset(0, 0) : 0;
        float[][] work = DENSE_WORK.get();
        if (work[3].length < (k + 1) * L) {
            work[3] = new float[(k + 1) * L];
        }
        float[] sbuf = work[0];
        float[] dbuf = work[1];
        float[] ebuf = work[2];
        float[] acc = work[3];
        if (grads) {
            for (int f = 0; f < partial.rows(); f++) {
                ps.asSlice(partial.offset(f, 0), (long) n * Float.BYTES).fill((byte) 0);
            }
        }
        // Only the last strip of a row can end inside a vector (tiles and strips are multiples of L).
        int nFull = n - n % L;
        int tile = denseTile(k);
        double loss = 0;
        for (int t0 = 0; t0 < n; t0 += tile) {
            int t1 = Math.min(n, t0 + tile);
            for (int i = rowStart; i < rowEnd; i++) {
                long uo = u.offset(i, 0);
                long ao = a.offset(i, 0);
                long mo = mask == null ? ao : mask.offset(i, 0);
                float base = biases ? mu + userBias.segment().get(JAVA_FLOAT, userBias.offset(0, i)) : 0f;
                if (grads) {
                    Arrays.fill(acc, 0, (k + 1) * L, 0f);
                }
                for (int j0 = t0; j0 < t1; j0 += STRIP) {
                    int w = Math.min(STRIP, t1 - j0);
                    int full = Math.min(w, nFull - j0);
                    int rest = w - full;
                    long jb = (long) j0 * Float.BYTES;
                    if (k == 3 && grads && !biases && rest == 0) {
                        loss += stripFused3(as, ao + jb, ms, mo + jb, us, uo, vs, vtRow, jb, ps,
                                partial.offset(0, 0) + jb, pRow, full, weight, lambda2, acc);
                        continue;
                    }
                    stripPredictions(us, uo, k, vs, vtRow, jb, full, rest, sbuf);
                    loss += biases
                            ? stripResidualsBiased(as, ao + jb, ms, mo + jb, cs, c0 + jb, base, full, weight, lambda2, sbuf, dbuf, ebuf)
                            : stripResiduals(as, ao + jb, ms, mo + jb, full, weight, lambda2, sbuf, dbuf);
                    // The row's last n mod L columns one by one; d and e are 0 up to the vector's end.
                    for (int c = full; c < full + (rest > 0 ? L : 0); c++) {
                        long jo = (long) (j0 + c) * Float.BYTES;
                        float e = 0f;
                        float d = 0f;
                        if (c < w && ms.get(JAVA_FLOAT, mo + jo) != 0f) {
                            float sv = sbuf[c];
                            float x = biases ? (base + cs.get(JAVA_FLOAT, c0 + jo)) + sv : sv;
                            float r = as.get(JAVA_FLOAT, ao + jo) - x;
                            loss += (double) weight * ((double) r * r) - (double) lambda2 * ((double) sv * sv);
                            e = -2f * weight * r;
                            d = e - 2f * lambda2 * sv;
                        }
                        dbuf[c] = d;
                        ebuf[c] = e;
                    }
                    if (grads) {
                        stripGradients(us, uo, k, vs, vtRow, ps, partial.offset(0, 0), pRow, jb, full, rest, dbuf, acc);
                        if (biases) {
                            stripColumnSums(ps, partial.offset(k, 0) + jb, full, rest, ebuf, acc, k * L);
                        }
                    }
                }
                if (grads) {
                    MemorySegment gs = gu.segment();
                    for (int f = 0; f < k; f++) {
                        FloatVector lanes = FloatVector.fromArray(S, acc, f * L);
                        lanes = L > 8 ? lanes.add(lanes.rearrange(ROT8)) : lanes; // sumLanes, written out
                        lanes = L > 4 ? lanes.add(lanes.rearrange(ROT4)) : lanes;
                        lanes = L > 2 ? lanes.add(lanes.rearrange(ROT2)) : lanes;
                        float sum = lanes.add(lanes.rearrange(ROT1)).lane(0);
                        long go = gu.offset(i, f);
                        gs.set(JAVA_FLOAT, go, t0 == 0 ? sum : gs.get(JAVA_FLOAT, go) + sum);
                    }
                    if (biases) {
                        FloatVector lanes = FloatVector.fromArray(S, acc, k * L);
                        lanes = L > 8 ? lanes.add(lanes.rearrange(ROT8)) : lanes; // sumLanes, written out
                        lanes = L > 4 ? lanes.add(lanes.rearrange(ROT4)) : lanes;
                        lanes = L > 2 ? lanes.add(lanes.rearrange(ROT2)) : lanes;
                        float sum = lanes.add(lanes.rearrange(ROT1)).lane(0);
                        MemorySegment bs = userBiasGrad.segment();
                        long bo = userBiasGrad.offset(0, i);
                        bs.set(JAVA_FLOAT, bo, t0 == 0 ? sum : bs.get(JAVA_FLOAT, bo) + sum);
                    }
                }
            }
        }
        return loss;
    }

    /*
     * The passes are separate small methods on purpose: in one large method C2 ran out of inlining budget,
     * left vector loads as calls and boxed every vector (about 30× slower). No vector crosses a call.
     */

    /**
     * Seed 000's k = 3 without biases, one pass per strip: the three steps above fused so that s, d and
     * the ∇u accumulators stay in registers (no strip arrays). Every operation is the one the separate
     * passes do, in the same order, so a strip gives the same bits either way.
     */
    private static double stripFused3(MemorySegment as, long ao, MemorySegment ms, long mo, MemorySegment us, long uo,
                                      MemorySegment vs, long vtRow, long jb, MemorySegment ps, long po, long pRow,
                                      int full, float weight, float lambda2, float[] acc) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector minus2w = FloatVector.broadcast(S, -2f * weight);
        FloatVector twoL2 = FloatVector.broadcast(S, 2f * lambda2);
        FloatVector u0 = FloatVector.broadcast(S, us.get(JAVA_FLOAT, uo));
        FloatVector u1 = FloatVector.broadcast(S, us.get(JAVA_FLOAT, uo + Float.BYTES));
        FloatVector u2 = FloatVector.broadcast(S, us.get(JAVA_FLOAT, uo + 2L * Float.BYTES));
        FloatVector g0 = FloatVector.fromArray(S, acc, 0);
        FloatVector g1 = FloatVector.fromArray(S, acc, L);
        FloatVector g2 = FloatVector.fromArray(S, acc, 2 * L);
        FloatVector lr = zero;
        FloatVector ls = zero;
        long v1 = vtRow + jb;
        long v2 = 2 * vtRow + jb;
        long p1 = po + pRow;
        long p2 = po + 2 * pRow;
        for (int c = 0; c < full; c += L) {
            long cb = (long) c * Float.BYTES;
            FloatVector x0 = fromMemorySegment(S, vs, jb + cb, ORDER);
            FloatVector x1 = fromMemorySegment(S, vs, v1 + cb, ORDER);
            FloatVector x2 = fromMemorySegment(S, vs, v2 + cb, ORDER);
            FloatVector sv = x2.fma(u2, x1.fma(u1, x0.mul(u0)));
            VectorMask<Float> obs = fromMemorySegment(S, ms, mo + cb, ORDER).compare(VectorOperators.NE, 0f);
            FloatVector r = zero.blend(fromMemorySegment(S, as, ao + cb, ORDER).sub(sv), obs);
            FloatVector sm = zero.blend(sv, obs);
            lr = r.fma(r, lr);
            ls = sm.fma(sm, ls);
            FloatVector d = r.mul(minus2w).sub(sm.mul(twoL2));
            g0 = x0.fma(d, g0);
            g1 = x1.fma(d, g1);
            g2 = x2.fma(d, g2);
            d.fma(u0, fromMemorySegment(S, ps, po + cb, ORDER)).intoMemorySegment(ps, po + cb, ORDER);
            d.fma(u1, fromMemorySegment(S, ps, p1 + cb, ORDER)).intoMemorySegment(ps, p1 + cb, ORDER);
            d.fma(u2, fromMemorySegment(S, ps, p2 + cb, ORDER)).intoMemorySegment(ps, p2 + cb, ORDER);
        }
        g0.intoArray(acc, 0);
        g1.intoArray(acc, L);
        g2.intoArray(acc, 2 * L);
        return (double) weight * sumLanes(lr) - (double) lambda2 * sumLanes(ls);
    }

    /** sbuf[c] = Σ_f u_f·Vᵀ[f, j0 + c] over the strip's whole vectors, plus the masked last one when rest > 0. */
    private static void stripPredictions(MemorySegment us, long uo, int k, MemorySegment vs, long vtRow, long jb,
                                         int full, int rest, float[] sbuf) {
        if (k == 0) {
            Arrays.fill(sbuf, 0, full + (rest > 0 ? L : 0), 0f);
            return;
        }
        VectorMask<Float> tail = S.indexInRange(0, rest);
        FloatVector u0 = FloatVector.broadcast(S, us.get(JAVA_FLOAT, uo));
        for (int c = 0; c < full; c += L) {
            fromMemorySegment(S, vs, jb + (long) c * Float.BYTES, ORDER).mul(u0).intoArray(sbuf, c);
        }
        if (rest > 0) {
            fromMemorySegment(S, vs, jb + (long) full * Float.BYTES, ORDER, tail).mul(u0).intoArray(sbuf, full);
        }
        for (int f = 1; f < k; f++) {
            FloatVector uf = FloatVector.broadcast(S, us.get(JAVA_FLOAT, uo + (long) f * Float.BYTES));
            long vo = f * vtRow + jb;
            for (int c = 0; c < full; c += L) {
                fromMemorySegment(S, vs, vo + (long) c * Float.BYTES, ORDER).fma(uf, FloatVector.fromArray(S, sbuf, c))
                        .intoArray(sbuf, c);
            }
            if (rest > 0) {
                fromMemorySegment(S, vs, vo + (long) full * Float.BYTES, ORDER, tail)
                        .fma(uf, FloatVector.fromArray(S, sbuf, full)).intoArray(sbuf, full);
            }
        }
    }

    /** Whole vectors of one strip without biases: d into dbuf; returns the strip's loss. */
    private static double stripResiduals(MemorySegment as, long ao, MemorySegment ms, long mo, int full, float weight,
                                         float lambda2, float[] sbuf, float[] dbuf) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector minus2w = FloatVector.broadcast(S, -2f * weight);
        FloatVector twoL2 = FloatVector.broadcast(S, 2f * lambda2);
        FloatVector lr = zero;
        FloatVector ls = zero;
        for (int c = 0; c < full; c += L) {
            long off = (long) c * Float.BYTES;
            VectorMask<Float> obs = fromMemorySegment(S, ms, mo + off, ORDER).compare(VectorOperators.NE, 0f);
            FloatVector sv = FloatVector.fromArray(S, sbuf, c);
            FloatVector r = zero.blend(fromMemorySegment(S, as, ao + off, ORDER).sub(sv), obs);
            FloatVector sm = zero.blend(sv, obs);
            lr = r.fma(r, lr);
            ls = sm.fma(sm, ls);
            r.mul(minus2w).sub(sm.mul(twoL2)).intoArray(dbuf, c);
        }
        return (double) weight * sumLanes(lr) - (double) lambda2 * sumLanes(ls);
    }

    /** The same with x = (base + c_j) + s: also e (the bias derivative) into ebuf. */
    private static double stripResidualsBiased(MemorySegment as, long ao, MemorySegment ms, long mo, MemorySegment cs,
                                               long co, float baseValue, int full, float weight, float lambda2,
                                               float[] sbuf, float[] dbuf, float[] ebuf) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector minus2w = FloatVector.broadcast(S, -2f * weight);
        FloatVector twoL2 = FloatVector.broadcast(S, 2f * lambda2);
        FloatVector base = FloatVector.broadcast(S, baseValue);
        FloatVector lr = zero;
        FloatVector ls = zero;
        for (int c = 0; c < full; c += L) {
            long off = (long) c * Float.BYTES;
            VectorMask<Float> obs = fromMemorySegment(S, ms, mo + off, ORDER).compare(VectorOperators.NE, 0f);
            FloatVector sv = FloatVector.fromArray(S, sbuf, c);
            FloatVector x = base.add(fromMemorySegment(S, cs, co + off, ORDER)).add(sv);
            FloatVector r = zero.blend(fromMemorySegment(S, as, ao + off, ORDER).sub(x), obs);
            FloatVector sm = zero.blend(sv, obs);
            lr = r.fma(r, lr);
            ls = sm.fma(sm, ls);
            FloatVector e = r.mul(minus2w);
            e.sub(sm.mul(twoL2)).intoArray(dbuf, c);
            e.intoArray(ebuf, c);
        }
        return (double) weight * sumLanes(lr) - (double) lambda2 * sumLanes(ls);
    }

    /** Per f: acc[f·L..] += Vᵀ[f, strip]·d lanewise, and partial[f, strip] += d·u_f. */
    private static void stripGradients(MemorySegment us, long uo, int k, MemorySegment vs, long vtRow, MemorySegment ps,
                                       long p0, long pRow, long jb, int full, int rest, float[] dbuf, float[] acc) {
        VectorMask<Float> tail = S.indexInRange(0, rest);
        for (int f = 0; f < k; f++) {
            FloatVector uf = FloatVector.broadcast(S, us.get(JAVA_FLOAT, uo + (long) f * Float.BYTES));
            FloatVector g = FloatVector.fromArray(S, acc, f * L);
            long vo = f * vtRow + jb;
            long po = p0 + f * pRow + jb;
            for (int c = 0; c < full; c += L) {
                FloatVector d = FloatVector.fromArray(S, dbuf, c);
                long cb = (long) c * Float.BYTES;
                g = fromMemorySegment(S, vs, vo + cb, ORDER).fma(d, g);
                d.fma(uf, fromMemorySegment(S, ps, po + cb, ORDER)).intoMemorySegment(ps, po + cb, ORDER);
            }
            if (rest > 0) {
                FloatVector d = FloatVector.fromArray(S, dbuf, full);
                long cb = (long) full * Float.BYTES;
                g = fromMemorySegment(S, vs, vo + cb, ORDER, tail).fma(d, g);
                d.fma(uf, fromMemorySegment(S, ps, po + cb, ORDER, tail)).intoMemorySegment(ps, po + cb, ORDER, tail);
            }
            g.intoArray(acc, f * L);
        }
    }

    /** With biases: the partial's row k += e (column sums), and the row's Σ_j e lanes in acc[at..]. */
    private static void stripColumnSums(MemorySegment ps, long po, int full, int rest, float[] ebuf, float[] acc, int at) {
        FloatVector rs = FloatVector.fromArray(S, acc, at);
        for (int c = 0; c < full; c += L) {
            long cb = (long) c * Float.BYTES;
            FloatVector e = FloatVector.fromArray(S, ebuf, c);
            rs = rs.add(e);
            fromMemorySegment(S, ps, po + cb, ORDER).add(e).intoMemorySegment(ps, po + cb, ORDER);
        }
        if (rest > 0) {
            VectorMask<Float> tail = S.indexInRange(0, rest);
            long cb = (long) full * Float.BYTES;
            FloatVector e = FloatVector.fromArray(S, ebuf, full);
            rs = rs.add(e);
            fromMemorySegment(S, ps, po + cb, ORDER, tail).add(e).intoMemorySegment(ps, po + cb, ORDER, tail);
        }
        rs.intoArray(acc, at);
    }

    // Rotations by 8, 4, 2 and 1 lanes for sumLanes. Separate static finals (not an array) so C2 sees
    // constant shuffles and intrinsifies rearrange; the ones wider than the species are never used.
    private static final VectorShuffle<Float> ROT8 = VectorShuffle.iota(S, L > 8 ? 8 : 0, 1, true);
    private static final VectorShuffle<Float> ROT4 = VectorShuffle.iota(S, L > 4 ? 4 : 0, 1, true);
    private static final VectorShuffle<Float> ROT2 = VectorShuffle.iota(S, L > 2 ? 2 : 0, 1, true);
    private static final VectorShuffle<Float> ROT1 = VectorShuffle.iota(S, 1, 1, true);

    /**
     * The sum of the lanes in a fixed tree order. {@code reduceLanes(ADD)} leaves the order open, and the
     * C2 intrinsic and the interpreter's fallback do differ, so a result would depend on whether the
     * caller's thread ran the kernel before or after JIT compilation (and so on the thread count).
     *
     * <p>Per-element and per-row loops write these lines out instead of calling this method: a vector
     * argument is boxed whenever C2 declines to inline the call, which it did at random in
     * KernelAllocationTest (normalApply at k = 20 on AVX2, one 64-byte box per nonzero). What still calls
     * it runs once per strip or per call.
     */
    private static float sumLanes(FloatVector v) {
        if (L > 8) {
            v = v.add(v.rearrange(ROT8));
        }
        if (L > 4) {
            v = v.add(v.rearrange(ROT4));
        }
        if (L > 2) {
            v = v.add(v.rearrange(ROT2));
        }
        v = v.add(v.rearrange(ROT1));
        return v.lane(0);
    }



    /** Per-thread padded copy of a Cholesky system (rows of roundUp(n, L) floats). */
    private static final ThreadLocal<float[]> CHOLESKY = ThreadLocal.withInitial(() -> new float[0]);

    /*
     * The factorisation runs on a copy with rows padded to whole vectors (the padding and the lower
     * triangle start as 0), so the rank-1 update of row i covers [i − i mod L, padded end) in whole
     * vectors: no masked tail per row (masked array accesses near the end of the array are slow, and
     * they were a quarter of an ALS Cholesky iteration at rank 64, n = 65). The extra lanes left of the
     * diagonal fall in the lower triangle, which nothing reads. Each upper element gets the same FMAs in
     * the same order as a row-segment update would give it, so R and x have the same bits as before.
     */
    @Override
    public boolean choleskySolve(float[] m, float[] b, int n) {
        int stride = (n + L - 1) / L * L;
        float[] w = CHOLESKY.get();
        if (w.length < n * stride) {
            w = new float[n * stride];
            CHOLESKY.set(w);
        }
        Arrays.fill(w, 0, n * stride, 0f);
        for (int i = 0; i < n; i++) {
            System.arraycopy(m, i * n + i, w, i * stride + i, n - i);
        }
        for (int p = 0; p < n; p++) {
            int rowP = p * stride;
            float pivot = w[rowP + p];
            if (!(pivot > 0f)) {
                return false;
            }
            float r = (float) Math.sqrt(pivot);
            w[rowP + p] = r;
            scaleArray(w, rowP + p + 1, n - p - 1, 1f / r);
            for (int i = p + 1; i < n; i++) {
                rankOneRow(w, rowP, i * stride, i - i % L, stride, -w[rowP + i]);
            }
        }
        for (int p = 0; p < n; p++) {
            int rowP = p * stride;
            float z = b[p] / w[rowP + p];
            b[p] = z;
            axpyArray(-z, w, rowP + p + 1, b, p + 1, n - p - 1);
        }
        for (int i = n - 1; i >= 0; i--) {
            int rowI = i * stride;
            b[i] = (b[i] - dotArray(w, rowI + i + 1, b, i + 1, n - i - 1)) / w[rowI + i];
        }
        for (int i = 0; i < n; i++) {
            System.arraycopy(w, i * stride + i, m, i * n + i, n - i);
        }
        return true;
    }

    /** w[rowI + j] += alpha·w[rowP + j] for j in [from, to), whole vectors (from and to multiples of L). */
    private static void rankOneRow(float[] w, int rowP, int rowI, int from, int to, float alpha) {
        FloatVector a = FloatVector.broadcast(S, alpha);
        for (int j = from; j < to; j += L) {
            FloatVector.fromArray(S, w, rowP + j).fma(a, FloatVector.fromArray(S, w, rowI + j)).intoArray(w, rowI + j);
        }
    }

    /** y[yo..yo+len) += alpha·x[xo..xo+len). */
    private static void axpyArray(float alpha, float[] x, int xo, float[] y, int yo, int len) {
        FloatVector a = FloatVector.broadcast(S, alpha);
        int t = 0;
        for (; t <= len - L; t += L) {
            FloatVector.fromArray(S, x, xo + t).fma(a, FloatVector.fromArray(S, y, yo + t)).intoArray(y, yo + t);
        }
        if (t < len) {
            // One masked vector instead of a scalar loop: the trailing rows of a Cholesky are all tail.
            VectorMask<Float> m = S.indexInRange(t, len);
            FloatVector.fromArray(S, x, xo + t, m).fma(a, FloatVector.fromArray(S, y, yo + t, m)).intoArray(y, yo + t, m);
        }
    }

    private static void scaleArray(float[] x, int xo, int len, float alpha) {
        int t = 0;
        for (; t <= len - L; t += L) {
            FloatVector.fromArray(S, x, xo + t).mul(alpha).intoArray(x, xo + t);
        }
        for (; t < len; t++) {
            x[xo + t] *= alpha;
        }
    }

    private static float dotArray(float[] x, int xo, float[] y, int yo, int len) {
        FloatVector acc = FloatVector.zero(S);
        int t = 0;
        for (; t <= len - L; t += L) {
            acc = FloatVector.fromArray(S, x, xo + t).fma(FloatVector.fromArray(S, y, yo + t), acc);
        }
        FloatVector lanes = acc;
        lanes = L > 8 ? lanes.add(lanes.rearrange(ROT8)) : lanes; // sumLanes, written out
        lanes = L > 4 ? lanes.add(lanes.rearrange(ROT4)) : lanes;
        lanes = L > 2 ? lanes.add(lanes.rearrange(ROT2)) : lanes;
        float sum = lanes.add(lanes.rearrange(ROT1)).lane(0);
        for (; t < len; t++) {
            sum = Math.fma(x[xo + t], y[yo + t], sum);
        }
        return sum;
    }

    @Override
    public void sgdUpdate(MemorySegment u, long uOffset, MemorySegment v, long vOffset, int n, float step, float shrink) {
        // shrink·x + step·y as a multiply and an FMA; both rows are loaded before either is stored.
        FloatVector a = FloatVector.broadcast(S, step);
        int t = 0;
        for (; t <= n - L; t += L) {
            long uo = uOffset + (long) t * Float.BYTES;
            long vo = vOffset + (long) t * Float.BYTES;
            FloatVector ut = fromMemorySegment(S, u, uo, ORDER);
            FloatVector vt = fromMemorySegment(S, v, vo, ORDER);
            vt.fma(a, ut.mul(shrink)).intoMemorySegment(u, uo, ORDER);
            ut.fma(a, vt.mul(shrink)).intoMemorySegment(v, vo, ORDER);
        }
        if (t < n) {
            VectorMask<Float> m = S.indexInRange(t, n);
            long uo = uOffset + (long) t * Float.BYTES;
            long vo = vOffset + (long) t * Float.BYTES;
            FloatVector ut = fromMemorySegment(S, u, uo, ORDER, m);
            FloatVector vt = fromMemorySegment(S, v, vo, ORDER, m);
            vt.fma(a, ut.mul(shrink)).intoMemorySegment(u, uo, ORDER, m);
            ut.fma(a, vt.mul(shrink)).intoMemorySegment(v, vo, ORDER, m);
        }
    }
}
