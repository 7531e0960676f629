package dev.lowrank.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.kernel.internal.KernelProviders;
import dev.lowrank.testkit.ChildJvm;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
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
        ChildJvm.Result r = child();
        assertEquals(0, r.exit(), r.toString());
        assertEquals("SCALAR", r.stdout().strip(), r.toString());
        assertTrue(r.stderr().contains(FLAG), "no warning naming " + FLAG + ": " + r);
        assertTrue(r.stderr().contains("scalar"), r.toString());
    }

    @Test
    void forcingScalarWorksWithoutTheModule() throws Exception {
        ChildJvm.Result r = child("-Dlowrank.kernels=scalar");
        assertEquals(0, r.exit(), r.toString());
        assertEquals("SCALAR", r.stdout().strip(), r.toString());
        assertTrue(!r.stderr().contains(FLAG), "a forced scalar provider should not warn: " + r);
    }

    @Test
    void forcingPanamaWithoutTheModuleFailsNamingTheFlag() throws Exception {
        ChildJvm.Result r = child("-Dlowrank.kernels=panama");
        assertNotEquals(0, r.exit(), r.toString());
        assertTrue(r.stderr().contains("-Dlowrank.kernels=panama was requested"), r.toString());
        assertTrue(r.stderr().contains(FLAG), r.toString());
        assertTrue(!r.stdout().contains("SCALAR"), "fell back silently: " + r);
    }

    @Test
    void anUnknownProviderFailsNamingTheAllowedValues() throws Exception {
        ChildJvm.Result r = child("-Dlowrank.kernels=bogus");
        assertNotEquals(0, r.exit(), r.toString());
        assertTrue(r.stderr().contains("-Dlowrank.kernels=bogus is not a provider"), r.toString());
        assertTrue(r.stderr().contains("scalar or panama"), r.toString());
    }

    /** Runs {@link PrintDefaultBackend} in a child JVM on the same java and class path, without the Vector API module. */
    private static ChildJvm.Result child(String... jvmOptions) throws IOException, InterruptedException {
        return ChildJvm.run(Duration.ofSeconds(60), List.of(jvmOptions), PrintDefaultBackend.class);
    }
}
