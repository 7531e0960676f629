package dev.lowrank.bench;

import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.loss.Observations;
import dev.lowrank.loss.Regularization;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.model.FactorModel;
import dev.lowrank.model.Initializer;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.train.Als;
import dev.lowrank.train.History;
import dev.lowrank.train.LearningRate;
import dev.lowrank.train.RowSolver;
import dev.lowrank.train.Sgd;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Seconds per SGD epoch and per ALS iteration (Cholesky and CG) at the shapes of MovieLens 1M
 * (6,040 × 3,706, 1M ratings) and 10M (69,878 × 10,677, 10M ratings), rank 64, biases on, on planted
 * low-rank synthetic ratings (seeded), with 1 and 2 threads; plus the peak off-heap bytes (the
 * "direct" buffer pool, which counts every native segment) against 1.2 × (nnz·8·2 + factors).
 * Not JMH: one fit of 10 iterations is timed per configuration; the first iteration (JIT warm-up) is
 * reported apart and the rest summarised by their median.
 *
 * <pre>./mvnw -B -q -Pbench package exec:exec -Dexec.mainClass=dev.lowrank.bench.SolverShapes [-Dcli.args="1m|10m|all [iterations [sgd|als|all]]"]</pre>
 */
public final class SolverShapes {
    private static final int RANK = 64;
    private static int ITERATIONS = 10;
    /** "sgd", "als" or "all": which solvers to time. */
    private static String SOLVERS = "all";
    private static final java.util.List<Long> CPU_MARKS = new java.util.ArrayList<>();
    private static final java.lang.management.ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    /** Records the calling thread's CPU time at the start of a fit and after every iteration. */
    private static Peak PEAK;
    private static final dev.lowrank.train.EpochListener CPU = report -> {
        CPU_MARKS.add(THREADS.getCurrentThreadCpuTime());
        PEAK.sample();
    };

    private SolverShapes() {
    }

    public static void main(String[] args) throws Exception {
        String which = args.length > 0 ? args[0] : "all";
        if (args.length > 1) {
            ITERATIONS = Integer.parseInt(args[1]);
        }
        if (args.length > 2) {
            SOLVERS = args[2];
        }
        BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).findFirst().orElseThrow();
        Peak peak = new Peak(direct);
        PEAK = peak;
        System.out.printf(Locale.ROOT, "%s, %d processors, rank %d, %d iterations per fit; off-heap from %s%n",
                Kernels.defaults().providerName(), Runtime.getRuntime().availableProcessors(), RANK, ITERATIONS,
                peak.tracking() ? "NMT (Other)" : "the direct pool only: add JAVA_TOOL_OPTIONS=-XX:NativeMemoryTracking=summary");
        if (!which.equals("10m")) {
            run("ML-1M shape", 6_040, 3_706, 1_000_209, peak);
        }
        if (!which.equals("1m")) {
            run("ML-10M shape", 69_878, 10_677, 10_000_054, peak);
        }
    }

    private static void run(String name, int users, int items, int nnz, Peak peak) throws Exception {
        try (CsrMatrix a = planted(users, items, nnz, 8, 42); Observations data = Observations.of(a)) {
            long factors = (long) (users + items) * RANK * Float.BYTES + (long) (users + items) * Float.BYTES;
            double budget = 1.2 * (a.nnz() * 8.0 * 2 + factors);
            System.out.printf(Locale.ROOT, "%n%s: %d x %d, %d ratings; off-heap budget 1.2 x (nnz*8*2 + factors) = %.1f MB%n",
                    name, users, items, a.nnz(), budget / 1e6);
            for (int threads : new int[] {1, 2}) {
                try (Parallel parallel = threads == 1 ? null : Parallel.threads(threads)) {
                    Kernels kernels = Kernels.of(Backend.PANAMA, threads == 1 ? Parallel.sequential() : parallel);
                    for (int grid : SOLVERS.equals("als") ? new int[0] : new int[] {8, 32}) {
                        fit(name, threads, "SGD grid " + grid, users, items, peak, budget, m ->
                                Sgd.builder().maxEpochs(ITERATIONS).learningRate(LearningRate.constant(0.005))
                                        .regularization(Regularization.of(0.05f)).grid(grid).kernels(kernels).listener(CPU).build()
                                        .fit(m, data), kernels);
                    }
                    if (SOLVERS.equals("sgd")) {
                        continue;
                    }
                    for (RowSolver solver : new RowSolver[] {RowSolver.cholesky(), RowSolver.conjugateGradient(3)}) {
                        fit(name, threads, "ALS " + solver, users, items, peak, budget, m ->
                                Als.builder().maxIterations(ITERATIONS).solver(solver).reportObjective(false)
                                        .regularization(new Regularization(0.05f, 0.05f)).weightedRegularization(true)
                                        .kernels(kernels).listener(CPU).build().fit(m, data), kernels);
                    }
                    fit(name, threads, "ALS cholesky + objective", users, items, peak, budget, m ->
                            Als.builder().maxIterations(Math.min(3, ITERATIONS)).solver(RowSolver.cholesky())
                                    .regularization(new Regularization(0.05f, 0.05f)).weightedRegularization(true)
                                    .kernels(kernels).listener(CPU).build().fit(m, data), kernels);
                }
            }
        }
    }

    private interface Fit {
        History run(FactorModel model);
    }

    private static void fit(String name, int threads, String what, int users, int items, Peak peak, double budget, Fit fit, Kernels kernels) {
        peak.reset();
        try (FactorModel m = FactorModel.create(users, items, RANK, true, Initializer.normal(0.1, 1), kernels)) {
            CPU_MARKS.clear();
            CPU_MARKS.add(THREADS.getCurrentThreadCpuTime());
            History h = fit.run(m);
            double[] s = h.seconds();
            double[] rest = Arrays.copyOfRange(s, 1, s.length);
            Arrays.sort(rest);
            // With one thread all work runs on this thread, so its CPU time is immune to other load.
            String cpu = "";
            if (threads == 1 && CPU_MARKS.size() == s.length + 1) {
                double[] c = new double[s.length - 1];
                for (int t = 1; t < s.length; t++) {
                    c[t - 1] = (CPU_MARKS.get(t + 1) - CPU_MARKS.get(t)) * 1e-9;
                }
                Arrays.sort(c);
                cpu = String.format(Locale.ROOT, ", CPU median %.3f s", c[c.length / 2]);
            }
            System.out.printf(Locale.ROOT, "%-13s %d thread%s %-30s first %.3f s, median %.3f s (min %.3f, max %.3f)%s;"
                            + " peak off-heap %.1f MB (%.2f of budget)%n",
                    name, threads, threads == 1 ? " " : "s", what, s[0], rest[rest.length / 2], rest[0],
                    rest[rest.length - 1], cpu, peak.max() / 1e6, peak.max() / budget);
        }
    }

    /**
     * Planted rank-r ratings: μ = 3.5 plus user and item offsets plus u*·v* (N(0, 1/r) entries) plus
     * N(0, 0.5²) noise, clipped to [0.5, 5]. Users get lognormal counts (mean nnz/users, at most half the
     * items) and pick items from a skewed popularity (u^2 over a shuffled item order), without repeats.
     */
    static CsrMatrix planted(int users, int items, int nnz, int r, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] weights = new double[users];
        double total = 0;
        for (int i = 0; i < users; i++) {
            weights[i] = Math.exp(0.9 * random.nextGaussian());
            total += weights[i];
        }
        int cap = items / 2;
        long[] offsets = new long[users + 1];
        for (int i = 0; i < users; i++) {
            long want = Math.max(1, Math.min(cap, Math.round(weights[i] / total * nnz)));
            offsets[i + 1] = offsets[i] + want;
        }
        int count = (int) offsets[users];
        float[][] pu = gaussian(users, r, random);
        float[][] pv = gaussian(items, r, random);
        float[] bu = new float[users];
        float[] bv = new float[items];
        for (int i = 0; i < users; i++) {
            bu[i] = (float) (0.4 * random.nextGaussian());
        }
        for (int j = 0; j < items; j++) {
            bv[j] = (float) (0.5 * random.nextGaussian());
        }
        int[] order = new int[items];
        for (int j = 0; j < items; j++) {
            order[j] = j;
        }
        for (int j = items - 1; j > 0; j--) {
            int w = random.nextInt(j + 1);
            int t = order[j];
            order[j] = order[w];
            order[w] = t;
        }
        int[] cols = new int[count];
        float[] vals = new float[count];
        int[] seen = new int[items];
        Arrays.fill(seen, -1);
        for (int i = 0; i < users; i++) {
            int from = (int) offsets[i];
            int to = (int) offsets[i + 1];
            for (int p = from; p < to; p++) {
                int j;
                do {
                    double x = random.nextDouble();
                    j = order[(int) (x * x * items)];
                } while (seen[j] == i);
                seen[j] = i;
                cols[p] = j;
            }
            Arrays.sort(cols, from, to);
            for (int p = from; p < to; p++) {
                int j = cols[p];
                double s = 3.5 + bu[i] + bv[j] + 0.5 * random.nextGaussian();
                for (int t = 0; t < r; t++) {
                    s += pu[i][t] * pv[j][t];
                }
                vals[p] = (float) Math.max(0.5, Math.min(5, s));
            }
        }
        return CsrMatrix.of(users, items, offsets, cols, vals);
    }

    private static float[][] gaussian(int rows, int r, SplittableRandom random) {
        float[][] x = new float[rows][r];
        double sd = 1 / Math.sqrt(r);
        for (float[] row : x) {
            for (int t = 0; t < r; t++) {
                row[t] = (float) (sd * random.nextGaussian());
            }
        }
        return x;
    }

    /**
     * The largest off-heap use seen since the last reset. Native segments from arenas are not in the
     * "direct" buffer pool (it stays at 0 here), so the figure is NMT's "Other" category (where
     * Unsafe-allocated memory, and so every arena, is booked), read through the DiagnosticCommand MBean
     * at the start of each fit and after every iteration, when the fit's workspaces are all live. It needs
     * -XX:NativeMemoryTracking=summary; without it the figure is the "direct" pool's.
     */
    private static final class Peak {
        final BufferPoolMXBean direct;
        private long max;

        Peak(BufferPoolMXBean direct) {
            this.direct = direct;
        }

        void reset() {
            max = 0;
            sample();
        }

        long max() {
            sample();
            return max;
        }

        void sample() {
            max = Math.max(max, Math.max(direct.getMemoryUsed(), nmtOther()));
        }

        boolean tracking() {
            return nmtOther() > 0;
        }

        private static long nmtOther() {
            try {
                javax.management.MBeanServer server = ManagementFactory.getPlatformMBeanServer();
                javax.management.ObjectName name = new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand");
                String out = (String) server.invoke(name, "vmNativeMemory", new Object[] {new String[] {"summary"}},
                        new String[] {String[].class.getName()});
                java.util.regex.Matcher m = java.util.regex.Pattern
                        .compile("Other \\(reserved=(\\d+)KB, committed=(\\d+)KB\\)").matcher(out);
                return m.find() ? Long.parseLong(m.group(2)) * 1024 : 0;
            } catch (Exception e) {
                return 0;
            }
        }
    }
}
