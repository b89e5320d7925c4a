package io.dynamostream.ops;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

import io.dynamostream.config.DynamoStreamConfig;
import io.dynamostream.reading.StreamDiscovery;
import io.quarkus.runtime.StartupEvent;

/**
 * Liveness: the stream poller keeps making progress (a tick started, or a table of a long round described). A poller
 * that stopped making progress (a stuck discovery, a dead
 * scheduler) means no new shard, rollover or deleted table is ever noticed again; only a restart helps. DynamoDB
 * being unreachable is not a liveness failure (readiness reports it).
 */
@Liveness
@ApplicationScoped
class PollerLivenessCheck implements HealthCheck {

    static final String NAME = "stream-poller";

    private final StreamDiscovery poller;
    private final Duration staleAfter;
    private final Clock clock;
    private volatile Instant startedAt;

    @Inject
    PollerLivenessCheck(StreamDiscovery poller, DynamoStreamConfig config) {
        this(poller, staleAfter(config.health().pollerStaleAfter(), config.reader().discoveryInterval()),
                Clock.systemUTC());
    }

    PollerLivenessCheck(StreamDiscovery poller, Duration staleAfter, Clock clock) {
        this.poller = poller;
        this.staleAfter = staleAfter;
        this.clock = clock;
        this.startedAt = clock.instant();
    }

    /** The first tick comes one discovery interval after startup; until then the startup time stands in for it. */
    void onStart(@Observes @Priority(1) StartupEvent event) {
        startedAt = clock.instant();
    }

    @Override
    public HealthCheckResponse call() {
        return evaluate(clock.instant(), startedAt, poller.lastTick(), staleAfter);
    }

    static Duration staleAfter(Optional<Duration> configured, Duration discoveryInterval) {
        return configured.orElseGet(() -> {
            Duration threeTicks = discoveryInterval.multipliedBy(3);
            Duration floor = Duration.ofSeconds(30);
            return threeTicks.compareTo(floor) > 0 ? threeTicks : floor;
        });
    }

    /** UP when the last tick (or, before the first one, the startup) is at most {@code staleAfter} old. */
    static HealthCheckResponse evaluate(Instant now, Instant startedAt, Optional<Instant> lastTick,
            Duration staleAfter) {
        Instant reference = lastTick.orElse(startedAt);
        Duration age = Duration.between(reference, now);
        var response = HealthCheckResponse.named(NAME)
                .status(age.compareTo(staleAfter) <= 0)
                .withData("last_tick", lastTick.map(Instant::toString).orElse("none yet"))
                .withData("seconds_since_last_tick", Math.max(0, age.toSeconds()))
                .withData("stale_after_seconds", staleAfter.toSeconds());
        return response.build();
    }
}
