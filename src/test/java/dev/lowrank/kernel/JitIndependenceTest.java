package dev.lowrank.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lowrank.testkit.ChildJvm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
        // Same vector width as this JVM (the surefire executions vary it).
        List<String> options = new ArrayList<>(ChildJvm.sameVectorOptions());
        options.addAll(List.of("-XX:CompileCommand=quiet",
                // Neither our kernels nor the Vector API's own classes may be compiled, or C2's intrinsics
                // (and their reduction orders) would run in the child too.
                "-XX:CompileCommand=exclude,dev.lowrank.kernel.internal.panama.PanamaKernels::*",
                "-XX:CompileCommand=exclude,jdk.incubator.vector.*::*",
                "-XX:CompileCommand=exclude,jdk.internal.vm.vector.*::*"));
        String stdout = ChildJvm.run(Duration.ofSeconds(120), options, KernelBits.class).stdoutIfSucceeded();
        Map<String, Integer> bits = new LinkedHashMap<>();
        for (String line : stdout.split("\n")) {
            String[] parts = line.strip().split(" ");
            if (parts.length == 3 && parts[0].equals("bits")) {
                bits.put(parts[1], Integer.parseInt(parts[2]));
            }
        }
        return bits;
    }
}
