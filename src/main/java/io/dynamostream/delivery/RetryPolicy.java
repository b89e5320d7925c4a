package io.dynamostream.delivery;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with "equal jitter": before attempt n+1 wait between half and all of
 * {@code min(max, initial * 2^(n-1))}, so retries of many subscriptions spread out but never collapse to zero. How many
 * attempts a batch gets is a subscription's setting ({@code maximum_retry_attempts}). The random source is injectable
 * so tests can pin the jitter.
 */
public record RetryPolicy(Duration initial, Duration max, RandomGenerator random) {

    /** With the thread-local random source. */
    public RetryPolicy(Duration initial, Duration max) {
        this(initial, max, ThreadLocalRandom.current());
    }

    /** Wait after the failed attempt number {@code attempt} (1-based). */
    public Duration backoff(int attempt) {
        long maxMillis = max.toMillis();
        long ceiling = Math.min(initial.toMillis(), maxMillis);
        for (int i = 1; i < attempt && ceiling > 0 && ceiling < maxMillis; i++) {
            ceiling = Math.min(ceiling * 2, maxMillis);
        }
        long half = ceiling / 2;
        return Duration.ofMillis(half + random.nextLong(ceiling - half + 1));
    }
}
