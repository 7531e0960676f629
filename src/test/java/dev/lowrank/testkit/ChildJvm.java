package dev.lowrank.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;

/**
 * Runs a class's {@code main} in a fresh JVM (this JVM's java and class path): for measurements that a
 * long test JVM would distort (JIT profiles, allocation counters, native-memory tracking) and for JVM
 * options a test cannot set on itself.
 */
public final class ChildJvm {

    private ChildJvm() {
    }

    /** How a child JVM ended and what it printed. */
    public record Result(int exit, String stdout, String stderr) {
        /** The stdout, after failing the test with both streams if the child did not exit with 0. */
        public String stdoutIfSucceeded() {
            if (exit != 0) {
                fail("the child JVM failed (exit " + exit + "): " + this);
            }
            return stdout;
        }

        @Override
        public String toString() {
            return "exit " + exit + ", stdout [" + stdout.strip() + "], stderr [" + stderr.strip() + "]";
        }
    }

    /**
     * Runs {@code main} with {@code jvmOptions} and {@code args}; fails the test (after killing the
     * child) if it has not ended within {@code timeout}.
     */
    public static Result run(Duration timeout, List<String> jvmOptions, Class<?> main, String... args)
            throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElseGet(
                () -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile("lowrank-child", ".out");
        Path err = Files.createTempFile("lowrank-child", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                fail("the child JVM did not finish within " + timeout.toSeconds() + " s: " + command);
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /**
     * This JVM's vector-width options (the surefire executions vary {@code -XX:UseAVX} and
     * {@code -XX:MaxVectorSize}) and the Vector API module, so that a child runs the kernels as this
     * JVM does.
     */
    public static List<String> sameVectorOptions() {
        List<String> options = new ArrayList<>();
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("-XX:UseAVX") || arg.startsWith("-XX:MaxVectorSize") || arg.startsWith("--add-modules")) {
                options.add(arg);
            }
        }
        if (options.stream().noneMatch(a -> a.startsWith("--add-modules"))) {
            options.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        }
        return options;
    }

    /**
     * Native memory that this JVM's {@code Arena}s hold: NMT's committed bytes of category "Other", in a
     * JVM started with {@code -XX:NativeMemoryTracking=summary}. (On JDK 25 a native segment is not
     * counted by the "direct" BufferPoolMXBean, measured: it stays at 0.)
     */
    public static long nativeOtherBytes() throws Exception {
        String summary = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "vmNativeMemory",
                new Object[] {new String[] {"summary", "scale=b"}}, new String[] {String[].class.getName()});
        Matcher m = Pattern.compile("-\\s+Other \\(reserved=\\d+, committed=(\\d+)\\)").matcher(summary);
        if (!m.find()) {
            throw new IllegalStateException("no 'Other' category in the NMT summary (is NMT on?):\n" + summary);
        }
        return Long.parseLong(m.group(1));
    }
}
