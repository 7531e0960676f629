package dev.lowrank.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The Panama kernels give the same bits whether the JIT has compiled them or not. A lane reduction
 * whose order differs between C2's intrinsic and the Java fallback (such as {@code reduceLanes(ADD)})
 * would make results depend on warm-up and so on which thread ran a block: this test catches it by
 * comparing warmed-up results here with a child JVM in which neither PanamaKernels nor the Vector API
 * is ever compiled (so every vector operation runs its Java fallback).
 */
class JitIndependenceTest {

    @Test
    @EnabledIfSystemProperty(named = "lowrank.expectPanama", matches = "true")
    void compiledAndFallbackKernelsAgreeBitForBit() throws Exception {
        for (int warm = 0; warm < 300; warm++) {
            KernelBits.compute();
        }
        Map<String, Integer> compiled = KernelBits.compute();
        Map<String, Integer> fallback = childWithoutCompilation();
        assertEquals(compiled.keySet(), fallback.keySet());
        List<String> differ = new ArrayList<>();
        compiled.forEach((name, hash) -> {
            if (!hash.equals(fallback.get(name))) {
                differ.add(name);
            }
        });
        assertEquals(List.of(), differ, "kernels whose bits depend on JIT compilation");
    }

    private static Map<String, Integer> childWithoutCompilation() throws Exception {
        String java = ProcessHandle.current().info().command().orElseGet(
                () -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java));
        // Same vector width as this JVM (the surefire executions vary it).
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("-XX:UseAVX") || arg.startsWith("-XX:MaxVectorSize") || arg.startsWith("--add-modules")) {
                command.add(arg);
            }
        }
        if (command.stream().noneMatch(a -> a.startsWith("--add-modules"))) {
            command.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        }
        command.addAll(List.of("-XX:CompileCommand=quiet",
                // Neither our kernels nor the Vector API's own classes may be compiled, or C2's intrinsics
                // (and their reduction orders) would run in the child too.
                "-XX:CompileCommand=exclude,dev.lowrank.kernel.internal.panama.PanamaKernels::*",
                "-XX:CompileCommand=exclude,jdk.incubator.vector.*::*",
                "-XX:CompileCommand=exclude,jdk.internal.vm.vector.*::*",
                "-cp", System.getProperty("java.class.path"), KernelBits.class.getName()));
        Path out = Files.createTempFile("lowrank-bits", ".out");
        Path err = Files.createTempFile("lowrank-bits", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                fail("the child JVM did not finish within 120 s: " + command);
            }
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                fail("the child JVM failed (" + p.exitValue() + "): " + Files.readString(err, StandardCharsets.UTF_8));
            }
            Map<String, Integer> bits = new LinkedHashMap<>();
            for (String line : stdout.split("\n")) {
                String[] parts = line.strip().split(" ");
                if (parts.length == 3 && parts[0].equals("bits")) {
                    bits.put(parts[1], Integer.parseInt(parts[2]));
                }
            }
            return bits;
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
