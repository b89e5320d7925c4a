package io.dynamostream.reading;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.dynamostream.TestRecords;
import io.dynamostream.delivery.BatchDelivery;
import io.dynamostream.delivery.DeadLetters;
import io.dynamostream.delivery.Destination;
import io.dynamostream.delivery.Incidents;
import io.dynamostream.delivery.RetryPolicy;
import io.dynamostream.guard.DestinationGuard;
import io.dynamostream.guard.FakeResolver;
import io.dynamostream.metrics.StreamMetrics;
import io.dynamostream.metrics.StreamMetrics.AttemptOutcome;
import io.dynamostream.state.CheckpointStore;
import io.dynamostream.state.StateStores;
import io.dynamostream.subscription.DeliveryIncident;
import io.dynamostream.subscription.DeliverySettings;
import io.dynamostream.subscription.ShardState;
import io.dynamostream.subscription.StartingPosition;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionRegistry;
import io.dynamostream.subscription.SubscriptionRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import software.amazon.awssdk.services.dynamodb.model.Record;

/**
 * The cursor's checkpoint rules against a real buffer and registry, with a scripted destination: what is stored when
 * (one write per batch while draining, in flight before a delivery, the LATEST floor), what is skipped, what is sent
 * again after a crash, and how its loop ends.
 */
class ShardCursorTest {

    private static final Instant CREATED = Instant.parse("2026-12-01T12:00:00Z");

    private final StateStores stores = StateStores.inMemory();
    private final List<String> writes = new CopyOnWriteArrayList<>();
    private final List<DeliveryIncident> incidents = new CopyOnWriteArrayList<>();
    private final List<String> ended = new CopyOnWriteArrayList<>();
    private final SubscriptionRegistry registry = new SubscriptionRegistry(e -> { }, Clock.fixed(CREATED,
            java.time.ZoneOffset.UTC), 10, DestinationGuard.withDefaults(new FakeResolver()), stores);
    private final ShardBuffer buffer = new ShardBuffer(1000, null, false);
    private final List<List<String>> sent = new CopyOnWriteArrayList<>();
    private Function<Destination.Message, Destination.Attempt> answer = m -> ok();
    private ShardCursor cursor;

    /** Records every checkpoint-store call, then applies it. */
    private final CheckpointStore checkpoints = new CheckpointStore() {
        @Override
        public Map<String, Checkpoint> checkpoints(String subscriptionId) {
            return stores.checkpoints(subscriptionId);
        }

        @Override
        public boolean checkpoint(String subscriptionId, String shardId, String sequenceNumber) {
            writes.add("checkpoint " + sequenceNumber);
            return stores.checkpoint(subscriptionId, shardId, sequenceNumber);
        }

        @Override
        public void inFlight(String subscriptionId, String shardId, String lastSequenceNumber) {
            writes.add("inFlight " + lastSequenceNumber);
            stores.inFlight(subscriptionId, shardId, lastSequenceNumber);
        }

        @Override
        public void checkpointAndInFlight(String subscriptionId, String shardId, String sequenceNumber,
                String nextLastSequenceNumber) {
            writes.add("checkpoint " + sequenceNumber + " + inFlight " + nextLastSequenceNumber);
            stores.checkpointAndInFlight(subscriptionId, shardId, sequenceNumber, nextLastSequenceNumber);
        }

        @Override
        public void finish(String subscriptionId, String shardId) {
            writes.add("finish");
            stores.finish(subscriptionId, shardId);
        }
    };

    @AfterEach
    void stop() {
        if (cursor != null) {
            cursor.stop();
        }
        buffer.stop();
    }

    private static Destination.Attempt ok() {
        return new Destination.Attempt.Delivered("HTTP 200", AttemptOutcome.SUCCESS, Duration.ZERO);
    }


    private static List<Record> records(long from, long to) {
        return TestRecords.records(from, to, CREATED.plusSeconds(1));
    }

    private static Record record(long sequence, Instant created) {
        return TestRecords.record(sequence, created);
    }

    private Subscription register(int batchSize, StartingPosition position, DeliverySettings.OnFailure onFailure) {
        DeliverySettings settings = new DeliverySettings(batchSize, Duration.ZERO, 0, null, false, onFailure);
        return registry.register(new SubscriptionRequest.Valid("People", URI.create("http://127.0.0.1:9/in"),
                position, Map.of(), List.of(), settings), Subscription.Source.API);
    }

    /** A cursor on shard-1 of the test buffer; deliveries go to the scripted destination, waits take no time. */
    private ShardCursor cursor(Subscription s, String after, String inFlight, ShardBuffer.Join join) {
        Destination destination = m -> {
            sent.add(m.records().stream().map(r -> r.dynamodb().sequenceNumber()).toList());
            return answer.apply(m);
        };
        Incidents report = new Incidents(incidents::add);
        DeadLetters deadLetters = new DeadLetters(stores, report, null, Clock.systemUTC());
        ShardCursor.DeliveryFactory deliveries = (sub, shardId, running) -> new BatchDelivery(sub, "arn:stream",
                shardId, destination, new RetryPolicy(Duration.ofMillis(1), Duration.ofMillis(1)), Clock.systemUTC(),
                (d, keep) -> keep.getAsBoolean(), deadLetters, report, running);
        ShardCursor c = new ShardCursor(s, new ShardLineage.Shard("shard-1", null, "1", null), buffer, deliveries,
                checkpoints, registry, new StreamMetrics(new SimpleMeterRegistry(), registry), report,
                new ShardCursor.Listener() {
                    @Override
                    public void cursorFinished(ShardCursor cursor) {
                        ended.add("finished");
                    }

                    @Override
                    public void cursorFailed(ShardCursor cursor, String message) {
                        ended.add("failed: " + message);
                    }
                }, after, inFlight, s.startingPosition() == StartingPosition.LATEST && after == null);
        c.join(join);
        c.prepare();
        cursor = c;
        return c;
    }

    private void run(ShardCursor c) {
        Thread.ofVirtual().start(c::run);
    }

    /** Runs the cursor parkable, as the table does: each (re)start on a new virtual thread, counted. */
    private List<Thread> runParkable(ShardCursor c) {
        List<Thread> runs = new CopyOnWriteArrayList<>();
        c.parkWith(() -> runs.add(Thread.ofVirtual().start(c::run)));
        runs.add(Thread.ofVirtual().start(c::run));
        return runs;
    }

    @Test
    void givenAnIdleShard_whenTheCursorHasNothingToRead_thenItHoldsNoThreadAndRecordsStartItAgain() throws Exception {
        Subscription s = register(10, StartingPosition.TRIM_HORIZON, DeliverySettings.OnFailure.STOP);
        ShardCursor c = cursor(s, null, null, ShardBuffer.Join.TRIM_HORIZON);

        List<Thread> runs = runParkable(c);

        await().atMost(Duration.ofSeconds(5)).until(() -> !runs.get(0).isAlive());
        assertEquals(ShardCursor.State.WAITING, c.state(), "parked, not ended");
        assertFalse(c.awaitStopped(System.nanoTime()), "a parked cursor has not stopped");
        buffer.append(List.of(), false); // an empty poll changes nothing: it stays parked
        assertEquals(1, runs.size());

        buffer.append(records(1, 3), false);

        await().atMost(Duration.ofSeconds(5)).until(() -> sent.size() == 1);
        assertEquals(List.of(List.of("1", "2", "3")), sent);
        await().atMost(Duration.ofSeconds(5)).until(() -> runs.stream().noneMatch(Thread::isAlive));
        assertEquals(2, runs.size(), "started once more for the records, parked again after them");
        assertEquals("3", stores.checkpoints(s.id()).get("shard-1").sequenceNumber(), "stored before parking");
    }

    @Test
    void givenAParkedCursor_whenStopped_thenItEndsWithoutRecords() throws Exception {
        Subscription s = register(10, StartingPosition.TRIM_HORIZON, DeliverySettings.OnFailure.STOP);
        ShardCursor c = cursor(s, null, null, ShardBuffer.Join.TRIM_HORIZON);
        List<Thread> runs = runParkable(c);
        await().atMost(Duration.ofSeconds(5)).until(() -> !runs.get(0).isAlive());

        c.stop();

        assertTrue(c.awaitStopped(System.nanoTime() + TimeUnit.SECONDS.toNanos(5)));
        assertEquals(ShardCursor.State.STOPPED, c.state());
        assertEquals(List.of(), sent);
    }

    @Test
    void givenRecordsArrivingOneByOneWhileTheCursorParksBetweenThem_thenEachIsDeliveredOnceInOrder() {
        Subscription s = register(10, StartingPosition.TRIM_HORIZON, DeliverySettings.OnFailure.STOP);
        ShardCursor c = cursor(s, null, null, ShardBuffer.Join.TRIM_HORIZON);
        List<Thread> runs = runParkable(c);
        java.util.Random random = new java.util.Random(13);

        for (long i = 1; i <= 500; i++) {
            buffer.append(records(i, i), false);
            if (random.nextInt(4) == 0) {
                Thread.onSpinWait(); // a wake-up and a park racing with the next append
            }
        }

        await().atMost(Duration.ofSeconds(20)).until(() -> sent.stream().mapToInt(List::size).sum() == 500);
        List<String> delivered = sent.stream().flatMap(List::stream).toList();
        List<String> expected = new ArrayList<>();
        for (long i = 1; i <= 500; i++) {
            expected.add(Long.toString(i));
        }
        assertEquals(expected, delivered);
        await().atMost(Duration.ofSeconds(5)).until(() -> runs.stream().noneMatch(Thread::isAlive));
        assertEquals(ShardCursor.State.WAITING, c.state());
    }

    @Test
    void givenABacklog_whenDraining_thenEachBatchCheckpointGoesWithTheNextInFlightMark() {
        Subscription s = register(2, StartingPosition.TRIM_HORIZON, DeliverySettings.OnFailure.STOP);
        buffer.append(records(1, 7), true);
        ShardCursor c = cursor(s, null, null, ShardBuffer.Join.TRIM_HORIZON);

        run(c);

        await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2)).until(() -> c.state() == ShardCursor.State.FINISHED);
        assertEquals(List.of(List.of("1", "2"), List.of("3", "4"), List.of("5", "6"), List.of("7")), sent);
        assertEquals(List.of("inFlight 2", "checkpoint 2 + inFlight 4", "checkpoint 4 + inFlight 6",
                "checkpoint 6 + inFlight 7", "checkpoint 7", "finish"), writes);
        assertEquals(List.of("finished"), ended);
        CheckpointStore.Checkpoint stored = stores.checkpoints(s.id()).get("shard-1");
        assertEquals(new CheckpointStore.Checkpoint("7", null, true), stored);
        assertEquals(ShardState.FINISHED, registry.find(s.id()).orElseThrow().shards().get(0).state());
        assertEquals(7, registry.find(s.id()).orElseThrow().shards().get(0).deliveredRecords());
    }

    @Test
    void givenNoNextBatchYet_whenABatchIsAcknowledged_thenItsCheckpointIsStoredBeforeTheCursorWaits() {
        Subscription s = register(10, StartingPosition.TRIM_HORIZON, DeliverySettings.OnFailure.STOP);
        buffer.append(records(1, 3), false);
        ShardCursor c = cursor(s, null, null, ShardBuffer.Join.TRIM_HORIZON);

        run(c);

        await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2)).until(() -> writes.contains("checkpoint 3"));
        assertEquals(List.of("inFlight 3", "checkpoint 3"), writes);
        assertEquals("3", stores.checkpoints(s.id()).get("shard-1").sequenceNumber());
        assertEquals(ShardCursor.State.WAITING, c.state());
    }

    @Test
    void givenTheBatchInFlightAtACrash_whenResuming_thenExactlyThatBatchIsSentFirst() {
        // before the crash: batch_size 3, checkpoint after 2, batch 3..5 in flight; now batch_size is 10
        Subscription s = register(10, StartingPosition.TRIM_HORIZON, DeliverySettings.OnFailure.STOP);
        buffer.append(records(1, 9), true);
        ShardCursor c = cursor(s, "2", "5", ShardBuffer.Join.AFTER);

        run(c);

        await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2)).until(() -> c.state() == ShardCursor.State.FINISHED);
        assertEquals(List.of(List.of("3", "4", "5"), List.of("6", "7", "8", "9")), sent);
    }

    @Test
    void givenALatestJoinAfterRecordsWereRead_whenStarting_thenTheFloorIsStoredAndOnlyNewerRecordsAreSent() {
        Subscription s = register(10, StartingPosition.LATEST, DeliverySettings.OnFailure.STOP);
        buffer.append(records(1, 3), false);
        ShardCursor c = cursor(s, null, null, ShardBuffer.Join.LATEST);

        assertEquals(List.of("checkpoint 3"), writes, "the floor is stored before the cursor runs");
        run(c);
        buffer.append(records(4, 5), false);

        await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2)).until(() -> sent.size() == 1);
        assertEquals(List.of(List.of("4", "5")), sent);
    }

    @Test
    void givenALatestSubscription_whenOlderRecordsArrive_thenRecordsCreatedWellBeforeItsRegistrationAreSkipped() {
        Subscription s = register(10, StartingPosition.LATEST, DeliverySettings.OnFailure.STOP);
        ShardCursor c = cursor(s, null, null, ShardBuffer.Join.TRIM_HORIZON);
        run(c);

        buffer.append(List.of(record(1, CREATED.minus(Duration.ofMinutes(10))),
                record(2, CREATED.minus(ShardCursor.LATEST_CLOCK_MARGIN).plusSeconds(1)), record(3, CREATED)), false);

        await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2)).until(() -> sent.size() == 1);
        assertEquals(List.of(List.of("2", "3")), sent);
    }

    @Test
    void givenACheckpoint_whenTheBufferHoldsOlderRecords_thenTheyAreSkippedWithoutBeingSent() {
        Subscription s = register(10, StartingPosition.TRIM_HORIZON, DeliverySettings.OnFailure.STOP);
        buffer.append(records(1, 6), true);
        ShardCursor c = cursor(s, "4", null, ShardBuffer.Join.AFTER);

        run(c);

        await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2)).until(() -> c.state() == ShardCursor.State.FINISHED);
        assertEquals(List.of(List.of("5", "6")), sent);
    }

    @Test
    void givenOnFailureStop_whenTheBatchIsGivenUp_thenTheTableIsToldAndTheCheckpointStays() {
        Subscription s = register(10, StartingPosition.TRIM_HORIZON, DeliverySettings.OnFailure.STOP);
        answer = m -> new Destination.Attempt.Retryable("HTTP 500", null, AttemptOutcome.SERVER_ERROR, Duration.ZERO);
        buffer.append(records(1, 2), false);
        ShardCursor c = cursor(s, null, null, ShardBuffer.Join.TRIM_HORIZON);

        run(c);

        await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2)).until(() -> c.state() == ShardCursor.State.FAILED);
        assertEquals(1, ended.size());
        assertTrue(ended.get(0).startsWith("failed: delivery to http://127.0.0.1:9/in failed after 1 attempts"),
                ended.get(0));
        assertEquals(new CheckpointStore.Checkpoint(null, "2", false), stores.checkpoints(s.id()).get("shard-1"));
    }

    @Test
    void givenOnFailureSkip_whenTheBatchIsGivenUp_thenTheCheckpointMovesPastItAndTheNextBatchIsSent() {
        Subscription s = register(2, StartingPosition.TRIM_HORIZON, DeliverySettings.OnFailure.SKIP);
        answer = m -> m.records().get(0).dynamodb().sequenceNumber().equals("1")
                ? new Destination.Attempt.Retryable("HTTP 500", null, AttemptOutcome.SERVER_ERROR, Duration.ZERO)
                : ok();
        buffer.append(records(1, 4), true);
        ShardCursor c = cursor(s, null, null, ShardBuffer.Join.TRIM_HORIZON);

        run(c);

        await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2)).until(() -> c.state() == ShardCursor.State.FINISHED);
        assertEquals(List.of("inFlight 2", "checkpoint 2", "inFlight 4", "checkpoint 4", "finish"), writes);
        assertEquals(DeliveryIncident.Kind.SKIPPED, incidents.get(0).kind());
    }

    @Test
    void givenATrimThatTookItsRecords_whenTheNewEpochArrives_thenTheCursorReportsTheGapWithItsRange() {
        Subscription s = register(10, StartingPosition.TRIM_HORIZON, DeliverySettings.OnFailure.STOP);
        ShardCursor c = cursor(s, "3", null, ShardBuffer.Join.AFTER);
        run(c);

        buffer.restartAtTrimHorizon(List.of(c.position()));
        buffer.append(records(8, 9), false);

        await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2)).until(() -> sent.size() == 1);
        assertEquals(1, incidents.size());
        DeliveryIncident gap = incidents.get(0);
        assertEquals(DeliveryIncident.Kind.GAP, gap.kind());
        assertEquals("3", gap.firstSequenceNumber());
        assertEquals("8", gap.lastSequenceNumber());
        assertEquals(List.of(List.of("8", "9")), sent);
    }

    @Test
    void givenAGracefulStop_whenAnAttemptIsInProgress_thenItFinishesAndItsCheckpointIsStored() throws Exception {
        Subscription s = register(10, StartingPosition.TRIM_HORIZON, DeliverySettings.OnFailure.STOP);
        CountDownLatch inAttempt = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        answer = m -> {
            inAttempt.countDown();
            try {
                release.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return new Destination.Attempt.Retryable("interrupted", null, AttemptOutcome.ERROR, Duration.ZERO);
            }
            return ok();
        };
        buffer.append(records(1, 2), false);
        ShardCursor c = cursor(s, null, null, ShardBuffer.Join.TRIM_HORIZON);
        run(c);
        assertTrue(inAttempt.await(5, TimeUnit.SECONDS));

        c.drain();
        assertFalse(c.awaitStopped(System.nanoTime()), "still in its attempt");
        release.countDown();

        assertTrue(c.awaitStopped(System.nanoTime() + TimeUnit.SECONDS.toNanos(5)));
        assertEquals(ShardCursor.State.STOPPED, c.state());
        assertEquals("2", stores.checkpoints(s.id()).get("shard-1").sequenceNumber());
    }

    @Test
    void givenAStop_whenAnAttemptIsInProgress_thenItIsAbandonedAndNotCheckpointed() throws Exception {
        Subscription s = register(10, StartingPosition.TRIM_HORIZON, DeliverySettings.OnFailure.DEAD_LETTER);
        CountDownLatch inAttempt = new CountDownLatch(1);
        answer = m -> {
            inAttempt.countDown();
            try {
                new CountDownLatch(1).await(5, TimeUnit.SECONDS);
                return ok();
            } catch (InterruptedException e) {
                return new Destination.Attempt.Retryable("interrupted", null, AttemptOutcome.ERROR, Duration.ZERO);
            }
        };
        buffer.append(records(1, 2), false);
        ShardCursor c = cursor(s, null, null, ShardBuffer.Join.TRIM_HORIZON);
        run(c);
        assertTrue(inAttempt.await(5, TimeUnit.SECONDS));

        c.stop();

        assertTrue(c.awaitStopped(System.nanoTime() + TimeUnit.SECONDS.toNanos(5)));
        assertEquals(new CheckpointStore.Checkpoint(null, "2", false), stores.checkpoints(s.id()).get("shard-1"),
                "the batch stays in flight: sent again after the restart");
        assertTrue(stores.deadLetters(s.id()).isEmpty());
    }

    @Test
    void givenTheStateTransitions_thenOnlyTheDrawnOnesAreAllowed() {
        assertTrue(ShardCursor.State.CREATED.canMoveTo(ShardCursor.State.WAITING));
        assertTrue(ShardCursor.State.WAITING.canMoveTo(ShardCursor.State.DELIVERING));
        assertTrue(ShardCursor.State.DELIVERING.canMoveTo(ShardCursor.State.WAITING));
        assertTrue(ShardCursor.State.DELIVERING.canMoveTo(ShardCursor.State.FAILED));
        assertTrue(ShardCursor.State.WAITING.canMoveTo(ShardCursor.State.FINISHED));
        assertFalse(ShardCursor.State.CREATED.canMoveTo(ShardCursor.State.DELIVERING));
        assertFalse(ShardCursor.State.DELIVERING.canMoveTo(ShardCursor.State.FINISHED));
        for (ShardCursor.State last : List.of(ShardCursor.State.FINISHED, ShardCursor.State.FAILED,
                ShardCursor.State.STOPPED)) {
            for (ShardCursor.State next : ShardCursor.State.values()) {
                assertFalse(last.canMoveTo(next), last + " -> " + next);
            }
        }
    }
}
