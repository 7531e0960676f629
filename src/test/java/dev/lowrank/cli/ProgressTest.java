package dev.lowrank.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.io.Ratings;
import dev.lowrank.matrix.DuplicatePolicy;
import dev.lowrank.train.EpochReport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressTest {

    private static String lines(Progress.Mode mode, double... epochSeconds) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Ratings none = Ratings.builder().build(DuplicatePolicy.ERROR);
        Progress p = new Progress(out, mode, null, none);
        double total = 0;
        for (int e = 1; e <= epochSeconds.length; e++) {
            total += epochSeconds[e - 1];
            p.onEpoch(new EpochReport(e, 10, 100.0 / e, Double.NaN, Double.NaN, epochSeconds[e - 1], total));
        }
        p.finish();
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theEstimateLeavesOutTheWarmUpEpoch() {
        String out = lines(Progress.Mode.LINES, 30, 1, 1.5);
        String[] l = out.split("\n");
        assertEquals(3, l.length, out);
        assertEquals("epoch 1/10  loss 100.000  test RMSE -  30.000 s/epoch  ETA 4m30s", l[0]);
        assertEquals("epoch 2/10  loss 50.0000  test RMSE -  1.000 s/epoch  ETA 8.0 s", l[1]);
        assertEquals("epoch 3/10  loss 33.3333  test RMSE -  1.250 s/epoch  ETA 8.8 s", l[2]);
    }

    @Test
    void terminalModePadsShorterLinesAndEndsWithANewline() {
        String out = lines(Progress.Mode.TERMINAL, 30, 1);
        assertTrue(out.startsWith("\repoch 1/10 "), out);
        String second = out.substring(out.indexOf('\r', 1));
        String first = out.substring(0, out.indexOf('\r', 1));
        // The second line is shorter: padded with spaces so no tail of the first stays on screen.
        assertEquals(first.length(), second.length() - 1, out);
        assertTrue(second.endsWith(" \n"), out);
        assertEquals("", lines(Progress.Mode.QUIET, 1, 2));
    }

    @Test
    void settingsPrintAsTyped() {
        assertEquals("10", TrainCommand.num(10));
        assertEquals("0.1", TrainCommand.num(0.1));
        assertEquals("0.1", TrainCommand.num(0.1f));
        assertEquals("0.02", TrainCommand.num(0.02));
        assertEquals("1e-05", TrainCommand.num(1e-5));
        assertEquals("2.5", TrainCommand.num(2.5));
    }
}
