package dev.lowrank.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DuplicatePolicy;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RatingsReaderTest {

    private static Ratings read(RatingsReader reader, String text) throws IOException {
        return reader.read(new BufferedReader(new StringReader(text)), "test.txt");
    }

    private static RatingsParseException failure(RatingsReader reader, String text) {
        return assertThrows(RatingsParseException.class, () -> read(reader, text));
    }

    @Test
    void readsMovieLensCsvWithHeaderBomAndCrlf() throws IOException {
        Ratings r = read(RatingsReader.of(RatingsFormat.MOVIELENS_CSV),
                "\uFEFFuserId,movieId,rating,timestamp\r\n1,31,2.5,1260759144\r\n1,1029,3,1260759179\r\n\r\n7,31,5,1\r\n");
        assertEquals(3, r.size());
        assertEquals(2, r.userCount());
        assertEquals(2, r.itemCount());
        assertEquals("7", r.users().id(r.user(2)));
        assertEquals("31", r.items().id(r.item(2)));
        assertEquals(2.5f, r.value(0));
        assertEquals(1260759179L, r.timestamp(1));
        assertEquals((2.5 + 3 + 5) / 3, r.mean(), 1e-12);
    }

    @Test
    void readsDatAndUdataAndGenericImplicit() throws IOException {
        Ratings dat = read(RatingsReader.of(RatingsFormat.MOVIELENS_DAT), "1::1193::5::978300760\n2::1193::4::978300761\n");
        assertEquals(2, dat.size());
        assertEquals(1, dat.itemCount());
        Ratings udata = read(RatingsReader.of(RatingsFormat.MOVIELENS_UDATA), "196\t242\t3\t881250949\n");
        assertEquals(3f, udata.value(0));
        // user;item, no rating column: every line is an implicit observation of value 1
        Ratings implicit = read(RatingsReader.of(RatingsFormat.delimited(";", false, 1, 0, -1, -1)),
                "book-a ; alice\nbook-b;alice\n");
        assertEquals(1, implicit.userCount());
        assertEquals("alice", implicit.users().id(0));
        assertEquals("book-b", implicit.items().id(implicit.item(1)));
        assertEquals(1f, implicit.value(1));
        assertFalse(implicit.hasTimestamps());
        assertThrows(IllegalStateException.class, () -> implicit.timestamp(0));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "1,31|3|expected at least 4 fields",
        "1,31,abc,5|2|the rating \"abc\" is not a number",
        "1,31,NaN,5|2|the rating \"NaN\" is not a number",
        "1,31,Infinity,5|2|is not a number",
        "1,31,1e39,5|2|out of float range",
        "1,31,4f,5|2|is not a number",
        "1,31,4,12:30|2|the timestamp \"12:30\" is not an integer",
        ",31,4,5|2|the user id is empty",
    })
    void badLinesNameFileLineAndProblem(String bad, int line, String problem) {
        String text = "userId,movieId,rating,timestamp\n" + (line == 3 ? "2,5,1,1\n" : "") + bad + "\n9,9,1,1\n";
        RatingsParseException e = failure(RatingsReader.of(RatingsFormat.MOVIELENS_CSV), text);
        assertEquals(line, e.line());
        assertEquals("test.txt", e.file());
        assertTrue(e.getMessage().startsWith("test.txt:" + line + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
    }

    @Test
    void skipsAndCountsBadLinesWhenAsked() throws IOException {
        Ratings r = read(RatingsReader.of(RatingsFormat.MOVIELENS_CSV).skippingBadLines(),
                "h\n1,2,3,4\n1,x,?,4\nonly-one-field\n2,2,4,5\n");
        assertEquals(2, r.size());
        assertEquals(2, r.skippedLines());
    }

    @Test
    void duplicatePairIsAnErrorNamingBothLines() {
        RatingsParseException e = failure(RatingsReader.of(RatingsFormat.MOVIELENS_UDATA), "1\t2\t3\t0\n5\t5\t5\t0\n1\t2\t4\t9\n");
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("duplicate rating of item \"2\" by user \"1\" (first on line 1)"), e.getMessage());
    }

    @Test
    void duplicatePoliciesLastAndSum() throws IOException {
        String text = "1\t2\t3\t10\n1\t3\t1\t11\n1\t2\t4\t5\n";
        Ratings last = read(RatingsReader.of(RatingsFormat.MOVIELENS_UDATA).withDuplicates(DuplicatePolicy.LAST), text);
        assertEquals(2, last.size());
        assertEquals(1f, last.value(0)); // survivors keep their order: (1,3) then the later (1,2)
        assertEquals(4f, last.value(1));
        assertEquals(5L, last.timestamp(1));
        Ratings sum = read(RatingsReader.of(RatingsFormat.MOVIELENS_UDATA).withDuplicates(DuplicatePolicy.SUM), text);
        assertEquals(7f, sum.value(1));
        assertEquals(10L, sum.timestamp(1));
    }

    @Test
    void matrixMarketRealPatternSymmetric() throws IOException {
        Ratings real = read(RatingsReader.of(RatingsFormat.MATRIX_MARKET),
                "%%MatrixMarket matrix coordinate real general\n% a comment\n3 4 2\n1 1 1.5\n3 4 -2\n");
        assertEquals(3, real.userCount());
        assertEquals(4, real.itemCount());
        try (CsrMatrix m = real.toCsr()) {
            assertEquals(1.5f, m.get(0, 0));
            assertEquals(-2f, m.get(2, 3));
            assertEquals(2, m.nnz());
        }
        Ratings pattern = read(RatingsReader.of(RatingsFormat.MATRIX_MARKET),
                "%%MatrixMarket matrix coordinate pattern symmetric\n2 2 2\n1 1\n2 1\n");
        try (CsrMatrix m = pattern.toCsr()) {
            assertEquals(3, m.nnz());
            assertEquals(1f, m.get(0, 1));
            assertEquals(1f, m.get(1, 0));
        }
        Ratings skew = read(RatingsReader.of(RatingsFormat.MATRIX_MARKET),
                "%%MatrixMarket matrix coordinate integer skew-symmetric\n2 2 1\n2 1 7\n");
        try (CsrMatrix m = skew.toCsr()) {
            assertEquals(7f, m.get(1, 0));
            assertEquals(-7f, m.get(0, 1));
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "1 2 3|1|not a MatrixMarket file",
        "%%MatrixMarket matrix array real general|1|only '%%MatrixMarket matrix coordinate",
        "%%MatrixMarket matrix coordinate complex general|1|field 'complex' is not supported",
        "%%MatrixMarket matrix coordinate real hermitian|1|symmetry 'hermitian' is not supported",
        "%%MatrixMarket matrix coordinate real general\\n2 2|2|the size line must be",
        "%%MatrixMarket matrix coordinate real general\\n2 -2 1|2|is not a count",
        "%%MatrixMarket matrix coordinate real symmetric\\n2 3 1|2|must be square",
        "%%MatrixMarket matrix coordinate real general\\n2 2 1\\n3 1 1|3|the row 3 is out of range [1, 2]",
        "%%MatrixMarket matrix coordinate real general\\n2 2 1\\n1 1|3|expected 3 numbers but found 2",
        "%%MatrixMarket matrix coordinate real general\\n2 2 2\\n1 1 1|3|declares 2 entries but the file has 1",
        "%%MatrixMarket matrix coordinate real general\\n2 2 1\\n1 1 1\\n2 2 2|4|more entries than the 1",
        "%%MatrixMarket matrix coordinate real general|1|the size line 'rows cols entries' is missing",
    })
    void matrixMarketErrors(String text, int line, String problem) {
        RatingsParseException e = failure(RatingsReader.of(RatingsFormat.MATRIX_MARKET), text.replace("\\n", "\n") + "\n");
        assertTrue(e.getMessage().contains(problem), e.getMessage());
        assertEquals(line, e.line(), e.getMessage());
    }

    @Test
    void formatValidation() {
        assertThrows(IllegalArgumentException.class, () -> RatingsFormat.delimited("", false, 0, 1, 2, 3));
        assertThrows(IllegalArgumentException.class, () -> RatingsFormat.delimited(",", false, 0, 0, 2, 3));
        assertThrows(IllegalArgumentException.class, () -> RatingsFormat.delimited(",", false, -1, 1, 2, 3));
        assertThrows(IllegalArgumentException.class, () -> RatingsFormat.delimited(",", false, 0, 1, -2, 3));
    }

    @Test
    void readsMovieLensSmallFromSharedData() throws IOException {
        Path file = Path.of("../shared/data/movielens-small/ratings.csv");
        Assumptions.assumeTrue(Files.isRegularFile(file),
                "skipped: ../shared/data/movielens-small/ratings.csv is absent (it is not part of the repository)");
        Ratings r = RatingsReader.of(RatingsFormat.MOVIELENS_CSV).read(file);
        assertEquals(100_004, r.size());
        assertEquals(671, r.userCount());
        assertEquals(9_066, r.itemCount());
        try (CsrMatrix m = r.toCsr()) {
            assertEquals(100_004, m.nnz());
        }
    }
}
