package dev.lowrank.cli;

import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.kernel.Op;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.matrix.DuplicatePolicy;
import dev.lowrank.parallel.Parallel;
import java.io.PrintStream;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The kernel throughput table of {@code lowrank bench} (and, shorter, of {@code lowrank demo}): builds a
 * seeded planted-rank ratings matrix and prints the GFLOP/s of GEMM, SpMM and SDDMM on both backends,
 * after checking that the backends agree.
 */
final class KernelBench {

    /** The problem and how long to time each kernel on each backend. */
    record Settings(int users, int items, int rank, double density, long seed, double secondsPerKernel) {
        static final Settings FULL = new Settings(4000, 3000, 64, 0.02, 42, 0.6);
        static final Settings SHORT = new Settings(1500, 1000, 64, 0.03, 42, 0.1);
    }

    private KernelBench() {
    }

    static void run(Settings s, Parallel parallel, PrintStream out) {
        out.printf(Locale.ROOT, "kernels: %d users x %d items, planted rank 8, factors of rank %d, density %.3f, seed %d%n",
                s.users(), s.items(), s.rank(), s.density(), s.seed());
        out.printf(Locale.ROOT, "JVM %s, %d cores, %d threads; default backend %s%s%n", Runtime.version(),
                Runtime.getRuntime().availableProcessors(), parallel.parallelism(), Kernels.defaultBackend(),
                Kernels.panamaAvailable() ? " (" + Kernels.of(Backend.PANAMA, parallel).providerName() + ")" : "");

        SplittableRandom random = new SplittableRandom(s.seed());
        int users = s.users();
        int items = s.items();
        int rank = s.rank();
        try (CsrMatrix ratings = plantedRatings(users, items, 8, s.density(), random);
             DenseMatrix u = randomFactors(users, rank, random);
             DenseMatrix v = randomFactors(items, rank, random);
             DenseMatrix scores = DenseMatrix.zeros(users, items);
             DenseMatrix spmmOut = DenseMatrix.zeros(users, rank);
             CsrMatrix sampled = ratings.copyStructure()) {
            out.printf(Locale.ROOT, "ratings: %d stored entries%n", ratings.nnz());
            checkBackendsAgree(ratings, u, v, parallel, out);

            double gemmFlops = 2.0 * users * items * rank;
            double sparseFlops = 2.0 * ratings.nnz() * rank;
            out.printf(Locale.ROOT, "%-34s %12s %12s %8s%n", "kernel", "scalar", "panama", "ratio");
            report(out, s, parallel, "GEMM  U·Vᵀ " + users + "x" + items + "x" + rank, gemmFlops,
                    k -> k.gemm(1f, Op.IDENTITY, u, Op.TRANSPOSE, v, 0f, scores));
            report(out, s, parallel, "SpMM  A·V  nnz " + ratings.nnz() + ", k " + rank, sparseFlops,
                    k -> k.spmm(1f, Op.IDENTITY, ratings, v, 0f, spmmOut));
            report(out, s, parallel, "SDDMM (u_i·v_j on A's pattern)", sparseFlops,
                    k -> k.sddmm(ratings, u, v, sampled));
        }
    }

    /** Entries u*_i·v*_j + small noise at random positions, from hidden factors of rank {@code planted}. */
    private static CsrMatrix plantedRatings(int users, int items, int planted, double density, SplittableRandom random) {
        float[][] hiddenU = new float[users][planted];
        float[][] hiddenV = new float[items][planted];
        double sd = 1 / Math.sqrt(Math.sqrt(planted));
        for (float[] row : hiddenU) {
            for (int t = 0; t < planted; t++) {
                row[t] = (float) (random.nextGaussian() * sd);
            }
        }
        for (float[] row : hiddenV) {
            for (int t = 0; t < planted; t++) {
                row[t] = (float) (random.nextGaussian() * sd);
            }
        }
        CsrMatrix.Builder builder = CsrMatrix.builder(users, items);
        try {
            for (int i = 0; i < users; i++) {
                for (int j = 0; j < items; j++) {
                    if (random.nextDouble() < density) {
                        float dot = 0;
                        for (int t = 0; t < planted; t++) {
                            dot += hiddenU[i][t] * hiddenV[j][t];
                        }
                        builder.add(i, j, dot + (float) (0.05 * random.nextGaussian()));
                    }
                }
            }
            return builder.build(DuplicatePolicy.ERROR);
        } finally {
            builder.close();
        }
    }

    private static DenseMatrix randomFactors(int rows, int rank, SplittableRandom random) {
        float[] values = new float[rows * rank];
        double sd = 1 / Math.sqrt(rank);
        for (int t = 0; t < values.length; t++) {
            values[t] = (float) (random.nextGaussian() * sd);
        }
        return DenseMatrix.of(rows, rank, values);
    }

    /** Runs SDDMM on both backends and prints the largest difference, so the figures below are of correct code. */
    private static void checkBackendsAgree(CsrMatrix ratings, DenseMatrix u, DenseMatrix v, Parallel parallel,
                                           PrintStream out) {
        if (!Kernels.panamaAvailable()) {
            out.println("Panama backend unavailable (add --add-modules jdk.incubator.vector): scalar figures only");
            return;
        }
        try (CsrMatrix a = ratings.copyStructure(); CsrMatrix b = ratings.copyStructure()) {
            Kernels.of(Backend.SCALAR, parallel).sddmm(ratings, u, v, a);
            Kernels.of(Backend.PANAMA, parallel).sddmm(ratings, u, v, b);
            double worst = 0;
            for (long p = 0; p < a.nnz(); p++) {
                worst = Math.max(worst, Math.abs(a.value(p) - b.value(p)));
            }
            out.printf(Locale.ROOT, "backends agree on SDDMM: largest difference %.2e%n", worst);
        }
    }

    private interface Work {
        void run(Kernels kernels);
    }

    private static void report(PrintStream out, Settings s, Parallel parallel, String label, double flops, Work work) {
        double scalar = gflops(Kernels.of(Backend.SCALAR, parallel), flops, work, s.secondsPerKernel());
        if (Kernels.panamaAvailable()) {
            double panama = gflops(Kernels.of(Backend.PANAMA, parallel), flops, work, s.secondsPerKernel());
            out.printf(Locale.ROOT, "%-34s %7.2f GF/s %7.2f GF/s %7.1fx%n", label, scalar, panama, panama / scalar);
        } else {
            out.printf(Locale.ROOT, "%-34s %7.2f GF/s %12s%n", label, scalar, "n/a");
        }
    }

    /** Best GFLOP/s over repetitions filling about {@code seconds}, after up to 3 warm-up runs for the JIT. */
    private static double gflops(Kernels kernels, double flops, Work work, double seconds) {
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        for (int warm = 0; warm < 3 && System.nanoTime() < deadline; warm++) {
            work.run(kernels);
        }
        long best = Long.MAX_VALUE;
        deadline = System.nanoTime() + (long) (seconds * 1e9);
        do {
            long start = System.nanoTime();
            work.run(kernels);
            best = Math.min(best, System.nanoTime() - start);
        } while (System.nanoTime() < deadline);
        return flops / best;
    }
}
