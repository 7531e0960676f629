package dev.lowrank.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.lowrank.io.Ratings;
import dev.lowrank.io.RatingsFormat;
import dev.lowrank.io.RatingsParseException;
import dev.lowrank.io.RatingsReader;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DuplicatePolicy;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The ratings readers under Jazzer. During {@code verify} each target only replays its committed corpus
 * (src/test/resources/dev/lowrank/reliability/RatingsReaderFuzzTestInputs/&lt;method&gt;); with
 * {@code JAZZER_FUZZ=1} (bench/fuzz.sh, or the fuzz profile) Jazzer mutates it, guided by coverage.
 *
 * <p>The contract checked: whatever the bytes, a read either returns a consistent {@link Ratings} or throws
 * {@link RatingsParseException} (bad content, including bytes that are not UTF-8). Anything else — an
 * IndexOutOfBounds, a NumberFormatException, an OutOfMemoryError, a plain IOException from a stream that
 * never fails — is a finding. The last two bytes of an input choose the reader's options.
 */
class RatingsReaderFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void movieLensCsv(FuzzedDataProvider data) {
        read("movieLensCsv", RatingsFormat.MOVIELENS_CSV, data);
    }

    @FuzzTest(maxDuration = "10s")
    void movieLensDat(FuzzedDataProvider data) {
        read("movieLensDat", RatingsFormat.MOVIELENS_DAT, data);
    }

    @FuzzTest(maxDuration = "10s")
    void movieLensUdata(FuzzedDataProvider data) {
        read("movieLensUdata", RatingsFormat.MOVIELENS_UDATA, data);
    }

    @FuzzTest(maxDuration = "10s")
    void matrixMarket(FuzzedDataProvider data) {
        read("matrixMarket", RatingsFormat.MATRIX_MARKET, data);
    }

    static void read(String target, RatingsFormat format, FuzzedDataProvider data) {
        FuzzStats.count("RatingsReaderFuzzTest." + target);
        boolean skip = data.consumeBoolean();
        DuplicatePolicy policy = data.pickValue(DuplicatePolicy.values());
        byte[] bytes = data.consumeRemainingAsBytes();
        check(format, skip, policy, bytes);
    }

    /** One input through one reader. */
    static void check(RatingsFormat format, boolean skip, DuplicatePolicy policy, byte[] bytes) {
        RatingsReader reader = RatingsReader.of(format).withDuplicates(policy);
        if (skip) {
            reader = reader.skippingBadLines();
        }
        // The same strict decoder Files.newBufferedReader uses, so non-UTF-8 bytes take the file path's route.
        BufferedReader in = new BufferedReader(new InputStreamReader(new ByteArrayInputStream(bytes),
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)));
        Ratings ratings;
        try {
            ratings = reader.read(in, "fuzz");
        } catch (RatingsParseException expected) {
            assertTrue(expected.line() >= 1, () -> "line " + expected.line() + " in " + expected.getMessage());
            assertTrue(expected.getMessage().contains("fuzz"), expected::getMessage);
            return;
        } catch (IOException e) {
            throw new AssertionError("a read from memory threw " + e + " instead of RatingsParseException", e);
        }
        consistent(ratings, policy);
    }

    private static void consistent(Ratings ratings, DuplicatePolicy policy) {
        for (int t = 0; t < ratings.size(); t++) {
            int u = ratings.user(t);
            int i = ratings.item(t);
            assertTrue(u >= 0 && u < ratings.userCount(), "user index " + u);
            assertTrue(i >= 0 && i < ratings.itemCount(), "item index " + i);
            assertTrue(Float.isFinite(ratings.value(t)), "value " + ratings.value(t));
        }
        if (ratings.userCount() > 100_000 || ratings.itemCount() > 100_000) {
            return;
        }
        try (CsrMatrix a = ratings.toCsr()) {
            assertEquals(ratings.userCount(), a.rows());
            assertEquals(ratings.itemCount(), a.cols());
            assertEquals(ratings.size(), a.nnz());
        }
    }
}
