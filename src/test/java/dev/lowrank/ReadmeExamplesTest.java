package dev.lowrank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.eval.Metrics;
import dev.lowrank.eval.Split;
import dev.lowrank.eval.Splits;
import dev.lowrank.io.Ratings;
import dev.lowrank.io.RatingsFormat;
import dev.lowrank.io.RatingsReader;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.kernel.Op;
import dev.lowrank.kernel.TopK;
import dev.lowrank.loss.Observations;
import dev.lowrank.loss.Regularization;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.model.FactorModel;
import dev.lowrank.model.FoldedUser;
import dev.lowrank.model.ModelFile;
import dev.lowrank.model.Recommender;
import dev.lowrank.model.SavedModel;
import dev.lowrank.model.Initializer;
import dev.lowrank.train.Als;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's Java examples, verbatim apart from the file they read, so that they keep compiling and working. */
class ReadmeExamplesTest {

    @Test
    void trainOnARatingsFile(@TempDir Path dir) throws Exception {
        // A ratings.csv of a planted rank-2 model plus noise, in MovieLens's layout.
        StringBuilder csv = new StringBuilder("userId,movieId,rating,timestamp\n");
        SplittableRandom r = new SplittableRandom(3);
        double[][] pu = new double[200][2];
        double[][] pv = new double[150][2];
        for (double[] row : pu) {
            row[0] = r.nextGaussian();
            row[1] = r.nextGaussian();
        }
        for (double[] row : pv) {
            row[0] = r.nextGaussian();
            row[1] = r.nextGaussian();
        }
        for (int i = 0; i < 200; i++) {
            for (int j = 0; j < 150; j++) {
                if (r.nextDouble() < 0.4) {
                    double x = 3 + 0.5 * (pu[i][0] * pv[j][0] + pu[i][1] * pv[j][1]) + 0.1 * r.nextGaussian();
                    // Item ids 200..349, so that the README's items "296" and "318" exist.
                    csv.append(i).append(',').append(200 + j).append(',').append((float) x).append(",0\n");
                }
            }
        }
        Path file = dir.resolve("ratings.csv");
        Files.writeString(file, csv);

        Ratings ratings = RatingsReader.of(RatingsFormat.MOVIELENS_CSV).read(file);
        Split split = Splits.randomHoldout(ratings, 0.1, 42);
        double rmse;
        double mean = split.train().mean();
        double baseline = Metrics.rmse((user, item) -> (float) mean, split.test());
        try (CsrMatrix train = split.train().toCsr();
             Observations data = Observations.of(train);
             FactorModel model = FactorModel.create(ratings.userCount(), ratings.itemCount(), 64, true,
                     Initializer.scaledNormal(1))) {
            Als.builder().maxIterations(10).regularization(new Regularization(10f, 5f)).build().fit(model, data);
            rmse = Metrics.rmse(model::predict, split.test());

            Path modelFile = dir.resolve("ml.lrm"); // the README's Path.of("ml.lrm"), in a temporary folder
            ModelFile.save(modelFile, model, ratings.users(), ratings.items(), train);
            try (SavedModel saved = ModelFile.load(modelFile)) {
                Recommender rec = Recommender.of(saved.model(), saved.seen());
                TopK top = rec.recommend(saved.users().index("42"), 10, true);           // unseen items only
                TopK like = rec.similarItems(saved.items().index("318"), 5);             // cosine of item factors
                FoldedUser newcomer = rec.foldIn(                                         // a user not in the data
                        new int[] {saved.items().index("318"), saved.items().index("296")}, new float[] {5f, 4f}, 0.1f);
                TopK forNewcomer = rec.recommend(newcomer, 10, true);

                int user42 = ratings.users().index("42");
                assertEquals(10, top.size());
                for (int rank = 0; rank < top.size(); rank++) {
                    int item = top.indices()[rank];
                    assertEquals(0f, train.get(user42, item), "recommended item " + item + " was already rated");
                    assertEquals(model.predict(user42, item), top.scores()[rank], "score of item " + item);
                }
                assertEquals(5, like.size());
                assertTrue(java.util.Arrays.stream(like.indices()).noneMatch(i -> i == saved.items().index("318")));
                assertEquals(10, forNewcomer.size());
                assertTrue(java.util.Arrays.stream(forNewcomer.indices())
                        .noneMatch(i -> i == saved.items().index("318") || i == saved.items().index("296")));
            }
        }
        // Far better than predicting the training mean, and no better than the 0.1 noise allows.
        assertTrue(rmse < 0.6 * baseline && rmse > 0.05, "test RMSE " + rmse + " against the mean's " + baseline);
    }

    @Test
    void kernelsExample() {
        try (DenseMatrix u = DenseMatrix.of(new float[][] {{1, 2}, {3, 4}, {5, 6}});
             DenseMatrix v = DenseMatrix.of(new float[][] {{1, 0}, {0, 1}});
             DenseMatrix scores = DenseMatrix.zeros(3, 2)) {
            Kernels kernels = Kernels.defaults();
            kernels.gemm(1f, Op.IDENTITY, u, Op.TRANSPOSE, v, 0f, scores);
            TopK best = kernels.topK(u, 0, v, 1);
            assertEquals(6f, scores.get(2, 1));
            assertEquals(1, best.indices()[0]);
            assertEquals(2f, best.scores()[0]);
        }
    }
}
