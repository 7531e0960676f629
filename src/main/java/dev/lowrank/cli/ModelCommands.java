package dev.lowrank.cli;

import dev.lowrank.eval.ItemScorer;
import dev.lowrank.eval.Metrics;
import dev.lowrank.eval.RankingMetrics;
import dev.lowrank.eval.Split;
import dev.lowrank.eval.Splits;
import dev.lowrank.io.IdMap;
import dev.lowrank.io.Ratings;
import dev.lowrank.io.RatingsFormat;
import dev.lowrank.io.RatingsReader;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.kernel.TopK;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.model.FactorModel;
import dev.lowrank.model.ModelFile;
import dev.lowrank.model.Recommender;
import dev.lowrank.model.SavedModel;
import dev.lowrank.parallel.Parallel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The commands that use a saved model: {@code train --model-out}, {@code eval}, {@code recommend}, {@code similar}. */
final class ModelCommands {
    private ModelCommands() {
    }

    /** Saves the trained model with the data's id maps and its training pairs (what recommend leaves out). */
    static void save(Path file, Training.Result r, Ratings ratings) throws IOException {
        ModelFile.save(file, r.model(), ratings.users(), ratings.items(), r.seen());
    }

    static int recommend(Args a, Main.Context ctx) throws UsageException, IOException {
        Path modelFile = a.path("--model");
        String user = a.required("--user");
        int n = a.integer("--n", 10, 1);
        boolean excludeSeen = !a.flag("--include-seen");
        boolean json = a.flag("--json");
        try (SavedModel saved = ModelFile.load(modelFile, Kernels.defaults().withParallel(Parallel.sequential()))) {
            int u = saved.users().indexOf(user);
            if (u < 0) {
                throw new IllegalArgumentException("unknown user '" + user + "': " + modelFile + " has " + saved.users().size()
                        + " users (" + examples(saved.users()) + ")");
            }
            CsrMatrix seen = saved.seen();
            if (excludeSeen && seen == null) {
                throw new IllegalArgumentException(modelFile + " does not record which items users have seen; add --include-seen");
            }
            long seenCount = seen == null ? 0 : seen.rowEnd(u) - seen.rowStart(u);
            TopK top = Recommender.of(saved.model(), seen).recommend(u, n, excludeSeen);
            PrintStream out = ctx.out();
            if (json) {
                out.println(Json.object().put("command", "recommend").put("model", modelFile.toString()).put("user", user)
                        .put("n", n).put("excludeSeen", excludeSeen).put("seenItems", seenCount)
                        .put("items", entries(top, saved.items(), "item", "score")));
            } else {
                out.printf(Locale.ROOT, "top %d items for user %s (%s)%n", top.size(), user,
                        excludeSeen ? seenCount + " items seen in training left out" : "seen items included");
                table(out, top, saved.items(), "item", "score");
            }
        }
        return 0;
    }

    static int similar(Args a, Main.Context ctx) throws UsageException, IOException {
        Path modelFile = a.path("--model");
        String item = a.required("--item");
        int n = a.integer("--n", 10, 1);
        boolean json = a.flag("--json");
        try (SavedModel saved = ModelFile.load(modelFile, Kernels.defaults().withParallel(Parallel.sequential()))) {
            int j = saved.items().indexOf(item);
            if (j < 0) {
                throw new IllegalArgumentException("unknown item '" + item + "': " + modelFile + " has " + saved.items().size()
                        + " items (" + examples(saved.items()) + ")");
            }
            TopK top = Recommender.of(saved.model(), null).similarItems(j, n);
            PrintStream out = ctx.out();
            if (json) {
                out.println(Json.object().put("command", "similar").put("model", modelFile.toString()).put("item", item)
                        .put("n", n).put("items", entries(top, saved.items(), "item", "similarity")));
            } else {
                out.printf(Locale.ROOT, "%d items most similar to item %s (cosine of the item factors)%n", top.size(), item);
                table(out, top, saved.items(), "item", "similarity");
            }
        }
        return 0;
    }

    static int eval(Args a, Main.Context ctx) throws UsageException, IOException {
        Path modelFile = a.path("--model");
        Path input = a.path("--input");
        RatingsFormat format = Formats.of("eval", a.string("--format", null), input);
        double fraction = a.fraction("--test-fraction", TrainCommand.DEFAULT_TEST_FRACTION);
        long seed = a.longValue("--seed", TrainCommand.DEFAULT_SEED);
        int k = a.integer("--k", 10, 1);
        double relevant = a.number("--relevant", 4, -Double.MAX_VALUE, false);
        boolean json = a.flag("--json");
        int threads = Main.threadCount(a);

        Ratings ratings = RatingsReader.of(format).read(input);
        Split split = Splits.randomHoldout(ratings, fraction, seed);
        try (Parallel parallel = Main.pool(threads);
             SavedModel saved = ModelFile.load(modelFile, Kernels.defaults().withParallel(parallel))) {
            FactorModel model = saved.model();
            // The data file's indices follow its own first appearances: go through the external ids.
            int[] userMap = indexMap(ratings.users(), saved.users());
            int[] itemMap = indexMap(ratings.items(), saved.items());
            Ratings test = split.test();
            int[] known = new int[test.size()];
            int kept = 0;
            for (int t = 0; t < test.size(); t++) {
                if (userMap[test.user(t)] >= 0 && itemMap[test.item(t)] >= 0) {
                    known[kept++] = t;
                }
            }
            if (kept == 0) {
                throw new IllegalArgumentException("none of the " + test.size() + " held-out ratings of " + input
                        + " has a user and an item that " + modelFile + " knows");
            }
            Ratings scored = test.select(Arrays.copyOf(known, kept));
            double rmse = Metrics.rmse((u, i) -> model.predict(userMap[u], itemMap[i]), scored);
            double mae = Metrics.mae((u, i) -> model.predict(userMap[u], itemMap[i]), scored);
            ThreadLocal<float[]> rows = ThreadLocal.withInitial(() -> new float[model.items()]);
            ItemScorer scorer = (u, scores) -> {
                float[] row = rows.get();
                int mu = userMap[u];
                if (mu < 0) {
                    Arrays.fill(scores, Float.NaN);
                    return;
                }
                model.predictRow(mu, row);
                for (int j = 0; j < scores.length; j++) {
                    // NaN: an item the model never saw is no candidate.
                    scores[j] = itemMap[j] < 0 ? Float.NaN : row[itemMap[j]];
                }
            };
            RankingMetrics rank = Metrics.ranking(scorer, split.train(), scored, k, (float) relevant, parallel);
            PrintStream out = ctx.out();
            if (json) {
                out.println(Json.object().put("command", "eval").put("model", modelFile.toString()).put("input", input.toString())
                        .put("ratings", ratings.size()).put("testFraction", fraction).put("seed", seed)
                        .put("testRatings", test.size()).put("scoredRatings", kept).put("rmse", rmse).put("mae", mae)
                        .put("k", k).put("relevantAtLeast", relevant).put("usersEvaluated", rank.usersEvaluated())
                        .put("precision", rank.precision()).put("recall", rank.recall()).put("ndcg", rank.ndcg())
                        .put("map", rank.map()));
            } else {
                out.printf(Locale.ROOT, "%s: %d users x %d items, rank %d%n", modelFile, model.users(), model.items(), model.rank());
                out.printf(Locale.ROOT, "%s: %d ratings; %d held out (test fraction %s, seed %d), %d of them scored%s%n",
                        input, ratings.size(), test.size(), TrainCommand.num(fraction), seed, kept,
                        kept < test.size() ? " (the others have a user or item the model does not know)" : "");
                out.printf(Locale.ROOT, "RMSE %.4f  MAE %.4f%n", rmse, mae);
                out.printf(Locale.ROOT, "@%d over %d users (relevant: rating >= %s; training items left out): "
                                + "precision %.4f  recall %.4f  NDCG %.4f  MAP %.4f%n", k, rank.usersEvaluated(),
                        TrainCommand.num(relevant), rank.precision(), rank.recall(), rank.ndcg(), rank.map());
            }
        }
        return 0;
    }

    /** For each index of {@code data}, the model's index of the same external id, or -1. */
    private static int[] indexMap(IdMap data, IdMap model) {
        int[] map = new int[data.size()];
        for (int t = 0; t < map.length; t++) {
            map[t] = model.indexOf(data.id(t));
        }
        return map;
    }

    private static String examples(IdMap ids) {
        int shown = Math.min(3, ids.size());
        StringBuilder s = new StringBuilder(shown == 0 ? "none" : "e.g. ");
        for (int t = 0; t < shown; t++) {
            s.append(t > 0 ? ", " : "").append('\'').append(ids.id(t)).append('\'');
        }
        return s.toString();
    }

    private static List<Json> entries(TopK top, IdMap ids, String idKey, String scoreKey) {
        List<Json> list = new ArrayList<>();
        for (int r = 0; r < top.size(); r++) {
            list.add(Json.object().put(idKey, ids.id(top.indices()[r])).put(scoreKey, (double) top.scores()[r]));
        }
        return list;
    }

    private static void table(PrintStream out, TopK top, IdMap ids, String idHeader, String scoreHeader) {
        int width = idHeader.length();
        for (int r = 0; r < top.size(); r++) {
            width = Math.max(width, ids.id(top.indices()[r]).length());
        }
        out.printf(Locale.ROOT, "%4s  %-" + width + "s  %s%n", "#", idHeader, scoreHeader);
        for (int r = 0; r < top.size(); r++) {
            out.printf(Locale.ROOT, "%4d  %-" + width + "s  %.4f%n", r + 1, ids.id(top.indices()[r]), top.scores()[r]);
        }
    }
}
