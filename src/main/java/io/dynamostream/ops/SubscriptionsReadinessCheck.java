package io.dynamostream.ops;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
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
import io.dynamostream.subscription.SubscriptionStatus;
import io.quarkus.runtime.StartupEvent;

/**
 * Readiness: the subscriptions of {@code CONFIG_PATH} are registered (DOWN while startup is still registering them),
 * with every subscription's state in the data. A subscription in ERROR does not make the service unready: it is the
 * subscription that needs attention (its {@code error} says why), not the instance.
 *
 * <p>Data keys (health data is flat): {@code initialised}, {@code subscriptions} (count), one count per status
 * ({@code starting}, {@code running}, {@code retrying}, {@code paused}, {@code error}, {@code closed}), and for at most
 * {@value #LISTED} subscriptions (those that are not RUNNING first, so the ones needing attention are always
 * there; {@code not_listed} counts the rest) {@code <id>.table}, {@code <id>.status}, {@code <id>.shards} (shards
 * known for it), while active {@code <id>.stream_found} and {@code <id>.last_discovery} (last successful shard
 * listing), and {@code <id>.error} only when there is one: the subscription's error, else a transient stream error
 * being retried, else the last delivery error. Destination URLs are never included (removed from error texts too).
 * The cap keeps the answer small and fast with thousands of subscriptions ({@code GET /subscriptions} lists them all).
 */
@Readiness
@ApplicationScoped
class SubscriptionsReadinessCheck implements HealthCheck {

    static final String NAME = "subscriptions";
    /** Subscriptions described one by one at most. */
    static final int LISTED = 100;

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
        return describe(initialised, registry.list(), tables.status());
    }

    /** The answer for these subscriptions and table statuses (see the class comment). */
    static HealthCheckResponse describe(boolean initialised, List<Subscription> all,
            Map<String, StreamSupervisor.TableStatus> streams) {
        HealthCheckResponseBuilder response = HealthCheckResponse.named(NAME)
                .status(initialised)
                .withData("initialised", initialised)
                .withData("subscriptions", all.size());
        long[] counts = new long[SubscriptionStatus.values().length];
        all.forEach(s -> counts[s.status().ordinal()]++);
        for (SubscriptionStatus status : SubscriptionStatus.values()) {
            response.withData(status.name().toLowerCase(Locale.ROOT), counts[status.ordinal()]);
        }
        // the ones needing attention first (stable: oldest first within each group), then the running ones
        List<Subscription> listed = new ArrayList<>(all);
        listed.sort(Comparator.comparing((Subscription s) -> s.status() == SubscriptionStatus.RUNNING));
        if (listed.size() > LISTED) {
            response.withData("not_listed", listed.size() - LISTED);
            listed = listed.subList(0, LISTED);
        }
        for (Subscription s : listed) {
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
