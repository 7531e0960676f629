package dev.lowrank.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The command line through {@link Main#run}: exit codes, usage, progress, JSON, every command on tiny files. */
class MainTest {

    @TempDir
    Path dir;

    /** What one command line printed and returned. */
    record Run(int code, String out, String err) {
        String describe() {
            return "exit " + code + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    static Run run(Progress.Mode mode, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = mode == null ? Main.run(args, o, e) : Main.run(args, o, e, mode);
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Run run(String... args) {
        return run(null, args);
    }

    /**
     * A MovieLens-layout ratings.csv: 3 + a planted rank-2 score + noise 0.1, about {@code density} of
     * the pairs, user ids "1".."users", item ids "m0".. (not numbers, so id maps are really exercised).
     */
    static Path ratingsFile(Path dir, int users, int items, double density, long seed) throws Exception {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] pu = new double[users][2];
        double[][] pv = new double[items][2];
        for (double[] row : pu) {
            row[0] = r.nextGaussian();
            row[1] = r.nextGaussian();
        }
        for (double[] row : pv) {
            row[0] = r.nextGaussian();
            row[1] = r.nextGaussian();
        }
        StringBuilder csv = new StringBuilder("userId,movieId,rating,timestamp\n");
        for (int i = 0; i < users; i++) {
            for (int j = 0; j < items; j++) {
                if (r.nextDouble() < density) {
                    double x = 3 + 0.7 * (pu[i][0] * pv[j][0] + pu[i][1] * pv[j][1]) + 0.1 * r.nextGaussian();
                    csv.append(i + 1).append(",m").append(j).append(',').append((float) x).append(',').append(1000 + i * items + j)
                            .append('\n');
                }
            }
        }
        Path file = dir.resolve("ratings.csv");
        Files.writeString(file, csv);
        return file;
    }

    private Path ratings() throws Exception {
        return ratingsFile(dir, 60, 40, 0.5, 11);
    }

    // ------------------------------------------------------------------ help, version, usage errors

    @ParameterizedTest
    @ValueSource(strings = {"help", "--help", "-h"})
    void helpPrintsTheCommandsAndExitsZero(String arg) {
        Run r = run(arg);
        assertEquals(0, r.code(), r.describe());
        for (String command : List.of("train", "eval", "recommend", "similar", "bench", "demo")) {
            assertTrue(r.out().contains("  " + command + " "), command + " missing from:\n" + r.out());
        }
        assertEquals("", r.err());
    }

    @Test
    void noArgumentsPrintsUsage() {
        Run r = run();
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("usage: lowrank"), r.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"train", "eval", "recommend", "similar", "bench", "demo"})
    void everyCommandHasItsOwnHelp(String command) {
        Run viaHelp = run("help", command);
        Run viaFlag = run(command, "--help");
        assertEquals(0, viaHelp.code(), viaHelp.describe());
        assertEquals(0, viaFlag.code(), viaFlag.describe());
        assertTrue(viaHelp.out().startsWith("usage: lowrank " + command), viaHelp.out());
        assertEquals(viaHelp.out(), viaFlag.out());
    }

    @Test
    void versionIsThePomVersion() throws Exception {
        // Surefire runs in the project directory, where pom.xml is.
        String pom = Files.readString(Path.of("pom.xml"));
        Matcher m = Pattern.compile("<artifactId>lowrank</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        assertTrue(m.find(), "no project version in pom.xml");
        Run r = run("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("lowrank " + m.group(1) + " "), r.out());
    }

    static Stream<Arguments> wrongArguments() {
        return Stream.of(
                Arguments.of(List.of("frobnicate"), "unknown command 'frobnicate'"),
                Arguments.of(List.of("--frobnicate"), "unknown option '--frobnicate'"),
                Arguments.of(List.of("help", "nope"), "no command 'nope'"),
                Arguments.of(List.of("train", "--input", "F", "--colour", "red"), "unknown option '--colour'"),
                Arguments.of(List.of("train", "--input"), "--input needs a value"),
                Arguments.of(List.of("train", "--input", "F", "--rank"), "--rank needs a value"),
                Arguments.of(List.of("train", "--input", "F", "--rank", "--epochs", "3"), "--rank needs a value"),
                Arguments.of(List.of("train", "--input", "F", "--rank", "abc"), "--rank 'abc' is not a whole number"),
                Arguments.of(List.of("train", "--input", "F", "--rank", "0"), "--rank is 0 but must be at least 1"),
                Arguments.of(List.of("train", "--input", "F", "--rank", "-3"), "--rank is -3 but must be at least 1"),
                Arguments.of(List.of("train", "--input", "F", "--epochs", "2.5"), "--epochs '2.5' is not a whole number"),
                Arguments.of(List.of("train", "--input", "F", "--lambda", "NaN"), "--lambda 'NaN' is not a number"),
                Arguments.of(List.of("train", "--input", "F", "--lambda", "-1"), "--lambda is -1 but must be >= 0"),
                Arguments.of(List.of("train", "--input", "F", "--test-fraction", "1.5"), "--test-fraction is 1.5 but must be between 0 and 1"),
                Arguments.of(List.of("train", "--input", "F", "--test-fraction", "0"), "--test-fraction is 0 but must be between 0 and 1"),
                Arguments.of(List.of("train", "--input", "F", "--test-fraction=1"), "--test-fraction is 1 but must be between 0 and 1"),
                Arguments.of(List.of("train", "--input", "F", "--solver", "newton"), "unknown --solver 'newton'"),
                Arguments.of(List.of("train", "--input", "F", "--learning-rate", "0.1"), "--learning-rate does not apply to als"),
                Arguments.of(List.of("train", "--input", "F", "--solver", "sgd", "--learning-rate", "0"), "--learning-rate is 0 but must be > 0"),
                Arguments.of(List.of("train", "--input", "F", "--format", "xml"), "unknown --format 'xml'"),
                Arguments.of(List.of("train", "--input", "F", "--format", "delimited(sep=tab,user=0,item=0)"), "field 0 is named for two columns"),
                Arguments.of(List.of("train", "--input", "F", "--format", "delimited(colour=red)"), "unknown key 'colour'"),
                Arguments.of(List.of("train", "--input", "F", "--threads", "0"), "--threads is 0 but must be at least 1"),
                Arguments.of(List.of("train", "--input", "F", "--seed", "1", "--seed", "2"), "--seed is given twice"),
                Arguments.of(List.of("train", "--input", "F", "--json=yes"), "--json takes no value"),
                Arguments.of(List.of("train", "--input", "F", "extra"), "unexpected argument 'extra'"),
                Arguments.of(List.of("train"), "--input is required"),
                Arguments.of(List.of("recommend", "--model", "M"), "--user is required"),
                Arguments.of(List.of("recommend", "--model", "M", "--user", "1", "-n", "0"), "--n is 0 but must be at least 1"),
                Arguments.of(List.of("similar", "--item", "I"), "--model is required"),
                Arguments.of(List.of("eval", "--model", "M", "--input", "F", "-k", "x"), "--k 'x' is not a whole number"),
                Arguments.of(List.of("bench", "--seconds", "0"), "--seconds is 0 but must be > 0"),
                Arguments.of(List.of("bench", "--density", "2"), "--density is 2.0 but must be at most 1"));
    }

    @ParameterizedTest
    @MethodSource("wrongArguments")
    void wrongArgumentsGiveOneLineAndUsageOnStderrAndExitTwo(List<String> args, String message) {
        Run r = run(args.toArray(String[]::new));
        assertEquals(2, r.code(), args + "\n" + r.describe());
        assertEquals("", r.out(), "nothing on stdout for " + args);
        String[] lines = r.err().split("\n");
        assertTrue(lines[0].startsWith("lowrank: ") && lines[0].contains(message), "first line for " + args + ": " + lines[0]);
        assertTrue(lines.length > 1 && lines[1].startsWith("usage: lowrank"), "usage after the error:\n" + r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace:\n" + r.err());
    }

    // ------------------------------------------------------------------ runtime failures

    @Test
    void missingFileIsExitOneWithoutStackTrace() {
        Path absent = dir.resolve("absent.csv");
        Run r = run("train", "--input", absent.toString());
        assertEquals(1, r.code(), r.describe());
        assertEquals("lowrank: no such file: " + absent + "\n", r.err());
    }

    @Test
    void parseErrorNamesFileAndLine() throws Exception {
        Path bad = dir.resolve("bad.csv");
        Files.writeString(bad, "userId,movieId,rating,timestamp\n1,2,3.5,0\n1,3,lots,0\n");
        Run r = run("train", "--input", bad.toString());
        assertEquals(1, r.code(), r.describe());
        assertTrue(r.err().startsWith("lowrank: " + bad + ":3: "), r.err());
        assertEquals(1, r.err().lines().count(), r.err());

        Run verbose = run("train", "--input", bad.toString(), "--verbose");
        assertEquals(1, verbose.code());
        assertTrue(verbose.err().contains("RatingsParseException") && verbose.err().contains("\tat "), verbose.err());
    }

    @Test
    void emptyFileIsARuntimeFailure() throws Exception {
        Path empty = dir.resolve("empty.csv");
        Files.writeString(empty, "userId,movieId,rating,timestamp\n");
        Run r = run("train", "--input", empty.toString());
        assertEquals(1, r.code(), r.describe());
        assertTrue(r.err().contains("holds no ratings"), r.err());
    }

    @Test
    void divergedTrainingIsExitOneWithTheReason() throws Exception {
        Run r = run("train", "--input", ratings().toString(), "--solver", "gd", "--learning-rate", "1000", "--epochs", "50");
        assertEquals(1, r.code(), r.describe());
        assertTrue(r.err().startsWith("lowrank: training diverged at epoch "), r.err());
    }

    // ------------------------------------------------------------------ train

    @Test
    void trainPrintsOneProgressLinePerEpochWhenNotATerminal() throws Exception {
        Run r = run("train", "--input", ratings().toString(), "--epochs", "4", "--rank", "4");
        assertEquals(0, r.code(), r.describe());
        assertFalse(r.out().contains("\r"), "no carriage returns in a log");
        List<String> epochs = r.out().lines().filter(l -> l.startsWith("epoch ")).toList();
        assertEquals(4, epochs.size(), r.out());
        for (int e = 1; e <= 4; e++) {
            assertTrue(epochs.get(e - 1).matches("epoch " + e + "/4  loss \\S+  test RMSE \\d\\.\\d{4}  .* s/epoch  ETA .*"),
                    epochs.get(e - 1));
        }
        assertTrue(r.out().contains("ratings.csv: "), r.out());
        assertTrue(r.out().contains("solver   als, rank 4, lambda 10, lambda-bias 5, 4 of 4 epochs (max epochs)"), r.out());
        assertTrue(r.out().matches("(?s).*RMSE     train \\d\\.\\d{4}, test \\d\\.\\d{4}\n.*"), r.out());
        assertTrue(r.out().contains("model    not saved"), r.out());
    }

    @Test
    void trainOnATerminalRewritesOneLine() throws Exception {
        Run r = run(Progress.Mode.TERMINAL, "train", "--input", ratings().toString(), "--epochs", "3", "--rank", "4");
        assertEquals(0, r.code(), r.describe());
        // String.lines() would split at \r too: split at \n only, as a terminal advances lines.
        List<String> lines = List.of(r.out().split("\n"));
        List<String> progress = lines.stream().filter(l -> l.contains("epoch ")).toList();
        assertEquals(1, progress.size(), "one line, rewritten: " + lines);
        String line = progress.get(0);
        assertEquals(3, line.chars().filter(c -> c == '\r').count(), line);
        assertTrue(line.startsWith("\repoch 1/3 ") && line.contains("\repoch 3/3 "), line);
        assertTrue(lines.get(lines.indexOf(line) + 1).startsWith("solver "), "the summary starts on its own line");
    }

    @Test
    void trainJsonIsExactlyOneObjectWithTheFields() throws Exception {
        Path file = ratings();
        long ratingLines = Files.readAllLines(file).size() - 1;
        Run r = run("train", "--input", file.toString(), "--epochs", "3", "--rank", "4", "--json", "--test-fraction", "0.2");
        assertEquals(0, r.code(), r.describe());
        Map<String, Object> json = JsonShape.object(r.out().strip());
        assertTrue(r.out().endsWith("}\n") && r.out().indexOf('\n') == r.out().length() - 1, "one line: " + r.out());
        assertEquals("train", json.get("command"));
        assertEquals(file.toString(), json.get("input"));
        assertEquals((double) ratingLines, json.get("ratings"));
        assertEquals(60.0, json.get("users"));
        assertEquals(40.0, json.get("items"));
        assertEquals((double) Math.round(0.2 * ratingLines), json.get("testRatings"));
        assertEquals((double) ratingLines, (Double) json.get("trainRatings") + (Double) json.get("testRatings"));
        assertEquals("als", json.get("solver"));
        assertEquals(4.0, json.get("rank"));
        assertEquals(3.0, json.get("epochs"));
        assertEquals("MAX_EPOCHS", json.get("stopReason"));
        assertNull(json.get("learningRate"), "ALS has no learning rate");
        assertTrue(json.containsKey("learningRate"));
        assertNull(json.get("model"));
        assertEquals(3, ((List<?>) json.get("loss")).size());
        assertEquals(3, ((List<?>) json.get("testRmsePerEpoch")).size());
        double test = (Double) json.get("testRmse");
        double train = (Double) json.get("trainRmse");
        assertTrue(test > 0 && test < 2 && train > 0 && train < test + 1, r.out());
        assertTrue((Double) json.get("seconds") > 0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"als", "sgd", "adam", "gd"})
    void everySolverTrains(String solver) throws Exception {
        Run r = run("train", "--input", ratings().toString(), "--solver", solver, "--epochs", "3", "--rank", "3", "--json");
        assertEquals(0, r.code(), r.describe());
        Map<String, Object> json = JsonShape.object(r.out());
        assertEquals(solver, json.get("solver"));
        assertEquals(3.0, json.get("epochs"));
        assertTrue(Double.isFinite((Double) json.get("testRmse")), r.out());
        assertEquals(solver.equals("als"), json.get("learningRate") == null);
    }

    /** The defaults train's help lists are the ones a run without those flags reports using. */
    @ParameterizedTest
    @ValueSource(strings = {"als", "sgd", "adam", "gd"})
    void trainHelpStatesTheDefaultsTrainUses(String solver) throws Exception {
        String help = run("train", "--help").out();
        Run r = run("train", "--input", ratings().toString(), "--solver", solver, "--json");
        assertEquals(0, r.code(), r.describe());
        Map<String, Object> json = JsonShape.object(r.out());
        Map<String, String> flagToJson = Map.of("--rank", "rank", "--epochs", "maxEpochs", "--lambda", "lambda",
                "--lambda-bias", "lambdaBias", "--learning-rate", "learningRate");
        for (Map.Entry<String, String> flag : flagToJson.entrySet()) {
            Matcher line = Pattern.compile("(?m)^\\s*" + flag.getKey() + " \\S+ .*$").matcher(help);
            assertTrue(line.find(), flag.getKey() + " missing from:\n" + help);
            Matcher value = Pattern.compile("\\b" + solver + " ([0-9.e-]+)").matcher(line.group());
            Object used = json.get(flag.getValue());
            if (used == null) {
                assertFalse(value.find(), "help gives " + solver + " a default " + flag.getKey() + ": " + line.group());
            } else {
                assertTrue(value.find(), "help gives " + solver + " no default " + flag.getKey() + ": " + line.group());
                assertEquals((Double) used, Double.parseDouble(value.group(1)), 1e-6 * (Double) used,
                        flag.getKey() + " of " + solver + ": " + line.group());
            }
        }
    }

    @Test
    void alsBeatsPredictingTheMean() throws Exception {
        Path file = ratingsFile(dir, 120, 80, 0.5, 5);
        Run r = run("train", "--input", file.toString(), "--rank", "4", "--lambda", "1", "--lambda-bias", "1", "--json");
        assertEquals(0, r.code(), r.describe());
        Map<String, Object> json = JsonShape.object(r.out());
        // The ratings have a spread of about 1 around 3 and noise 0.1: the mean alone is off by ~1.
        assertTrue((Double) json.get("testRmse") < 0.3, r.out());
        List<?> perEpoch = (List<?>) json.get("testRmsePerEpoch");
        assertEquals(json.get("testRmse"), perEpoch.get(perEpoch.size() - 1), "the last epoch's RMSE is the final one");
    }

    @Test
    void sameSeedSameResultOnOneOrTwoThreads() throws Exception {
        String file = ratings().toString();
        Map<String, Object> one = JsonShape.object(run("train", "--input", file, "--rank", "5", "--epochs", "3",
                "--threads", "1", "--json").out());
        Map<String, Object> two = JsonShape.object(run("train", "--input", file, "--rank", "5", "--epochs", "3",
                "--threads", "2", "--json").out());
        assertEquals(1.0, one.get("threads"));
        assertEquals(2.0, two.get("threads"));
        assertEquals(one.get("testRmse"), two.get("testRmse"));
        assertEquals(one.get("loss"), two.get("loss"));
    }

    @Test
    void delimitedFormatAndEqualsSyntax() throws Exception {
        Path file = dir.resolve("ratings.txt");
        StringBuilder text = new StringBuilder("who;what;stars\n");
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < 30; i++) {
            for (int j = 0; j < 20; j++) {
                if (r.nextDouble() < 0.5) {
                    text.append("user").append(i).append(';').append("item").append(j).append(';').append(1 + r.nextInt(5)).append('\n');
                }
            }
        }
        Files.writeString(file, text);
        Run run = run("train", "--input=" + file, "--format", "delimited(sep=semicolon,header=true,user=0,item=1,rating=2)",
                "--epochs=2", "--rank=2", "--json");
        assertEquals(0, run.code(), run.describe());
        Map<String, Object> json = JsonShape.object(run.out());
        assertEquals(30.0, json.get("users"));
        assertEquals(20.0, json.get("items"));
        // Without --format, a .txt file is read as MovieLens csv: the ';' lines have too few fields.
        Run guessed = run("train", "--input", file.toString());
        assertEquals(1, guessed.code(), guessed.describe());
        assertTrue(guessed.err().startsWith("lowrank: " + file + ":2: "), guessed.err());
    }

    // ------------------------------------------------------------------ model file round trip

    @Test
    void trainSaveRecommendSimilarEval() throws Exception {
        Path file = ratings();
        Path model = dir.resolve("model.lrm");
        Run train = run("train", "--input", file.toString(), "--rank", "4", "--epochs", "4", "--model-out", model.toString(),
                "--json");
        assertEquals(0, train.code(), train.describe());
        Map<String, Object> trained = JsonShape.object(train.out());
        assertEquals(model.toString(), trained.get("model"));
        assertTrue(Files.size(model) > 0);

        // eval with the same split reproduces train's test RMSE exactly: same held-out ratings, same floats.
        Run eval = run("eval", "--model", model.toString(), "--input", file.toString(), "--json", "-k", "5");
        assertEquals(0, eval.code(), eval.describe());
        Map<String, Object> e = JsonShape.object(eval.out());
        assertEquals(trained.get("testRmse"), e.get("rmse"));
        assertEquals(trained.get("testRatings"), e.get("scoredRatings"));
        assertEquals(5.0, e.get("k"));
        for (String metric : List.of("mae", "precision", "recall", "ndcg", "map")) {
            double x = (Double) e.get(metric);
            assertTrue(x >= 0 && x <= (metric.equals("mae") ? 5 : 1), metric + " = " + x);
        }
        assertTrue((Double) e.get("usersEvaluated") > 0, eval.out());
        Run evalText = run("eval", "--model", model.toString(), "--input", file.toString(), "-k", "5");
        assertEquals(0, evalText.code(), evalText.describe());
        assertTrue(evalText.out().contains(String.format(java.util.Locale.ROOT, "RMSE %.4f", (Double) e.get("rmse"))), evalText.out());
        assertTrue(evalText.out().contains("@5 over "), evalText.out());

        // recommend: all 40 items asked for; the user's training items are left out unless --include-seen.
        Map<String, Object> rec = JsonShape.object(run("recommend", "--model", model.toString(), "--user", "7", "-n", "40",
                "--json").out());
        Map<String, Object> all = JsonShape.object(run("recommend", "--model", model.toString(), "--user", "7", "-n", "40",
                "--include-seen", "--json").out());
        double seen = (Double) rec.get("seenItems");
        assertTrue(seen > 0, rec.toString());
        List<?> recItems = (List<?>) rec.get("items");
        List<?> allItems = (List<?>) all.get("items");
        assertEquals(40 - (int) seen, recItems.size());
        assertEquals(40, allItems.size());
        assertTrue(allItems.containsAll(recItems), "excluding seen items only removes entries");
        assertDescending(recItems, "score");
        Run recText = run("recommend", "--model", model.toString(), "--user", "7", "-n", "3");
        assertEquals(0, recText.code(), recText.describe());
        List<String> rows = recText.out().lines().toList();
        assertEquals(5, rows.size(), recText.out());
        assertTrue(rows.get(2).matches("\\s+1  m\\d+\\s+-?\\d+\\.\\d{4}"), rows.get(2));
        assertTrue(rows.get(2).contains(" " + ((Map<?, ?>) recItems.get(0)).get("item") + " "), "best item first: " + rows);

        Run similar = run("similar", "--model", model.toString(), "--item", "m3", "-n", "5", "--json");
        assertEquals(0, similar.code(), similar.describe());
        List<?> sims = (List<?>) JsonShape.object(similar.out()).get("items");
        assertEquals(5, sims.size());
        assertDescending(sims, "similarity");
        for (Object o : sims) {
            Map<?, ?> m = (Map<?, ?>) o;
            assertFalse(m.get("item").equals("m3"), "an item is not similar to itself");
            assertTrue(Math.abs((Double) m.get("similarity")) <= 1 + 1e-6, m.toString());
        }
        assertEquals(0, run("similar", "--model", model.toString(), "--item", "m3").code());
    }

    private static void assertDescending(List<?> entries, String key) {
        for (int t = 1; t < entries.size(); t++) {
            double before = (Double) ((Map<?, ?>) entries.get(t - 1)).get(key);
            double after = (Double) ((Map<?, ?>) entries.get(t)).get(key);
            assertTrue(before >= after, "entry " + t + " of " + entries);
        }
    }

    @Test
    void unknownIdsAndBadModelFilesAreExitOne() throws Exception {
        Path model = dir.resolve("model.lrm");
        assertEquals(0, run("train", "--input", ratings().toString(), "--rank", "2", "--epochs", "1", "--model-out",
                model.toString(), "--json").code());
        Run user = run("recommend", "--model", model.toString(), "--user", "nobody");
        assertEquals(1, user.code(), user.describe());
        assertTrue(user.err().startsWith("lowrank: unknown user 'nobody': " + model + " has 60 users (e.g. '1', '2', '3')"),
                user.err());
        // Ids are text: "m3" is an item, not a user, and "3" is a user, not an item.
        assertEquals(1, run("recommend", "--model", model.toString(), "--user", "m3").code());
        Run item = run("similar", "--model", model.toString(), "--item", "3");
        assertEquals(1, item.code(), item.describe());
        assertTrue(item.err().startsWith("lowrank: unknown item '3': "), item.err());

        Path junk = dir.resolve("junk.lrm");
        Files.writeString(junk, "not a model");
        Run bad = run("recommend", "--model", junk.toString(), "--user", "1");
        assertEquals(1, bad.code(), bad.describe());
        assertTrue(bad.err().startsWith("lowrank: " + junk), bad.err());
        assertFalse(bad.err().contains("\tat "), bad.err());
        Run missing = run("similar", "--model", dir.resolve("none.lrm").toString(), "--item", "m1");
        assertEquals(1, missing.code(), missing.describe());
        assertTrue(missing.err().contains("none.lrm"), missing.err());
    }

    @Test
    void evalOnAnotherFileGoesThroughTheIds() throws Exception {
        Path file = ratings();
        Path model = dir.resolve("model.lrm");
        assertEquals(0, run("train", "--input", file.toString(), "--rank", "3", "--epochs", "2", "--model-out",
                model.toString(), "--json").code());
        // The same ratings in reverse line order: other first appearances, so other dense indices.
        List<String> lines = new java.util.ArrayList<>(Files.readAllLines(file));
        String header = lines.remove(0);
        java.util.Collections.reverse(lines);
        lines.add(0, header);
        lines.add("999,m0,4.0,5");
        Path reversed = dir.resolve("reversed.csv");
        Files.write(reversed, lines);
        Map<String, Object> direct = JsonShape.object(run("eval", "--model", model.toString(), "--input", reversed.toString(),
                "--json").out());
        // Every held-out rating with known ids is scored; a rating of the unknown user 999 would be skipped.
        double test = (Double) direct.get("testRatings");
        double scored = (Double) direct.get("scoredRatings");
        assertTrue(scored == test || scored == test - 1, direct.toString());
        assertTrue((Double) direct.get("rmse") < 1.5, direct.toString());
    }

    // ------------------------------------------------------------------ bench, demo

    @Test
    void benchPrintsTheKernelTable() {
        Run r = run("bench", "--seconds", "0.01", "--users", "50", "--items", "40", "--rank", "8", "--density", "0.2",
                "--threads", "1");
        assertEquals(0, r.code(), r.describe());
        for (String kernel : List.of("GEMM ", "SpMM ", "SDDMM ")) {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith(kernel) && l.contains("GF/s")), kernel + " in\n" + r.out());
        }
    }

    @Test
    void demoSaysItSkippedMissingMovieLens() {
        Path absent = dir.resolve("no-such-ratings.csv");
        Run r = run("demo", "--movielens", absent.toString());
        assertEquals(0, r.code(), r.describe());
        assertTrue(r.out().contains("1. planted rank 5"), r.out());
        assertTrue(r.out().matches("(?s).*test RMSE 0\\.\\d{4} \\(train 0\\.\\d{4}\\); predicting the mean: 1\\.\\d{4}.*"), r.out());
        assertTrue(r.out().contains("2. MovieLens: skipped, " + absent + " is absent"), r.out());
        assertTrue(r.out().contains("SDDMM"), r.out());
    }
}
