package dev.lowrank.kernel.internal;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import java.lang.foreign.MemorySegment;

/**
 * Plain Java loops: the default where the Vector API is unavailable, and the baseline the Panama
 * provider is measured against. Accumulates in float, left to right, like the simplest C loop would.
 */
public final class ScalarKernels implements KernelProvider {

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public float dot(MemorySegment x, long xOffset, MemorySegment y, long yOffset, int n) {
        float sum = 0f;
        for (int t = 0; t < n; t++) {
            sum += x.get(JAVA_FLOAT, xOffset + (long) t * Float.BYTES) * y.get(JAVA_FLOAT, yOffset + (long) t * Float.BYTES);
        }
        return sum;
    }

    @Override
    public void axpy(float alpha, MemorySegment x, long xOffset, MemorySegment y, long yOffset, int n) {
        for (int t = 0; t < n; t++) {
            long yo = yOffset + (long) t * Float.BYTES;
            y.set(JAVA_FLOAT, yo, y.get(JAVA_FLOAT, yo) + alpha * x.get(JAVA_FLOAT, xOffset + (long) t * Float.BYTES));
        }
    }

    @Override
    public void scale(float alpha, MemorySegment x, long xOffset, int n) {
        for (int t = 0; t < n; t++) {
            long xo = xOffset + (long) t * Float.BYTES;
            x.set(JAVA_FLOAT, xo, alpha * x.get(JAVA_FLOAT, xo));
        }
    }

    @Override
    public void adam(float alpha, float beta1, float beta2, float epsilon, MemorySegment p, long pOffset,
                     MemorySegment g, long gOffset, MemorySegment m, long mOffset, MemorySegment v, long vOffset, int n) {
        float c1 = 1f - beta1;
        float c2 = 1f - beta2;
        for (int t = 0; t < n; t++) {
            long b = (long) t * Float.BYTES;
            float gt = g.get(JAVA_FLOAT, gOffset + b);
            float mt = m.get(JAVA_FLOAT, mOffset + b);
            float vt = v.get(JAVA_FLOAT, vOffset + b);
            mt = mt + (gt - mt) * c1;
            vt = vt + (gt * gt - vt) * c2;
            m.set(JAVA_FLOAT, mOffset + b, mt);
            v.set(JAVA_FLOAT, vOffset + b, vt);
            float pt = p.get(JAVA_FLOAT, pOffset + b);
            p.set(JAVA_FLOAT, pOffset + b, pt - (mt * alpha) / ((float) Math.sqrt(vt) + epsilon));
        }
    }

    @Override
    public void gemm(boolean transA, boolean transB, float alpha, DenseMatrix a, DenseMatrix b, float beta,
                     DenseMatrix c, int rowStart, int rowEnd, int colStart, int colEnd) {
        MemorySegment as = a.segment();
        MemorySegment bs = b.segment();
        MemorySegment cs = c.segment();
        int inner = transA ? a.rows() : a.cols();
        // Element strides of op(A) along i and p, and of op(B) along p and j.
        long aI = transA ? 1 : a.rowStride();
        long aP = transA ? a.rowStride() : 1;
        long bP = transB ? 1 : b.rowStride();
        long bJ = transB ? b.rowStride() : 1;
        for (int i = rowStart; i < rowEnd; i++) {
            for (int j = colStart; j < colEnd; j++) {
                float sum = 0f;
                for (int p = 0; p < inner; p++) {
                    sum += as.getAtIndex(JAVA_FLOAT, i * aI + p * aP) * bs.getAtIndex(JAVA_FLOAT, p * bP + j * bJ);
                }
                long co = c.offset(i, j);
                cs.set(JAVA_FLOAT, co, beta == 0f ? alpha * sum : alpha * sum + beta * cs.get(JAVA_FLOAT, co));
            }
        }
    }

    @Override
    public void gramUpper(DenseMatrix a, int rowStart, int rowEnd, float[] out) {
        MemorySegment as = a.segment();
        int k = a.cols();
        java.util.Arrays.fill(out, 0, k * k, 0f);
        for (int r = rowStart; r < rowEnd; r++) {
            for (int i = 0; i < k; i++) {
                float ari = as.get(JAVA_FLOAT, a.offset(r, i));
                for (int j = i; j < k; j++) {
                    out[i * k + j] += ari * as.get(JAVA_FLOAT, a.offset(r, j));
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
            for (int j = 0; j < k; j++) {
                float sum = 0f;
                for (long p = start; p < end; p++) {
                    sum += vals.getAtIndex(JAVA_FLOAT, p) * bs.get(JAVA_FLOAT, b.offset(cols.getAtIndex(JAVA_INT, p), j));
                }
                long co = c.offset(i, j);
                cs.set(JAVA_FLOAT, co, beta == 0f ? alpha * sum : alpha * sum + beta * cs.get(JAVA_FLOAT, co));
            }
        }
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
            for (long p = offsets.getAtIndex(JAVA_LONG, i); p < end; p++) {
                int j = cols.getAtIndex(JAVA_INT, p);
                outValues.setAtIndex(JAVA_FLOAT, p, dot(us, u.offset(i, 0), vs, v.offset(j, 0), k));
            }
        }
    }
}
