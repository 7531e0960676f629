package dev.lowrank.matrix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class CsrBuilderLastPolicyTest {

    @Test
    void lastAddedEntryWinsWhateverItsValue() {
        // Values chosen so that bit-pattern order differs from arrival order.
        int[] r = {1, 0, 1, 1, 0};
        int[] c = {2, 0, 2, 2, 1};
        float[] v = {5f, 1f, -3f, 2f, 4f};
        try (CsrMatrix m = CsrMatrix.fromCoo(2, 3, r, c, v, DuplicatePolicy.LAST)) {
            assertEquals(3, m.nnz());
            assertEquals(2f, m.get(1, 2));
            assertEquals(1f, m.get(0, 0));
            assertEquals(4f, m.get(0, 1));
        }
    }

    @Test
    void errorPolicyReportsThePosition() {
        DuplicateEntryException e = assertThrows(DuplicateEntryException.class,
                () -> CsrMatrix.fromCoo(3, 3, new int[] {2, 2}, new int[] {1, 1}, new float[] {1, 1}, DuplicatePolicy.ERROR));
        assertEquals(2, e.row());
        assertEquals(1, e.column());
        assertEquals(true, e.getMessage().contains("(2, 1)"));
    }
}
