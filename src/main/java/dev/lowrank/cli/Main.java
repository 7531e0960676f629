package dev.lowrank.cli;

import dev.lowrank.parallel.Parallel;
import java.io.Console;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The {@code lowrank} command line: {@code train}, {@code eval}, {@code recommend}, {@code similar},
 * {@code bench}, {@code demo}, {@code help}. Arguments are parsed by hand (JDK only). Exit codes: 0 done,
 * 1 a runtime failure (missing file, parse error with file:line, diverged training; the message only,
 * with the stack trace under {@code --verbose} or {@code LOWRANK_DEBUG}), 2 wrong arguments (a one-line
 * error and the usage on stderr).
 */
public final class Main {
    /** Kept equal to the pom's version by MainTest. */
    static final String VERSION = "0.1.0-SNAPSHOT";

    private Main() {
    }

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        System.out.flush();
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs one command line and returns its exit code; never exits the JVM. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        boolean terminal = out == System.out && isTerminal();
        return run(args, out, err, terminal ? Progress.Mode.TERMINAL : Progress.Mode.LINES);
    }

    static int run(String[] args, PrintStream out, PrintStream err, Progress.Mode progress) {
        String debug = System.getenv("LOWRANK_DEBUG");
        boolean verbose = Arrays.asList(args).contains("--verbose") || (debug != null && !debug.isEmpty()
                && !debug.equals("0") && !debug.equalsIgnoreCase("false"));
        Context ctx = new Context(out, err, progress);
        try {
            return dispatch(args, ctx);
        } catch (UsageException e) {
            err.println("lowrank: " + e.getMessage());
            err.print(usage(e.command()));
            return 2;
        } catch (NoSuchFileException e) {
            return fail(err, verbose, e, "no such file: " + e.getFile());
        } catch (AccessDeniedException e) {
            return fail(err, verbose, e, "permission denied: " + e.getFile());
        } catch (IOException | RuntimeException e) {
            String message = e.getMessage() == null || e.getMessage().isBlank() ? e.toString() : e.getMessage();
            if (e instanceof ArithmeticException || e instanceof IOException || e instanceof IllegalArgumentException
                    || e instanceof IllegalStateException || e instanceof UnsupportedOperationException) {
                return fail(err, verbose, e, message);
            }
            // Anything else is a bug in lowrank, not in the input: say so, with its type.
            return fail(err, verbose, e, "internal error: " + e);
        } finally {
            out.flush();
            err.flush();
        }
    }

    private static int fail(PrintStream err, boolean verbose, Exception e, String message) {
        err.println("lowrank: " + message);
        if (verbose) {
            e.printStackTrace(err);
        }
        return 1;
    }

    /**
     * Whether stdout is an interactive terminal that understands {@code \r}. Since JDK 22
     * {@code System.console()} is non-null even when redirected, so {@link Console#isTerminal()} decides.
     */
    private static boolean isTerminal() {
        Console console = System.console();
        String term = System.getenv("TERM");
        return console != null && console.isTerminal() && term != null && !term.isEmpty() && !term.equals("dumb");
    }

    /** Where a command writes and how it reports progress. */
    record Context(PrintStream out, PrintStream err, Progress.Mode progress) {
    }

    private static int dispatch(String[] args, Context ctx) throws UsageException, IOException {
        if (args.length == 0) {
            ctx.out().print(usage(null));
            return 0;
        }
        String command = args[0];
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (command) {
            case "help", "--help", "-h" -> {
                if (rest.length > 1 || (rest.length == 1 && !COMMANDS.containsKey(rest[0]))) {
                    throw new UsageException(null, rest.length == 1 ? "no command '" + rest[0] + "'"
                            : "help takes at most one command");
                }
                ctx.out().print(usage(rest.length == 1 ? rest[0] : null));
                return 0;
            }
            case "--version", "version", "-V" -> {
                ctx.out().println("lowrank " + VERSION + " (Java " + Runtime.version() + ")");
                return 0;
            }
            default -> {
            }
        }
        Spec spec = COMMANDS.get(command);
        if (spec == null) {
            throw new UsageException(null, command.startsWith("-") ? "unknown option '" + command + "' (a command comes first)"
                    : "unknown command '" + command + "'");
        }
        if (Arrays.asList(rest).contains("--help") || Arrays.asList(rest).contains("-h")) {
            ctx.out().print(usage(command));
            return 0;
        }
        Args a = Args.parse(command, rest, spec.values, spec.switches, ALIASES);
        return switch (command) {
            case "train" -> TrainCommand.run(a, ctx);
            case "eval" -> ModelCommands.eval(a, ctx);
            case "recommend" -> ModelCommands.recommend(a, ctx);
            case "similar" -> ModelCommands.similar(a, ctx);
            case "bench" -> bench(a, ctx);
            case "demo" -> DemoCommand.run(a, ctx);
            default -> throw new IllegalStateException("no handler for " + command);
        };
    }

    private static int bench(Args a, Context ctx) throws UsageException {
        KernelBench.Settings d = KernelBench.Settings.FULL;
        KernelBench.Settings s = new KernelBench.Settings(a.integer("--users", d.users(), 1), a.integer("--items", d.items(), 1),
                a.integer("--rank", d.rank(), 1), a.number("--density", d.density(), 0, true), a.longValue("--seed", d.seed()),
                a.number("--seconds", d.secondsPerKernel(), 0, true));
        if (s.density() > 1) {
            throw new UsageException("bench", "--density is " + s.density() + " but must be at most 1");
        }
        if ((long) s.users() * s.items() > 100_000_000L) {
            throw new UsageException("bench", "--users x --items is " + (long) s.users() * s.items()
                    + "; at most 100000000 (the dense score matrix must fit in memory)");
        }
        try (Parallel parallel = pool(threadCount(a))) {
            KernelBench.run(s, parallel, ctx.out());
        }
        return 0;
    }

    /** {@code --threads T}, or 0 for a worker per processor; read with the other flags, before any work. */
    static int threadCount(Args a) throws UsageException {
        return a.integer("--threads", 0, 1);
    }

    /** An owned pool of {@code threads} workers, or the default pool for 0. */
    static Parallel pool(int threads) {
        return threads == 0 ? Parallel.defaults() : Parallel.threads(threads);
    }

    /** The flags one command accepts. */
    private record Spec(Set<String> values, Set<String> switches, String usage) {
    }

    private static final Map<String, String> ALIASES = Map.of("-n", "--n", "-k", "--k");

    private static final Map<String, Spec> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("train", new Spec(
                Set.of("--input", "--format", "--solver", "--rank", "--epochs", "--lambda", "--lambda-bias",
                        "--learning-rate", "--test-fraction", "--seed", "--threads", "--model-out"),
                Set.of("--json", "--verbose"),
                """
                lowrank train --input FILE [options]
                  Trains a factor model on a ratings file and reports per-epoch progress and test RMSE.
                  --input FILE          ratings file (required)
                  --format F            %s
                                        (default: from the file name; csv otherwise)
                  --solver S            als (default) | sgd | adam | gd
                  --rank K              factors per user and item (%s)
                  --epochs N            iterations (%s)
                  --lambda L            L2 weight on the factors (%s)
                  --lambda-bias B       L2 weight on the biases (%s)
                  --learning-rate R     %s (not for als)
                  --test-fraction X     share of ratings held out for testing, in (0,1) (default 0.1)
                  --seed S              seed of the split and the initial factors (default 42)
                  --threads T           worker threads (default: one per processor)
                  --model-out FILE      save the model (with its id maps and seen items) to FILE
                  --json                no progress; one JSON object with the results on stdout
                """.formatted(Formats.HELP, Solver.defaults(s -> s.rank), Solver.defaults(s -> s.epochs),
                        Solver.defaults(s -> s.lambda), Solver.defaults(s -> s.lambdaBias),
                        Solver.defaults(s -> s.learningRate))));
        COMMANDS.put("eval", new Spec(
                Set.of("--model", "--input", "--format", "--test-fraction", "--seed", "--threads", "--k",
                        "--relevant"),
                Set.of("--json", "--verbose"),
                """
                lowrank eval --model FILE --input FILE [options]
                  Splits the ratings as train did (same --test-fraction and --seed) and scores the model on
                  the held-out part: RMSE, MAE, and precision/recall/NDCG/MAP at k.
                  --model FILE          a model written by train --model-out (required)
                  --input FILE          ratings file (required)
                  --format F            as for train
                  --test-fraction X     default 0.1     --seed S    default 42
                  -k, --k K             cut-off of the ranking metrics (default 10)
                  --relevant R          a held-out rating >= R is relevant (default 4)
                  --threads T           worker threads
                  --json                one JSON object on stdout
                """));
        COMMANDS.put("recommend", new Spec(
                Set.of("--model", "--user", "--n"),
                Set.of("--include-seen", "--json", "--verbose"),
                """
                lowrank recommend --model FILE --user ID [-n 10] [--include-seen] [--json]
                  The n best items for a user (external id, as in the ratings file), best first, with
                  scores. Items the user rated in training are left out unless --include-seen.
                """));
        COMMANDS.put("similar", new Spec(
                Set.of("--model", "--item", "--n"),
                Set.of("--json", "--verbose"),
                """
                lowrank similar --model FILE --item ID [-n 10] [--json]
                  The n items whose factors are most similar to the item's (cosine), best first.
                """));
        COMMANDS.put("bench", new Spec(
                Set.of("--seconds", "--threads", "--users", "--items", "--rank", "--density", "--seed"),
                Set.of("--verbose"),
                """
                lowrank bench [--seconds S] [--threads T] [--users 4000 --items 3000 --rank 64 --density 0.02 --seed 42]
                  GFLOP/s of the GEMM, SpMM and SDDMM kernels on the scalar and the Vector API backends,
                  best of S seconds (default 0.6) per kernel and backend.
                """));
        COMMANDS.put("demo", new Spec(
                Set.of("--threads", "--movielens"),
                Set.of("--verbose"),
                """
                lowrank demo [--threads T] [--movielens FILE]
                  Trains ALS on a seeded planted-rank data set and on MovieLens ratings.csv (default
                  ../shared/data/movielens-small/ratings.csv; skipped when absent), then prints a short
                  kernel table. Under a minute on 2 cores.
                """));
    }

    static String usage(String command) {
        if (command != null && COMMANDS.containsKey(command)) {
            return "usage: " + COMMANDS.get(command).usage()
                    + "  --verbose             stack traces on errors (also LOWRANK_DEBUG=1)\n";
        }
        return """
                usage: lowrank COMMAND [options]        (lowrank help COMMAND for its options)
                  train      train a model on a ratings file; progress, test RMSE, --model-out
                  eval       RMSE, MAE and ranking metrics of a saved model on held-out ratings
                  recommend  top items for a user of a saved model
                  similar    items most similar to an item of a saved model
                  bench      kernel throughput table (scalar vs Vector API)
                  demo       train on planted and MovieLens data, then a short kernel table
                  help       this text;  --version  the version
                """;
    }
}
