package dev.lowrank.bench;

import dev.lowrank.kernel.Backend;
import dev.lowrank.kernel.Kernels;
import dev.lowrank.loss.DenseObservations;
import dev.lowrank.loss.Gradients;
import dev.lowrank.loss.Loss;
import dev.lowrank.loss.Observations;
import dev.lowrank.loss.Regularization;
import dev.lowrank.loss.SquaredLoss;
import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.matrix.DuplicatePolicy;
import dev.lowrank.model.FactorModel;
import dev.lowrank.model.Initializer;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.train.Adam;
import dev.lowrank.train.OptimizerState;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * One full-batch Adam epoch with the L4 squared loss (λ1 0.01, λ2 0.001): the fused loss-and-gradient
 * call plus the Adam update of U and V. Cases: seed 000's dense uniform(0, 5) matrices at 1000², 2000² and
 * 10000² (k = 3; {@code density} < 1 zeroes entries at random, zeros are unobserved), ML-latest-small
 * (k = 64) and a 10M-nonzero synthetic CSR (200,000 × 20,000, k = 64); {@code rank} overrides k. Each
 * case runs on both paths ({@code path}): "csr" (Observations: CSR + transpose) and "dense" (A read in
 * place, DenseObservations; synthetic10M has no dense form and refuses it). Setup prints the one-off
 * data preparation, checks the loss against an independent double computation, and prints a memcpy
 * bandwidth and the epoch's traffic bound (CSR: 8 bytes per nonzero per pass, two passes; dense: A once).
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Warmup(iterations = 2)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx8g", "-XX:MaxDirectMemorySize=16g"})
public class TrainEpochBenchmark {

    @Param({"dense1000", "dense10000", "ml-small", "synthetic10M"})
    String data;

    /**
     * "csr": the observed entries as CSR + transpose (Observations); "dense": A read in place
     * (DenseObservations). synthetic10M has no dense form (16 GB) and refuses "dense".
     */
    @Param({"csr", "dense"})
    String path;

    /** For the denseN cases: the fraction of entries kept (the rest are 0 = unobserved). */
    @Param({"1"})
    double density;

    /** The rank; 0 keeps the case's own (3 for denseN, 64 otherwise). */
    @Param({"0"})
    int rank;

    @Param({"PANAMA"})
    Backend backend;

    @Param({"2"})
    int threads;

    Parallel parallel;
    Kernels kernels;
    Observations obs;
    DenseMatrix denseA;
    Loss loss;
    FactorModel model;
    Gradients grads;
    OptimizerState adam;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        parallel = Parallel.threads(threads);
        kernels = Kernels.of(backend, parallel);
        int k;
        long t0 = System.nanoTime();
        CsrMatrix csr;
        switch (data) {
            case "dense1000", "dense2000", "dense10000" -> {
                int n = Integer.parseInt(data.substring(5));
                k = 3;
                denseA = DenseMatrix.zeros(n, n);
                SplittableRandom r = new SplittableRandom(42);
                MemorySegment s = denseA.segment();
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        float x = (float) (5 * r.nextDouble());
                        boolean keep = density >= 1 || r.nextDouble() < density;
                        s.set(ValueLayout.JAVA_FLOAT, denseA.offset(i, j), keep ? (x == 0f ? 1f : x) : 0f);
                    }
                }
                csr = null;
            }
            case "ml-small" -> {
                k = 64;
                csr = own(movieLens(Path.of("../shared/data/movielens-small/ratings.csv")));
            }
            case "synthetic10M" -> {
                k = 64;
                if (path.equals("dense")) {
                    throw new IllegalStateException("synthetic10M has no dense form (200000x20000 floats = 16 GB): run it with -p path=csr");
                }
                csr = own(synthetic(200_000, 20_000, 10_000_000, 7));
            }
            default -> throw new IllegalArgumentException(data);
        }
        if (rank > 0) {
            k = rank;
        }
        if (csr != null && path.equals("dense")) {
            denseA = csr.toDense();
        }
        t0 = System.nanoTime();
        long nnz;
        if (path.equals("dense")) {
            obs = null;
            if (csr != null && hasStoredZeros(csr)) {
                throw new IllegalStateException(data + " stores zeros, which A != 0 would drop");
            }
            DenseObservations dobs = DenseObservations.nonZero(denseA);
            loss = SquaredLoss.l4(dobs, 0.01f, 0.001f, Regularization.none(), kernels);
            nnz = dobs.size();
        } else {
            obs = csr != null ? Observations.of(csr) : Observations.nonZero(denseA);
            loss = SquaredLoss.l4(obs, 0.01f, 0.001f, Regularization.none(), kernels);
            nnz = obs.size();
        }
        double setupSeconds = (System.nanoTime() - t0) * 1e-9;
        model = FactorModel.create(loss.users(), loss.items(), k, false, Initializer.uniform(1), kernels);
        grads = Gradients.like(model);
        adam = Adam.of(1e-3).start(model, kernels);
        double got = loss.evaluate(model, grads);
        double expected = obs != null ? reference(obs.byUser(), model, 0.01, 0.001)
                : referenceDense(denseA, model, 0.01, 0.001);
        if (Math.abs(got - expected) > 1e-4 * Math.abs(expected) + 1e-3) {
            throw new IllegalStateException("loss " + got + " but the double reference is " + expected);
        }
        double gbps = copyBandwidth();
        // Bytes one epoch must read at least: the CSR path 8 B per nonzero per pass, two passes; the dense
        // path A once (4 B per entry).
        double bytes = path.equals("dense") ? 4.0 * loss.users() * loss.items() : 16.0 * nnz;
        System.out.printf(Locale.ROOT, "%n[%s/%s density %s] %s: %dx%d nnz %d k %d; data prep %.3f s;"
                        + " loss verified (%.6g); memcpy %.2f GB/s -> traffic bound (%.0f MB) %.2f ms per epoch%n",
                data, path, density, kernels.providerName(), loss.users(), loss.items(), nnz, k, setupSeconds,
                got, gbps, bytes / 1e6, bytes / (gbps * 1e9) * 1e3);
    }

    private final List<CsrMatrix> owned = new java.util.ArrayList<>();

    private CsrMatrix own(CsrMatrix m) {
        owned.add(m);
        return m;
    }

    private static boolean hasStoredZeros(CsrMatrix m) {
        for (long p = 0; p < m.nnz(); p++) {
            if (m.value(p) == 0f) {
                return true;
            }
        }
        return false;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        adam.close();
        grads.close();
        model.close();
        loss.close();
        if (obs != null) {
            obs.close();
        }
        if (denseA != null) {
            denseA.close();
        }
        for (CsrMatrix m : owned) {
            m.close();
        }
        parallel.close();
    }

    @Benchmark
    public double adamEpochL4() {
        double value = loss.evaluate(model, grads);
        adam.step(model, grads, 1e-3);
        return value;
    }

    /** λ1·Σ_Ω (a − s)² + λ2·(Σ_all s² − Σ_Ω s²), all in double, Σ_all s² through double Gramians. */
    static double reference(CsrMatrix a, FactorModel model, double l1, double l2) {
        DenseMatrix u = model.userFactors();
        DenseMatrix v = model.itemFactors();
        int k = model.rank();
        double[] uu = gram(u, k);
        double[] vv = gram(v, k);
        double all = 0;
        for (int t = 0; t < k * k; t++) {
            all += uu[t] * vv[t];
        }
        MemorySegment us = u.segment();
        MemorySegment vs = v.segment();
        double observed = 0;
        double obsSq = 0;
        for (int i = 0; i < a.rows(); i++) {
            for (long p = a.rowStart(i); p < a.rowEnd(i); p++) {
                int j = a.columnIndex(p);
                double s = 0;
                for (int t = 0; t < k; t++) {
                    s += (double) us.get(ValueLayout.JAVA_FLOAT, u.offset(i, t)) * vs.get(ValueLayout.JAVA_FLOAT, v.offset(j, t));
                }
                double r = a.value(p) - s;
                observed += r * r;
                obsSq += s * s;
            }
        }
        return l1 * observed + l2 * (all - obsSq);
    }

    /** The same over a dense A whose non-zero entries are the observed ones. */
    static double referenceDense(DenseMatrix a, FactorModel model, double l1, double l2) {
        DenseMatrix u = model.userFactors();
        DenseMatrix v = model.itemFactors();
        int k = model.rank();
        double[] uu = gram(u, k);
        double[] vv = gram(v, k);
        double all = 0;
        for (int t = 0; t < k * k; t++) {
            all += uu[t] * vv[t];
        }
        double[] vt = new double[v.rows() * k];
        for (int j = 0; j < v.rows(); j++) {
            for (int t = 0; t < k; t++) {
                vt[j * k + t] = v.get(j, t);
            }
        }
        MemorySegment as = a.segment();
        double observed = 0;
        double obsSq = 0;
        double[] ui = new double[k];
        for (int i = 0; i < a.rows(); i++) {
            for (int t = 0; t < k; t++) {
                ui[t] = u.get(i, t);
            }
            for (int j = 0; j < a.cols(); j++) {
                float x = as.get(ValueLayout.JAVA_FLOAT, a.offset(i, j));
                if (x == 0f) {
                    continue;
                }
                double s = 0;
                for (int t = 0; t < k; t++) {
                    s += ui[t] * vt[j * k + t];
                }
                double r = x - s;
                observed += r * r;
                obsSq += s * s;
            }
        }
        return l1 * observed + l2 * (all - obsSq);
    }

    private static double[] gram(DenseMatrix x, int k) {
        double[] g = new double[k * k];
        MemorySegment s = x.segment();
        double[] row = new double[k];
        for (int i = 0; i < x.rows(); i++) {
            for (int t = 0; t < k; t++) {
                row[t] = s.get(ValueLayout.JAVA_FLOAT, x.offset(i, t));
            }
            for (int p = 0; p < k; p++) {
                for (int q = 0; q < k; q++) {
                    g[p * k + q] += row[p] * row[q];
                }
            }
        }
        return g;
    }

    static CsrMatrix movieLens(Path csv) throws IOException {
        if (!Files.exists(csv)) {
            throw new IllegalStateException(csv.toAbsolutePath() + " is missing: run from the repository root with"
                    + " ../shared/data/movielens-small present");
        }
        List<String> lines = Files.readAllLines(csv);
        Map<String, Integer> users = new HashMap<>();
        Map<String, Integer> items = new HashMap<>();
        int n = lines.size() - 1;
        int[] r = new int[n];
        int[] c = new int[n];
        float[] v = new float[n];
        for (int t = 0; t < n; t++) {
            String[] f = lines.get(t + 1).split(",");
            r[t] = users.computeIfAbsent(f[0], x -> users.size());
            c[t] = items.computeIfAbsent(f[1], x -> items.size());
            v[t] = Float.parseFloat(f[2]);
        }
        return CsrMatrix.fromCoo(users.size(), items.size(), r, c, v, DuplicatePolicy.ERROR);
    }

    static CsrMatrix synthetic(int rows, int cols, int nnz, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        try (CsrMatrix.Builder b = CsrMatrix.builder(rows, cols)) {
            for (int t = 0; t < nnz; t++) {
                b.add(rnd.nextInt(rows), rnd.nextInt(cols), 1 + rnd.nextInt(5));
            }
            return b.build(DuplicatePolicy.SUM);
        }
    }

    /** Best of five copies of 256 MiB, in GB/s counting read + write. */
    static double copyBandwidth() {
        long bytes = 256L << 20;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(bytes, 64);
            MemorySegment dst = arena.allocate(bytes, 64);
            src.fill((byte) 1);
            double best = 0;
            for (int t = 0; t < 5; t++) {
                long start = System.nanoTime();
                dst.copyFrom(src);
                double s = (System.nanoTime() - start) * 1e-9;
                best = Math.max(best, 2.0 * bytes / s / 1e9);
            }
            return best;
        }
    }
}
