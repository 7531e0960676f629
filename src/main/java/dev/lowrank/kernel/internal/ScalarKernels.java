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
    public void gemm(boolean transA, boolean transB, float alpha, DenseMatrix a, DenseMatrix b, int innerStart,
                     int innerEnd, float beta, DenseMatrix c, int rowStart, int rowEnd, int colStart, int colEnd) {
        MemorySegment as = a.segment();
        MemorySegment bs = b.segment();
        MemorySegment cs = c.segment();
        // Element strides of op(A) along i and p, and of op(B) along p and j.
        long aI = transA ? 1 : a.rowStride();
        long aP = transA ? a.rowStride() : 1;
        long bP = transB ? 1 : b.rowStride();
        long bJ = transB ? b.rowStride() : 1;
        for (int i = rowStart; i < rowEnd; i++) {
            for (int j = colStart; j < colEnd; j++) {
                float sum = 0f;
                for (int p = innerStart; p < innerEnd; p++) {
                    sum += as.getAtIndex(JAVA_FLOAT, i * aI + p * aP) * bs.getAtIndex(JAVA_FLOAT, p * bP + j * bJ);
                }
                long co = c.offset(i, j);
                cs.set(JAVA_FLOAT, co, beta == 0f ? alpha * sum : alpha * sum + beta * cs.get(JAVA_FLOAT, co));
            }
        }
    }

    @Override
    public void addGramUpper(DenseMatrix rows, int rowStart, int rowEnd, float[] out) {
        MemorySegment rs = rows.segment();
        int d = rows.cols();
        for (int e = rowStart; e < rowEnd; e++) {
            for (int i = 0; i < d; i++) {
                float ri = rs.get(JAVA_FLOAT, rows.offset(e, i));
                for (int c = i; c < d; c++) {
                    out[i * d + c] += ri * rs.get(JAVA_FLOAT, rows.offset(e, c));
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
    public void sddmm(CsrMatrix pattern, DenseMatrix u, DenseMatrix v, MemorySegment outValues, long outBase,
                      int rowStart, int rowEnd) {
        MemorySegment offsets = pattern.rowOffsets();
        MemorySegment cols = pattern.columnIndices();
        MemorySegment us = u.segment();
        MemorySegment vs = v.segment();
        int k = u.cols();
        for (int i = rowStart; i < rowEnd; i++) {
            long end = offsets.getAtIndex(JAVA_LONG, i + 1L);
            for (long p = offsets.getAtIndex(JAVA_LONG, i); p < end; p++) {
                int j = cols.getAtIndex(JAVA_INT, p);
                outValues.setAtIndex(JAVA_FLOAT, p - outBase, dot(us, u.offset(i, 0), vs, v.offset(j, 0), k));
            }
        }
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
            float inv = 1f / r;
            for (int j = p + 1; j < n; j++) {
                m[rowP + j] *= inv;
            }
            // Rank-1 update of the trailing upper triangle: row i loses r_pi · (row p) from column i on.
            for (int i = p + 1; i < n; i++) {
                float f = m[rowP + i];
                int rowI = i * n;
                for (int j = i; j < n; j++) {
                    m[rowI + j] -= f * m[rowP + j];
                }
            }
        }
        // Rᵀ·z = b, row-oriented: once z_p is known, subtract its share from the later entries.
        for (int p = 0; p < n; p++) {
            int rowP = p * n;
            float z = b[p] / m[rowP + p];
            b[p] = z;
            for (int j = p + 1; j < n; j++) {
                b[j] -= m[rowP + j] * z;
            }
        }
        // R·x = z from the bottom: x_i = (z_i − R[i, i+1..n)·x[i+1..n)) / r_ii.
        for (int i = n - 1; i >= 0; i--) {
            int rowI = i * n;
            float sum = b[i];
            for (int j = i + 1; j < n; j++) {
                sum -= m[rowI + j] * b[j];
            }
            b[i] = sum / m[rowI + i];
        }
        return true;
    }

    @Override
    public void sgdUpdate(MemorySegment u, long uOffset, MemorySegment v, long vOffset, int n, float step, float shrink) {
        for (int t = 0; t < n; t++) {
            long uo = uOffset + (long) t * Float.BYTES;
            long vo = vOffset + (long) t * Float.BYTES;
            float ut = u.get(JAVA_FLOAT, uo);
            float vt = v.get(JAVA_FLOAT, vo);
            u.set(JAVA_FLOAT, uo, shrink * ut + step * vt);
            v.set(JAVA_FLOAT, vo, shrink * vt + step * ut);
        }
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
        MemorySegment ms = mask == null ? null : mask.segment();
        MemorySegment us = u.segment();
        MemorySegment vs = vt.segment();
        MemorySegment ps = grads ? partial.segment() : null;
        if (grads) {
            for (int f = 0; f < partial.rows(); f++) {
                ps.asSlice(partial.offset(f, 0), (long) n * Float.BYTES).fill((byte) 0);
            }
        }
        float[] acc = new float[k];
        double loss = 0;
        for (int i = rowStart; i < rowEnd; i++) {
            float base = biases ? mu + userBias.segment().get(JAVA_FLOAT, userBias.offset(0, i)) : 0f;
            java.util.Arrays.fill(acc, 0f);
            float rowSum = 0f;
            for (int j = 0; j < n; j++) {
                float av = as.get(JAVA_FLOAT, a.offset(i, j));
                boolean observed = ms == null ? av != 0f : ms.get(JAVA_FLOAT, mask.offset(i, j)) != 0f;
                if (!observed) {
                    continue;
                }
                float s = 0f;
                for (int f = 0; f < k; f++) {
                    s += us.get(JAVA_FLOAT, u.offset(i, f)) * vs.get(JAVA_FLOAT, vt.offset(f, j));
                }
                float x = biases ? (base + itemBias.segment().get(JAVA_FLOAT, itemBias.offset(0, j))) + s : s;
                float r = av - x;
                loss += (double) weight * ((double) r * r) - (double) lambda2 * ((double) s * s);
                if (grads) {
                    float e = -2f * weight * r;
                    float d = e - 2f * lambda2 * s;
                    for (int f = 0; f < k; f++) {
                        acc[f] += d * vs.get(JAVA_FLOAT, vt.offset(f, j));
                        long po = partial.offset(f, j);
                        ps.set(JAVA_FLOAT, po, ps.get(JAVA_FLOAT, po) + d * us.get(JAVA_FLOAT, u.offset(i, f)));
                    }
                    if (biases) {
                        rowSum += e;
                        long po = partial.offset(k, j);
                        ps.set(JAVA_FLOAT, po, ps.get(JAVA_FLOAT, po) + e);
                    }
                }
            }
            if (grads) {
                for (int f = 0; f < k; f++) {
                    gu.segment().set(JAVA_FLOAT, gu.offset(i, f), acc[f]);
                }
                if (biases) {
                    userBiasGrad.segment().set(JAVA_FLOAT, userBiasGrad.offset(0, i), rowSum);
                }
            }
        }
        return loss;
    }

    @Override
    public float normalApply(CsrMatrix a, int row, DenseMatrix y, float[] x, float scale, float valueScale, float shift,
                             float[] out) {
        MemorySegment cols = a.columnIndices();
        MemorySegment vals = a.values();
        MemorySegment ys = y.segment();
        int k = y.cols();
        float total = 0f;
        long end = a.rowEnd(row);
        for (long p = a.rowStart(row); p < end; p++) {
            long yo = y.offset(cols.getAtIndex(JAVA_INT, p), 0);
            float s = 0f;
            for (int t = 0; t < k; t++) {
                s += ys.get(JAVA_FLOAT, yo + (long) t * Float.BYTES) * x[t];
            }
            total += s;
            float coef = (scale + valueScale * vals.getAtIndex(JAVA_FLOAT, p)) * s + shift;
            for (int t = 0; t < k; t++) {
                out[t] += coef * ys.get(JAVA_FLOAT, yo + (long) t * Float.BYTES);
            }
        }
        return total;
    }

    @Override
    public float normalRhs(CsrMatrix a, int row, DenseMatrix y, float valueScale, float shift, DenseMatrix yBias,
                           float biasScale, float[] out) {
        MemorySegment cols = a.columnIndices();
        MemorySegment vals = a.values();
        MemorySegment ys = y.segment();
        int k = y.cols();
        float total = 0f;
        long end = a.rowEnd(row);
        for (long p = a.rowStart(row); p < end; p++) {
            int j = cols.getAtIndex(JAVA_INT, p);
            float target = valueScale * vals.getAtIndex(JAVA_FLOAT, p) + shift;
            if (yBias != null) {
                target += biasScale * yBias.get(0, j);
            }
            total += target;
            long yo = y.offset(j, 0);
            for (int t = 0; t < k; t++) {
                out[t] += target * ys.get(JAVA_FLOAT, yo + (long) t * Float.BYTES);
            }
        }
        return total;
    }

    @Override
    public void gatherRows(CsrMatrix a, long from, int count, DenseMatrix y, float[] panel, float[] values) {
        MemorySegment cols = a.columnIndices();
        MemorySegment vals = a.values();
        MemorySegment ys = y.segment();
        int k = y.cols();
        for (int t = 0; t < count; t++) {
            long p = from + t;
            MemorySegment.copy(ys, JAVA_FLOAT, y.offset(cols.getAtIndex(JAVA_INT, p), 0), panel, t * k, k);
            if (values != null) {
                values[t] = vals.getAtIndex(JAVA_FLOAT, p);
            }
        }
    }

    @Override
    public float panelApply(float[] panel, int n, int k, float[] values, float[] x, float scale, float valueScale,
                            float shift, float[] out) {
        float total = 0f;
        for (int e = 0; e < n; e++) {
            int base = e * k;
            float s = 0f;
            for (int t = 0; t < k; t++) {
                s += panel[base + t] * x[t];
            }
            total += s;
            float coef = (scale + valueScale * values[e]) * s + shift;
            for (int t = 0; t < k; t++) {
                out[t] += coef * panel[base + t];
            }
        }
        return total;
    }

    @Override
    public void panelCombine(float[] panel, int n, int k, float[] coef, float[] out) {
        for (int e = 0; e < n; e++) {
            int base = e * k;
            for (int t = 0; t < k; t++) {
                out[t] += coef[e] * panel[base + t];
            }
        }
    }

    @Override
    public double sgdPass(float[] u, float[] v, int rank, int[] users, int[] items, float[] values, int from, int to,
                          float[] userBias, float[] itemBias, float mu, float rate, float factorShrink, float biasShrink) {
        double sum = 0;
        for (int t = from; t < to; t++) {
            int i = users[t];
            int j = items[t];
            int uo = i * rank;
            int vo = j * rank;
            float prediction = 0f;
            for (int c = 0; c < rank; c++) {
                prediction += u[uo + c] * v[vo + c];
            }
            if (userBias != null) {
                prediction += mu + userBias[i] + itemBias[j];
            }
            float e = values[t] - prediction;
            sum += (double) e * e;
            if (userBias != null) {
                userBias[i] = biasShrink * userBias[i] + rate * e;
                itemBias[j] = biasShrink * itemBias[j] + rate * e;
            }
            float step = rate * e;
            for (int c = 0; c < rank; c++) {
                float ut = u[uo + c];
                float vt = v[vo + c];
                u[uo + c] = factorShrink * ut + step * vt;
                v[vo + c] = factorShrink * vt + step * ut;
            }
        }
        return sum;
    }
}
