package dev.lowrank.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lowrank.kernel.internal.KernelProviders;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Which provider runs: the CI guard that the Panama kernels really ran in this test JVM, and child
 * JVMs without the Vector API module that must fall back (with a warning naming the flag) or fail
 * loudly when a provider is forced.
 */
class ProviderSelectionTest {

    private static final String FLAG = "--add-modules jdk.incubator.vector";

    @Test
    @EnabledIfSystemProperty(named = "lowrank.expectPanama", matches = "true")
    void panamaIsTheDefaultWhereTheBuildExpectsIt() {
        assertTrue(Kernels.panamaAvailable(), "Panama is unavailable: " + KernelProviders.panamaUnavailableReason());
        assertNull(KernelProviders.panamaUnavailableReason());
        assertEquals(Backend.PANAMA, Kernels.defaultBackend());
        assertEquals(Backend.PANAMA, Kernels.defaults().backend());
        assertTrue(Kernels.defaults().providerName().startsWith("panama-"), Kernels.defaults().providerName());
        assertEquals("scalar", Kernels.of(Backend.SCALAR, dev.lowrank.parallel.Parallel.sequential()).providerName());
    }

    @Test
    void withoutTheModuleTheScalarKernelsRunAndAWarningNamesTheFlag() throws Exception {
        Result r = child();
        assertEquals(0, r.exit, r.toString());
        assertEquals("SCALAR", r.stdout.strip(), r.toString());
        assertTrue(r.stderr.contains(FLAG), "no warning naming " + FLAG + ": " + r);
        assertTrue(r.stderr.contains("scalar"), r.toString());
    }

    @Test
    void forcingScalarWorksWithoutTheModule() throws Exception {
        Result r = child("-Dlowrank.kernels=scalar");
        assertEquals(0, r.exit, r.toString());
        assertEquals("SCALAR", r.stdout.strip(), r.toString());
        assertTrue(!r.stderr.contains(FLAG), "a forced scalar provider should not warn: " + r);
    }

    @Test
    void forcingPanamaWithoutTheModuleFailsNamingTheFlag() throws Exception {
        Result r = child("-Dlowrank.kernels=panama");
        assertNotEquals(0, r.exit, r.toString());
        assertTrue(r.stderr.contains("-Dlowrank.kernels=panama was requested"), r.toString());
        assertTrue(r.stderr.contains(FLAG), r.toString());
        assertTrue(!r.stdout.contains("SCALAR"), "fell back silently: " + r);
    }

    @Test
    void anUnknownProviderFailsNamingTheAllowedValues() throws Exception {
        Result r = child("-Dlowrank.kernels=bogus");
        assertNotEquals(0, r.exit, r.toString());
        assertTrue(r.stderr.contains("-Dlowrank.kernels=bogus is not a provider"), r.toString());
        assertTrue(r.stderr.contains("scalar or panama"), r.toString());
    }

    private record Result(int exit, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exit + ", stdout [" + stdout.strip() + "], stderr [" + stderr.strip() + "]";
        }
    }

    /** Runs {@link PrintDefaultBackend} in a child JVM on the same java and class path, without the Vector API module. */
    private static Result child(String... jvmOptions) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElseGet(
                () -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(List.of(jvmOptions));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(PrintDefaultBackend.class.getName());
        Path out = Files.createTempFile("lowrank-child", ".out");
        Path err = Files.createTempFile("lowrank-child", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                fail("the child JVM did not finish within 60 s: " + command);
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
