package dev.lowrank.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.io.Ratings;
import dev.lowrank.io.RatingsFormat;
import dev.lowrank.io.RatingsReader;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.kernel.TopK;
import dev.lowrank.loss.Observations;
import dev.lowrank.loss.Regularization;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.train.Als;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole path on real data: train, save with ids and seen, load, recommend, fold in. */
class ModelFileMovieLensTest {

    private static final Path DATA = Path.of("../shared/data/movielens-small/ratings.csv");

    @Test
    void trainSaveLoadRecommendAndFoldInOnMovieLensSmall(@TempDir Path dir) throws IOException {
        Assumptions.assumeTrue(Files.isRegularFile(DATA),
                "skipped: ../shared/data/movielens-small/ratings.csv is absent (it is not part of the repository)");
        Ratings ratings = RatingsReader.of(RatingsFormat.MOVIELENS_CSV).read(DATA);
        Kernels kernels = Kernels.defaults();
        int rank = 8;
        Regularization reg = Regularization.of(0.1f);
        try (CsrMatrix a = ratings.toCsr();
             Observations data = Observations.of(a);
             FactorModel before = FactorModel.create(a.rows(), a.cols(), rank, true, Initializer.scaledNormal(42), kernels);
             FactorModel model = FactorModel.create(a.rows(), a.cols(), rank, true, Initializer.scaledNormal(42), kernels)) {
            Als.builder().kernels(kernels).regularization(reg).maxIterations(1).build().fit(before, data);
            Als.builder().kernels(kernels).regularization(reg).maxIterations(2).build().fit(model, data);
            Path file = dir.resolve("ml-small.lrm");
            ModelFile.save(file, model, ratings.users(), ratings.items(), a);
            try (SavedModel loaded = ModelFile.load(file, kernels)) {
                ModelFileTest.assertSameModel(model, loaded.model(), "ml-small");
                assertEquals(ratings.users().ids(), loaded.users().ids());
                assertEquals(ratings.items().ids(), loaded.items().ids());
                assertEquals(a.nnz(), loaded.seen().nnz());
                Recommender original = Recommender.of(model, a);
                Recommender rec = Recommender.of(loaded.model(), loaded.seen());
                TopK[] actual = rec.recommendAll(10, true);
                for (int i = 0; i < a.rows(); i += 16) {
                    assertEquals(original.recommend(i, 10, true), actual[i], "user " + i);
                }
                int user = loaded.users().index("1");
                for (int j : actual[user].indices()) {
                    assertEquals(0f, a.get(user, j), "recommended item " + j + " was seen by user 1");
                }
                assertEquals(10, rec.similarItems(loaded.items().index("1"), 10).size());

                // Fold user "1" back in against the item side ALS's second user half-step saw.
                before.setGlobalBias(model.globalBias());
                Recommender foldRec = Recommender.of(before, a);
                int count = (int) (a.rowEnd(user) - a.rowStart(user));
                int[] items = new int[count];
                float[] r = new float[count];
                for (int t = 0; t < count; t++) {
                    items[t] = a.columnIndex(a.rowStart(user) + t);
                    r[t] = a.value(a.rowStart(user) + t);
                }
                FoldedUser folded = foldRec.foldIn(items, r, reg.factors());
                float[] row = new float[rank];
                model.userFactors().copyRow(user, row);
                assertArrayEquals(row, folded.factors());
                assertEquals(model.userBias(user), folded.bias());
                TopK forFolded = foldRec.recommend(folded, 10, true);
                assertEquals(10, forFolded.size());
                assertTrue(forFolded.scores()[0] >= forFolded.scores()[9]);
            }
        }
    }
}
