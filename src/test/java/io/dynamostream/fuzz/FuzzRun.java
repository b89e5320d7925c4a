package io.dynamostream.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * A reproducible run of numbered fuzz cases, with plain JUnit 5 (no property-testing library).
 *
 * <p>Case {@code i} draws from its own {@link Random}, derived from the run's seed, the run's name and {@code i}, so
 * one case can be replayed without the cases before it:
 * <ul>
 * <li>{@code -Dfuzz.seed=N} replaces the default seed of every run (the seed in effect is printed at the start);</li>
 * <li>{@code -Dfuzz.case=I} runs only case {@code I} (with the seed in effect).</li>
 * </ul>
 * A failing case fails the test with the run's name, the seed, the case index, the replay command line and the
 * generated input (escaped, see {@link Fuzz#escape(String, int)}). Each run counts its outcome categories, prints
 * them at the end and can assert that the categories that show the generator is not degenerate actually occurred.
 */
final class FuzzRun {

    static final String SEED_PROPERTY = "fuzz.seed";
    static final String CASE_PROPERTY = "fuzz.case";

    /** How much of a generated input a failure message shows (runs of one character are compressed). */
    static final int SHOWN = 8000;

    /** Makes one case's input from its index and its own random source. */
    @FunctionalInterface
    interface Generator<T> {
        T generate(int index, Random random) throws Exception;
    }

    /** The property for one input; throws (an AssertionError or anything else) when it does not hold. */
    @FunctionalInterface
    interface Check<T> {
        void check(int index, T input) throws Exception;
    }

    private final String name;
    private final long seed;
    private final int cases;
    private final int only;
    private final Map<String, Integer> outcomes = new TreeMap<>();
    private final long started = System.nanoTime();

    private FuzzRun(String name, long seed, int cases, int only) {
        this.name = name;
        this.seed = seed;
        this.cases = cases;
        this.only = only;
    }

    /** A run of {@code cases} cases with {@code defaultSeed} unless -Dfuzz.seed / -Dfuzz.case say otherwise. */
    static FuzzRun start(String name, long defaultSeed, int cases) {
        String seedText = System.getProperty(SEED_PROPERTY, "").trim();
        long seed = seedText.isEmpty() ? defaultSeed : Long.decode(seedText);
        String caseText = System.getProperty(CASE_PROPERTY, "").trim();
        int only = caseText.isEmpty() ? -1 : Integer.parseInt(caseText);
        if (only >= cases) {
            throw new IllegalArgumentException(
                    "-D" + CASE_PROPERTY + "=" + only + " but " + name + " has only " + cases + " cases");
        }
        FuzzRun run = new FuzzRun(name, seed, cases, only);
        System.out.printf("[fuzz] %s: seed %d%s, %s (replay: %s)%n", name, seed,
                seedText.isEmpty() ? " (default)" : " (from -D" + SEED_PROPERTY + ")",
                only < 0 ? cases + " cases" : "only case " + only + " of " + cases, run.replay(only < 0 ? null : only));
        return run;
    }

    long seed() {
        return seed;
    }

    /** Whether only one case runs (-Dfuzz.case): then the outcome assertions are skipped. */
    boolean replaying() {
        return only >= 0;
    }

    /** The random source of case {@code index}: the same for the same seed, name and index. */
    Random random(int index) {
        return new Random(mix64(mix64(seed ^ mix64(name.hashCode())) + index));
    }

    /** SplittableRandom's finaliser (Stafford variant 13): nearby inputs give unrelated outputs. */
    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /**
     * Spreads {@code edgeCount} edge cases evenly over {@code count} cases (as a property-testing library mixes its
     * edge cases in): the edge case number for local index {@code index}, or -1 for a random case.
     */
    static int edgeCase(int index, int count, int edgeCount) {
        if (edgeCount == 0) {
            return -1;
        }
        if (edgeCount > count) {
            throw new IllegalArgumentException(edgeCount + " edge cases do not fit into " + count + " cases");
        }
        int stride = count / edgeCount;
        return index % stride == 0 && index / stride < edgeCount ? index / stride : -1;
    }

    /** The command-line flags that run this test again with this seed (and only this case). */
    String replay(Integer index) {
        return "-D" + SEED_PROPERTY + "=" + seed + (index == null ? "" : " -D" + CASE_PROPERTY + "=" + index);
    }

    /** "case 12 of 2000 of NAME (seed S; replay: ...)". */
    String where(int index) {
        return "case " + index + " of " + cases + " of " + name + " (seed " + seed + "; replay: " + replay(index) + ")";
    }

    /**
     * Generates and checks every case (or only the replayed one); the first failure ends the run with
     * {@link #where(int)} and the escaped input in its message and the original failure as its cause.
     */
    <T> void forAll(Generator<T> generator, Function<T, String> describe, Check<T> check) {
        for (int i = only >= 0 ? only : 0; i < (only >= 0 ? only + 1 : cases); i++) {
            T input;
            try {
                input = generator.generate(i, random(i));
            } catch (Throwable t) {
                throw new AssertionError(where(i) + ": the generator failed: " + t, t);
            }
            try {
                check.check(i, input);
            } catch (Throwable t) {
                String shown;
                try {
                    shown = describe.apply(input);
                } catch (RuntimeException e) {
                    shown = "(cannot describe the input: " + e + ")";
                }
                throw new AssertionError(where(i) + " failed: " + t.getMessage() + "\n    input: " + shown, t);
            }
        }
    }

    void count(String outcome) {
        outcomes.merge(outcome, 1, Integer::sum);
    }

    /** Prints the outcome counts and the time taken. */
    void finish() {
        long ms = (System.nanoTime() - started) / 1_000_000;
        System.out.printf("[fuzz] %s: %s in %d ms (seed %d): %s%n", name,
                only < 0 ? cases + " cases" : "case " + only, ms, seed, outcomes);
    }

    /**
     * Asserts that each of the outcome categories occurred at least once, so that a generator that silently stops
     * producing (for instance) accepted or refused inputs fails the test. Skipped when only one case is replayed.
     */
    void assertOccurred(String... expected) {
        if (replaying()) {
            return;
        }
        List<String> missing = new ArrayList<>();
        for (String e : expected) {
            if (outcomes.getOrDefault(e, 0) == 0) {
                missing.add(e);
            }
        }
        assertTrue(missing.isEmpty(), () -> name + " (seed " + seed + "): the generated inputs never led to "
                + missing + "; the generator has degenerated. Outcomes: " + outcomes);
    }
}
