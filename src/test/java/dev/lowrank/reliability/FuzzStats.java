package dev.lowrank.reliability;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Executions per fuzz target, written to target/fuzz-stats/&lt;target&gt;.txt when the JVM exits (libFuzzer's
 * own statistics go to the forked JVM's native stderr, which surefire does not keep). bench/fuzz.sh reads them.
 */
final class FuzzStats {
    private static final Map<String, LongAdder> COUNTS = new ConcurrentHashMap<>();
    private static final long START = System.nanoTime();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(FuzzStats::write));
    }

    private FuzzStats() {
    }

    static void count(String target) {
        COUNTS.computeIfAbsent(target, t -> new LongAdder()).increment();
    }

    private static void write() {
        Path dir = Path.of("target", "fuzz-stats");
        try {
            Files.createDirectories(dir);
            double seconds = (System.nanoTime() - START) * 1e-9;
            for (Map.Entry<String, LongAdder> e : new TreeMap<>(COUNTS).entrySet()) {
                String line = e.getKey() + " executions=" + e.getValue().sum() + " seconds=" + Math.round(seconds)
                        + " mode=" + (System.getenv("JAZZER_FUZZ") == null ? "regression" : "fuzzing") + "\n";
                Files.writeString(dir.resolve(e.getKey() + ".txt"), line, StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            System.err.println("fuzz stats not written: " + e);
        }
    }
}
