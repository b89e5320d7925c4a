package io.dynamostream.reading;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.stream.LongStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.dynamostream.aws.StreamErrors;
import io.dynamostream.delivery.BatchDelivery;
import io.dynamostream.delivery.DeadLetters;
import io.dynamostream.delivery.Destination;
import io.dynamostream.delivery.Incidents;
import io.dynamostream.delivery.RetryPolicy;
import io.dynamostream.guard.DestinationGuard;
import io.dynamostream.guard.FakeResolver;
import io.dynamostream.metrics.StreamMetrics;
import io.dynamostream.metrics.StreamMetrics.AttemptOutcome;
import io.dynamostream.state.StateStores;
import io.dynamostream.subscription.DeliverySettings;
import io.dynamostream.subscription.StartingPosition;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionRegistry;
import io.dynamostream.subscription.SubscriptionRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Isolation on one shard (I6 with I9): the real shared reader, buffer and catch-up reader and real cursors over a
 * shard served by position ({@link ShardLog}), with receivers that are fast, slow or never answer. A subscription
 * that falls a whole buffer behind must not hold the others back, must still get every record in order, and the
 * shard must never see more than two GetRecords calls at once.
 */
class CatchUpReaderTest {

    private static final int BUFFER = 100;
    private static final int PAGE = 50;
    private static final int BATCH = 10;

    private final ShardLog shard = new ShardLog(1);
    private final StateStores stores = StateStores.inMemory();
    private final SubscriptionRegistry registry = new SubscriptionRegistry(e -> { }, Clock.systemUTC(), 100,
            DestinationGuard.withDefaults(new FakeResolver()), stores);
    private final StreamMetrics metrics = new StreamMetrics(new SimpleMeterRegistry(), registry);
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final ShardBuffer buffer = new ShardBuffer(BUFFER, null, false);
    private final CatchUpReader catchUp = new CatchUpReader("People", "shard-1", buffer,
            after -> new ShardFetcher(shard, "arn:stream", "shard-1", after, PAGE), FakeStreams.fastReaderSettings(),
            metrics, threads);
    private final List<ShardCursor> cursors = new ArrayList<>();
    private final List<String> failures = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        cursors.forEach(ShardCursor::stop);
        buffer.stop();
        threads.shutdownNow();
    }

    /** Starts the shared reader of the shard, at TRIM_HORIZON. */
    private void startReader() {
        buffer.catchUpWith(catchUp);
        ShardReader reader = new ShardReader("People", "shard-1",
                new ShardFetcher(shard, "arn:stream", "shard-1", null, PAGE), buffer,
                FakeStreams.fastReaderSettings(), new ShardReader.Listener() {
                    @Override
                    public void shardEnded(ShardReader r) {
                    }

                    @Override
                    public void readerFailed(ShardReader r, StreamErrors kind, String message) {
                        failures.add(message);
                    }
                }, metrics);
        threads.execute(reader::run);
    }

    /**
     * A TRIM_HORIZON subscription whose receiver runs {@code receive} before answering 200; returns the sequence
     * numbers it acknowledged, in order.
     */
    private List<Long> subscribe(Consumer<List<Long>> receive) {
        Subscription s = registry.register(new SubscriptionRequest.Valid("People",
                URI.create("http://127.0.0.1:9/in"), StartingPosition.TRIM_HORIZON, Map.of(), List.of(),
                new DeliverySettings(BATCH, Duration.ZERO, 0, null, false, DeliverySettings.OnFailure.STOP)),
                Subscription.Source.API);
        List<Long> acknowledged = new CopyOnWriteArrayList<>();
        Destination destination = m -> {
            List<Long> seqs = m.records().stream().map(r -> Long.parseLong(r.dynamodb().sequenceNumber())).toList();
            receive.accept(seqs);
            acknowledged.addAll(seqs);
            return new Destination.Attempt.Delivered("HTTP 200", AttemptOutcome.SUCCESS, Duration.ZERO);
        };
        Incidents incidents = new Incidents(i -> failures.add(i.message()));
        DeadLetters deadLetters = new DeadLetters(stores, incidents, null, Clock.systemUTC());
        ShardCursor cursor = new ShardCursor(s, new ShardLineage.Shard("shard-1", null, "1", null), buffer,
                (sub, shardId, running) -> new BatchDelivery(sub, "arn:stream", shardId, destination,
                        new RetryPolicy(Duration.ofMillis(1), Duration.ofMillis(1)), Clock.systemUTC(),
                        (d, keep) -> keep.getAsBoolean(), deadLetters, incidents, running),
                stores, registry, metrics, incidents, new ShardCursor.Listener() {
                    @Override
                    public void cursorFinished(ShardCursor c) {
                    }

                    @Override
                    public void cursorFailed(ShardCursor c, String message) {
                        failures.add(message);
                    }
                }, null, null, false);
        cursor.join(ShardBuffer.Join.TRIM_HORIZON);
        cursor.prepare();
        cursors.add(cursor);
        threads.execute(cursor::run);
        return acknowledged;
    }

    private static List<Long> upTo(long n) {
        return LongStream.rangeClosed(1, n).boxed().toList();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void blockOn(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void givenAReceiverStuckOnItsFirstBatch_whenABacklogThirtyBuffersLongArrives_thenTheOtherSubscriptionGetsAllOfItAndTheStuckOneLaterGetsEverythingInOrder() {
        shard.append(1, 3000);
        CountDownLatch release = new CountDownLatch(1);
        List<Long> slow = subscribe(seqs -> {
            if (seqs.get(0) == 1) {
                blockOn(release);
            }
        });
        List<Long> fast = subscribe(seqs -> { });
        startReader();

        await().atMost(Duration.ofSeconds(20)).until(() -> fast.size() >= 3000);
        assertEquals(upTo(3000), fast, "the fast subscription got every record once, in order, past the stuck one");
        assertEquals(List.of(), slow, "the stuck receiver has not answered yet");
        assertEquals(1, catchUp.lanes(), "the stuck subscription is served by the catch-up reader");
        assertThat("the shared buffer stays bounded", buffer.size(), lessThanOrEqualTo(BUFFER + PAGE));
        assertThat("its lane holds at most a batch and a page", catchUp.held(), lessThanOrEqualTo(BATCH + PAGE));

        release.countDown();
        await().atMost(Duration.ofSeconds(20)).until(() -> slow.size() >= 3000);
        assertEquals(upTo(3000), slow, "once it answers it gets every record once, in order");
        await().atMost(Duration.ofSeconds(5)).until(() -> catchUp.lanes() == 0);
        shard.append(3001, 3100);
        await().atMost(Duration.ofSeconds(5)).until(() -> slow.size() >= 3100 && fast.size() >= 3100);
        assertEquals(upTo(3100), slow, "back on the shared reader, it gets the new records too");
        assertEquals(upTo(3100), fast);
        assertThat("never more than two GetRecords on the shard at once", shard.maxConcurrentReads(),
                lessThanOrEqualTo(2));
        assertEquals(List.of(), failures);
    }

    @Test
    void givenANewSubscriptionFromTrimHorizon_whenTheSharedReaderHasMovedOn_thenItReadsOnItsOwnWithoutARewindForTheOthers() {
        shard.append(1, 1000);
        List<Long> first = subscribe(seqs -> { });
        startReader();
        await().atMost(Duration.ofSeconds(10)).until(() -> first.size() >= 1000);

        List<Long> late = subscribe(seqs -> { });
        shard.append(1001, 1100);
        await().atMost(Duration.ofSeconds(10)).until(() -> late.size() >= 1100 && first.size() >= 1100);
        assertEquals(upTo(1100), late, "the late subscription gets the whole shard, in order");
        assertEquals(upTo(1100), first, "the first one gets every record once");
        assertEquals(0, buffer.epoch(), "the shared buffer was never re-filled from the start for the newcomer");
        await().atMost(Duration.ofSeconds(5)).until(() -> catchUp.lanes() == 0);
        assertThat(shard.maxConcurrentReads(), lessThanOrEqualTo(2));
    }

    @Test
    void givenFiveSubscriptionsAtDifferentSpeeds_whenTheyDrainABacklog_thenEachGetsEverythingInOrderWithAtMostTwoReadsAtOnce() {
        shard.append(1, 1500);
        List<List<Long>> slow = new ArrayList<>();
        for (int millis : new int[] {1, 2, 3, 5, 8}) {
            slow.add(subscribe(seqs -> sleep(millis)));
        }
        List<Long> fast = subscribe(seqs -> { });
        startReader();

        await().atMost(Duration.ofSeconds(10)).until(() -> fast.size() >= 1500);
        assertEquals(upTo(1500), fast);
        await().atMost(Duration.ofSeconds(30)).until(() -> slow.stream().allMatch(l -> l.size() >= 1500));
        for (List<Long> got : slow) {
            assertEquals(upTo(1500), got, "every slow subscription gets every record once, in order");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> catchUp.lanes() == 0);
        assertThat("never more than two GetRecords on the shard at once", shard.maxConcurrentReads(),
                lessThanOrEqualTo(2));
        assertEquals(List.of(), failures);
    }

    @Test
    void givenAReceiverThatNeverAnswers_whenRecordsKeepComing_thenTheOthersKeepUpAndItCostsNoReadsOrMemory() {
        CountDownLatch never = new CountDownLatch(1);
        List<Long> stuck = subscribe(seqs -> blockOn(never));
        List<Long> first = subscribe(seqs -> { });
        List<Long> second = subscribe(seqs -> sleep(1));
        startReader();
        for (int round = 0; round < 5; round++) {
            long from = round * 500L + 1;
            shard.append(from, from + 499);
            long through = from + 499;
            await().atMost(Duration.ofSeconds(10)).until(() -> first.size() >= through && second.size() >= through);
        }
        assertEquals(upTo(2500), first);
        assertEquals(upTo(2500), second);
        assertEquals(List.of(), stuck);
        assertThat(buffer.size(), lessThanOrEqualTo(BUFFER + PAGE));
        assertThat(catchUp.held(), lessThanOrEqualTo(BATCH + PAGE));
        assertTrue(catchUp.lanes() <= 1);
        assertThat(shard.maxConcurrentReads(), lessThanOrEqualTo(2));
    }
}
