package io.dynamostream.config;

import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.WithDefault;

/** Settings of the health checks ({@code dynamo-stream.health.*}). */
public interface HealthSettings {

    /**
     * Liveness turns DOWN when the stream poller's scheduled tick has not started for this long. Default: three
     * discovery intervals, at least 30 s (a tick waits for DynamoDB calls, which take longer when it is unreachable).
     */
    Optional<Duration> pollerStaleAfter();

    /** Time allowed for the readiness probe's DynamoDB call ({@code ListTables}, limit 1). */
    @WithDefault("2s")
    Duration dynamodbTimeout();

    /** How long a DynamoDB probe result is reused, so frequent probes do not each call DynamoDB. */
    @WithDefault("2s")
    Duration dynamodbCacheFor();
}
