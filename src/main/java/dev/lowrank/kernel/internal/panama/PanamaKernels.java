package dev.lowrank.kernel.internal.panama;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

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

    // GEMM blocking (BLIS): an MR×NR register tile, A packed in MC×KC panels, B in KC×NC panels.
    // 6 rows × 2 vectors keeps 12 accumulators + 2 B vectors + 1 broadcast within AVX2's 16 registers.
    static final int MR = 6;
    static final int NR = 2 * L;
    static final int KC = 256;
    static final int MC = 192;
    static final int NC = 1024;

    /** Per-thread packing buffers, allocated once per worker thread and reused by every call. */
    private static final ThreadLocal<float[]> PACKED_A = ThreadLocal.withInitial(() -> new float[MC * KC]);
    private static final ThreadLocal<float[]> PACKED_B = ThreadLocal.withInitial(() -> new float[KC * (NC + NR)]);

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
            s0 = load(x, xo).fma(load(y, yo), s0);
            s1 = load(x, xo + L * 4L).fma(load(y, yo + L * 4L), s1);
            s2 = load(x, xo + L * 8L).fma(load(y, yo + L * 8L), s2);
            s3 = load(x, xo + L * 12L).fma(load(y, yo + L * 12L), s3);
        }
        for (; t <= n - L; t += L) {
            s0 = load(x, xOffset + (long) t * Float.BYTES).fma(load(y, yOffset + (long) t * Float.BYTES), s0);
        }
        if (t < n) {
            VectorMask<Float> m = S.indexInRange(t, n);
            s1 = load(x, xOffset + (long) t * Float.BYTES, m).fma(load(y, yOffset + (long) t * Float.BYTES, m), s1);
        }
        return sumLanes(s0.add(s1).add(s2.add(s3)));
    }

    @Override
    public void axpy(float alpha, MemorySegment x, long xOffset, MemorySegment y, long yOffset, int n) {
        FloatVector a = FloatVector.broadcast(S, alpha);
        int t = 0;
        for (; t <= n - L; t += L) {
            long yo = yOffset + (long) t * Float.BYTES;
            load(x, xOffset + (long) t * Float.BYTES).fma(a, load(y, yo)).intoMemorySegment(y, yo, ORDER);
        }
        if (t < n) {
            VectorMask<Float> m = S.indexInRange(t, n);
            long yo = yOffset + (long) t * Float.BYTES;
            load(x, xOffset + (long) t * Float.BYTES, m).fma(a, load(y, yo, m)).intoMemorySegment(y, yo, ORDER, m);
        }
    }

    @Override
    public void scale(float alpha, MemorySegment x, long xOffset, int n) {
        int t = 0;
        for (; t <= n - L; t += L) {
            long xo = xOffset + (long) t * Float.BYTES;
            load(x, xo).mul(alpha).intoMemorySegment(x, xo, ORDER);
        }
        if (t < n) {
            VectorMask<Float> m = S.indexInRange(t, n);
            long xo = xOffset + (long) t * Float.BYTES;
            load(x, xo, m).mul(alpha).intoMemorySegment(x, xo, ORDER, m);
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
            FloatVector gt = load(g, gOffset + b);
            FloatVector mt = load(m, mOffset + b);
            FloatVector vt = load(v, vOffset + b);
            mt = mt.add(gt.sub(mt).mul(c1));
            vt = vt.add(gt.mul(gt).sub(vt).mul(c2));
            mt.intoMemorySegment(m, mOffset + b, ORDER);
            vt.intoMemorySegment(v, vOffset + b, ORDER);
            FloatVector step = mt.mul(a).div(vt.lanewise(VectorOperators.SQRT).add(eps));
            load(p, pOffset + b).sub(step).intoMemorySegment(p, pOffset + b, ORDER);
        }
        if (t < n) {
            VectorMask<Float> k = S.indexInRange(t, n);
            long b = (long) t * Float.BYTES;
            FloatVector gt = load(g, gOffset + b, k);
            FloatVector mt = load(m, mOffset + b, k);
            FloatVector vt = load(v, vOffset + b, k);
            mt = mt.add(gt.sub(mt).mul(c1));
            vt = vt.add(gt.mul(gt).sub(vt).mul(c2));
            mt.intoMemorySegment(m, mOffset + b, ORDER, k);
            vt.intoMemorySegment(v, vOffset + b, ORDER, k);
            FloatVector step = mt.mul(a).div(vt.lanewise(VectorOperators.SQRT).add(eps));
            load(p, pOffset + b, k).sub(step).intoMemorySegment(p, pOffset + b, ORDER, k);
        }
    }

    /*
     * GEMM, BLIS style. Assumptions the loops below rely on:
     * - A, B, C are row-major with row strides a.rowStride() etc. (floats); op() only changes how packing
     *   reads them, never the micro-kernel.
     * - Packed A: for each MR-row panel, kc columns of MR consecutive floats (zero-padded past the last
     *   row). Packed B: for each NR-column panel, kc rows of NR consecutive floats (zero-padded past the
     *   last column). So the micro-kernel reads both strictly sequentially.
     * - The inner dimension is consumed in KC blocks from 0 upwards in every tile, so an element of C is
     *   summed in the same order whatever tile or thread computes it.
     */
    @Override
    public void gemm(boolean transA, boolean transB, float alpha, DenseMatrix a, DenseMatrix b, float beta,
                     DenseMatrix c, int rowStart, int rowEnd, int colStart, int colEnd) {
        int inner = transA ? a.rows() : a.cols();
        if (inner == 0) {
            scaleTile(c, beta, rowStart, rowEnd, colStart, colEnd);
            return;
        }
        float[] ap = PACKED_A.get();
        float[] bp = PACKED_B.get();
        MemorySegment cs = c.segment();
        for (int jc = colStart; jc < colEnd; jc += NC) {
            int nc = Math.min(NC, colEnd - jc);
            for (int pc = 0; pc < inner; pc += KC) {
                int kc = Math.min(KC, inner - pc);
                packB(transB, b, pc, kc, jc, nc, bp);
                boolean first = pc == 0;
                for (int ic = rowStart; ic < rowEnd; ic += MC) {
                    int mc = Math.min(MC, rowEnd - ic);
                    packA(transA, a, ic, mc, pc, kc, ap);
                    for (int jr = 0; jr < nc; jr += NR) {
                        for (int ir = 0; ir < mc; ir += MR) {
                            microKernel(kc, ap, ir * kc, bp, jr * kc, cs, c, ic + ir, Math.min(MR, mc - ir),
                                    jc + jr, jc + Math.min(nc, jr + NR), alpha, first ? beta : 1f);
                        }
                    }
                }
            }
        }
    }

    /** op(A)[ic, ic+mc) × [pc, pc+kc) into MR-row panels: panel q holds rows ic+q·MR.., column-major. */
    private static void packA(boolean transA, DenseMatrix a, int ic, int mc, int pc, int kc, float[] ap) {
        MemorySegment as = a.segment();
        int stride = a.rowStride();
        for (int ir = 0; ir < mc; ir += MR) {
            int rows = Math.min(MR, mc - ir);
            int base = ir * kc;
            for (int r = 0; r < rows; r++) {
                int i = ic + ir + r;
                for (int p = 0; p < kc; p++) {
                    long idx = transA ? (long) (pc + p) * stride + i : (long) i * stride + pc + p;
                    ap[base + p * MR + r] = as.getAtIndex(JAVA_FLOAT, idx);
                }
            }
            for (int r = rows; r < MR; r++) {
                for (int p = 0; p < kc; p++) {
                    ap[base + p * MR + r] = 0f;
                }
            }
        }
    }

    /** op(B)[pc, pc+kc) × [jc, jc+nc) into NR-column panels: panel q holds columns jc+q·NR.., row-major. */
    private static void packB(boolean transB, DenseMatrix b, int pc, int kc, int jc, int nc, float[] bp) {
        MemorySegment bs = b.segment();
        int stride = b.rowStride();
        for (int jr = 0; jr < nc; jr += NR) {
            int cols = Math.min(NR, nc - jr);
            int base = jr * kc;
            for (int p = 0; p < kc; p++) {
                int dst = base + p * NR;
                if (transB) {
                    for (int t = 0; t < cols; t++) {
                        bp[dst + t] = bs.getAtIndex(JAVA_FLOAT, (long) (jc + jr + t) * stride + pc + p);
                    }
                } else {
                    MemorySegment.copy(bs, JAVA_FLOAT, ((long) (pc + p) * stride + jc + jr) * Float.BYTES, bp, dst, cols);
                }
                if (cols < NR) {
                    Arrays.fill(bp, dst + cols, dst + NR, 0f);
                }
            }
        }
    }

    /**
     * C[i0, i0+rows) × [j0, jEnd) = alpha·(Ap·Bp) + beta·C for one MR×NR tile, with MR·2 accumulators in
     * registers. Kept small and monomorphic so C2 compiles it whole.
     */
    private static void microKernel(int kc, float[] ap, int aOff, float[] bp, int bOff, MemorySegment cs,
                                    DenseMatrix c, int i0, int rows, int j0, int jEnd, float alpha, float beta) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        for (int p = 0; p < kc; p++, aOff += MR, bOff += NR) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bOff);
            FloatVector b1 = FloatVector.fromArray(S, bp, bOff + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[aOff]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[aOff + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[aOff + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[aOff + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[aOff + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[aOff + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
        }
        storeRow(cs, c, i0, j0, jEnd, c00, c01, alpha, beta);
        if (rows > 1) storeRow(cs, c, i0 + 1, j0, jEnd, c10, c11, alpha, beta);
        if (rows > 2) storeRow(cs, c, i0 + 2, j0, jEnd, c20, c21, alpha, beta);
        if (rows > 3) storeRow(cs, c, i0 + 3, j0, jEnd, c30, c31, alpha, beta);
        if (rows > 4) storeRow(cs, c, i0 + 4, j0, jEnd, c40, c41, alpha, beta);
        if (rows > 5) storeRow(cs, c, i0 + 5, j0, jEnd, c50, c51, alpha, beta);
    }

    /** C[i, j0..jEnd) = alpha·acc + beta·C, the two accumulators covering NR columns, masked at the edge. */
    private static void storeRow(MemorySegment cs, DenseMatrix c, int i, int j0, int jEnd,
                                 FloatVector acc0, FloatVector acc1, float alpha, float beta) {
        storeVector(cs, c.offset(i, j0), j0, jEnd, acc0, alpha, beta);
        if (j0 + L < jEnd) {
            storeVector(cs, c.offset(i, j0 + L), j0 + L, jEnd, acc1, alpha, beta);
        }
    }

    private static void storeVector(MemorySegment cs, long offset, int j, int jEnd, FloatVector acc,
                                    float alpha, float beta) {
        FloatVector scaled = acc.mul(alpha);
        if (j + L <= jEnd) {
            FloatVector out = beta == 0f ? scaled : load(cs, offset).fma(FloatVector.broadcast(S, beta), scaled);
            out.intoMemorySegment(cs, offset, ORDER);
        } else {
            VectorMask<Float> m = S.indexInRange(j, jEnd);
            FloatVector out = beta == 0f ? scaled : load(cs, offset, m).fma(FloatVector.broadcast(S, beta), scaled);
            out.intoMemorySegment(cs, offset, ORDER, m);
        }
    }

    private void scaleTile(DenseMatrix c, float beta, int rowStart, int rowEnd, int colStart, int colEnd) {
        MemorySegment cs = c.segment();
        for (int i = rowStart; i < rowEnd; i++) {
            if (beta == 0f) {
                cs.asSlice(c.offset(i, colStart), (long) (colEnd - colStart) * Float.BYTES).fill((byte) 0);
            } else {
                scale(beta, cs, c.offset(i, colStart), colEnd - colStart);
            }
        }
    }

    @Override
    public void gramUpper(DenseMatrix a, int rowStart, int rowEnd, float[] out) {
        MemorySegment as = a.segment();
        int k = a.cols();
        Arrays.fill(out, 0, k * k, 0f);
        // Row i of the result gains a_ri · A[r, i..k): a broadcast-FMA over the upper part of row r.
        for (int r = rowStart; r < rowEnd; r++) {
            long rowOffset = a.offset(r, 0);
            for (int i = 0; i < k; i++) {
                FloatVector ari = FloatVector.broadcast(S, as.get(JAVA_FLOAT, rowOffset + (long) i * Float.BYTES));
                int j = i;
                for (; j <= k - L; j += L) {
                    FloatVector acc = FloatVector.fromArray(S, out, i * k + j);
                    load(as, rowOffset + (long) j * Float.BYTES).fma(ari, acc).intoArray(out, i * k + j);
                }
                if (j < k) {
                    VectorMask<Float> m = S.indexInRange(j, k);
                    FloatVector acc = FloatVector.fromArray(S, out, i * k + j, m);
                    load(as, rowOffset + (long) j * Float.BYTES, m).fma(ari, acc).intoArray(out, i * k + j, m);
                }
            }
        }
    }

    @Override
    public void spmm(float alpha, CsrMatrix a, DenseMatrix b, float beta, DenseMatrix c, int rowStart, int rowEnd) {
        MemorySegment offsets = a.rowOffsets();
        MemorySegment cols = a.columnIndices();
        MemorySegment vals = a.values();
        MemorySegment bs = b.segment();
        MemorySegment cs = c.segment();
        int k = b.cols();
        for (int i = rowStart; i < rowEnd; i++) {
            long start = offsets.getAtIndex(JAVA_LONG, i);
            long end = offsets.getAtIndex(JAVA_LONG, i + 1L);
            // Two vectors of C's row stay in registers while every nonzero of the row streams past.
            for (int j = 0; j < k; j += 2 * L) {
                VectorMask<Float> m0 = S.indexInRange(j, k);
                VectorMask<Float> m1 = S.indexInRange(j + L, k);
                FloatVector acc0 = FloatVector.zero(S), acc1 = acc0;
                for (long p = start; p < end; p++) {
                    FloatVector av = FloatVector.broadcast(S, vals.getAtIndex(JAVA_FLOAT, p));
                    long bo = b.offset(cols.getAtIndex(JAVA_INT, p), j);
                    acc0 = load(bs, bo, m0).fma(av, acc0);
                    acc1 = load(bs, bo + L * 4L, m1).fma(av, acc1);
                }
                long co = c.offset(i, j);
                storeMasked(cs, co, acc0, alpha, beta, m0);
                storeMasked(cs, co + L * 4L, acc1, alpha, beta, m1);
            }
        }
    }

    private static void storeMasked(MemorySegment cs, long offset, FloatVector acc, float alpha, float beta,
                                    VectorMask<Float> m) {
        FloatVector scaled = acc.mul(alpha);
        FloatVector out = beta == 0f ? scaled : load(cs, offset, m).fma(FloatVector.broadcast(S, beta), scaled);
        out.intoMemorySegment(cs, offset, ORDER, m);
    }

    @Override
    public void sddmm(CsrMatrix pattern, DenseMatrix u, DenseMatrix v, MemorySegment outValues, int rowStart, int rowEnd) {
        MemorySegment offsets = pattern.rowOffsets();
        MemorySegment cols = pattern.columnIndices();
        MemorySegment us = u.segment();
        MemorySegment vs = v.segment();
        int k = u.cols();
        for (int i = rowStart; i < rowEnd; i++) {
            long end = offsets.getAtIndex(JAVA_LONG, i + 1L);
            long uo = u.offset(i, 0);
            for (long p = offsets.getAtIndex(JAVA_LONG, i); p < end; p++) {
                int j = cols.getAtIndex(JAVA_INT, p);
                outValues.setAtIndex(JAVA_FLOAT, p, dot(us, uo, vs, v.offset(j, 0), k));
            }
        }
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

    private static FloatVector load(MemorySegment s, long offset) {
        return FloatVector.fromMemorySegment(S, s, offset, ORDER);
    }

    private static FloatVector load(MemorySegment s, long offset, VectorMask<Float> m) {
        return FloatVector.fromMemorySegment(S, s, offset, ORDER, m);
    }

    @Override
    public boolean choleskySolve(float[] m, float[] b, int n) {
        for (int p = 0; p < n; p++) {
            int rowP = p * n;
            float pivot = m[rowP + p];
            if (!(pivot > 0f)) {
                return false;
            }
            float r = (float) Math.sqrt(pivot);
            m[rowP + p] = r;
            scaleArray(m, rowP + p + 1, n - p - 1, 1f / r);
            // Rank-1 update of the trailing upper triangle, one contiguous row segment at a time.
            for (int i = p + 1; i < n; i++) {
                axpyArray(-m[rowP + i], m, rowP + i, m, i * n + i, n - i);
            }
        }
        for (int p = 0; p < n; p++) {
            int rowP = p * n;
            float z = b[p] / m[rowP + p];
            b[p] = z;
            axpyArray(-z, m, rowP + p + 1, b, p + 1, n - p - 1);
        }
        for (int i = n - 1; i >= 0; i--) {
            int rowI = i * n;
            b[i] = (b[i] - dotArray(m, rowI + i + 1, b, i + 1, n - i - 1)) / m[rowI + i];
        }
        return true;
    }

    /** y[yo..yo+len) += alpha·x[xo..xo+len). */
    private static void axpyArray(float alpha, float[] x, int xo, float[] y, int yo, int len) {
        FloatVector a = FloatVector.broadcast(S, alpha);
        int t = 0;
        for (; t <= len - L; t += L) {
            FloatVector.fromArray(S, x, xo + t).fma(a, FloatVector.fromArray(S, y, yo + t)).intoArray(y, yo + t);
        }
        for (; t < len; t++) {
            y[yo + t] = Math.fma(alpha, x[xo + t], y[yo + t]);
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
        float sum = sumLanes(acc);
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
            FloatVector ut = load(u, uo);
            FloatVector vt = load(v, vo);
            vt.fma(a, ut.mul(shrink)).intoMemorySegment(u, uo, ORDER);
            ut.fma(a, vt.mul(shrink)).intoMemorySegment(v, vo, ORDER);
        }
        if (t < n) {
            VectorMask<Float> m = S.indexInRange(t, n);
            long uo = uOffset + (long) t * Float.BYTES;
            long vo = vOffset + (long) t * Float.BYTES;
            FloatVector ut = load(u, uo, m);
            FloatVector vt = load(v, vo, m);
            vt.fma(a, ut.mul(shrink)).intoMemorySegment(u, uo, ORDER, m);
            ut.fma(a, vt.mul(shrink)).intoMemorySegment(v, vo, ORDER, m);
        }
    }
}
