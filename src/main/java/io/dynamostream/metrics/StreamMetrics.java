package io.dynamostream.metrics;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import io.dynamostream.config.DynamoStreamConfig;
import io.dynamostream.subscription.AwsArn;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.DeliveryIncident;
import io.dynamostream.subscription.SubscriptionChanged;
import io.dynamostream.subscription.SubscriptionRegistry;
import io.dynamostream.subscription.SubscriptionStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;

/**
 * The service's Prometheus metrics ({@code /q/metrics}). Labels are bounded: subscription id, table, shard id (only
 * with {@code dynamo-stream.metrics.per-shard}, while the shard is read), outcome and operation; never a URL or an
 * event id. Series are per subscription or per table, so a scrape grows with the subscriptions, not with their
 * shards; a removed subscription's series go with it. Thread-safe.
 *
 * <ul>
 * <li>{@code dynamo_stream_iterator_age_seconds{subscription,table}}: the largest, over the subscription's shards
 * being read, age of the last record delivered on a shard when it was acknowledged (Lambda's IteratorAge); with
 * {@code per-shard}, one series per shard ({@code {subscription,table,shard}}) instead. Shown from the first
 * delivery; gone while the subscription is paused or stopped</li>
 * <li>{@code dynamo_stream_records_delivered_total}, {@code dynamo_stream_batches_delivered_total}
 * {subscription,table}</li>
 * <li>{@code dynamo_stream_delivery_attempts_total{subscription,table,destination,outcome}}: destination {@code http},
 * {@code lambda}, {@code sqs}, {@code sns}, {@code kinesis} or {@code events}; outcome 2xx, 3xx, 4xx, 5xx, timeout,
 * error (connection failures, function errors), refused (destination guard)</li>
 * <li>{@code dynamo_stream_delivery_duration_seconds{subscription,table,destination}}: histogram of one attempt, with the fixed
 * buckets {@link #DURATION_BUCKETS}</li>
 * <li>{@code dynamo_stream_aws_throttles_total{table,operation}}, {@code dynamo_stream_gaps_total{table}} (records
 * trimmed before they were read), {@code dynamo_stream_records_skipped_total{subscription,table}},
 * {@code dynamo_stream_dead_letters_total{subscription,table}}: each at 0 from a subscription's registration on</li>
 * <li>{@code dynamo_stream_subscriptions{status}}</li>
 * <li>Lambda's event counts {@link EventCount} ({@code dynamo_stream_polled_event_count_total}, ...,
 * {subscription,table}), each from its first event, and {@code dynamo_stream_records_filtered_total}</li>
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

    /**
     * Upper bounds of the {@code dynamo_stream_delivery_duration_seconds} buckets: 12 (+Inf), so a subscription's
     * histogram is 16 series, where Micrometer's percentile histogram would be about 70.
     */
    public static final Duration[] DURATION_BUCKETS = {Duration.ofMillis(5), Duration.ofMillis(10),
        Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
        Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
        Duration.ofSeconds(10), Duration.ofSeconds(30)};

    /** How long one count of the subscriptions by status serves the status gauges (one scrape reads all of them). */
    private static final long STATUS_COUNT_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final MeterRegistry meters;
    private final Clock clock;
    private final boolean perShard;
    private final SubscriptionRegistry registry;
    /** The series of each registered subscription, from its ADDED to its REMOVED. */
    private final Map<String, Subscribed> subscriptions = new ConcurrentHashMap<>();
    private long[] statusCounts;
    private long statusCountedAt;

    @Inject
    public StreamMetrics(MeterRegistry meters, SubscriptionRegistry registry, DynamoStreamConfig config) {
        this(onlyRegistry(meters), registry, Clock.systemUTC(), config.metrics().perShard());
    }

    /**
     * The one registry under Quarkus's composite (the Prometheus one, the only one this service is built with), so
     * each series is one meter rather than a composite meter over it: at 10,000 subscriptions (40,000 series) that
     * is about 80,000 objects and a share of the registration time at startup less. With several registries (a build
     * that adds one) the composite, so each of them gets every series.
     */
    static MeterRegistry onlyRegistry(MeterRegistry meters) {
        if (meters instanceof CompositeMeterRegistry composite && composite.getRegistries().size() == 1) {
            return composite.getRegistries().iterator().next();
        }
        return meters;
    }

    /** Per-subscription series (the default settings). */
    public StreamMetrics(MeterRegistry meters, SubscriptionRegistry registry) {
        this(meters, registry, Clock.systemUTC(), false);
    }

    StreamMetrics(MeterRegistry meters, SubscriptionRegistry registry, Clock clock, boolean perShard) {
        this.meters = meters;
        this.clock = clock;
        this.perShard = perShard;
        this.registry = registry;
        for (SubscriptionStatus status : SubscriptionStatus.values()) {
            Gauge.builder("dynamo_stream_subscriptions", this, m -> m.countWithStatus(status))
                    .description("Subscriptions by status").tag("status", status.name()).strongReference(true)
                    .register(meters);
        }
    }

    /** Creates a subscription's series at zero when it is registered, so dashboards see them before any event. */
    void onChange(@Observes SubscriptionChanged change) {
        Subscription s = change.subscription();
        switch (change.kind()) {
            // a restart announces only the running subscriptions: one paused or stopped then gets its series when it
            // runs again
            case ADDED, RESUMED -> {
                subscriptions.computeIfAbsent(s.id(), id -> new Subscribed(id, s.tableName(), destinationType(s)));
                gaps(s.tableName());
            }
            case REMOVED -> {
                Subscribed gone = subscriptions.remove(s.id());
                if (gone != null) {
                    gone.remove();
                }
            }
            case FAILED, CLOSED, PAUSED -> {
                Subscribed stopped = subscriptions.get(s.id());
                if (stopped != null) {
                    stopped.dropAges();
                }
            }
        }
    }

    /** Records that will not be delivered although the subscription runs: counted by kind. */
    void onIncident(@Observes DeliveryIncident incident) {
        Subscription s = incident.subscription();
        Subscribed subscribed = subscriptions.get(s.id());
        switch (incident.kind()) {
            case GAP -> gap(s.tableName());
            case SKIPPED -> {
                if (subscribed != null) {
                    subscribed.skipped.increment(incident.records());
                }
            }
            case DEAD_LETTER -> {
                if (subscribed != null) {
                    subscribed.deadLetters.increment();
                }
            }
        }
    }

    /** {@code http}, or the AWS service an ARN names ({@code lambda}, {@code sqs}, {@code sns}, ...). */
    static String destinationType(Subscription s) {
        if ("arn".equals(s.url().getScheme())) {
            return AwsArn.parse(s.url().toString()).value().map(a -> a.service().id()).orElse("aws");
        }
        return "http";
    }

    /**
     * Lambda's event-source-mapping event counts (CloudWatch's {@code PolledEventCount}, ...), under the
     * {@code dynamo_stream_} prefix in snake case. Each series of a subscription appears with its first event: an idle
     * subscription costs none of them.
     */
    public enum EventCount {
        /** Records read from the stream for the subscription (before filters): {@code PolledEventCount}. */
        POLLED("dynamo_stream_polled_event_count", "Records read from the stream for the subscription"),
        /** Records that matched no filter: {@code FilteredOutEventCount}. */
        FILTERED_OUT("dynamo_stream_filtered_out_event_count", "Records that matched no filter and were not sent"),
        /** Records in attempts, retries included: {@code InvokedEventCount}. */
        INVOKED("dynamo_stream_invoked_event_count", "Records sent in delivery attempts, retries included"),
        /** Records in failed attempts: {@code FailedInvokeEventCount}. */
        FAILED_INVOKE("dynamo_stream_failed_invoke_event_count", "Records in delivery attempts that failed"),
        /** Records given up (retries exhausted, too old, refused): {@code DroppedEventCount}. */
        DROPPED("dynamo_stream_dropped_event_count", "Records given up: retries exhausted, too old or refused"),
        /** Records whose invocation record the on-failure destination took: {@code OnFailureDestinationDeliveredEventCount}. */
        ON_FAILURE_DELIVERED("dynamo_stream_on_failure_destination_delivered_event_count",
                "Records given up whose invocation record reached the on-failure destination");

        final String metric;
        final String description;

        EventCount(String metric, String description) {
            this.metric = metric;
            this.description = description;
        }
    }

    /** Adds {@code records} to one of Lambda's event counts (ignored once the subscription is removed). */
    public void count(String subscriptionId, EventCount kind, int records) {
        Subscribed s = subscriptions.get(subscriptionId);
        if (s != null && records > 0) {
            s.count(kind, records);
        }
    }

    /** One delivery attempt ended (ignored once the subscription is removed). */
    public void attempt(String subscriptionId, String table, AttemptOutcome outcome, Duration took) {
        Subscribed s = subscriptions.get(subscriptionId);
        if (s != null) {
            s.attempt(outcome, took);
        }
    }

    /**
     * A batch was acknowledged; {@code lastCreated} is the creation time of its last record (may be null). Ignored
     * once the subscription is removed.
     */
    public void delivered(String subscriptionId, String table, String shardId, int records, Instant lastCreated) {
        Subscribed s = subscriptions.get(subscriptionId);
        if (s == null) {
            return;
        }
        s.records.increment(records);
        s.batches.increment();
        if (lastCreated != null) {
            s.age(shardId, Math.max(0, Duration.between(lastCreated, clock.instant()).toSeconds()));
        }
    }

    /** A shard was delivered to its end: it no longer counts in the iterator age (shard ids do not come back). */
    public void shardFinished(String subscriptionId, String table, String shardId) {
        Subscribed s = subscriptions.get(subscriptionId);
        if (s != null) {
            s.shardFinished(shardId);
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

    /**
     * Subscriptions with the status, from one pass over the registry shared by the gauges of a scrape (not one pass
     * per status: with 10,000 subscriptions each pass copies them all).
     */
    private synchronized long countWithStatus(SubscriptionStatus status) {
        if (registry == null) {
            return 0;
        }
        long now = System.nanoTime();
        if (statusCounts == null || now - statusCountedAt > STATUS_COUNT_NANOS) {
            long[] counts = new long[SubscriptionStatus.values().length];
            for (Subscription s : registry.list()) {
                counts[s.status().ordinal()]++;
            }
            statusCounts = counts;
            statusCountedAt = now;
        }
        return statusCounts[status.ordinal()];
    }

    /**
     * One subscription's meters, held here so that a delivery does not look them up by name and tags, and a removal
     * takes exactly them away (not a search through every meter of the registry).
     */
    private final class Subscribed {
        private final String id;
        private final String table;
        private final Tags tags;
        final Counter records;
        final Counter batches;
        final Counter skipped;
        final Counter deadLetters;
        private final Counter[] attempts = new Counter[AttemptOutcome.values().length];
        /** Lambda's event counts, each made on its first event; guarded by this for creation. */
        private final Counter[] events = new Counter[EventCount.values().length];
        /** {@code dynamo_stream_records_filtered_total}, the name for the filtered-out count. */
        private Counter filtered;
        private volatile Timer duration;
        /** Shard being read → age of the last record acknowledged on it (seconds); read by scrapes without a lock. */
        private final Map<String, Long> ages = new ConcurrentHashMap<>();
        /** Per-shard mode only: the shard's gauge; guarded by this. */
        private final Map<String, Gauge> shardGauges = perShard ? new HashMap<>() : null;
        /** Default mode: the subscription's gauge while it has an age. */
        private Gauge maxAge;
        private boolean removed;

        /** The destination type label of the attempt series: one per subscription, so no extra series. */
        private final String destination;

        Subscribed(String id, String table, String destination) {
            this.id = id;
            this.table = table;
            this.destination = destination;
            this.tags = Tags.of("subscription", id, "table", table);
            // at zero from the start: increase() over a series that appears with its first event misses it
            records = Counter.builder("dynamo_stream_records_delivered").description("Records acknowledged with a 2xx")
                    .tags(tags).register(meters);
            batches = Counter.builder("dynamo_stream_batches_delivered").description("Batches acknowledged with a 2xx")
                    .tags(tags).register(meters);
            skipped = Counter.builder("dynamo_stream_records_skipped")
                    .description("Records given up with on_failure: skip").tags(tags).register(meters);
            deadLetters = Counter.builder("dynamo_stream_dead_letters").description("Batches given up and stored")
                    .tags(tags).register(meters);
        }

        void attempt(AttemptOutcome outcome, Duration took) {
            Counter counter = attempts[outcome.ordinal()];
            Timer timer = duration;
            if (counter == null || timer == null) {
                synchronized (this) {
                    if (removed) {
                        return;
                    }
                    counter = attempts[outcome.ordinal()];
                    if (counter == null) {
                        counter = Counter.builder("dynamo_stream_delivery_attempts")
                                .description("Delivery attempts by outcome").tags(tags)
                                .tag("destination", destination).tag("outcome", outcome.label).register(meters);
                        attempts[outcome.ordinal()] = counter;
                    }
                    timer = duration;
                    if (timer == null) {
                        timer = Timer.builder("dynamo_stream_delivery_duration")
                                .description("Duration of one delivery attempt (POST, invoke or batch call)")
                                .tags(tags).tag("destination", destination).serviceLevelObjectives(DURATION_BUCKETS)
                                .register(meters);
                        duration = timer;
                    }
                }
            }
            counter.increment();
            timer.record(took);
        }

        void count(EventCount kind, int n) {
            Counter counter = events[kind.ordinal()];
            Counter also = kind == EventCount.FILTERED_OUT ? filtered : null;
            if (counter == null || kind == EventCount.FILTERED_OUT && also == null) {
                synchronized (this) {
                    if (removed) {
                        return;
                    }
                    counter = events[kind.ordinal()];
                    if (counter == null) {
                        counter = Counter.builder(kind.metric).description(kind.description).tags(tags)
                                .register(meters);
                        events[kind.ordinal()] = counter;
                    }
                    if (kind == EventCount.FILTERED_OUT && filtered == null) {
                        filtered = Counter.builder("dynamo_stream_records_filtered")
                                .description("Records that matched no filter_criteria filter").tags(tags)
                                .register(meters);
                    }
                    also = kind == EventCount.FILTERED_OUT ? filtered : null;
                }
            }
            counter.increment(n);
            if (also != null) {
                also.increment(n);
            }
        }

        synchronized void age(String shardId, long seconds) {
            if (removed) {
                return;
            }
            ages.put(shardId, seconds);
            if (perShard) {
                shardGauges.computeIfAbsent(shardId, shard -> Gauge
                        .builder("dynamo_stream_iterator_age", this, me -> me.ageOf(shard)).baseUnit("seconds")
                        .description("Age of the last record delivered on the shard when it was acknowledged")
                        .tags(tags.and("shard", shard)).strongReference(true).register(meters));
            } else if (maxAge == null) {
                maxAge = Gauge.builder("dynamo_stream_iterator_age", this, Subscribed::largestAge).baseUnit("seconds")
                        .description("Largest age, over the subscription's shards, of the last record delivered "
                                + "when it was acknowledged")
                        .tags(tags).strongReference(true).register(meters);
            }
        }

        synchronized void shardFinished(String shardId) {
            ages.remove(shardId);
            Gauge gauge = shardGauges == null ? null : shardGauges.remove(shardId);
            if (gauge != null) {
                meters.remove(gauge);
            }
            if (ages.isEmpty() && maxAge != null) {
                meters.remove(maxAge);
                maxAge = null;
            }
        }

        /** Paused or stopped: no shard is read, so there is no age to show until it reads again. */
        synchronized void dropAges() {
            ages.clear();
            if (shardGauges != null) {
                shardGauges.values().forEach(meters::remove);
                shardGauges.clear();
            }
            if (maxAge != null) {
                meters.remove(maxAge);
                maxAge = null;
            }
        }

        synchronized void remove() {
            removed = true;
            dropAges();
            for (Meter m : new Meter[] {records, batches, skipped, deadLetters, duration}) {
                if (m != null) {
                    meters.remove(m);
                }
            }
            for (Counter[] all : new Counter[][] {attempts, events, {filtered}}) {
                for (Counter c : all) {
                    if (c != null) {
                        meters.remove(c);
                    }
                }
            }
        }

        private double ageOf(String shardId) {
            Long age = ages.get(shardId);
            return age == null ? Double.NaN : age;
        }

        private double largestAge() {
            long max = -1;
            for (long age : ages.values()) {
                max = Math.max(max, age);
            }
            return max < 0 ? Double.NaN : max;
        }

        @Override
        public String toString() {
            return id + " (" + table + ")";
        }
    }
}
