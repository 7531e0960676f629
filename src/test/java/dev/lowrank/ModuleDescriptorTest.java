package dev.lowrank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The compiled module descriptor exports the API packages, never an internal one, and needs the Vector
 * API module only statically (so the library runs without it). Tests run on the class path, so this is
 * the one place module-info is checked.
 */
class ModuleDescriptorTest {

    @Test
    void exportsTheApiAndNothingInternal() {
        Path classes = Path.of("target", "classes");
        assertTrue(Files.isRegularFile(classes.resolve("module-info.class")), "no module-info.class in " + classes.toAbsolutePath());
        Set<ModuleReference> found = ModuleFinder.of(classes).findAll();
        assertEquals(1, found.size(), found.toString());
        ModuleDescriptor d = found.iterator().next().descriptor();
        assertEquals("dev.lowrank", d.name());
        Set<String> exports = d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
        assertTrue(exports.containsAll(Set.of("dev.lowrank.matrix", "dev.lowrank.parallel", "dev.lowrank.kernel")),
                "missing API exports: " + exports);
        for (ModuleDescriptor.Exports e : d.exports()) {
            assertFalse(e.source().contains(".internal"), "exports an internal package: " + e);
            assertFalse(e.isQualified(), "qualified export: " + e);
        }
        assertTrue(d.packages().contains("dev.lowrank.kernel.internal"), "internal package missing: " + d.packages());
        assertTrue(d.packages().contains("dev.lowrank.kernel.internal.panama"), d.packages().toString());
        ModuleDescriptor.Requires vector = d.requires().stream()
                .filter(r -> r.name().equals("jdk.incubator.vector")).findFirst()
                .orElseThrow(() -> new AssertionError("does not read jdk.incubator.vector: " + d.requires()));
        assertTrue(vector.modifiers().contains(ModuleDescriptor.Requires.Modifier.STATIC),
                "jdk.incubator.vector must be optional at run time (requires static): " + vector);
    }
}
