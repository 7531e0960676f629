package dev.lowrank.reliability;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.model.FactorModel;
import dev.lowrank.model.ModelFile;
import dev.lowrank.model.ModelFileException;
import dev.lowrank.model.SavedModel;
import dev.lowrank.parallel.Parallel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@link ModelFile#load} under Jazzer: any bytes either load into a model whose values are all finite
 * and whose predictions are finite, or throw {@link ModelFileException} naming the file. Corpus:
 * src/test/resources/dev/lowrank/reliability/ModelFileFuzzTestInputs/load (valid files with and without
 * biases, ids and seen pattern, written by {@link FuzzCorpus}).
 */
class ModelFileFuzzTest {

    private static final Kernels SEQ = Kernels.of(Backend.SCALAR, Parallel.sequential());
    private static final Path FILE;

    static {
        try {
            FILE = Files.createTempFile("lowrank-fuzz", ".lrm");
            FILE.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "10s")
    void load(byte[] bytes) throws IOException {
        FuzzStats.count("ModelFileFuzzTest.load");
        Files.write(FILE, bytes);
        SavedModel loaded;
        try {
            loaded = ModelFile.load(FILE, SEQ);
        } catch (ModelFileException expected) {
            assertTrue(expected.getMessage().startsWith(FILE.toString()), expected::getMessage);
            return;
        }
        try (SavedModel m = loaded) {
            FactorModel model = m.model();
            assertTrue(m.users().size() == model.users() && m.items().size() == model.items(), m::toString);
            assertTrue(allFinite(model), "a loaded model must hold finite values only");
        }
    }

    private static boolean allFinite(FactorModel model) {
        return model.parameters().stream().allMatch(p -> {
            for (float x : p.toFlatArray()) {
                if (!Float.isFinite(x)) {
                    return false;
                }
            }
            return true;
        });
    }
}
