package dev.lowrank.reliability;

import static dev.lowrank.testkit.Expect.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.eval.Metrics;
import dev.lowrank.eval.Splits;
import dev.lowrank.io.Ratings;
import dev.lowrank.io.RatingsFormat;
import dev.lowrank.io.RatingsParseException;
import dev.lowrank.io.RatingsReader;
import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.kernel.Op;
import dev.lowrank.loss.Loss;
import dev.lowrank.loss.Observations;
import dev.lowrank.loss.Regularization;
import dev.lowrank.loss.SquaredLoss;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.matrix.DuplicateEntryException;
import dev.lowrank.matrix.DuplicatePolicy;
import dev.lowrank.model.FactorModel;
import dev.lowrank.model.Initializer;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.train.Als;
import dev.lowrank.train.GradientDescent;
import dev.lowrank.train.LearningRate;
import dev.lowrank.train.Sgd;
import dev.lowrank.train.Trainer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rows of docs/reliability.md's bad-input table that are not covered elsewhere (the kernel rows live
 * in KernelsBadInputTest, interrupts and divergence in TrainingInterruptTest / DivergenceTest). Each test's
 * display name starts with its row id; {@link ReliabilityTableTest} keeps the table and the tests in step.
 */
class BadInputTableTest {

    private static final Kernels SEQ = Kernels.of(Backend.SCALAR, Parallel.sequential());

    // ------------------------------------------------------------------ matrices

    @Test
    @DisplayName("R01 DenseMatrix.of with a NaN value")
    void r01() {
        fails(IllegalArgumentException.class, () -> DenseMatrix.of(1, 2, 1f, Float.NaN), "NaN", "(0, 1)", "not finite");
    }

    @Test
    @DisplayName("R02 DenseMatrix.set to infinity")
    void r02() {
        try (DenseMatrix m = DenseMatrix.zeros(2, 2)) {
            fails(IllegalArgumentException.class, () -> m.set(1, 0, Float.POSITIVE_INFINITY), "Infinity", "(1, 0)");
            assertEquals(0f, m.get(1, 0), "a rejected value must not be stored");
        }
    }

    @Test
    @DisplayName("R03 negative matrix dimension")
    void r03() {
        fails(IllegalArgumentException.class, () -> DenseMatrix.zeros(-1, 3), "rows = -1", "negative");
        fails(IllegalArgumentException.class, () -> CsrMatrix.builder(3, -2), "3x-2", "negative");
    }

    @Test
    @DisplayName("R04 DenseMatrix.get out of range")
    void r04() {
        try (DenseMatrix m = DenseMatrix.zeros(2, 3)) {
            fails(IndexOutOfBoundsException.class, () -> m.get(2, 0), "2", "length 2");
            fails(IndexOutOfBoundsException.class, () -> m.get(0, -1), "-1");
        }
    }

    @Test
    @DisplayName("R05 CSR columns unsorted within a row")
    void r05() {
        fails(IllegalArgumentException.class,
                () -> CsrMatrix.of(1, 4, new long[] {0, 2}, new int[] {3, 1}, new float[] {1, 2}),
                "unsorted column 1", "row 0");
    }

    @Test
    @DisplayName("R06 CSR duplicate column within a row")
    void r06() {
        fails(IllegalArgumentException.class,
                () -> CsrMatrix.of(2, 4, new long[] {0, 0, 2}, new int[] {2, 2}, new float[] {1, 2}),
                "duplicate column 2", "row 1");
    }

    @Test
    @DisplayName("R07 CSR column index negative or beyond the column count")
    void r07() {
        fails(IllegalArgumentException.class,
                () -> CsrMatrix.of(1, 4, new long[] {0, 1}, new int[] {-1}, new float[] {1}), "column index -1", "[0, 4)");
        fails(IllegalArgumentException.class,
                () -> CsrMatrix.of(1, 4, new long[] {0, 1}, new int[] {4}, new float[] {1}), "column index 4", "[0, 4)");
    }

    @Test
    @DisplayName("R08 COO duplicate (row, column) under DuplicatePolicy.ERROR")
    void r08() {
        fails(DuplicateEntryException.class, () -> CsrMatrix.fromCoo(2, 2, new int[] {0, 0}, new int[] {1, 1},
                new float[] {1, 2}, DuplicatePolicy.ERROR), "duplicate entry at (0, 1)", "DuplicatePolicy.SUM");
    }

    @Test
    @DisplayName("R09 CSR value NaN or infinite")
    void r09() {
        fails(IllegalArgumentException.class,
                () -> CsrMatrix.of(1, 2, new long[] {0, 1}, new int[] {1}, new float[] {Float.NaN}), "NaN", "(0, 1)", "not finite");
        try (CsrMatrix.Builder b = CsrMatrix.builder(2, 2)) {
            fails(IllegalArgumentException.class, () -> b.add(0, 0, Float.NEGATIVE_INFINITY), "-Infinity");
        }
    }

    @Test
    @DisplayName("R10 CSR row offsets decreasing or not starting at 0")
    void r10() {
        fails(IllegalArgumentException.class,
                () -> CsrMatrix.of(2, 2, new long[] {0, 2, 1}, new int[] {0}, new float[] {1}), "beyond nnz");
        fails(IllegalArgumentException.class,
                () -> CsrMatrix.of(3, 2, new long[] {0, 1, 0, 1}, new int[] {0}, new float[] {1}), "decreases at row 1");
        fails(IllegalArgumentException.class,
                () -> CsrMatrix.of(1, 2, new long[] {1, 1}, new int[] {0}, new float[] {1}), "rowOffsets[0] = 1");
    }

    @Test
    @DisplayName("R11 nnz beyond int range declared over heap arrays")
    void r11() {
        // Heap arrays cannot hold 3·10^9 entries; CsrMatrix.builder (off-heap, long offsets) can.
        fails(IllegalArgumentException.class,
                () -> CsrMatrix.of(1, 2, new long[] {0, 3_000_000_000L}, new int[] {0}, new float[] {1}),
                "3000000000 (nnz)", "colIndices has length 1");
    }

    @Test
    @DisplayName("R12 CSR builder entry outside the shape")
    void r12() {
        try (CsrMatrix.Builder b = CsrMatrix.builder(3, 2)) {
            fails(IllegalArgumentException.class, () -> b.add(5, 0, 1f), "(5, 0)", "3x2");
            fails(IllegalArgumentException.class, () -> b.add(0, -1, 1f), "(0, -1)");
        }
    }

    @Test
    @DisplayName("R13 DenseMatrix used after close")
    void r13() {
        DenseMatrix m = DenseMatrix.zeros(2, 3);
        m.close();
        m.close(); // idempotent
        fails(IllegalStateException.class, () -> m.get(0, 0), "2x3", "closed");
        fails(IllegalStateException.class, () -> m.fill(1f), "closed");
    }

    @Test
    @DisplayName("R14 CsrMatrix and Observations used after close")
    void r14() {
        CsrMatrix a = CsrMatrix.fromCoo(2, 2, new int[] {0}, new int[] {1}, new float[] {3}, DuplicatePolicy.ERROR);
        Observations obs = Observations.of(a);
        a.close();
        fails(IllegalStateException.class, () -> a.get(0, 1), "closed");
        fails(IllegalStateException.class, a::transpose, "closed");
        obs.close();
        try (FactorModel model = FactorModel.create(2, 2, 1, false, Initializer.uniform(1), SEQ)) {
            fails(IllegalStateException.class, () -> Als.builder().kernels(SEQ).build().fit(model, obs), "closed");
        }
    }

    @Test
    @DisplayName("R15 empty matrices (0 rows or 0 columns)")
    void r15() {
        try (DenseMatrix a = DenseMatrix.zeros(0, 3); DenseMatrix b = DenseMatrix.zeros(3, 0);
             DenseMatrix c = DenseMatrix.zeros(0, 0); DenseMatrix g = DenseMatrix.zeros(3, 3)) {
            SEQ.gemm(1f, Op.IDENTITY, a, Op.IDENTITY, b, 0f, c);
            assertEquals(0.0, SEQ.dot(a, a));
            SEQ.gram(a, g);
            assertEquals(0f, g.get(2, 2), "AᵀA of a 0-row matrix is the zero matrix");
            assertEquals(0, SEQ.topK(g, 0, a, 1).indices().length, "top-k over no items is empty");
        }
    }

    // ------------------------------------------------------------------ models and data

    @Test
    @DisplayName("R30 rank zero or negative")
    void r30() {
        fails(IllegalArgumentException.class, () -> FactorModel.create(3, 4, 0, false, Initializer.uniform(1), SEQ),
                "rank = 0", "at least 1");
        fails(IllegalArgumentException.class, () -> FactorModel.create(-3, 4, 2, false, Initializer.uniform(1), SEQ),
                "users = -3", "negative");
    }

    @Test
    @DisplayName("R31 rank above min(users, items) with and without regularization")
    void r31() {
        // Allowed: with ρ > 0 every ALS normal matrix is positive definite, so rank 6 on a 3x4 matrix is fine.
        try (CsrMatrix a = CsrMatrix.fromCoo(3, 4, new int[] {0, 1, 2}, new int[] {0, 1, 3}, new float[] {4, 2, 5},
                     DuplicatePolicy.ERROR);
             Observations obs = Observations.of(a);
             FactorModel model = FactorModel.create(3, 4, 6, false, Initializer.scaledNormal(3), SEQ)) {
            Als.builder().kernels(SEQ).maxIterations(3).build().fit(model, obs);
            assertTrue(Float.isFinite(model.predict(2, 3)));
            // With ρ = 0 a user with fewer ratings than the rank has a singular system: named, with the fix.
            fails(ArithmeticException.class, () -> Als.builder().kernels(SEQ).regularization(Regularization.none())
                    .build().fit(model, obs), "singular", "rank 6", "positive factor regularization");
        }
    }

    @Test
    @DisplayName("R32 data shape differs from the model shape")
    void r32() {
        try (CsrMatrix a = CsrMatrix.fromCoo(2, 2, new int[] {0}, new int[] {1}, new float[] {3}, DuplicatePolicy.ERROR);
             Observations obs = Observations.of(a);
             FactorModel model = FactorModel.create(2, 3, 2, false, Initializer.uniform(1), SEQ)) {
            fails(IllegalArgumentException.class, () -> Als.builder().kernels(SEQ).build().fit(model, obs),
                    "the data is 2x2", "the model is 2x3");
            fails(IllegalArgumentException.class, () -> Sgd.builder().kernels(SEQ).build().fit(model, obs), "2x2", "2x3");
        }
    }

    @Test
    @DisplayName("R33 users and items with no ratings")
    void r33() {
        // Not an error: an unrated user's or item's factors are driven to zero by the regularization (ALS
        // solves (ρI)x = 0) or left where they were (SGD never visits them); they stay finite.
        try (CsrMatrix a = CsrMatrix.fromCoo(4, 5, new int[] {0, 2}, new int[] {1, 3}, new float[] {3, 5},
                     DuplicatePolicy.ERROR);
             Observations obs = Observations.of(a);
             FactorModel model = FactorModel.create(4, 5, 2, true, Initializer.scaledNormal(2), SEQ)) {
            Als.builder().kernels(SEQ).maxIterations(2).build().fit(model, obs);
            assertEquals(0f, model.userFactors().get(1, 0), "unrated user 1");
            assertEquals(0f, model.itemFactors().get(4, 1), "unrated item 4");
            Sgd.builder().kernels(SEQ).maxEpochs(2).grid(2).build().fit(model, obs);
            for (float x : model.userFactors().toFlatArray()) {
                assertTrue(Float.isFinite(x));
            }
        }
    }

    @Test
    @DisplayName("R34 no ratings at all")
    void r34() {
        try (CsrMatrix a = CsrMatrix.builder(3, 3).build(DuplicatePolicy.ERROR);
             Observations obs = Observations.of(a);
             FactorModel model = FactorModel.create(3, 3, 2, true, Initializer.scaledNormal(2), SEQ)) {
            Als.builder().kernels(SEQ).maxIterations(1).build().fit(model, obs);
            assertEquals(0f, model.predict(0, 0), "an empty fit predicts 0 (no mean to learn)");
        }
        Ratings none = Ratings.builder().build(DuplicatePolicy.ERROR);
        fails(IllegalArgumentException.class, () -> Metrics.rmse((u, i) -> 0f, none), "no ratings");
    }

    @Test
    @DisplayName("R35 implicit-feedback ALS on negative values or with biases")
    void r35() {
        try (CsrMatrix a = CsrMatrix.fromCoo(2, 2, new int[] {0, 1}, new int[] {0, 1}, new float[] {2, -1},
                     DuplicatePolicy.ERROR);
             Observations obs = Observations.of(a);
             FactorModel plain = FactorModel.create(2, 2, 1, false, Initializer.uniform(1), SEQ);
             FactorModel biased = FactorModel.create(2, 2, 1, true, Initializer.uniform(1), SEQ)) {
            fails(IllegalArgumentException.class, () -> Als.builder().implicit(1f).kernels(SEQ).build().fit(plain, obs),
                    "non-negative", "-1.0");
            fails(IllegalArgumentException.class, () -> Als.builder().implicit(1f).kernels(SEQ).build().fit(biased, obs),
                    "without biases");
        }
    }

    @Test
    @DisplayName("R36 mask with a value other than 0 or 1")
    void r36() {
        try (DenseMatrix a = DenseMatrix.of(1, 2, 3f, 4f); DenseMatrix mask = DenseMatrix.of(1, 2, 1f, 0.5f);
             DenseMatrix wrong = DenseMatrix.zeros(2, 1)) {
            fails(IllegalArgumentException.class, () -> Observations.masked(a, mask), "mask value 0.5", "(0, 1)");
            fails(IllegalArgumentException.class, () -> Observations.masked(a, wrong), "A is 1x2", "mask is 2x1");
        }
    }

    @Test
    @DisplayName("R37 epoch limit below 1, negative tolerance, zero time budget")
    void r37() {
        fails(IllegalArgumentException.class, () -> Als.builder().maxIterations(0), "= 0", "at least 1");
        fails(IllegalArgumentException.class, () -> Sgd.builder().tolerance(-1), "tolerance = -1.0");
        fails(IllegalArgumentException.class, () -> Trainer.builder(GradientDescent.of(0.1)).timeBudget(java.time.Duration.ZERO),
                "time budget", "positive");
    }

    @Test
    @DisplayName("R38 learning rate zero, negative or NaN")
    void r38() {
        fails(IllegalArgumentException.class, () -> GradientDescent.of(0), "0.0", "positive and finite");
        fails(IllegalArgumentException.class, () -> LearningRate.constant(Double.NaN), "NaN", "positive and finite");
        fails(IllegalArgumentException.class, () -> Sgd.builder().learningRate(LearningRate.constant(-1)), "-1.0");
    }

    @Test
    @DisplayName("R39 loss weights or regularization negative or non-finite")
    void r39() {
        fails(IllegalArgumentException.class, () -> Regularization.of(-0.1f), "-0.1", "non-negative");
        fails(IllegalArgumentException.class, () -> Als.builder().observedWeight(Float.NaN), "lambda1", "NaN");
        try (DenseMatrix a = DenseMatrix.of(1, 2, 3f, 4f); Observations obs = Observations.nonZero(a)) {
            fails(IllegalArgumentException.class, () -> {
                try (Loss l = SquaredLoss.l4(obs, 1f, -2f, Regularization.none(), SEQ)) {
                    l.users();
                }
            }, "-2.0");
        }
    }

    @Test
    @DisplayName("R40 thread count below 1")
    void r40() {
        fails(IllegalArgumentException.class, () -> Parallel.threads(0), "threads = 0", "at least 1");
    }

    // ------------------------------------------------------------------ ratings files

    private static Ratings csv(String text) throws IOException {
        return RatingsReader.of(RatingsFormat.MOVIELENS_CSV).read(new BufferedReader(new StringReader(text)), "r.csv");
    }

    private static final String HEADER = "userId,movieId,rating,timestamp\n";

    @Test
    @DisplayName("R50 ratings file: rating is not a number")
    void r50() {
        RatingsParseException e = fails(RatingsParseException.class, () -> csv(HEADER + "1,2,3,4\n1,3,four,5\n"),
                "r.csv", "3", "\"four\" is not a number");
        assertEquals(3, e.line());
        fails(RatingsParseException.class, () -> csv(HEADER + "1,2,NaN,4\n"), "\"NaN\" is not a number");
    }

    @Test
    @DisplayName("R51 ratings file: truncated line (missing fields)")
    void r51() {
        fails(RatingsParseException.class, () -> csv(HEADER + "1,2,3,4\n7,8"), "r.csv:3:", "expected at least 4 fields");
    }

    @Test
    @DisplayName("R52 ratings file: rating beyond float range")
    void r52() {
        fails(RatingsParseException.class, () -> csv(HEADER + "1,2,1e39,4\n"), "\"1e39\" is out of float range");
    }

    @Test
    @DisplayName("R53 ratings file: the same (user, item) twice")
    void r53() throws IOException {
        fails(RatingsParseException.class, () -> csv(HEADER + "1,2,3,4\n5,6,1,1\n1,2,4,9\n"), "r.csv:4:", "first on line 2");
        Ratings last = RatingsReader.of(RatingsFormat.MOVIELENS_CSV).withDuplicates(DuplicatePolicy.LAST)
                .read(new BufferedReader(new StringReader(HEADER + "1,2,3,4\n1,2,4,9\n")), "r.csv");
        assertEquals(4f, last.value(0));
    }

    @Test
    @DisplayName("R54 ratings file: bytes that are not UTF-8")
    void r54(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("latin1.csv");
        Files.write(file, (HEADER + "1,2,3,4\n").getBytes(StandardCharsets.UTF_8));
        Files.write(file, new byte[] {'2', ',', (byte) 0xE9, ',', '1', ',', '1', '\n'}, java.nio.file.StandardOpenOption.APPEND);
        fails(RatingsParseException.class, () -> RatingsReader.of(RatingsFormat.MOVIELENS_CSV).read(file),
                "latin1.csv", "not valid UTF-8", "re-encode");
    }

    @Test
    @DisplayName("R55 ratings file: missing")
    void r55(@TempDir Path dir) {
        fails(NoSuchFileException.class, () -> RatingsReader.of(RatingsFormat.MOVIELENS_CSV).read(dir.resolve("nope.csv")),
                "nope.csv");
    }

    @Test
    @DisplayName("R56 ratings file: empty or header only")
    void r56() throws IOException {
        // Not an error: zero ratings; what needs ratings says so (R34).
        assertEquals(0, csv("").size());
        assertEquals(0, csv(HEADER).size());
    }

    @Test
    @DisplayName("R57 ratings file: a bad line skipped on request")
    void r57() throws IOException {
        Ratings r = RatingsReader.of(RatingsFormat.MOVIELENS_CSV).skippingBadLines()
                .read(new BufferedReader(new StringReader(HEADER + "1,2,3,4\n1,3,x,5\n,4,2,2\n2,2,5,6\n")), "r.csv");
        assertEquals(2, r.size());
        assertEquals(2, r.skippedLines());
    }

    private static Ratings mm(String text) throws IOException {
        return RatingsReader.of(RatingsFormat.MATRIX_MARKET).read(new BufferedReader(new StringReader(text)), "m.mtx");
    }

    @Test
    @DisplayName("R58 MatrixMarket: no banner line")
    void r58() {
        fails(RatingsParseException.class, () -> mm("3 3 1\n1 1 2\n"), "m.mtx", "not a MatrixMarket file");
        fails(RatingsParseException.class, () -> mm("%%MatrixMarket matrix array real general\n2 2\n"), "only",
                "coordinate");
    }

    @Test
    @DisplayName("R59 MatrixMarket: truncated (fewer entries than the size line declares)")
    void r59() {
        fails(RatingsParseException.class, () -> mm("%%MatrixMarket matrix coordinate real general\n3 3 3\n1 1 2\n2 2 1\n"),
                "declares 3 entries but the file has 2");
    }

    @Test
    @DisplayName("R60 MatrixMarket: index out of range or zero")
    void r60() {
        fails(RatingsParseException.class, () -> mm("%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 2\n"),
                "m.mtx:3:", "row 3 is out of range [1, 2]");
        fails(RatingsParseException.class, () -> mm("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 0 2\n"),
                "column 0 is out of range [1, 2]");
    }

    @Test
    @DisplayName("R61 MatrixMarket: size line declaring more ids than the heap holds")
    void r61() {
        fails(RatingsParseException.class,
                () -> mm("%%MatrixMarket matrix coordinate real general\n2000000000 2000000000 1\n1 1 1\n"),
                "m.mtx:2:", "2000000000x2000000000", "more than this JVM's heap");
    }

    @Test
    @DisplayName("R62 ratings split: fraction outside (0, 1)")
    void r62() throws IOException {
        Ratings r = csv(HEADER + "1,2,3,4\n1,3,3,5\n");
        fails(IllegalArgumentException.class, () -> Splits.randomHoldout(r, 1.5, 1), "testFraction = 1.5", "(0, 1)");
        fails(IllegalArgumentException.class, () -> Splits.kFold(r, 5, 1), "folds = 5");
    }
}
