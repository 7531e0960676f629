package dev.lowrank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.eval.Metrics;
import dev.lowrank.eval.Split;
import dev.lowrank.eval.Splits;
import dev.lowrank.io.Ratings;
import dev.lowrank.io.RatingsFormat;
import dev.lowrank.io.RatingsReader;
import dev.lowrank.kernel.TopK;
import dev.lowrank.loss.Observations;
import dev.lowrank.loss.Regularization;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.model.FactorModel;
import dev.lowrank.model.Initializer;
import dev.lowrank.model.ModelFile;
import dev.lowrank.model.Recommender;
import dev.lowrank.model.SavedModel;
import dev.lowrank.train.Als;
import dev.lowrank.train.History;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** docs/user-guide.md's library example, with its paths moved into a temporary folder, so that it keeps working. */
class UserGuideExamplesTest {

    @Test
    void trainSaveLoadRecommend(@TempDir Path dir) throws Exception {
        StringBuilder csv = new StringBuilder("userId,movieId,rating,timestamp\n");
        SplittableRandom r = new SplittableRandom(9);
        for (int i = 0; i < 80; i++) {
            for (int j = 0; j < 50; j++) {
                if (r.nextDouble() < 0.3) {
                    csv.append(i + 1).append(',').append(100 + j).append(',').append(1 + r.nextInt(5)).append(",0\n");
                }
            }
        }
        Path file = dir.resolve("ratings.csv");
        Files.writeString(file, csv);
        Path modelFile = dir.resolve("model.lrm");
        StringBuilder printed = new StringBuilder();

        Ratings ratings = RatingsReader.of(RatingsFormat.MOVIELENS_CSV).read(file);
        Split split = Splits.randomHoldout(ratings, 0.1, 42);
        try (CsrMatrix train = split.train().toCsr();
             Observations data = Observations.of(train);
             FactorModel model = FactorModel.create(ratings.userCount(), ratings.itemCount(), 64, true,
                     Initializer.scaledNormal(42))) {
            History h = Als.builder().maxIterations(10).regularization(new Regularization(10f, 5f))
                    .listener(rep -> printed.append("iteration " + rep.epoch() + " loss " + rep.loss()).append('\n'))
                    .build().fit(model, data);
            printed.append("test RMSE " + Metrics.rmse(model::predict, split.test())).append('\n');
            assertEquals(10, h.epochs());

            ModelFile.save(modelFile, model, ratings.users(), ratings.items(), train);
        }

        try (SavedModel saved = ModelFile.load(modelFile)) {
            Recommender rec = Recommender.of(saved.model(), saved.seen());
            TopK top = rec.recommend(saved.users().index("42"), 10, true);
            for (int t = 0; t < top.size(); t++) {
                printed.append(saved.items().id(top.indices()[t]) + " " + top.scores()[t]).append('\n');
            }
            assertEquals(10, top.size());
        }
        assertTrue(printed.toString().startsWith("iteration 1 loss "), printed.toString());
        assertTrue(printed.toString().lines().filter(l -> l.matches("1\\d\\d -?\\d.*")).count() == 10, printed.toString());
    }
}
