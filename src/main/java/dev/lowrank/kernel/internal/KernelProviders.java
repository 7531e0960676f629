package dev.lowrank.kernel.internal;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/**
 * Chooses the kernel provider once per JVM. The Panama class is loaded by name, and only after the
 * checks pass, so that a JVM without {@code jdk.incubator.vector} never touches it.
 *
 * <p>{@code -Dlowrank.kernels=scalar|panama} forces a provider; forcing Panama where it cannot load is
 * an error, not a silent fallback.
 */
public final class KernelProviders {

    /** The system property that forces a provider. */
    public static final String PROPERTY = "lowrank.kernels";
    private static final String PANAMA_CLASS = "dev.lowrank.kernel.internal.panama.PanamaKernels";
    private static final System.Logger LOG = System.getLogger("dev.lowrank.kernel");

    private KernelProviders() {
    }

    private static final class Scalar {
        static final KernelProvider INSTANCE = new ScalarKernels();
    }

    /** Holds the Panama provider, or the reason it is unavailable, computed on first use. */
    private static final class Panama {
        static final KernelProvider INSTANCE;
        static final String UNAVAILABLE_REASON;

        static {
            KernelProvider provider = null;
            String reason = panamaObstacle();
            if (reason == null) {
                try {
                    provider = (KernelProvider) Class.forName(PANAMA_CLASS).getConstructor().newInstance();
                } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                    Throwable cause = e.getCause() != null ? e.getCause() : e;
                    reason = "the Panama kernels failed to load: " + cause;
                }
            }
            INSTANCE = provider;
            UNAVAILABLE_REASON = reason;
        }
    }

    private static final class Preferred {
        static final KernelProvider INSTANCE = choose();
    }

    /** The plain-Java provider, always available. */
    public static KernelProvider scalar() {
        return Scalar.INSTANCE;
    }

    /** The Vector API provider; throws {@link UnsupportedOperationException} saying why if it is unavailable. */
    public static KernelProvider panama() {
        if (Panama.INSTANCE == null) {
            throw new UnsupportedOperationException(Panama.UNAVAILABLE_REASON);
        }
        return Panama.INSTANCE;
    }

    /** Why the Panama provider is unavailable, or null when it is available. */
    public static String panamaUnavailableReason() {
        return Panama.UNAVAILABLE_REASON;
    }

    /** The provider this JVM uses by default (see the class comment). */
    public static KernelProvider preferred() {
        return Preferred.INSTANCE;
    }

    private static KernelProvider choose() {
        String forced = System.getProperty(PROPERTY);
        if (forced == null || forced.isBlank()) {
            if (Panama.INSTANCE != null) {
                return Panama.INSTANCE;
            }
            LOG.log(System.Logger.Level.WARNING, "lowrank uses its scalar kernels because " + Panama.UNAVAILABLE_REASON);
            return Scalar.INSTANCE;
        }
        return switch (forced.trim()) {
            case "scalar" -> Scalar.INSTANCE;
            case "panama" -> {
                if (Panama.INSTANCE == null) {
                    throw new IllegalStateException("-D" + PROPERTY + "=panama was requested but "
                            + Panama.UNAVAILABLE_REASON);
                }
                yield Panama.INSTANCE;
            }
            default -> throw new IllegalStateException("-D" + PROPERTY + "=" + forced
                    + " is not a provider; use scalar or panama");
        };
    }

    /** Null when the Panama provider may be loaded, else what stands in the way (and how to fix it). */
    private static String panamaObstacle() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return "the jdk.incubator.vector module is not loaded; add --add-modules jdk.incubator.vector to the java command line";
        }
        try {
            HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            if (vm != null) {
                if (!Boolean.parseBoolean(vm.getVMOption("UseCompiler").getValue())) {
                    return "the JIT compiler is off (-Xint), so vector code would run interpreted and slowly";
                }
                if (Boolean.parseBoolean(vm.getVMOption("TieredCompilation").getValue())
                        && Integer.parseInt(vm.getVMOption("TieredStopAtLevel").getValue()) < 4) {
                    return "C2 is disabled (-XX:TieredStopAtLevel below 4), and the Vector API is only fast under C2";
                }
            }
        } catch (RuntimeException | LinkageError e) {
            // Not HotSpot, or no management module: nothing to check, so assume the JIT is on.
        }
        return null;
    }
}
