package dev.lowrank.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.testkit.Case;
import dev.lowrank.testkit.Cases;
import dev.lowrank.testkit.Gen;
import dev.lowrank.testkit.Reference;
import dev.lowrank.testkit.Tolerance;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** out_p = u_i·v_j on the pattern's stored positions, against the double reference on both backends. */
class SddmmPropertyTest {

    static Stream<Case> cases() {
        return Cases.of("sddmm", 250);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void sddmmMatchesReference(Case c) {
        try (Gen g = c.gen()) {
            CsrMatrix pattern = g.nextInt(8) == 0
                    ? g.csrUniform("P", 100 + g.nextInt(120), 100 + g.nextInt(120), 0.05 + 0.2 * g.random().nextDouble())
                    : g.csr("P", g.dim(0, 130), g.dim(0, 130));
            int k = g.dim(0, 140);
            DenseMatrix u = g.anyDense("U", pattern.rows(), k);
            DenseMatrix v = g.anyDense("V", pattern.cols(), k);
            boolean inPlace = g.nextInt(3) == 0;
            g.note(inPlace ? "out=pattern" : "out=copyStructure");
            double[][] want = Reference.sddmm(pattern, u, v);
            float[] patternValues = Reference.values(pattern);
            for (Backend backend : Backend.values()) {
                String context = g.describe() + " backend=" + backend;
                CsrMatrix out = inPlace ? g.own(copyOf(pattern)) : g.own(pattern.copyStructure());
                Gen.poison(out);
                Kernels.of(backend, Parallel.defaults()).sddmm(inPlace ? out : pattern, u, v, out);
                assertTrue(out.hasSameStructure(pattern), context + ": out's structure changed");
                for (int p = 0; p < want[0].length; p++) {
                    Tolerance.assertClose(want[0][p], out.value(p), k, want[1][p], context + " at position " + p);
                }
                if (!inPlace) {
                    assertArrayEquals(patternValues, Reference.values(pattern), context + ": the pattern's values changed");
                }
            }
        }
    }

    /** sddmmRows: a range of rows into a scratch of just their entries, with the bits sddmm gives them. */
    @ParameterizedTest
    @MethodSource("cases")
    void sddmmRowsEqualsSddmmOnItsRows(Case c) {
        try (Gen g = c.gen()) {
            CsrMatrix pattern = g.csr("P", g.dim(0, 130), g.dim(0, 130));
            int k = g.dim(0, 140);
            DenseMatrix u = g.anyDense("U", pattern.rows(), k);
            DenseMatrix v = g.anyDense("V", pattern.cols(), k);
            int rowStart = g.nextInt(pattern.rows() + 1);
            int rowEnd = rowStart + g.nextInt(pattern.rows() - rowStart + 1);
            g.note("rows=[" + rowStart + "," + rowEnd + ")");
            long first = rowStart == rowEnd ? 0 : pattern.rowStart(rowStart);
            int entries = (int) (rowStart == rowEnd ? 0 : pattern.rowEnd(rowEnd - 1) - first);
            for (Backend backend : Backend.values()) {
                String context = g.describe() + " backend=" + backend;
                Kernels kernels = Kernels.of(backend, Parallel.defaults());
                CsrMatrix all = g.own(pattern.copyStructure());
                kernels.sddmm(pattern, u, v, all);
                float[] scratch = new float[entries + 3];
                java.util.Arrays.fill(scratch, Float.NaN);
                kernels.sddmmRows(pattern, u, v, rowStart, rowEnd, java.lang.foreign.MemorySegment.ofArray(scratch));
                for (int t = 0; t < entries; t++) {
                    assertTrue(Float.floatToRawIntBits(all.value(first + t)) == Float.floatToRawIntBits(scratch[t]),
                            context + ": entry " + (first + t) + " is " + scratch[t] + ", sddmm gives " + all.value(first + t));
                }
                for (int t = entries; t < scratch.length; t++) {
                    assertTrue(Float.isNaN(scratch[t]), context + ": wrote past the rows' entries at " + t);
                }
            }
        }
    }

    private static CsrMatrix copyOf(CsrMatrix a) {
        long[] offsets = new long[a.rows() + 1];
        for (int i = 0; i < a.rows(); i++) {
            offsets[i + 1] = a.rowEnd(i);
        }
        int[] cols = new int[Math.toIntExact(a.nnz())];
        for (int p = 0; p < cols.length; p++) {
            cols[p] = a.columnIndex(p);
        }
        return CsrMatrix.of(a.rows(), a.cols(), offsets, cols, Reference.values(a));
    }
}
