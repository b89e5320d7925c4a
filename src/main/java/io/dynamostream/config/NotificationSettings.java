package io.dynamostream.config;

import java.time.Duration;

import io.smallrye.config.WithDefault;

/**
 * How the error notification that announces a subscription's stop is retried ({@code dynamo-stream.notification.*}):
 * exponential backoff with jitter between attempts, for at most {@link #retryFor()} after the stop.
 */
public interface NotificationSettings {

    /**
     * How long after the stop attempts go on; the last one is made at this bound. {@code 0s}: one attempt only (the
     * original tool's behaviour).
     */
    @WithDefault("1h")
    Duration retryFor();

    /** Backoff before the second attempt; doubles each time (equal jitter). */
    @WithDefault("1s")
    Duration initialBackoff();

    /** Longest backoff between two attempts. */
    @WithDefault("5m")
    Duration maxBackoff();
}
