package io.dynamostream.metrics;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import io.dynamostream.guard.DestinationGuard;
import io.dynamostream.guard.FakeResolver;
import io.dynamostream.metrics.StreamMetrics.AttemptOutcome;
import io.dynamostream.state.StateStores;
import io.dynamostream.subscription.StartingPosition;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionChanged;
import io.dynamostream.subscription.SubscriptionRegistry;
import io.dynamostream.subscription.SubscriptionRequest;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;

/**
 * Issue 13.6: the number of series in a scrape grows with the subscriptions, not with their shards, unless
 * {@code dynamo-stream.metrics.per-shard} asks for it; a removed or paused subscription leaves nothing behind. Counts,
 * not times, are asserted; the scrape of thousands of subscriptions prints its size and time.
 */
class MetricsCardinalityTest {

    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");

    /** The service's wiring: a composite registry (what Quarkus injects) over the Prometheus one, unwrapped. */
    private final class Service {
        final PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        final SubscriptionRegistry registry;
        final StreamMetrics metrics;
        private Consumer<SubscriptionChanged> observer = e -> { };

        Service(boolean perShard, int maxSubscriptions) {
            this(perShard, maxSubscriptions, StateStores.inMemory());
        }

        /** A service over {@code store}: a second one over the same store is a restart. */
        Service(boolean perShard, int maxSubscriptions, StateStores store) {
            CompositeMeterRegistry composite = new CompositeMeterRegistry();
            composite.add(prometheus);
            registry = new SubscriptionRegistry(e -> observer.accept(e), Clock.systemUTC(), maxSubscriptions,
                    DestinationGuard.withDefaults(new FakeResolver()), store);
            metrics = new StreamMetrics(StreamMetrics.onlyRegistry(composite), registry, Clock.fixed(NOW,
                    ZoneOffset.UTC), perShard);
            observer = metrics::onChange;
        }

        String subscribe(String table) {
            Subscription s = registry.register(new SubscriptionRequest.Valid(table, URI.create("http://127.0.0.1:9/in"),
                    StartingPosition.LATEST), Subscription.Source.API);
            return s.id();
        }

        /** Every shard of the subscription delivered a batch (one attempt); shard i's last record is i s old. */
        void deliverOnEveryShard(String id, String table, int shards) {
            for (int i = 0; i < shards; i++) {
                metrics.attempt(id, table, AttemptOutcome.SUCCESS, Duration.ofMillis(30));
                metrics.delivered(id, table, "shardId-" + i, 10, NOW.minusSeconds(i));
            }
        }

        String scrape() {
            return prometheus.scrape();
        }
    }

    /** Series (sample lines) of the service's own metrics in the scrape. */
    private static long series(String scrape) {
        return scrape.lines().filter(l -> l.startsWith("dynamo_stream_")).count();
    }

    private static long series(String scrape, String subscriptionId) {
        return scrape.lines().filter(l -> l.startsWith("dynamo_stream_"))
                .filter(l -> l.contains("subscription=\"" + subscriptionId + "\"")).count();
    }

    /** N subscriptions on a table of M shards, each shard delivered once. */
    private static String scrapeOf(boolean perShard, int subscriptions, int shards, MetricsCardinalityTest t) {
        Service service = t.new Service(perShard, subscriptions);
        for (int i = 0; i < subscriptions; i++) {
            String id = service.subscribe("Orders");
            service.deliverOnEveryShard(id, "Orders", shards);
        }
        return service.scrape();
    }

    @Test
    void givenDefaults_thenSeriesGrowWithSubscriptionsNotWithShards() {
        int n = 50;
        long oneShard = series(scrapeOf(false, n, 1, this));
        long manyShards = series(scrapeOf(false, n, 40, this));
        long twiceTheSubscriptions = series(scrapeOf(false, 2 * n, 40, this));

        assertEquals(oneShard, manyShards, "series with 40 shards per subscription as with 1");
        long perSubscription = (twiceTheSubscriptions - manyShards) / n;
        assertEquals(twiceTheSubscriptions - manyShards, perSubscription * n, "the same series for each subscription");
        // 4 counters, one attempts outcome, the iterator age, the histogram: 12 buckets + +Inf, count, sum, max
        assertEquals(4 + 1 + 1 + 16, perSubscription);
        System.out.printf(Locale.ROOT, "default: %d series per subscription whatever its shards%n", perSubscription);
    }

    /** Issue 11.7: Lambda's event counts appear with their first event, count per subscription, leave on removal. */
    @Test
    void givenLambdasEventCounts_whenCounted_thenSeriesAppearWithTheFirstEventAndLeaveWithTheSubscription() {
        Service service = new Service(false, 10);
        String id = service.subscribe("Orders");
        String other = service.subscribe("Orders");
        assertThat(service.scrape(), not(containsString("dynamo_stream_polled_event_count")));

        service.metrics.count(id, StreamMetrics.EventCount.POLLED, 10);
        service.metrics.count(id, StreamMetrics.EventCount.FILTERED_OUT, 7);
        service.metrics.count(id, StreamMetrics.EventCount.POLLED, 5);
        service.metrics.count(other, StreamMetrics.EventCount.DROPPED, 2);
        String scrape = service.scrape();

        String tags = "{subscription=\"" + id + "\",table=\"Orders\"";
        assertEquals(15.0, value(scrape, "dynamo_stream_polled_event_count_total" + tags));
        assertEquals(7.0, value(scrape, "dynamo_stream_filtered_out_event_count_total" + tags));
        assertEquals(7.0, value(scrape, "dynamo_stream_records_filtered_total" + tags));
        assertEquals(2.0, value(scrape, "dynamo_stream_dropped_event_count_total{subscription=\"" + other
                + "\",table=\"Orders\""));
        assertThat(scrape, not(containsString("dynamo_stream_invoked_event_count")));

        service.registry.remove(id);
        assertThat(service.scrape(), not(containsString(id)));
    }

    @Test
    void givenPerShard_thenOneIteratorAgeSeriesPerSubscriptionAndShard() {
        int n = 50;
        long oneShard = series(scrapeOf(true, n, 1, this));
        long manyShards = series(scrapeOf(true, n, 40, this));

        assertEquals((long) n * 39, manyShards - oneShard, "one more series per subscription for each more shard");
    }

    @Test
    void givenDefaults_thenIteratorAgeIsTheLargestOverTheShardsBeingRead() {
        Service service = new Service(false, 10);
        String id = service.subscribe("Orders");
        service.deliverOnEveryShard(id, "Orders", 3); // ages 0, 1, 2 s
        String age = "dynamo_stream_iterator_age_seconds{subscription=\"" + id + "\",table=\"Orders\"";
        assertEquals(2.0, value(service.scrape(), age));

        service.metrics.shardFinished(id, "Orders", "shardId-2");
        assertEquals(1.0, value(service.scrape(), age), "a finished shard no longer counts");
        service.metrics.shardFinished(id, "Orders", "shardId-0");
        service.metrics.shardFinished(id, "Orders", "shardId-1");
        assertThat(service.scrape(), not(containsString("dynamo_stream_iterator_age_seconds{")));
    }

    @Test
    void givenPausedThenResumed_thenIteratorAgeGoneWhilePausedAndShownAgainAfter() {
        for (boolean perShard : new boolean[] {false, true}) {
            Service service = new Service(perShard, 10);
            String id = service.subscribe("Orders");
            service.deliverOnEveryShard(id, "Orders", 2);
            service.registry.pause(id);
            assertThat(service.scrape(), not(containsString("dynamo_stream_iterator_age_seconds{")));

            service.registry.resume(id);
            service.metrics.delivered(id, "Orders", "shardId-0", 1, NOW.minusSeconds(7));
            String shard = perShard ? "shard=\"shardId-0\"," : "";
            assertEquals(7.0, value(service.scrape(), "dynamo_stream_iterator_age_seconds{" + shard + "subscription=\""
                    + id + "\",table=\"Orders\""), "per-shard " + perShard);
        }
    }

    /**
     * A restart loads a paused or stopped subscription without its series (they are created for the running ones);
     * resuming or restarting it must create them, or its deliveries are never counted.
     */
    @Test
    void givenASubscriptionPausedAcrossARestart_whenResumed_thenItsSeriesAreBackAndCount() {
        StateStores store = StateStores.inMemory();
        Service before = new Service(false, 10, store);
        String id = before.subscribe("Orders");
        before.registry.pause(id);

        Service after = new Service(false, 10, store);
        after.registry.load();
        assertEquals(0, series(after.scrape(), id), "paused: no series yet");
        after.registry.resume(id);
        after.metrics.delivered(id, "Orders", "shardId-0", 3, NOW.minusSeconds(4));

        String tags = "{subscription=\"" + id + "\",table=\"Orders\"";
        String scrape = after.scrape();
        assertEquals(3.0, value(scrape, "dynamo_stream_records_delivered_total" + tags));
        assertEquals(1.0, value(scrape, "dynamo_stream_batches_delivered_total" + tags));
        assertEquals(4.0, value(scrape, "dynamo_stream_iterator_age_seconds" + tags));
        assertEquals(0.0, value(scrape, "dynamo_stream_dead_letters_total" + tags));
    }

    @Test
    void givenSubscriptionsRemoved_thenNoneOfTheirSeriesRemainAndLateEventsCreateNone() {
        for (boolean perShard : new boolean[] {false, true}) {
            Service service = new Service(perShard, 10);
            String kept = service.subscribe("Orders");
            List<String> removed = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                removed.add(service.subscribe("Orders"));
            }
            for (String id : service.registry.list().stream().map(Subscription::id).toList()) {
                service.deliverOnEveryShard(id, "Orders", 3);
                service.metrics.attempt(id, "Orders", AttemptOutcome.SERVER_ERROR, Duration.ofMillis(5));
            }
            long keptSeries = series(service.scrape(), kept);
            for (String id : removed) {
                service.registry.remove(id);
                // a cursor finishing its batch in flight after the removal
                service.deliverOnEveryShard(id, "Orders", 1);
            }
            String text = service.scrape();
            for (String id : removed) {
                assertEquals(0, series(text, id), id + " left series behind (per-shard " + perShard + ")\n" + text);
            }
            assertEquals(keptSeries, series(text, kept));
            assertThat(text, containsString("dynamo_stream_gaps_total{table=\"Orders\""));
        }
    }

    /** 2,000 subscriptions over 1,000 tables ({@code -Dmetrics.scale.subscriptions=10000} for the scale). */
    @Test
    void givenThousandsOfSubscriptions_thenScrapeSizeAndTimePrinted() {
        int n = Integer.getInteger("metrics.scale.subscriptions", 2_000);
        Service service = new Service(false, n);
        long t = System.nanoTime();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(service.subscribe("T" + i % 1000));
        }
        double registerMs = (System.nanoTime() - t) / 1e6;
        String idle = service.scrape();
        long bestIdle = bestScrapeNanos(service);
        for (int i = 0; i < n; i++) {
            service.deliverOnEveryShard(ids.get(i), "T" + i % 1000, 1);
        }
        String active = service.scrape();
        long bestActive = bestScrapeNanos(service);
        System.out.printf(Locale.ROOT, "%,d subscriptions (registered in %.0f ms): idle scrape %,d series, %,d kB, "
                + "%.0f ms; after a delivery each %,d series, %,d kB, %.0f ms%n", n, registerMs,
                series(idle), idle.length() / 1024, bestIdle / 1e6, series(active), active.length() / 1024,
                bestActive / 1e6);
        // 4 counters per subscription and one gap counter per table (besides the status gauges)
        assertEquals(4L * n + 1000, idle.lines().filter(l -> l.startsWith("dynamo_stream_")
                && !l.startsWith("dynamo_stream_subscriptions")).count());
        assertEquals(22L * n + 1000, active.lines().filter(l -> l.startsWith("dynamo_stream_")
                && !l.startsWith("dynamo_stream_subscriptions")).count());
    }

    private static long bestScrapeNanos(Service service) {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            long t = System.nanoTime();
            service.scrape();
            best = Math.min(best, System.nanoTime() - t);
        }
        return best;
    }

    /** The value of the series written up to its last label, without the closing brace. */
    private static double value(String text, String series) {
        Matcher m = Pattern.compile(Pattern.quote(series) + ",?\\} ([0-9.Ee+-]+|NaN)").matcher(text);
        if (!m.find()) {
            throw new AssertionError(series + " missing in\n" + text);
        }
        return Double.parseDouble(m.group(1));
    }

    /** Each series is one meter in the one registry Quarkus has, with no composite meter over it (memory). */
    @Test
    void givenOneRegistryUnderTheComposite_thenSeriesAreRegisteredInItAlone() {
        CompositeMeterRegistry composite = new CompositeMeterRegistry();
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        composite.add(prometheus);
        assertSame(prometheus, StreamMetrics.onlyRegistry(composite));

        composite.add(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        assertSame(composite, StreamMetrics.onlyRegistry(composite), "two registries: both get every series");
        assertSame(prometheus, StreamMetrics.onlyRegistry(prometheus));
    }
}
