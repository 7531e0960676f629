package dev.lowrank.reliability;

import dev.lowrank.io.IdMap;
import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DuplicatePolicy;
import dev.lowrank.model.FactorModel;
import dev.lowrank.model.Initializer;
import dev.lowrank.model.ModelFile;
import dev.lowrank.parallel.Parallel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the seed corpus of {@link ModelFileFuzzTest} (run once; its output is committed):
 * {@code java -cp ... dev.lowrank.reliability.FuzzCorpus src/test/resources/dev/lowrank/reliability/ModelFileFuzzTestInputs/load}.
 */
public final class FuzzCorpus {
    private FuzzCorpus() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        Kernels k = Kernels.of(Backend.SCALAR, Parallel.sequential());
        try (FactorModel plain = FactorModel.create(2, 3, 1, false, Initializer.uniform(1), k);
             FactorModel biased = FactorModel.create(3, 2, 2, true, Initializer.scaledNormal(2), k);
             CsrMatrix seen = CsrMatrix.fromCoo(3, 2, new int[] {0, 2}, new int[] {1, 0}, new float[] {1, 1},
                     DuplicatePolicy.ERROR)) {
            IdMap users = new IdMap();
            for (String id : new String[] {"ann", "bob", "çé"}) {
                users.add(id);
            }
            IdMap items = new IdMap();
            items.add("10");
            items.add("20");
            ModelFile.save(dir.resolve("plain.lrm"), plain, null, null, null);
            ModelFile.save(dir.resolve("biases_ids_seen.lrm"), biased, users, items, seen);
        }
        try (FactorModel empty = FactorModel.create(0, 0, 1, false, Initializer.uniform(1), k)) {
            ModelFile.save(dir.resolve("empty.lrm"), empty, null, null, null);
        }
    }
}
