package io.dynamostream.ops;

import java.util.List;
import java.util.Map;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.dynamostream.guard.Redaction;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import io.dynamostream.reading.StreamSupervisor;
import io.dynamostream.subscription.ShardProgress;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionRegistry;
import io.quarkus.runtime.StartupEvent;

/**
 * Readiness: the subscriptions of {@code CONFIG_PATH} are registered (DOWN while startup is still registering them),
 * with every subscription's state in the data. A subscription in ERROR does not make the service unready: it is the
 * subscription that needs attention (its {@code error} says why), not the instance.
 *
 * <p>Data keys (health data is flat): {@code initialised}, {@code subscriptions} (count), and per subscription
 * {@code <id>.table}, {@code <id>.status}, {@code <id>.shards} (shards known for it), while RUNNING
 * {@code <id>.stream_found} and {@code <id>.last_discovery} (last successful shard listing), and {@code <id>.error}
 * only when there is one: the subscription's error, else a transient stream error being retried, else the last
 * delivery error. Destination URLs are never included (removed from error texts too).
 */
@Readiness
@ApplicationScoped
class SubscriptionsReadinessCheck implements HealthCheck {

    static final String NAME = "subscriptions";

    private final SubscriptionRegistry registry;
    private final StreamSupervisor tables;
    private volatile boolean initialised;

    SubscriptionsReadinessCheck(SubscriptionRegistry registry, StreamSupervisor tables) {
        this.registry = registry;
        this.tables = tables;
    }

    /**
     * Runs after every other startup observer (default priority 2500), in particular after the subscription file's
     * entries were registered; a file that cannot be used stops the startup before this.
     */
    void onStart(@Observes @Priority(Integer.MAX_VALUE) StartupEvent event) {
        initialised = true;
    }

    @Override
    public HealthCheckResponse call() {
        List<Subscription> all = registry.list();
        Map<String, StreamSupervisor.TableStatus> streams = tables.status();
        HealthCheckResponseBuilder response = HealthCheckResponse.named(NAME)
                .status(initialised)
                .withData("initialised", initialised)
                .withData("subscriptions", all.size());
        for (Subscription s : all) {
            String prefix = s.id() + ".";
            response.withData(prefix + "table", s.tableName())
                    .withData(prefix + "status", s.status().name())
                    .withData(prefix + "shards", s.shards().size());
            StreamSupervisor.TableStatus stream = streams.get(s.tableName());
            if (stream != null && s.status().isActive()) {
                response.withData(prefix + "stream_found", stream.streamResolved());
                if (stream.lastDiscovery() != null) {
                    response.withData(prefix + "last_discovery", stream.lastDiscovery().toString());
                }
            }
            String error = errorOf(s, stream);
            if (error != null) {
                response.withData(prefix + "error",
                        Redaction.withoutUrls(error.replace(s.url().toString(), "<url>")));
            }
        }
        return response.build();
    }

    private static String errorOf(Subscription s, StreamSupervisor.TableStatus stream) {
        if (!s.status().isActive()) {
            return s.error();
        }
        if (stream != null && stream.lastError() != null) {
            return stream.lastError();
        }
        return s.shards().stream().map(ShardProgress::lastError).filter(e -> e != null).reduce((a, b) -> b)
                .orElse(null);
    }
}
