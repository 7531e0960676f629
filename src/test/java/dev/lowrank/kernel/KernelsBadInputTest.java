package dev.lowrank.kernel;

import static dev.lowrank.testkit.Expect.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.parallel.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Every {@link Kernels} method rejects bad arguments with the right exception and a message that names the problem. */
class KernelsBadInputTest {

    private static Parallel two;
    private final List<AutoCloseable> made = new ArrayList<>();
    private final Kernels k = Kernels.of(Backend.SCALAR, Parallel.defaults());

    @BeforeAll
    static void pool() {
        two = Parallel.threads(2);
    }

    @AfterAll
    static void closePool() {
        two.close();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int t = made.size() - 1; t >= 0; t--) {
            made.get(t).close();
        }
    }

    private DenseMatrix dense(int rows, int cols) {
        DenseMatrix m = DenseMatrix.zeros(rows, cols);
        m.fill(1f);
        made.add(m);
        return m;
    }

    private CsrMatrix csr(int rows, int cols) {
        CsrMatrix.Builder b = CsrMatrix.builder(rows, cols);
        for (int i = 0; i < Math.min(rows, cols); i++) {
            b.add(i, i, 1f);
        }
        CsrMatrix m = b.build(dev.lowrank.matrix.DuplicatePolicy.ERROR);
        made.add(m);
        return m;
    }

    private DenseMatrix closed(int rows, int cols) {
        DenseMatrix m = dense(rows, cols);
        m.close();
        return m;
    }

    private CsrMatrix closedCsr(int rows, int cols) {
        CsrMatrix m = csr(rows, cols);
        m.close();
        return m;
    }

    // ------------------------------------------------------------ use after close

    @TestFactory
    @DisplayName("R29 every kernel rejects a closed operand")
    Stream<DynamicTest> everyMethodRejectsAClosedOperand() {
        List<DynamicTest> tests = new ArrayList<>();
        closedCase(tests, "dot(row) X", "X", () -> k.dot(closed(2, 3), 0, dense(2, 3), 0));
        closedCase(tests, "dot(row) Y", "Y", () -> k.dot(dense(2, 3), 0, closed(2, 3), 0));
        closedCase(tests, "dot X", "X", () -> k.dot(closed(2, 3), dense(2, 3)));
        closedCase(tests, "dot Y", "Y", () -> k.dot(dense(2, 3), closed(2, 3)));
        closedCase(tests, "axpy X", "X", () -> k.axpy(1f, closed(2, 3), dense(2, 3)));
        closedCase(tests, "axpy Y", "Y", () -> k.axpy(1f, dense(2, 3), closed(2, 3)));
        closedCase(tests, "scale", "X", () -> k.scale(2f, closed(2, 3)));
        closedCase(tests, "gemm A", "A", () -> k.gemm(1f, Op.IDENTITY, closed(2, 3), Op.IDENTITY, dense(3, 4), 0f, dense(2, 4)));
        closedCase(tests, "gemm B", "B", () -> k.gemm(1f, Op.IDENTITY, dense(2, 3), Op.IDENTITY, closed(3, 4), 0f, dense(2, 4)));
        closedCase(tests, "gemm C", "C", () -> k.gemm(1f, Op.IDENTITY, dense(2, 3), Op.IDENTITY, dense(3, 4), 0f, closed(2, 4)));
        closedCase(tests, "gram A", "A", () -> k.gram(closed(5, 3), dense(3, 3)));
        closedCase(tests, "gram C", "C", () -> k.gram(dense(5, 3), closed(3, 3)));
        closedCase(tests, "spmm A", "A", () -> k.spmm(1f, Op.IDENTITY, closedCsr(2, 3), dense(3, 4), 0f, dense(2, 4)));
        closedCase(tests, "spmm B", "B", () -> k.spmm(1f, Op.IDENTITY, csr(2, 3), closed(3, 4), 0f, dense(2, 4)));
        closedCase(tests, "spmm C", "C", () -> k.spmm(1f, Op.IDENTITY, csr(2, 3), dense(3, 4), 0f, closed(2, 4)));
        closedCase(tests, "sddmm pattern", "pattern", () -> {
            CsrMatrix p = closedCsr(2, 3);
            k.sddmm(p, dense(2, 4), dense(3, 4), csr(2, 3));
        });
        closedCase(tests, "sddmm U", "U", () -> {
            CsrMatrix p = csr(2, 3);
            k.sddmm(p, closed(2, 4), dense(3, 4), p);
        });
        closedCase(tests, "sddmm V", "V", () -> {
            CsrMatrix p = csr(2, 3);
            k.sddmm(p, dense(2, 4), closed(3, 4), p);
        });
        closedCase(tests, "sddmm out", "out", () -> k.sddmm(csr(2, 3), dense(2, 4), dense(3, 4), closedCsr(2, 3)));
        closedCase(tests, "topK query", "query", () -> k.topK(closed(1, 3), 0, dense(5, 3), 2));
        closedCase(tests, "topK items", "items", () -> k.topK(dense(1, 3), 0, closed(5, 3), 2));
        return tests.stream();
    }

    private static void closedCase(List<DynamicTest> tests, String name, String operand,
                                   org.junit.jupiter.api.function.Executable call) {
        tests.add(dynamicTest(name, () -> fails(IllegalStateException.class, call, operand, "closed")));
    }

    // ------------------------------------------------------------ shape mismatches

    @Test
    @DisplayName("R16 dot: row lengths or shapes differ")
    void dotsNameBothShapes() {
        fails(IllegalArgumentException.class, () -> k.dot(dense(2, 3), 0, dense(2, 4), 0), "X is 2x3", "Y is 2x4");
        fails(IllegalArgumentException.class, () -> k.dot(dense(2, 3), dense(3, 3)), "X is 2x3", "Y is 3x3");
        fails(IllegalArgumentException.class, () -> k.dot(dense(2, 3), dense(2, 4)), "X is 2x3", "Y is 2x4");
    }

    @Test
    @DisplayName("R17 dot, topK: row index out of range")
    void rowIndicesAreChecked() {
        // IndexOutOfBoundsException like DenseMatrix.get and the collections, naming the operand and its shape.
        fails(IndexOutOfBoundsException.class, () -> k.dot(dense(2, 3), 2, dense(2, 3), 0), "row 2 of X (2x3)", "length 2");
        fails(IndexOutOfBoundsException.class, () -> k.dot(dense(2, 3), 0, dense(2, 3), -1), "row -1 of Y (2x3)");
        fails(IndexOutOfBoundsException.class, () -> k.topK(dense(2, 3), 2, dense(5, 3), 1), "row 2 of query (2x3)", "length 2");
        fails(IndexOutOfBoundsException.class, () -> k.topK(dense(2, 3), -1, dense(5, 3), 1), "row -1 of query");
        fails(IndexOutOfBoundsException.class, () -> k.sgdUpdate(dense(2, 3), 0, dense(4, 3), 4, 0.1f, 1f), "row 4 of V (4x3)");
    }

    @Test
    @DisplayName("R25 axpy: shapes differ")
    void elementwiseShapesMustMatch() {
        fails(IllegalArgumentException.class, () -> k.axpy(1f, dense(2, 3), dense(3, 2)), "X is 2x3", "Y is 3x2");
    }

    @Test
    @DisplayName("R19 gemm: inner dimensions or C shape differ")
    void gemmNamesTheShapes() {
        fails(IllegalArgumentException.class,
                () -> k.gemm(1f, Op.IDENTITY, dense(2, 3), Op.IDENTITY, dense(4, 5), 0f, dense(2, 5)),
                "op(A) is 2x3", "op(B) is 4x5", "A is 2x3", "B is 4x5");
        fails(IllegalArgumentException.class,
                () -> k.gemm(1f, Op.TRANSPOSE, dense(2, 3), Op.TRANSPOSE, dense(4, 5), 0f, dense(3, 4)),
                "op(A) is 3x2", "op(B) is 5x4");
        fails(IllegalArgumentException.class,
                () -> k.gemm(1f, Op.IDENTITY, dense(2, 3), Op.TRANSPOSE, dense(5, 3), 0f, dense(2, 4)),
                "C is 2x4", "2x5");
    }

    @Test
    @DisplayName("R21 gram: C is not k x k")
    void gramNamesTheShapes() {
        fails(IllegalArgumentException.class, () -> k.gram(dense(5, 3), dense(3, 4)), "C is 3x4", "3x3", "A is 5x3");
    }

    @Test
    @DisplayName("R22 spmm: shapes differ")
    void spmmNamesTheShapes() {
        fails(IllegalArgumentException.class, () -> k.spmm(1f, Op.IDENTITY, csr(2, 3), dense(4, 5), 0f, dense(2, 5)),
                "op(A) is 2x3", "B is 4x5", "A is 2x3");
        fails(IllegalArgumentException.class, () -> k.spmm(1f, Op.TRANSPOSE, csr(2, 3), dense(3, 5), 0f, dense(3, 5)),
                "op(A) is 3x2", "B is 3x5");
        fails(IllegalArgumentException.class, () -> k.spmm(1f, Op.IDENTITY, csr(2, 3), dense(3, 5), 0f, dense(2, 4)),
                "C is 2x4", "2x5");
    }

    @Test
    @DisplayName("R23 sddmm: U, V or pattern shapes differ")
    void sddmmNamesTheShapes() {
        CsrMatrix p = csr(2, 3);
        fails(IllegalArgumentException.class, () -> k.sddmm(p, dense(2, 4), dense(3, 5), p), "U is 2x4", "V is 3x5");
        fails(IllegalArgumentException.class, () -> k.sddmm(p, dense(3, 4), dense(3, 4), p), "pattern is 2x3", "U is 3x4");
        fails(IllegalArgumentException.class, () -> k.sddmm(p, dense(2, 4), dense(2, 4), p), "pattern is 2x3", "V is 2x4");
    }

    @Test
    @DisplayName("R49 sddmmRows: rows out of range, out too small or read-only")
    void sddmmRowsNamesTheRangeAndTheScratch() {
        CsrMatrix p = csr(3, 3);
        java.lang.foreign.MemorySegment roomy = java.lang.foreign.MemorySegment.ofArray(new float[16]);
        fails(IndexOutOfBoundsException.class, () -> k.sddmmRows(p, dense(3, 2), dense(3, 2), 2, 4, roomy), "2", "4", "3");
        fails(IllegalArgumentException.class, () -> k.sddmmRows(p, dense(3, 2), dense(3, 2), 0, 3,
                java.lang.foreign.MemorySegment.ofArray(new float[1])), "out holds 4 bytes", "rows [0, 3)", "at least");
        fails(IllegalArgumentException.class, () -> k.sddmmRows(p, dense(3, 2), dense(3, 2), 0, 3, roomy.asReadOnly()),
                "read-only");
        fails(IllegalArgumentException.class, () -> k.sddmmRows(p, dense(2, 2), dense(3, 2), 0, 1, roomy), "pattern is 3x3");
    }

    @Test
    @DisplayName("R24 sddmm: out has another sparsity structure")
    void sddmmOutMustHaveThePatternsStructure() {
        CsrMatrix p = csr(3, 3);
        CsrMatrix other = CsrMatrix.fromCoo(3, 3, new int[] {0, 2}, new int[] {1, 2}, new float[] {1f, 2f},
                dev.lowrank.matrix.DuplicatePolicy.ERROR);
        made.add(other);
        fails(IllegalArgumentException.class, () -> k.sddmm(p, dense(3, 2), dense(3, 2), other),
                "out (3x3, nnz 2)", "pattern's structure", "nnz 3");
        CsrMatrix wider = csr(3, 4);
        fails(IllegalArgumentException.class, () -> k.sddmm(p, dense(3, 2), dense(3, 2), wider), "out (3x4", "3x3");
    }

    @Test
    @DisplayName("R18 topK: k below 1 or row lengths differ")
    void topKNamesTheShapesAndK() {
        fails(IllegalArgumentException.class, () -> k.topK(dense(1, 3), 0, dense(5, 4), 2), "query is 1x3", "items is 5x4");
        fails(IllegalArgumentException.class, () -> k.topK(dense(1, 3), 0, dense(5, 3), 0), "k = 0", "at least 1");
        fails(IllegalArgumentException.class, () -> k.topK(dense(1, 3), 0, dense(5, 3), -4), "k = -4");
    }

    // ------------------------------------------------------------ scalars

    @Test
    @DisplayName("R26 NaN or infinite alpha/beta")
    void nonFiniteScalarsAreRejected() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            String shown = String.valueOf(bad);
            fails(IllegalArgumentException.class, () -> k.axpy(bad, dense(2, 3), dense(2, 3)), "alpha", shown, "not finite");
            fails(IllegalArgumentException.class, () -> k.scale(bad, dense(2, 3)), "alpha", shown);
            fails(IllegalArgumentException.class,
                    () -> k.gemm(bad, Op.IDENTITY, dense(2, 3), Op.IDENTITY, dense(3, 4), 0f, dense(2, 4)), "alpha", shown);
            fails(IllegalArgumentException.class,
                    () -> k.gemm(1f, Op.IDENTITY, dense(2, 3), Op.IDENTITY, dense(3, 4), bad, dense(2, 4)), "beta", shown);
            fails(IllegalArgumentException.class,
                    () -> k.spmm(bad, Op.IDENTITY, csr(2, 3), dense(3, 4), 0f, dense(2, 4)), "alpha", shown);
            fails(IllegalArgumentException.class,
                    () -> k.spmm(1f, Op.IDENTITY, csr(2, 3), dense(3, 4), bad, dense(2, 4)), "beta", shown);
        }
    }

    // ------------------------------------------------------------ aliasing

    @Test
    @DisplayName("R27 output overlaps an input")
    void outputsMustNotOverlapInputs() {
        DenseMatrix big = dense(8, 4);
        DenseMatrix top = big.rowView(0, 4);
        DenseMatrix bottom = big.rowView(4, 8);
        DenseMatrix middle = big.rowView(2, 6);
        made.add(top);
        made.add(bottom);
        made.add(middle);
        fails(IllegalArgumentException.class,
                () -> k.gemm(1f, Op.IDENTITY, top, Op.IDENTITY, dense(4, 4), 0f, middle), "C shares memory with A");
        fails(IllegalArgumentException.class,
                () -> k.gemm(1f, Op.IDENTITY, dense(4, 4), Op.IDENTITY, bottom, 1f, middle), "C shares memory with B");
        fails(IllegalArgumentException.class,
                () -> k.gemm(1f, Op.IDENTITY, big, Op.IDENTITY, dense(4, 4), 0f, big), "C shares memory with A");
        fails(IllegalArgumentException.class, () -> k.gram(big, top), "C shares memory with A");
        fails(IllegalArgumentException.class,
                () -> k.spmm(1f, Op.IDENTITY, csr(4, 4), top, 0f, middle), "C shares memory with B");
        fails(IllegalArgumentException.class, () -> k.axpy(1f, top, middle), "Y shares memory with X");
        // Disjoint views of one matrix are fine, and so is Y += alpha·Y.
        k.gemm(1f, Op.IDENTITY, top, Op.IDENTITY, dense(4, 4), 0f, bottom);
        k.axpy(1f, top, bottom);
        k.axpy(1f, top, top);
        assertEquals(2f, top.get(0, 0));
        assertEquals(4f + 1f, bottom.get(0, 0));
    }

    // ------------------------------------------------------------ thread confinement

    @TestFactory
    @DisplayName("R28 confined-arena memory handed to a parallel kernel")
    Stream<DynamicTest> confinedMemoryIsRefusedByAParallelKernelsAndAcceptedSequentially() {
        List<DynamicTest> tests = new ArrayList<>();
        confinedCase(tests, "dot", (kk, m) -> kk.dot(m, m));
        confinedCase(tests, "axpy", (kk, m) -> kk.axpy(1f, m, m));
        confinedCase(tests, "scale", (kk, m) -> kk.scale(2f, m));
        confinedCase(tests, "gemm", (kk, m) -> {
            try (DenseMatrix c = DenseMatrix.zeros(4, 4)) {
                kk.gemm(1f, Op.IDENTITY, m, Op.IDENTITY, m, 0f, c);
            }
        });
        confinedCase(tests, "gram", (kk, m) -> {
            try (DenseMatrix c = DenseMatrix.zeros(4, 4)) {
                kk.gram(m, c);
            }
        });
        confinedCase(tests, "spmm", (kk, m) -> {
            try (CsrMatrix a = csr(4, 4); DenseMatrix c = DenseMatrix.zeros(4, 4)) {
                kk.spmm(1f, Op.IDENTITY, a, m, 0f, c);
            }
        });
        confinedCase(tests, "sddmm", (kk, m) -> {
            try (CsrMatrix a = csr(4, 4)) {
                kk.sddmm(a, m, m, a);
            }
        });
        confinedCase(tests, "topK", (kk, m) -> kk.topK(m, 0, m, 2));
        return tests.stream();
    }

    private interface KernelCall {
        void run(Kernels kernels, DenseMatrix confined);
    }

    private static void confinedCase(List<DynamicTest> tests, String name, KernelCall call) {
        tests.add(dynamicTest(name, () -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment s = arena.allocate(4L * 4 * Float.BYTES, DenseMatrix.ALIGNMENT_BYTES);
                DenseMatrix m = DenseMatrix.wrap(s, 4, 4, 4);
                m.fill(0.5f);
                for (Backend backend : Backend.values()) {
                    fails(IllegalArgumentException.class, () -> call.run(Kernels.of(backend, two), m), "confined",
                            "Parallel.sequential()");
                    call.run(Kernels.of(backend, Parallel.sequential()), m);
                }
            }
        }));
    }

    @Test
    @DisplayName("R20 null arguments")
    void nullArgumentsAreRejected() {
        fails(NullPointerException.class, () -> k.gemm(1f, null, dense(2, 2), Op.IDENTITY, dense(2, 2), 0f, dense(2, 2)), "opA");
        fails(NullPointerException.class, () -> k.gram(null, dense(2, 2)), "A");
        fails(NullPointerException.class, () -> Kernels.of(null, Parallel.sequential()), "backend");
        fails(NullPointerException.class, () -> Kernels.of(Backend.SCALAR, null), "parallel");
    }
}
