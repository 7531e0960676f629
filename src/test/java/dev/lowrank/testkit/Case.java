package dev.lowrank.testkit;

/**
 * One generated property case: its seed and a generator seeded with it. The display name JUnit shows
 * is the seed, so a failing case can be replayed with {@code -Dlowrank.seed=<seed>}.
 */
public record Case(String property, long seed) {

    /** A fresh generator for this case (call once per case; it records the shapes it makes). */
    public Gen gen() {
        return new Gen(seed);
    }

    @Override
    public String toString() {
        return "seed=" + seed;
    }
}
