package dev.lowrank.testkit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.function.Executable;

/** Assertions on rejected input: the exception type and telling parts of its message. */
public final class Expect {
    private Expect() {
    }

    /** Asserts that {@code call} throws {@code type} with a message containing every fragment; returns it. */
    public static <T extends Throwable> T fails(Class<T> type, Executable call, String... fragments) {
        T e = assertThrows(type, call);
        String message = String.valueOf(e.getMessage());
        for (String fragment : fragments) {
            if (!message.contains(fragment)) {
                fail("the " + type.getSimpleName() + "'s message \"" + message + "\" does not contain \"" + fragment + "\"");
            }
        }
        return e;
    }
}
