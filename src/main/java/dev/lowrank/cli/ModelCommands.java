package dev.lowrank.cli;

import dev.lowrank.io.Ratings;
import java.nio.file.Path;

/** Placeholder until the modelio branch (model files, Recommender) is merged. */
final class ModelCommands {
    private ModelCommands() {
    }

    static void save(Path file, Training.Result r, Ratings ratings) {
        throw new UnsupportedOperationException("--model-out needs the model file format (not merged yet)");
    }

    static int eval(Args a, Main.Context ctx) {
        throw new UnsupportedOperationException("eval needs the model file format (not merged yet)");
    }

    static int recommend(Args a, Main.Context ctx) {
        throw new UnsupportedOperationException("recommend needs the model file format (not merged yet)");
    }

    static int similar(Args a, Main.Context ctx) {
        throw new UnsupportedOperationException("similar needs the model file format (not merged yet)");
    }
}
