package io.dynamostream.ops;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.dynamostream.guard.Redaction;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import io.dynamostream.aws.ReaderClient;
import io.dynamostream.aws.StreamErrors;
import io.dynamostream.config.DynamoStreamConfig;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * Readiness: DynamoDB answers. One cheap call ({@code ListTables}, limit 1) with a short timeout, through the same
 * client (endpoint, region, credentials) the readers use. The result is reused for
 * {@code dynamo-stream.health.dynamodb-cache-for}, so probes from several places never hammer DynamoDB. When DOWN,
 * {@code error} is one sentence ({@link StreamErrors#describe}): AWS's error code and message, what to set when no
 * credentials are found, or that DynamoDB cannot be reached.
 *
 * <p>Thread-safety: {@link #call()} is synchronized; concurrent probes wait for the one call in flight and share
 * its result.
 */
@Readiness
@ApplicationScoped
class DynamoDbReadinessCheck implements HealthCheck {

    static final String NAME = "dynamodb";

    private final DynamoDbClient dynamoDb;
    private final Duration timeout;
    private final Duration cacheFor;
    private final Clock clock;
    private HealthCheckResponse cached;
    private Instant cachedAt;

    @Inject
    DynamoDbReadinessCheck(@ReaderClient DynamoDbClient dynamoDb, DynamoStreamConfig config) {
        this(dynamoDb, config.health().dynamodbTimeout(), config.health().dynamodbCacheFor(), Clock.systemUTC());
    }

    DynamoDbReadinessCheck(DynamoDbClient dynamoDb, Duration timeout, Duration cacheFor, Clock clock) {
        this.dynamoDb = dynamoDb;
        this.timeout = timeout;
        this.cacheFor = cacheFor;
        this.clock = clock;
    }

    @Override
    public synchronized HealthCheckResponse call() {
        Instant now = clock.instant();
        if (cached == null || !now.isBefore(cachedAt.plus(cacheFor))) {
            cached = probe(now);
            cachedAt = now;
        }
        return cached;
    }

    private HealthCheckResponse probe(Instant now) {
        var response = HealthCheckResponse.named(NAME).withData("checked_at", now.toString());
        long start = System.nanoTime();
        try {
            dynamoDb.listTables(r -> r.limit(1).overrideConfiguration(o -> o.apiCallTimeout(timeout)));
            return response.up().withData("latency_ms", (System.nanoTime() - start) / 1_000_000).build();
        } catch (RuntimeException e) {
            // one sentence: the AWS error code and message, or what to set (region, credentials), or "cannot reach"
            return response.down().withData("error", Redaction.withoutUrls(StreamErrors.describe(e))).build();
        }
    }
}
