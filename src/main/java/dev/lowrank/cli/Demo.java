package dev.lowrank.cli;

import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.kernel.Op;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.matrix.DuplicatePolicy;
import dev.lowrank.parallel.Parallel;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The embedded default job: builds a seeded planted-rank ratings matrix and prints the throughput of
 * the GEMM, SpMM and SDDMM kernels on both backends, after checking that the backends agree.
 *
 * <p>Arguments (all optional): {@code users items rank density seed}, default
 * {@code 4000 3000 64 0.02 42}.
 */
public final class Demo {

    private static final double SECONDS_PER_KERNEL = 0.6;

    private Demo() {
    }

    public static void main(String[] args) {
        int users = args.length > 0 ? Integer.parseInt(args[0]) : 4000;
        int items = args.length > 1 ? Integer.parseInt(args[1]) : 3000;
        int rank = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        double density = args.length > 3 ? Double.parseDouble(args[3]) : 0.02;
        long seed = args.length > 4 ? Long.parseLong(args[4]) : 42;
        if (users < 1 || items < 1 || rank < 1 || !(density > 0 && density <= 1)) {
            System.err.println("usage: Demo [users>0 items>0 rank>0 density in (0,1] seed]");
            System.exit(2);
        }

        System.out.printf(Locale.ROOT, "lowrank demo: %d users x %d items, planted rank 8, factors of rank %d,"
                + " density %.3f, seed %d%n", users, items, rank, density, seed);
        System.out.printf(Locale.ROOT, "JVM %s, %d cores; default backend %s%s%n", Runtime.version(),
                Runtime.getRuntime().availableProcessors(), Kernels.defaultBackend(),
                Kernels.panamaAvailable() ? " (" + Kernels.of(Backend.PANAMA, Parallel.sequential()).providerName() + ")" : "");

        SplittableRandom random = new SplittableRandom(seed);
        try (CsrMatrix ratings = plantedRatings(users, items, 8, density, random);
             DenseMatrix u = randomFactors(users, rank, random);
             DenseMatrix v = randomFactors(items, rank, random);
             DenseMatrix scores = DenseMatrix.zeros(users, items);
             DenseMatrix spmmOut = DenseMatrix.zeros(users, rank);
             CsrMatrix sampled = ratings.copyStructure()) {
            System.out.printf(Locale.ROOT, "ratings: %d stored entries%n%n", ratings.nnz());
            checkBackendsAgree(ratings, u, v);

            double gemmFlops = 2.0 * users * items * rank;
            double sparseFlops = 2.0 * ratings.nnz() * rank;
            System.out.printf(Locale.ROOT, "%-34s %12s %12s %8s%n", "kernel (all cores)", "scalar", "panama", "ratio");
            report("GEMM  U·Vᵀ " + users + "x" + items + "x" + rank, gemmFlops,
                    k -> k.gemm(1f, Op.IDENTITY, u, Op.TRANSPOSE, v, 0f, scores));
            report("SpMM  A·V  nnz " + ratings.nnz() + ", k " + rank, sparseFlops,
                    k -> k.spmm(1f, Op.IDENTITY, ratings, v, 0f, spmmOut));
            report("SDDMM (u_i·v_j on A's pattern)", sparseFlops,
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
    private static void checkBackendsAgree(CsrMatrix ratings, DenseMatrix u, DenseMatrix v) {
        if (!Kernels.panamaAvailable()) {
            return;
        }
        try (CsrMatrix a = ratings.copyStructure(); CsrMatrix b = ratings.copyStructure()) {
            Kernels.of(Backend.SCALAR, Parallel.defaults()).sddmm(ratings, u, v, a);
            Kernels.of(Backend.PANAMA, Parallel.defaults()).sddmm(ratings, u, v, b);
            double worst = 0;
            for (long p = 0; p < a.nnz(); p++) {
                worst = Math.max(worst, Math.abs(a.value(p) - b.value(p)));
            }
            System.out.printf(Locale.ROOT, "backends agree on SDDMM: largest difference %.2e%n%n", worst);
        }
    }

    private interface Work {
        void run(Kernels kernels);
    }

    private static void report(String label, double flops, Work work) {
        double scalar = gflops(Kernels.of(Backend.SCALAR, Parallel.defaults()), flops, work);
        if (Kernels.panamaAvailable()) {
            double panama = gflops(Kernels.of(Backend.PANAMA, Parallel.defaults()), flops, work);
            System.out.printf(Locale.ROOT, "%-34s %7.2f GF/s %7.2f GF/s %7.1fx%n", label, scalar, panama, panama / scalar);
        } else {
            System.out.printf(Locale.ROOT, "%-34s %7.2f GF/s %12s%n", label, scalar, "n/a");
        }
    }

    /** Best GFLOP/s over repetitions filling about {@link #SECONDS_PER_KERNEL}, after warm-up runs for the JIT. */
    private static double gflops(Kernels kernels, double flops, Work work) {
        long deadline = System.nanoTime() + (long) (SECONDS_PER_KERNEL * 1e9);
        for (int warm = 0; warm < 3 && System.nanoTime() < deadline; warm++) {
            work.run(kernels);
        }
        long best = Long.MAX_VALUE;
        deadline = System.nanoTime() + (long) (SECONDS_PER_KERNEL * 1e9);
        do {
            long start = System.nanoTime();
            work.run(kernels);
            best = Math.min(best, System.nanoTime() - start);
        } while (System.nanoTime() < deadline);
        return flops / best;
    }
}
