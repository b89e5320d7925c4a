package io.dynamostream.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RetryPolicyTest {

    private static final int SAMPLES = 2_000;

    private static long ceiling(long initialMs, long maxMs, int attempt) {
        // min(max, initial * 2^(attempt-1)) without overflow
        if (attempt - 1 >= 62 || initialMs > (maxMs >> Math.min(attempt - 1, 62))) {
            return maxMs;
        }
        return Math.min(maxMs, initialMs << (attempt - 1));
    }

    private static void assertWithinEqualJitter(RetryPolicy policy, int attempt, long ceilingMs) {
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (int i = 0; i < SAMPLES; i++) {
            long wait = policy.backoff(attempt).toMillis();
            assertTrue(wait >= ceilingMs / 2 && wait <= ceilingMs,
                    "attempt " + attempt + ": " + wait + "ms outside [" + ceilingMs / 2 + ", " + ceilingMs + "]");
            min = Math.min(min, wait);
            max = Math.max(max, wait);
        }
        if (ceilingMs >= 100) {
            // jitter really spreads the waits over the range (loose bounds: fails only if the spread collapses)
            long range = ceilingMs - ceilingMs / 2;
            assertTrue(min < ceilingMs / 2 + range / 4, "attempt " + attempt + ": smallest wait " + min);
            assertTrue(max > ceilingMs - range / 4, "attempt " + attempt + ": largest wait " + max);
        }
    }

    @Test
    void givenDefaults_whenAttemptsFail_thenBackoffDoublesWithinEqualJitterUntilMax() {
        RetryPolicy policy = new RetryPolicy(Duration.ofMillis(200), Duration.ofSeconds(30));

        for (int attempt = 1; attempt <= 12; attempt++) {
            assertWithinEqualJitter(policy, attempt, ceiling(200, 30_000, attempt));
        }
        // spot checks of the documented formula
        assertEquals(200, ceiling(200, 30_000, 1));
        assertEquals(25_600, ceiling(200, 30_000, 8));
        assertEquals(30_000, ceiling(200, 30_000, 9));
    }

    @Test
    void givenOddInitial_whenAttemptsFail_thenCeilingIsInitialTimesPowerOfTwo() {
        RetryPolicy policy = new RetryPolicy(Duration.ofMillis(333), Duration.ofMinutes(10));

        for (int attempt = 1; attempt <= 15; attempt++) {
            assertWithinEqualJitter(policy, attempt, ceiling(333, 600_000, attempt));
        }
    }

    @Test
    void givenSuccessiveAttempts_whenBackoffBelowMax_thenAverageRoughlyDoubles() {
        RetryPolicy policy = new RetryPolicy(Duration.ofMillis(100), Duration.ofHours(1));
        double previous = 0;
        for (int attempt = 1; attempt <= 10; attempt++) {
            long total = 0;
            for (int i = 0; i < SAMPLES; i++) {
                total += policy.backoff(attempt).toMillis();
            }
            double mean = (double) total / SAMPLES;
            if (attempt > 1) {
                assertTrue(mean > previous * 1.7 && mean < previous * 2.3,
                        "attempt " + attempt + ": mean " + mean + " vs previous " + previous);
            }
            previous = mean;
        }
    }

    @ParameterizedTest(name = "attempt {0}")
    @ValueSource(ints = {31, 32, 33, 63, 64, 65, 100, 1000, Integer.MAX_VALUE})
    void givenHugeAttemptNumber_whenBackoff_thenNeverAboveMaxAndNoOverflow(int attempt) {
        RetryPolicy policy = new RetryPolicy(Duration.ofMillis(200), Duration.ofSeconds(30));

        assertWithinEqualJitter(policy, attempt, 30_000);
    }

    @Test
    void givenLargeInitial_whenManyAttempts_thenCappedAtMax() {
        RetryPolicy policy = new RetryPolicy(Duration.ofDays(1), Duration.ofDays(2));

        assertWithinEqualJitter(policy, 1, Duration.ofDays(1).toMillis());
        for (int attempt : new int[] {2, 3, 31, 40, 1000}) {
            assertWithinEqualJitter(policy, attempt, Duration.ofDays(2).toMillis());
        }
    }

    @Test
    void givenInitialAboveMax_whenFirstAttemptFails_thenCappedAtMax() {
        RetryPolicy policy = new RetryPolicy(Duration.ofSeconds(10), Duration.ofSeconds(1));

        assertWithinEqualJitter(policy, 1, 1_000);
    }

    @Test
    void givenZeroInitialBackoff_whenAttemptFails_thenNoWait() {
        RetryPolicy policy = new RetryPolicy(Duration.ZERO, Duration.ofSeconds(30));

        for (int attempt = 1; attempt <= 3; attempt++) {
            assertEquals(Duration.ZERO, policy.backoff(attempt), "attempt " + attempt);
        }
    }

}
