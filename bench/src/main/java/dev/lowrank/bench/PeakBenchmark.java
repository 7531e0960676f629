package dev.lowrank.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.*;

/**
 * The machine's own ceilings, measured rather than taken from a data sheet: fp32 FMA throughput
 * (independent accumulator chains, nothing but FMAs) and STREAM triad bandwidth over arrays far larger
 * than the last-level cache. Run with {@code -t 1} and {@code -t 2}: JMH adds the threads' throughputs.
 * Both benchmarks time one call; bench/report.py turns the time into GFLOP/s and GB/s.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class PeakBenchmark {

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** FMAs per chain per call; 10 chains cover Zen's 5-cycle latency × 2 pipes and Intel's 4 × 2. */
    static final int STEPS = 100_000;

    @State(Scope.Thread)
    public static class Fma {
        /** Lanes of the preferred species; pass -p lanes=16 on AVX-512 (set-up refuses a mismatch). */
        @Param({"8"})
        int lanes;
        float x = 1.0000001f;
        float y = 0.9999999f;

        @Setup
        public void setup() {
            if (S.length() != lanes) {
                throw new IllegalStateException("preferred species has " + S.length() + " lanes; run with -p lanes=" + S.length());
            }
        }
    }

    /** 2 · 10 · STEPS · lanes flops per call. */
    @Benchmark
    public float fma(Fma s) {
        FloatVector a = FloatVector.broadcast(S, s.x);
        FloatVector b = FloatVector.broadcast(S, s.y);
        FloatVector c0 = a, c1 = b, c2 = a, c3 = b, c4 = a, c5 = b, c6 = a, c7 = b, c8 = a, c9 = b;
        for (int t = 0; t < STEPS; t++) {
            c0 = c0.fma(a, b);
            c1 = c1.fma(a, b);
            c2 = c2.fma(a, b);
            c3 = c3.fma(a, b);
            c4 = c4.fma(a, b);
            c5 = c5.fma(a, b);
            c6 = c6.fma(a, b);
            c7 = c7.fma(a, b);
            c8 = c8.fma(a, b);
            c9 = c9.fma(a, b);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).reduceLanes(
                jdk.incubator.vector.VectorOperators.ADD);
    }

    @State(Scope.Thread)
    public static class Triad {
        /** Floats per array: 3 × 64 MiB per thread, eight times the 8 MiB L3. */
        @Param({"16777216"})
        int elements;
        Arena arena;
        MemorySegment a, b, c;

        @Setup
        public void setup() {
            arena = Arena.ofShared();
            a = arena.allocate((long) elements * 4, 64);
            b = arena.allocate((long) elements * 4, 64);
            c = arena.allocate((long) elements * 4, 64);
            b.fill((byte) 1);
            c.fill((byte) 2);
        }

        @TearDown
        public void tearDown() {
            arena.close();
        }
    }

    /** a = b + s·c: STREAM counts 12 bytes per element (two reads, one write; no write-allocate). */
    @Benchmark
    public void triad(Triad s) {
        MemorySegment a = s.a, b = s.b, c = s.c;
        FloatVector q = FloatVector.broadcast(S, 3f);
        long bytes = (long) s.elements * 4;
        long step = S.vectorByteSize();
        for (long o = 0; o < bytes; o += step) {
            FloatVector.fromMemorySegment(S, c, o, ORDER).fma(q, FloatVector.fromMemorySegment(S, b, o, ORDER))
                    .intoMemorySegment(a, o, ORDER);
        }
    }
}
