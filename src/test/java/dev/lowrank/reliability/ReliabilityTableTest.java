package dev.lowrank.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * docs/reliability.md's bad-input table and the tests agree: every row names a test that exists (a class
 * whose test's display name starts with the row id, or Class#method), and every display name that
 * starts with a row id is in the table.
 */
class ReliabilityTableTest {

    /** Where tests named in the table live. */
    private static final List<String> PACKAGES = List.of("dev.lowrank.reliability", "dev.lowrank.kernel",
            "dev.lowrank.model", "dev.lowrank.io", "dev.lowrank.train", "dev.lowrank.matrix", "dev.lowrank.cli");
    /** Classes whose display names carry row ids. */
    private static final List<String> ROW_CLASSES = List.of("dev.lowrank.reliability.BadInputTableTest",
            "dev.lowrank.reliability.TrainingInterruptTest", "dev.lowrank.kernel.KernelsBadInputTest");
    private static final Pattern ROW = Pattern.compile("^\\|\\s*(R\\d{2})\\s*\\|(.*)\\|\\s*([^|]+?)\\s*\\|\\s*$");
    private static final Pattern ID = Pattern.compile("^(R\\d{2})\\b");

    @Test
    void everyRowHasATestAndEveryTestARow() throws IOException, ClassNotFoundException {
        Path doc = Path.of("docs", "reliability.md");
        assertTrue(Files.exists(doc), "run from the repository root: " + doc.toAbsolutePath());
        Map<String, String> rows = new TreeMap<>();
        for (String line : Files.readAllLines(doc)) {
            Matcher m = ROW.matcher(line);
            if (m.matches()) {
                if (rows.put(m.group(1), m.group(3)) != null) {
                    fail("row " + m.group(1) + " appears twice in " + doc);
                }
            }
        }
        assertTrue(rows.size() >= 40, "the table must have at least 40 rows, has " + rows.size());
        Map<String, String> tested = new TreeMap<>();
        for (String className : ROW_CLASSES) {
            Class<?> c = Class.forName(className);
            for (Method method : c.getDeclaredMethods()) {
                DisplayName name = method.getAnnotation(DisplayName.class);
                Matcher m = name == null ? null : ID.matcher(name.value());
                if (m != null && m.find()) {
                    if (tested.put(m.group(1), c.getSimpleName()) != null) {
                        fail("two tests claim row " + m.group(1));
                    }
                }
            }
        }
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, String> row : rows.entrySet()) {
            String test = row.getValue().replace("`", "");
            if (test.contains("#")) {
                if (!methodExists(test)) {
                    problems.add(row.getKey() + ": no test method " + test);
                }
            } else if (!test.equals(tested.get(row.getKey()))) {
                problems.add(row.getKey() + ": the table names " + test + " but the test with that id is in "
                        + tested.get(row.getKey()));
            }
        }
        for (String id : tested.keySet()) {
            if (!rows.containsKey(id)) {
                problems.add(id + ": a test carries this id but docs/reliability.md has no such row");
            }
        }
        assertEquals(List.of(), problems);
    }

    private static boolean methodExists(String reference) {
        String[] parts = reference.split("#");
        for (String pkg : PACKAGES) {
            try {
                Class<?> c = Class.forName(pkg + "." + parts[0]);
                for (Method m : c.getDeclaredMethods()) {
                    if (m.getName().equals(parts[1]) && (m.isAnnotationPresent(Test.class)
                            || m.isAnnotationPresent(TestFactory.class)
                            || m.isAnnotationPresent(org.junit.jupiter.params.ParameterizedTest.class))) {
                        return true;
                    }
                }
            } catch (ClassNotFoundException e) {
                // try the next package
            }
        }
        return false;
    }
}
