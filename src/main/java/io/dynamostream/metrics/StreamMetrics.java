package io.dynamostream.metrics;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.DeliveryIncident;
import io.dynamostream.subscription.SubscriptionChanged;
import io.dynamostream.subscription.SubscriptionRegistry;
import io.dynamostream.subscription.SubscriptionStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

/**
 * The service's Prometheus metrics ({@code /q/metrics}). Labels are bounded: subscription id, table, shard id (while
 * the shard is read), outcome and operation; never a URL or an event id. Thread-safe.
 *
 * <ul>
 * <li>{@code dynamo_stream_iterator_age_seconds{subscription,table,shard}}: age of the last record delivered on a
 * shard when it was acknowledged (Lambda's IteratorAge)</li>
 * <li>{@code dynamo_stream_records_delivered_total}, {@code dynamo_stream_batches_delivered_total}
 * {subscription,table}</li>
 * <li>{@code dynamo_stream_delivery_attempts_total{subscription,table,outcome}}: outcome 2xx, 3xx, 4xx, 5xx, timeout,
 * error (connection failures), refused (destination guard)</li>
 * <li>{@code dynamo_stream_delivery_duration_seconds{subscription,table}}: histogram of one POST</li>
 * <li>{@code dynamo_stream_aws_throttles_total{table,operation}}, {@code dynamo_stream_gaps_total{table}} (records
 * trimmed before they were read), {@code dynamo_stream_records_skipped_total{subscription,table}},
 * {@code dynamo_stream_dead_letters_total{subscription,table}}: each at 0 from a subscription's registration on</li>
 * <li>{@code dynamo_stream_subscriptions{status}}</li>
 * </ul>
 */
@ApplicationScoped
public class StreamMetrics {

    /** Outcome label of one delivery attempt. */
    public enum AttemptOutcome {
        SUCCESS("2xx"), REDIRECT("3xx"), CLIENT_ERROR("4xx"), SERVER_ERROR("5xx"), TIMEOUT("timeout"),
        ERROR("error"), REFUSED("refused");

        private final String label;

        AttemptOutcome(String label) {
            this.label = label;
        }

        /** Classifies an HTTP status (0: no response) and whether the attempt timed out or was refused. */
        public static AttemptOutcome of(int status, boolean timedOut, boolean refused) {
            if (refused) {
                return REFUSED;
            }
            if (timedOut) {
                return TIMEOUT;
            }
            if (status >= 200 && status < 300) {
                return SUCCESS;
            }
            if (status >= 300 && status < 400) {
                return REDIRECT;
            }
            if (status >= 400 && status < 500) {
                return CLIENT_ERROR;
            }
            return status >= 500 ? SERVER_ERROR : ERROR;
        }
    }

    private final MeterRegistry meters;
    private final Clock clock;
    private final Map<String, AtomicLong> iteratorAges = new ConcurrentHashMap<>();

    @Inject
    public StreamMetrics(MeterRegistry meters, SubscriptionRegistry registry) {
        this(meters, registry, Clock.systemUTC());
    }

    StreamMetrics(MeterRegistry meters, SubscriptionRegistry registry, Clock clock) {
        this.meters = meters;
        this.clock = clock;
        for (SubscriptionStatus status : SubscriptionStatus.values()) {
            Gauge.builder("dynamo_stream_subscriptions", registry,
                    r -> r.list().stream().filter(s -> s.status() == status).count())
                    .description("Subscriptions by status").tag("status", status.name()).register(meters);
        }
    }

    /** Creates a subscription's series at zero when it is registered, so dashboards see them before any event. */
    void onChange(@Observes SubscriptionChanged change) {
        Subscription s = change.subscription();
        Tags tags = Tags.of("subscription", s.id(), "table", s.tableName());
        switch (change.kind()) {
            case ADDED -> {
                // at zero from the start: increase() over a series that appears with its first event misses it
                records(tags);
                batches(tags);
                skipped(tags);
                deadLetters(tags);
                gaps(s.tableName());
            }
            case REMOVED -> meters.getMeters().stream()
                    .filter(m -> s.id().equals(m.getId().getTag("subscription")))
                    .forEach(meters::remove);
            case FAILED, CLOSED, PAUSED -> iteratorAges.keySet().removeIf(k -> k.startsWith(s.id() + "|"));
            case RESUMED -> {
                // series were kept: nothing to create
            }
        }
    }

    /** Records that will not be delivered although the subscription runs: counted by kind. */
    void onIncident(@Observes DeliveryIncident incident) {
        Subscription s = incident.subscription();
        switch (incident.kind()) {
            case GAP -> gap(s.tableName());
            case SKIPPED -> skipped(Tags.of("subscription", s.id(), "table", s.tableName()))
                    .increment(incident.records());
            case DEAD_LETTER -> deadLetters(Tags.of("subscription", s.id(), "table", s.tableName())).increment();
        }
    }

    /** One delivery attempt ended. */
    public void attempt(String subscriptionId, String table, AttemptOutcome outcome, Duration took) {
        Counter.builder("dynamo_stream_delivery_attempts").description("Delivery attempts by outcome")
                .tags("subscription", subscriptionId, "table", table, "outcome", outcome.label).register(meters)
                .increment();
        Timer.builder("dynamo_stream_delivery_duration").description("Duration of one POST")
                .tags("subscription", subscriptionId, "table", table).publishPercentileHistogram()
                .register(meters).record(took);
    }

    /** A batch was acknowledged; {@code lastCreated} is the creation time of its last record (may be null). */
    public void delivered(String subscriptionId, String table, String shardId, int records, Instant lastCreated) {
        Tags tags = Tags.of("subscription", subscriptionId, "table", table);
        records(tags).increment(records);
        batches(tags).increment();
        if (lastCreated != null) {
            long age = Math.max(0, Duration.between(lastCreated, clock.instant()).toSeconds());
            iteratorAges.computeIfAbsent(subscriptionId + "|" + shardId, k -> {
                AtomicLong value = new AtomicLong();
                Gauge.builder("dynamo_stream_iterator_age", value, AtomicLong::get).baseUnit("seconds")
                        .description("Age of the last record delivered on the shard when it was acknowledged")
                        .tags(tags.and("shard", shardId)).register(meters);
                return value;
            }).set(age);
        }
    }

    /** A shard was delivered to its end: its iterator-age series goes away (shard ids do not come back). */
    public void shardFinished(String subscriptionId, String table, String shardId) {
        if (iteratorAges.remove(subscriptionId + "|" + shardId) != null) {
            meters.find("dynamo_stream_iterator_age")
                    .tags("subscription", subscriptionId, "table", table, "shard", shardId).meters()
                    .forEach(meters::remove);
        }
    }

    /** AWS throttled a call. */
    public void throttled(String table, String operation) {
        Counter.builder("dynamo_stream_aws_throttles").description("Throttled DynamoDB / Streams calls")
                .tags("table", table, "operation", operation).register(meters).increment();
    }

    /** Records fell out of the stream's retention before they were read. */
    public void gap(String table) {
        gaps(table).increment();
    }

    /** Per table, shared by its subscriptions: kept when one of them is removed. */
    private Counter gaps(String table) {
        return Counter.builder("dynamo_stream_gaps").description("Trimmed positions: records lost to retention")
                .tags("table", table).register(meters);
    }

    private Counter skipped(Tags tags) {
        return Counter.builder("dynamo_stream_records_skipped").description("Records given up with on_failure: skip")
                .tags(tags).register(meters);
    }

    private Counter deadLetters(Tags tags) {
        return Counter.builder("dynamo_stream_dead_letters").description("Batches given up and stored")
                .tags(tags).register(meters);
    }

    private Counter records(Tags tags) {
        return Counter.builder("dynamo_stream_records_delivered").description("Records acknowledged with a 2xx")
                .tags(tags).register(meters);
    }

    private Counter batches(Tags tags) {
        return Counter.builder("dynamo_stream_batches_delivered").description("Batches acknowledged with a 2xx")
                .tags(tags).register(meters);
    }

}
