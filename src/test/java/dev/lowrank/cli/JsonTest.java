package dev.lowrank.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void awkwardStringsSurviveARoundTrip() {
        List<String> strings = List.of("", "plain", "quote \" and backslash \\", "tab\tnew\nline\rcr", "\u0000\u0001\u001f\u007f",
                "ünïcødé ✓ 😀", "line\u2028sep", "/slash/", "\b\f");
        for (String s : strings) {
            Map<String, Object> back = JsonShape.object(Json.object().put(s, s).toString());
            assertEquals(Map.of(s, s), back, "round trip of " + s);
        }
    }

    @Test
    void randomStringsSurviveARoundTrip() {
        SplittableRandom r = new SplittableRandom(1);
        for (int trial = 0; trial < 300; trial++) {
            char[] cs = new char[r.nextInt(12)];
            for (int t = 0; t < cs.length; t++) {
                // Mostly ASCII incl. controls, sometimes any UTF-16 unit (lone surrogates included).
                cs[t] = (char) (r.nextBoolean() ? r.nextInt(128) : r.nextInt(65536));
            }
            String s = new String(cs);
            assertEquals(s, JsonShape.object(Json.object().put("k", s).toString()).get("k"), "seed 1 trial " + trial);
        }
    }

    @Test
    void numbersArraysNullsAndNesting() {
        String text = Json.object().put("i", 42L).put("x", 0.125).put("tiny", 1e-12).put("nan", Double.NaN)
                .put("inf", Double.POSITIVE_INFINITY).put("b", true).put("s", (String) null)
                .put("xs", new double[] {1, 2.5, Double.NaN}).put("empty", new double[0])
                .put("o", Json.object().put("a", "b")).put("list", List.of(Json.object().put("n", 1L), Json.object()))
                .toString();
        Map<String, Object> m = JsonShape.object(text);
        assertEquals(42.0, m.get("i"));
        assertEquals(0.125, m.get("x"));
        assertEquals(1e-12, m.get("tiny"));
        assertNull(m.get("nan"));
        assertNull(m.get("inf"));
        assertEquals(true, m.get("b"));
        assertNull(m.get("s"));
        assertEquals(java.util.Arrays.asList(1.0, 2.5, null), m.get("xs"));
        assertEquals(List.of(), m.get("empty"));
        assertEquals(Map.of("a", "b"), m.get("o"));
        assertEquals(List.of(Map.of("n", 1.0), Map.of()), m.get("list"));
    }

    @Test
    void theCheckerRejectsWhatIsNotJson() {
        for (String bad : List.of("{", "{\"a\":1,}", "{'a':1}", "{\"a\":NaN}", "{\"a\":1} x", "{\"a\":\"\u0001\"}",
                "{\"a\":01}", "{\"a\":1,\"a\":2}")) {
            assertThrows(IllegalArgumentException.class, () -> JsonShape.parse(bad), bad);
        }
    }
}
