package dev.lowrank.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowrank.matrix.CsrMatrix;
import dev.lowrank.matrix.DenseMatrix;
import dev.lowrank.parallel.Parallel;
import dev.lowrank.testkit.AllocationProbe;
import dev.lowrank.testkit.ChildJvm;
import dev.lowrank.testkit.Gen;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue #3: the kernels allocate nothing on the heap in their steady state, on one thread and on a
 * two-thread pool (the caller and both workers are counted). Shapes are small but large enough to take
 * each kernel's parallel path on two threads (GEMM above its serial threshold, Gram over more than one
 * row block, sparse products over more than one block of work).
 *
 * <p>The bound: every Java object is at least 16 bytes, so an average of at most
 * {@value #MAX_BYTES_PER_CALL} bytes per call over a round means that fewer than one call in two
 * allocated anything at all. A per-call lambda, fork/join task, row view or boxed vector fails it.
 * Rounds are repeated (keeping the best) only to let C2 compile the path: interpreted and C1 code boxes
 * vectors that compiled code keeps in registers.
 */
class KernelAllocationTest {

    static final double MAX_BYTES_PER_CALL = 8;
    /** Rounds measured, at the least, before a call that still allocates is reported. */
    private static final int MIN_ROUNDS = 10;

    static Stream<Arguments> setups() {
        List<Arguments> out = new ArrayList<>();
        for (Backend backend : Backend.values()) {
            if (backend == Backend.PANAMA && !Kernels.panamaAvailable()) {
                continue;
            }
            for (int threads : new int[] {1, 2}) {
                out.add(Arguments.of(backend, threads));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} on {1} thread(s)")
    @MethodSource("setups")
    void kernelsAllocateNothingPerCall(Backend backend, int threads) throws Exception {
        Map<String, Double> bytes = inFreshJvm(backend, threads);
        List<String> over = new ArrayList<>();
        bytes.forEach((name, perCall) -> {
            if (perCall > MAX_BYTES_PER_CALL) {
                over.add(name + " " + perCall + " B/call");
            }
        });
        assertEquals(List.of(), over, backend + " on " + threads + " thread(s) allocates per call (bound "
                + MAX_BYTES_PER_CALL + " B/call); all: " + bytes);
    }

    /**
     * Measures in a child JVM that has run nothing else: in the JVM of the whole suite, hundreds of
     * earlier kernel calls of other shapes leave profiles and deoptimizations behind, and some kernels'
     * helpers are then not inlined (see docs/kernels.md, "Still open").
     */
    private static Map<String, Double> inFreshJvm(Backend backend, int threads) throws Exception {
        List<String> options = new ArrayList<>(List.of("-ea"));
        options.addAll(ChildJvm.sameVectorOptions());
        String stdout = ChildJvm.run(Duration.ofSeconds(300), options, KernelAllocationTest.class, backend.name(),
                Integer.toString(threads)).stdoutIfSucceeded();
        Map<String, Double> bytes = new LinkedHashMap<>();
        for (String line : stdout.split("\n")) {
            if (line.startsWith("bytes\t")) {
                String[] parts = line.split("\t");
                bytes.put(parts[1], Double.parseDouble(parts[2]));
            }
        }
        System.out.println("[allocation] " + backend + " on " + threads + " thread(s): " + bytes);
        assertTrue(bytes.size() > 10, "the child JVM reported too little: " + stdout);
        return bytes;
    }

    /** The child JVM: measures one backend on one thread count and prints "bytes, name, B/call" lines. */
    public static void main(String[] args) {
        measure(Backend.valueOf(args[0]), Integer.parseInt(args[1]))
                .forEach((name, perCall) -> System.out.println("bytes\t" + name + "\t" + perCall));
    }

    static Map<String, Double> measure(Backend backend, int threads) {
        try (Gen g = new Gen(3); AllocationProbe probe = new AllocationProbe(threads)) {
            Parallel parallel = threads == 1 ? Parallel.sequential() : probe.parallel();
            assertEquals(threads, parallel.parallelism());
            Kernels kernels = Kernels.of(backend, parallel);
            boolean fast = backend == Backend.PANAMA;
            Map<String, Double> bytes = new LinkedHashMap<>();

            // 96×80×48 = 368,640 multiply-adds: above the serial threshold, two 48-row tiles on two threads.
            DenseMatrix a = g.dense("A", 96, 48);
            DenseMatrix b = g.dense("B", 48, 80);
            DenseMatrix c = g.dense("C", 96, 80);
            bytes.put("gemm", probe.minBytesPerCall(() -> kernels.gemm(1f, Op.IDENTITY, a, Op.IDENTITY, b, 0.5f, c),
                    fast ? 300 : 20, fast ? 300 : 30, MIN_ROUNDS, MAX_BYTES_PER_CALL));
            DenseMatrix at = g.dense("At", 48, 96);
            DenseMatrix bt = g.dense("Bt", 80, 48);
            bytes.put("gemm TT", probe.minBytesPerCall(() -> kernels.gemm(1f, Op.TRANSPOSE, at, Op.TRANSPOSE, bt, 0f, c),
                    fast ? 300 : 20, fast ? 300 : 30, MIN_ROUNDS, MAX_BYTES_PER_CALL));
            // Uᵀ·D with a long inner dimension: the split-K path (two chunks of 8,192 rows).
            DenseMatrix tall = g.dense("T", 16_400, 4);
            DenseMatrix tallB = g.dense("TB", 16_400, 5);
            DenseMatrix small = g.dense("S", 4, 5);
            bytes.put("gemm split-K", probe.minBytesPerCall(
                    () -> kernels.gemm(1f, Op.TRANSPOSE, tall, Op.IDENTITY, tallB, 1f, small),
                    fast ? 50 : 10, fast ? 100 : 20, MIN_ROUNDS, MAX_BYTES_PER_CALL));

            // 2,100 rows: three row blocks of the Gram reduction.
            DenseMatrix gramA = g.dense("G", 2_100, 16);
            DenseMatrix gram = g.dense("GtG", 16, 16);
            bytes.put("gram", probe.minBytesPerCall(() -> kernels.gram(gramA, gram),
                    fast ? 200 : 20, fast ? 300 : 30, MIN_ROUNDS, MAX_BYTES_PER_CALL));

            // ~40,000 nonzeros × k = 32 ≈ 1.3M multiply-adds: two blocks of sparse work.
            CsrMatrix sparse = g.csrUniform("P", 400, 400, 0.25);
            assertTrue(Kernels.sparseBlockCount(sparse, 32) >= 2, "the sparse case must take the parallel path");
            DenseMatrix u = g.dense("U", 400, 32);
            DenseMatrix v = g.dense("V", 400, 32);
            DenseMatrix spmmOut = g.dense("AV", 400, 32);
            bytes.put("spmm", probe.minBytesPerCall(() -> kernels.spmm(1f, Op.IDENTITY, sparse, v, 0f, spmmOut),
                    fast ? 100 : 10, fast ? 100 : 10, MIN_ROUNDS, MAX_BYTES_PER_CALL));
            CsrMatrix scores = g.own(sparse.copyStructure());
            bytes.put("sddmm", probe.minBytesPerCall(() -> kernels.sddmm(sparse, u, v, scores),
                    fast ? 100 : 10, fast ? 100 : 10, MIN_ROUNDS, MAX_BYTES_PER_CALL));

            // Elementwise and reductions over 1,100 rows: three row blocks.
            DenseMatrix x = g.dense("X", 1_100, 20);
            DenseMatrix y = g.dense("Y", 1_100, 20);
            bytes.put("dot(X, Y)", probe.minBytesPerCall(() -> kernels.dot(x, y), 200, 300, MIN_ROUNDS, MAX_BYTES_PER_CALL));
            bytes.put("axpy", probe.minBytesPerCall(() -> kernels.axpy(1e-6f, x, y), 200, 300, MIN_ROUNDS, MAX_BYTES_PER_CALL));
            bytes.put("scale", probe.minBytesPerCall(() -> kernels.scale(1f, x), 200, 300, MIN_ROUNDS, MAX_BYTES_PER_CALL));

            // What ALS and SGD call per row or per block, in the calling thread.
            bytes.put("dot(row)", probe.minBytesPerCall(() -> kernels.dot(u, 3, v, 7), 2000, 5000, MIN_ROUNDS,
                    MAX_BYTES_PER_CALL));
            float[] xv = new float[32];
            float[] acc = new float[32];
            java.util.Arrays.fill(xv, 0.01f);
            bytes.put("normalApply", probe.minBytesPerCall(() -> kernels.normalApply(sparse, 5, v, xv, 1f, 0.5f, 0.1f, acc),
                    1000, 2000, MIN_ROUNDS, MAX_BYTES_PER_CALL));
            bytes.put("normalRhs", probe.minBytesPerCall(() -> kernels.normalRhs(sparse, 5, v, 1f, 0.1f, null, 0f, acc),
                    1000, 2000, MIN_ROUNDS, MAX_BYTES_PER_CALL));
            float[] upper = new float[32 * 32];
            bytes.put("addGramUpper (few rows)", probe.minBytesPerCall(() -> kernels.addGramUpper(u, 20, upper),
                    1000, 1000, MIN_ROUNDS, MAX_BYTES_PER_CALL));
            bytes.put("addGramUpper (many rows)", probe.minBytesPerCall(() -> kernels.addGramUpper(u, 200, upper),
                    fast ? 300 : 20, fast ? 300 : 30, MIN_ROUNDS, MAX_BYTES_PER_CALL));
            float[] spd = new float[8 * 8];
            float[] rhs = new float[8];
            bytes.put("choleskySolve", probe.minBytesPerCall(() -> {
                java.util.Arrays.fill(spd, 0.1f);
                for (int i = 0; i < 8; i++) {
                    spd[i * 8 + i] = 2f;
                    rhs[i] = 1f;
                }
                kernels.choleskySolve(spd, rhs, 8);
            }, 1000, 2000, MIN_ROUNDS, MAX_BYTES_PER_CALL));
            int[] users = new int[500];
            int[] items = new int[500];
            float[] values = new float[500];
            for (int t = 0; t < users.length; t++) {
                users[t] = g.nextInt(400);
                items[t] = g.nextInt(400);
                values[t] = g.value();
            }
            java.util.Arrays.sort(users); // runs of one user, as Sgd's blocks have
            float[] ub = new float[400];
            float[] ib = new float[400];
            // Rank 64 is eight vectors on AVX2 (u_i kept in registers over a run), 32 on the 128-bit species;
            // 20 takes the general loop with its masked tail everywhere.
            for (int rank : new int[] {20, 32, 64}) {
                float[] ua = new float[400 * rank];
                float[] va = new float[400 * rank];
                java.util.Arrays.fill(ua, 0.1f);
                java.util.Arrays.fill(va, 0.1f);
                bytes.put("sgdPass rank=" + rank, probe.minBytesPerCall(() -> kernels.sgdPass(ua, va, rank, users, items,
                        values, 0, users.length, ub, ib, 0.1f, 1e-4f, 1f, 1f), fast ? 300 : 20, fast ? 300 : 30, MIN_ROUNDS,
                        MAX_BYTES_PER_CALL));
            }

            // k = 16 (in registers on every species) and k = 20 (the general path, not a multiple of the lanes).
            for (int k : new int[] {16, 20}) {
                float[] xk = new float[k];
                float[] outK = new float[k];
                DenseMatrix vk = g.dense("V" + k, 400, k);
                bytes.put("normalApply k=" + k, probe.minBytesPerCall(
                        () -> kernels.normalApply(sparse, 5, vk, xk, 1f, 0.5f, 0.1f, outK), 1000, 2000, MIN_ROUNDS,
                        MAX_BYTES_PER_CALL));
                bytes.put("normalRhs k=" + k, probe.minBytesPerCall(
                        () -> kernels.normalRhs(sparse, 5, vk, 1f, 0.1f, null, 0f, outK), 1000, 2000, MIN_ROUNDS,
                        MAX_BYTES_PER_CALL));
            }

            return bytes;
        }
    }
}
