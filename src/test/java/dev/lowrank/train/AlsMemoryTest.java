package dev.lowrank.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.loss.Observations;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DuplicatePolicy;
import dev.lowrank.model.FactorModel;
import dev.lowrank.model.Initializer;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.testkit.ChildJvm;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * ALS's memory target (issue 5): the whole fit, objective reporting on (the default), holds at most
 * 1.2 × (nnz·8 bytes for the CSR and its transpose + the factors) off-heap, for every solver and kind
 * of ALS on 1 and 2 threads. Measured in a child JVM with native-memory tracking (every Arena
 * allocation counts), sampled after every iteration, when all of the fit's workspaces are alive.
 */
class AlsMemoryTest {

    private static final int USERS = 1_500;
    private static final int ITEMS = 800;
    private static final int RANK = 16;

    @Test
    void offHeapPeakStaysWithinTheTarget() throws Exception {
        String out = ChildJvm.run(Duration.ofSeconds(300), List.of("-XX:NativeMemoryTracking=summary", "--add-modules",
                "jdk.incubator.vector"), AlsMemoryTest.class).stdoutIfSucceeded();
        List<String> fits = out.lines().filter(l -> l.startsWith("fit\t")).toList();
        assertEquals(12, fits.size(), "the child JVM reported: " + out);
        List<String> over = fits.stream().filter(l -> Double.parseDouble(l.split("\t")[2]) > 1.0).toList();
        assertEquals(List.of(), over, "fits whose off-heap peak exceeds 1.2 x (nnz*8*2 + factors); all:\n" + out);
    }

    /** The child JVM: one line "fit, configuration, peak / target" per fit. */
    public static void main(String[] args) throws Exception {
        for (String solver : List.of("cholesky", "cg")) {
            for (String kind : List.of("explicit", "weighted", "implicit")) {
                for (int threads : new int[] {1, 2}) {
                    System.out.printf(java.util.Locale.ROOT, "fit\t%s %s %d thread(s)\t%.3f%n", solver, kind, threads,
                            peakOverTarget(solver, kind, threads));
                }
            }
        }
    }

    private static double peakOverTarget(String solver, String kind, int threads) throws Exception {
        long before = ChildJvm.nativeOtherBytes();
        long[] peak = {before};
        boolean implicit = kind.equals("implicit");
        try (Parallel parallel = threads == 1 ? null : Parallel.threads(threads);
             CsrMatrix a = ratings(new SplittableRandom(7));
             Observations data = Observations.of(a)) {
            Kernels kernels = Kernels.of(Backend.PANAMA, threads == 1 ? Parallel.sequential() : parallel);
            try (FactorModel model = FactorModel.create(USERS, ITEMS, RANK, !implicit, Initializer.normal(0.1, 3), kernels)) {
                Als.Builder b = Als.builder().maxIterations(3).kernels(kernels)
                        .solver(solver.equals("cg") ? RowSolver.conjugateGradient(3) : RowSolver.cholesky())
                        .listener(report -> peak[0] = Math.max(peak[0], nativeOtherBytes()));
                if (implicit) {
                    b.implicit(2f);
                } else if (kind.equals("weighted")) {
                    b.weightedRegularization(true).unobservedWeight(0.01f);
                }
                b.build().fit(model, data);
                long factors = (long) (USERS + ITEMS) * (RANK + 1) * Float.BYTES;
                return (peak[0] - before) / (1.2 * (a.nnz() * 8.0 * 2 + factors));
            }
        }
    }

    private static long nativeOtherBytes() {
        try {
            return ChildJvm.nativeOtherBytes();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** 20% of a USERS × ITEMS grid, ratings 1 to 5 (non-negative, so implicit feedback accepts them). */
    private static CsrMatrix ratings(SplittableRandom random) {
        int n = USERS * ITEMS / 5;
        int[] r = new int[n];
        int[] c = new int[n];
        float[] v = new float[n];
        int t = 0;
        for (int i = 0; i < USERS; i++) {
            for (int j = 0; j < ITEMS && t < n; j++) {
                if (random.nextInt(5) == 0) {
                    r[t] = i;
                    c[t] = j;
                    v[t] = 1 + random.nextInt(5);
                    t++;
                }
            }
        }
        return CsrMatrix.fromCoo(USERS, ITEMS, java.util.Arrays.copyOf(r, t), java.util.Arrays.copyOf(c, t),
                java.util.Arrays.copyOf(v, t), DuplicatePolicy.ERROR);
    }
}
