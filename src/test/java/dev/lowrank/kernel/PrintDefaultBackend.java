package dev.lowrank.kernel;

/**
 * Run by {@link ProviderSelectionTest} in a child JVM: prints the default backend, or, if choosing one
 * fails, the message of every cause to stderr and exits with status 3.
 */
public final class PrintDefaultBackend {
    private PrintDefaultBackend() {
    }

    public static void main(String[] args) {
        try {
            System.out.println(Kernels.defaultBackend());
        } catch (Throwable t) {
            for (Throwable c = t; c != null; c = c.getCause()) {
                System.err.println("FAILED: " + c);
            }
            System.exit(3);
        }
    }
}
