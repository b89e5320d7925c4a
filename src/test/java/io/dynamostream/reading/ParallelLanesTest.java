package io.dynamostream.reading;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

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
import io.dynamostream.subscription.MappingOptions;
import io.dynamostream.subscription.StartingPosition;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionRegistry;
import io.dynamostream.subscription.SubscriptionRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.OperationType;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.StreamRecord;

/**
 * {@code parallelization_factor} above 1: records spread over lanes by their item's keys, each lane's batches in
 * order and the lanes concurrent, the shard checkpoint below every lane's unacknowledged records, each lane's batch in
 * flight re-sent as it was after a crash, one lane's on_failure stop ending the subscription, idle lanes holding no
 * thread. A scripted destination, the memory store; nothing waits for a clock.
 */
class ParallelLanesTest {

    private static final Instant CREATED = Instant.parse("2026-12-01T12:00:00Z");
    private static final String SHARD = "shard-1";

    private final StateStores stores = StateStores.inMemory();
    private final SubscriptionRegistry registry = new SubscriptionRegistry(e -> { }, Clock.fixed(CREATED,
            ZoneOffset.UTC), 1000, DestinationGuard.withDefaults(new FakeResolver()), stores);
    private final List<String> ended = new CopyOnWriteArrayList<>();
    /** Every attempt, in the order the destination saw them: the sequence numbers of its records. */
    private final List<List<String>> sent = Collections.synchronizedList(new ArrayList<>());
    /** Sequence numbers the destination acknowledged with a 2xx. */
    private final Set<BigInteger> acknowledged = ConcurrentHashMap.newKeySet();
    /** Sequence numbers given up by on_failure (skip): done too, without a 2xx. */
    private final Set<BigInteger> givenUp = ConcurrentHashMap.newKeySet();
    /** Shard checkpoints stored while a record at or below them was not acknowledged (must stay empty). */
    private final List<String> violations = new CopyOnWriteArrayList<>();
    /** Every record of the test shard by sequence number (to check stored checkpoints against). */
    private final Map<BigInteger, Record> shardRecords = new ConcurrentHashMap<>();
    private Function<Destination.Message, Destination.Attempt> answer = m -> ok();
    private final List<ShardCursor> cursors = new CopyOnWriteArrayList<>();
    /** Each cursor's runs (a new thread after each park). */
    private final Map<ShardCursor, List<Thread>> runs = new ConcurrentHashMap<>();
    private final List<ShardBuffer> buffers = new CopyOnWriteArrayList<>();

    /** The process "died": writes from now on are lost, as after a kill -9. */
    private volatile boolean crashed;

    /**
     * Applies writes to the memory store (none once {@link #crashed}); checks each shard checkpoint against what was
     * acknowledged.
     */
    private final CheckpointStore checkpoints = new CheckpointStore() {
        @Override
        public Map<String, Checkpoint> checkpoints(String subscriptionId) {
            return stores.checkpoints(subscriptionId);
        }

        @Override
        public boolean checkpoint(String subscriptionId, String shardId, String sequenceNumber) {
            if (crashed) {
                return false;
            }
            if (!CheckpointStore.isLaneId(shardId)) {
                BigInteger through = new BigInteger(sequenceNumber);
                shardRecords.keySet().stream().filter(s -> s.compareTo(through) <= 0 && !acknowledged.contains(s)
                        && !givenUp.contains(s))
                        .findFirst().ifPresent(s -> violations.add("checkpoint " + sequenceNumber
                                + " passes unacknowledged " + s));
            }
            return stores.checkpoint(subscriptionId, shardId, sequenceNumber);
        }

        @Override
        public void inFlight(String subscriptionId, String shardId, String lastSequenceNumber) {
            if (crashed) {
                return;
            }
            stores.inFlight(subscriptionId, shardId, lastSequenceNumber);
        }

        @Override
        public void checkpointAndInFlight(String subscriptionId, String shardId, String sequenceNumber,
                String nextLastSequenceNumber) {
            if (crashed) {
                return;
            }
            stores.checkpointAndInFlight(subscriptionId, shardId, sequenceNumber, nextLastSequenceNumber);
        }

        @Override
        public void finish(String subscriptionId, String shardId) {
            if (crashed) {
                return;
            }
            stores.finish(subscriptionId, shardId);
        }
    };

    @AfterEach
    void stopAll() {
        cursors.forEach(ShardCursor::stop);
        buffers.forEach(ShardBuffer::stop);
    }

    private static Destination.Attempt ok() {
        return new Destination.Attempt.Delivered("HTTP 200", AttemptOutcome.SUCCESS, Duration.ZERO);
    }

    private static Destination.Attempt serverError() {
        return new Destination.Attempt.Retryable("HTTP 500", null, AttemptOutcome.SERVER_ERROR, Duration.ZERO);
    }

    /** A change of item {@code item} (key {@code id}) with sequence number {@code sequence}. */
    private static Record change(long sequence, String item) {
        return Record.builder().eventID("e" + sequence).eventName(OperationType.MODIFY)
                .dynamodb(StreamRecord.builder().sequenceNumber(Long.toString(sequence))
                        .approximateCreationDateTime(CREATED.plusSeconds(1))
                        .keys(Map.of("id", AttributeValue.fromS(item))).sizeBytes(10L).build())
                .build();
    }

    private static Record keyed(Map<String, AttributeValue> keys) {
        return Record.builder().eventID("e").eventName(OperationType.INSERT)
                .dynamodb(StreamRecord.builder().sequenceNumber("1").keys(keys).build()).build();
    }

    private static String item(Record r) {
        return r.dynamodb().keys().get("id").s();
    }

    private Subscription register(int batchSize, int factor, int maxRetries, DeliverySettings.OnFailure onFailure) {
        return register(batchSize, Duration.ZERO, factor, maxRetries, onFailure);
    }

    private Subscription register(int batchSize, Duration window, int factor, int maxRetries,
            DeliverySettings.OnFailure onFailure) {
        DeliverySettings settings = new DeliverySettings(batchSize, window, maxRetries, null, false, onFailure)
                .withMapping(new MappingOptions(List.of(), false, Duration.ZERO, factor));
        return registry.register(new SubscriptionRequest.Valid("People", URI.create("http://127.0.0.1:9/in"),
                StartingPosition.TRIM_HORIZON, Map.of(), List.of(), settings), Subscription.Source.API);
    }

    /** The same subscription with another factor (as after a restart with a changed setting). */
    private static Subscription withFactor(Subscription s, int factor) {
        return new Subscription(s.id(), s.tableName(), s.url(), s.startingPosition(), s.source(), s.createdAt(),
                s.status(), s.error(), s.shards(), s.headers(), s.secrets(),
                s.settings().withMapping(new MappingOptions(List.of(), false, Duration.ZERO, factor)), s.started());
    }

    /** A buffer holding {@code records}, ended when {@code closed}. */
    private ShardBuffer buffer(List<Record> records, boolean closed) {
        ShardBuffer b = new ShardBuffer(10_000, null, false);
        records.forEach(r -> shardRecords.put(new BigInteger(r.dynamodb().sequenceNumber()), r));
        b.append(records, closed);
        buffers.add(b);
        return b;
    }

    /** A cursor from what is stored for the subscription, started parkable on virtual threads. */
    private ShardCursor start(Subscription s, ShardBuffer buffer) {
        Destination destination = m -> {
            if (crashed) {
                // a killed process sends nothing more; a send begun before the kill counts (its in-flight mark, written
                // before it in the same thread, was stored)
                return serverError();
            }
            List<String> seqs = m.records().stream().map(r -> r.dynamodb().sequenceNumber()).toList();
            sent.add(seqs);
            Destination.Attempt a = answer.apply(m);
            if (a.isSuccess()) {
                seqs.forEach(q -> acknowledged.add(new BigInteger(q)));
            }
            return a;
        };
        Incidents report = new Incidents(i -> {
            if (i.kind() == DeliveryIncident.Kind.SKIPPED) {
                BigInteger first = new BigInteger(i.firstSequenceNumber());
                BigInteger last = new BigInteger(i.lastSequenceNumber());
                shardRecords.keySet().stream().filter(q -> q.compareTo(first) >= 0 && q.compareTo(last) <= 0)
                        .forEach(givenUp::add);
            }
        });
        DeadLetters deadLetters = new DeadLetters(stores, report, null, Clock.systemUTC());
        ShardCursor.DeliveryFactory deliveries = (sub, shardId, running) -> new BatchDelivery(sub, "arn:stream",
                shardId, destination, new RetryPolicy(Duration.ofMillis(1), Duration.ofMillis(1)), Clock.systemUTC(),
                (d, keep) -> keep.getAsBoolean(), deadLetters, report, running);
        CheckpointStore.Checkpoint stored = stores.checkpoints(s.id()).get(SHARD);
        String after = stored == null ? null : stored.sequenceNumber();
        ShardCursor c = new ShardCursor(s, new ShardLineage.Shard(SHARD, null, "1", null), buffer, deliveries,
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
                }, after, stored == null ? null : stored.inFlightThrough(), false);
        c.join(after == null ? ShardBuffer.Join.TRIM_HORIZON : ShardBuffer.Join.AFTER);
        c.prepare();
        List<Thread> threads = new CopyOnWriteArrayList<>();
        runs.put(c, threads);
        c.parkWith(() -> threads.add(Thread.ofVirtual().start(c::run)));
        cursors.add(c);
        threads.add(Thread.ofVirtual().start(c::run));
        return c;
    }

    private void awaitState(ShardCursor c, ShardCursor.State state) {
        await().atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2))
                .until(() -> c.state() == state);
    }

    private CheckpointStore.Checkpoint shardCheckpoint(Subscription s) {
        return stores.checkpoints(s.id()).get(SHARD);
    }

    // ---- the lane of an item

    @Test
    void givenTheSameKeys_thenTheLaneIsTheSameInEveryRunAndIgnoresTheKeysOrderAndNumberForm() {
        Map<String, AttributeValue> a = new LinkedHashMap<>();
        a.put("pk", AttributeValue.fromS("user#42"));
        a.put("sk", AttributeValue.fromN("7"));
        Map<String, AttributeValue> b = new LinkedHashMap<>();
        b.put("sk", AttributeValue.fromN("7.00"));
        b.put("pk", AttributeValue.fromS("user#42"));

        assertEquals(ParallelLanes.laneOf(keyed(a), 10), ParallelLanes.laneOf(keyed(b), 10));
        // pinned: the lane must not depend on the JVM (no String.hashCode of a map, no identity hash)
        assertEquals(List.of(1, 3, 7, 1, 0), List.of(
                ParallelLanes.laneOf(keyed(a), 10),
                ParallelLanes.laneOf(keyed(Map.of("id", AttributeValue.fromS("k1"))), 10),
                ParallelLanes.laneOf(keyed(Map.of("id", AttributeValue.fromS("k2"))), 10),
                ParallelLanes.laneOf(keyed(Map.of("id", AttributeValue.fromN("-0.0"))), 10),
                ParallelLanes.laneOf(keyed(Map.of("id", AttributeValue.fromB(SdkBytes.fromUtf8String("k1")))), 10)));
        assertEquals(0, ParallelLanes.laneOf(keyed(a), 1));
    }

    @Test
    void givenManyItems_thenEveryLaneGetsAFairShare() {
        int[] counts = new int[10];
        for (int i = 0; i < 10_000; i++) {
            counts[ParallelLanes.laneOf(keyed(Map.of("id", AttributeValue.fromS("order-" + i))), 10)]++;
        }
        for (int lane = 0; lane < 10; lane++) {
            assertTrue(counts[lane] > 850 && counts[lane] < 1150, "lane " + lane + ": " + counts[lane]);
        }
    }

    // ---- delivery

    @Test
    void givenASlowItem_whenOtherItemsChange_thenTheyAreDeliveredMeanwhileAndTheCheckpointWaitsForTheSlowOne()
            throws Exception {
        Subscription s = register(10, 4, -1, DeliverySettings.OnFailure.STOP);
        List<Record> records = new ArrayList<>();
        records.add(change(1, "slow"));
        String other = null;
        for (int i = 0; other == null; i++) {
            if (ParallelLanes.laneOf(change(0, "fast-" + i), 4) != ParallelLanes.laneOf(change(0, "slow"), 4)) {
                other = "fast-" + i;
            }
        }
        for (long q = 2; q <= 5; q++) {
            records.add(change(q, other));
        }
        CountDownLatch release = new CountDownLatch(1);
        answer = m -> {
            if (item(m.records().get(0)).equals("slow")) {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    return serverError();
                }
            }
            return ok();
        };
        ShardCursor c = start(s, buffer(records, true));
        String fast = other;

        await().atMost(Duration.ofSeconds(10)).until(() -> acknowledged.contains(BigInteger.valueOf(5)));
        assertTrue(sent.stream().anyMatch(b -> b.contains("5")), "the other item's changes went out meanwhile");
        assertNull(shardCheckpoint(s) == null ? null : shardCheckpoint(s).sequenceNumber(),
                "nothing below the slow record is done: no checkpoint");
        assertEquals("5", stores.checkpoints(s.id()).get(CheckpointStore.laneId(SHARD,
                ParallelLanes.laneOf(change(0, fast), 4), 4)).sequenceNumber(), "the fast lane's own position");
        assertEquals(ShardCursor.State.WAITING, c.state(), "the closed shard is not finished while a lane works");

        release.countDown();

        awaitState(c, ShardCursor.State.FINISHED);
        assertEquals(new CheckpointStore.Checkpoint("5", null, true), shardCheckpoint(s));
        await().atMost(Duration.ofSeconds(10)).until(() -> !ended.isEmpty()); // told right after the state moved
        assertEquals(List.of("finished"), ended);
        assertEquals(List.of(), violations);
    }

    @Test
    void givenOneItemsChanges_thenTheyGoOutInOrderOneBatchAfterTheOther() {
        Subscription s = register(3, 10, 0, DeliverySettings.OnFailure.STOP);
        List<Record> records = new ArrayList<>();
        for (long q = 1; q <= 8; q++) {
            records.add(change(q, "only"));
        }

        ShardCursor c = start(s, buffer(records, true));

        awaitState(c, ShardCursor.State.FINISHED);
        // with no batching window a lane sends what it has when it is free: the batches' sizes depend on timing
        assertEquals(List.of("1", "2", "3", "4", "5", "6", "7", "8"), sent.stream().flatMap(List::stream).toList());
        assertTrue(sent.stream().allMatch(b -> b.size() <= 3), sent.toString());
        assertEquals("8", shardCheckpoint(s).sequenceNumber());
    }

    @Test
    void givenAnIdleShard_whenTheLanesHaveDelivered_thenNeitherTheCursorNorAnyLaneHoldsAThread() throws Exception {
        Subscription s = register(10, 10, 0, DeliverySettings.OnFailure.STOP);
        List<Record> records = new ArrayList<>();
        for (long q = 1; q <= 50; q++) {
            records.add(change(q, "item-" + q));
        }
        ShardBuffer b = buffer(records, false);
        ShardCursor c = start(s, b);

        await().atMost(Duration.ofSeconds(10)).until(() -> "50".equals(
                shardCheckpoint(s) == null ? null : shardCheckpoint(s).sequenceNumber()));
        await().atMost(Duration.ofSeconds(10)).until(() -> c.laneThreads() == 0
                && runs.get(c).stream().noneMatch(Thread::isAlive));
        assertEquals(ShardCursor.State.WAITING, c.state(), "parked, not ended");

        List<Record> more = List.of(change(51, "item-1"), change(52, "item-2"));
        more.forEach(r -> shardRecords.put(new BigInteger(r.dynamodb().sequenceNumber()), r));
        b.append(more, false);
        await().atMost(Duration.ofSeconds(10)).until(() -> "52".equals(shardCheckpoint(s).sequenceNumber()));

        c.stop();
        assertTrue(c.awaitStopped(System.nanoTime() + TimeUnit.SECONDS.toNanos(5)));
        assertEquals(ShardCursor.State.STOPPED, c.state());
        assertEquals(List.of(), violations);
    }

    @Test
    void givenOnFailureStopInOneLane_thenTheSubscriptionFailsAndTheOtherLanesKeepWhatWasAcknowledged()
            throws Exception {
        Subscription s = register(1, 2, 1, DeliverySettings.OnFailure.STOP);
        String bad = "bad";
        int badLane = ParallelLanes.laneOf(change(0, bad), 2);
        String good = null;
        for (int i = 0; good == null; i++) {
            if (ParallelLanes.laneOf(change(0, "good-" + i), 2) != badLane) {
                good = "good-" + i;
            }
        }
        List<Record> records = List.of(change(1, good), change(2, bad), change(3, good), change(4, good));
        // the bad lane fails only once the good lane's first record is acknowledged and checkpointed: the two lanes
        // run at once, and this test is about what the other lanes keep, not about which comes first
        answer = m -> {
            if (!item(m.records().get(0)).equals(bad)) {
                return ok();
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> shardCheckpoint(s) != null
                    && "1".equals(shardCheckpoint(s).sequenceNumber()));
            return serverError();
        };

        ShardCursor c = start(s, buffer(records, false));

        awaitState(c, ShardCursor.State.FAILED);
        await().atMost(Duration.ofSeconds(10)).until(() -> !ended.isEmpty()); // told right after the state moved
        assertEquals(1, ended.size());
        assertTrue(ended.get(0).startsWith("failed: delivery to http://127.0.0.1:9/in failed after 2 attempts"),
                ended.get(0));
        assertTrue(c.awaitStopped(System.nanoTime() + TimeUnit.SECONDS.toNanos(5)));
        assertEquals("1", shardCheckpoint(s).sequenceNumber(), "the shard stops below the failed record");
        assertTrue(acknowledged.contains(BigInteger.ONE));
        assertEquals(List.of(), violations);
    }

    @Test
    void givenABatchingWindow_whenTheClosedShardEnds_thenEveryLaneSendsWhatItHasWithoutWaitingForTheWindow() {
        Subscription s = register(100, Duration.ofSeconds(300), 4, 0, DeliverySettings.OnFailure.STOP);
        List<Record> records = new ArrayList<>();
        for (long q = 1; q <= 12; q++) {
            records.add(change(q, "item-" + q));
        }

        ShardCursor c = start(s, buffer(records, true));

        awaitState(c, ShardCursor.State.FINISHED);
        Set<String> all = new HashSet<>();
        sent.forEach(all::addAll);
        assertEquals(12, all.size());
        assertTrue(sent.size() <= 4, "one batch per lane: " + sent);
    }

    @Test
    void givenAGracefulStop_whenLanesAreInTheirAttempts_thenTheyFinishAndWhatTheyGotIsCheckpointed() throws Exception {
        Subscription s = register(10, 2, 0, DeliverySettings.OnFailure.STOP);
        List<Record> records = withHungItem(6, 2, "held", 1);
        CountDownLatch inAttempts = new CountDownLatch(2);
        CountDownLatch release = new CountDownLatch(1);
        answer = m -> {
            inAttempts.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return serverError();
            }
            return ok();
        };
        ShardCursor c = start(s, buffer(records, false));
        assertTrue(inAttempts.await(10, TimeUnit.SECONDS), "both lanes in an attempt");

        c.drain();
        assertTrue(!c.awaitStopped(System.nanoTime()), "the lanes are still in their attempts");
        release.countDown();

        assertTrue(c.awaitStopped(System.nanoTime() + TimeUnit.SECONDS.toNanos(10)));
        assertEquals(ShardCursor.State.STOPPED, c.state());
        assertEquals(2, sent.size(), "the two batches in their attempts, no new one after the drain: " + sent);
        Set<String> got = new HashSet<>();
        sent.forEach(got::addAll);
        long through = 0;
        while (got.contains(Long.toString(through + 1))) {
            through++;
        }
        assertEquals(Long.toString(through), shardCheckpoint(s).sequenceNumber(),
                "both acknowledged: the shard is checkpointed up to the first record not sent " + sent);
        assertEquals(0, c.laneThreads());
    }

    @Test
    void givenBisectAndSkip_whenOneRecordOfALaneIsBad_thenItsHalvesAreCheckpointedAndOnlyTheBadRecordIsSkipped() {
        DeliverySettings settings = new DeliverySettings(4, Duration.ZERO, 0, null, true,
                DeliverySettings.OnFailure.SKIP).withMapping(new MappingOptions(List.of(), false, Duration.ZERO, 3));
        Subscription s = registry.register(new SubscriptionRequest.Valid("People", URI.create("http://127.0.0.1:9/in"),
                StartingPosition.TRIM_HORIZON, Map.of(), List.of(), settings), Subscription.Source.API);
        List<Record> records = new ArrayList<>();
        for (long q = 1; q <= 24; q++) {
            records.add(change(q, "item-" + (q % 5)));
        }
        answer = m -> m.records().stream().anyMatch(r -> r.dynamodb().sequenceNumber().equals("7"))
                ? serverError() : ok();

        ShardCursor c = start(s, buffer(records, true));

        awaitState(c, ShardCursor.State.FINISHED);
        Set<String> got = new HashSet<>();
        acknowledged.forEach(q -> got.add(q.toString()));
        for (long q = 1; q <= 24; q++) {
            assertEquals(q != 7, got.contains(Long.toString(q)), "record " + q);
        }
        assertEquals(Set.of(BigInteger.valueOf(7)), givenUp, "only the bad record is skipped");
        assertEquals("24", shardCheckpoint(s).sequenceNumber());
        // the lane of the bad record ends after it too (its position passed it when it was skipped)
        int lane = ParallelLanes.laneOf(change(0, "item-2"), 3);
        String lanePosition = stores.checkpoints(s.id()).get(CheckpointStore.laneId(SHARD, lane, 3)).sequenceNumber();
        assertTrue(new BigInteger(lanePosition).compareTo(BigInteger.valueOf(7)) >= 0, lanePosition);
        assertEquals(List.of(), violations);
    }

    @Test
    void givenALatestJoinAfterRecordsWereRead_thenTheFloorIsStoredAndTheLanesStartAfterIt() {
        DeliverySettings settings = new DeliverySettings(10, Duration.ZERO, 0, null, false,
                DeliverySettings.OnFailure.STOP).withMapping(new MappingOptions(List.of(), false, Duration.ZERO, 4));
        Subscription s = registry.register(new SubscriptionRequest.Valid("People", URI.create("http://127.0.0.1:9/in"),
                StartingPosition.LATEST, Map.of(), List.of(), settings), Subscription.Source.API);
        ShardBuffer b = buffer(List.of(change(1, "a"), change(2, "b"), change(3, "c")), false);
        Destination destination = m -> {
            sent.add(m.records().stream().map(r -> r.dynamodb().sequenceNumber()).toList());
            m.records().forEach(r -> acknowledged.add(new BigInteger(r.dynamodb().sequenceNumber())));
            return ok();
        };
        Incidents report = new Incidents(i -> { });
        ShardCursor c = new ShardCursor(s, new ShardLineage.Shard(SHARD, null, "1", null), b,
                (sub, shardId, running) -> new BatchDelivery(sub, "arn:stream", shardId, destination,
                        new RetryPolicy(Duration.ofMillis(1), Duration.ofMillis(1)), Clock.systemUTC(),
                        (d, keep) -> keep.getAsBoolean(), new DeadLetters(stores, report, null, Clock.systemUTC()),
                        report, running),
                checkpoints, registry, new StreamMetrics(new SimpleMeterRegistry(), registry), report,
                new ShardCursor.Listener() {
                    @Override
                    public void cursorFinished(ShardCursor cursor) {
                    }

                    @Override
                    public void cursorFailed(ShardCursor cursor, String message) {
                    }
                }, null, null, true);
        cursors.add(c);
        c.join(ShardBuffer.Join.LATEST);
        c.prepare();
        assertEquals("3", shardCheckpoint(s).sequenceNumber(), "the floor is stored before the cursor runs");
        c.parkWith(() -> Thread.ofVirtual().start(c::run));
        Thread.ofVirtual().start(c::run);

        List<Record> more = List.of(change(4, "a"), change(5, "d"));
        more.forEach(r -> shardRecords.put(new BigInteger(r.dynamodb().sequenceNumber()), r));
        b.append(more, false);

        await().atMost(Duration.ofSeconds(10)).until(() -> "5".equals(shardCheckpoint(s).sequenceNumber()));
        Set<String> got = new HashSet<>();
        sent.forEach(got::addAll);
        assertEquals(Set.of("4", "5"), got);
    }

    // ---- restarts

    @Test
    void givenACrashWithBatchesInFlight_whenResuming_thenEachLaneSendsExactlyItsBatchAgainAndNothingAcknowledged()
            throws Exception {
        Subscription s = register(2, 3, -1, DeliverySettings.OnFailure.STOP);
        // item-0's lane hangs on its first attempt: the crash comes while it is in flight; it has three records
        // (a batch in flight and one queued), so the other lanes get all of theirs meanwhile
        List<Record> records = withHungItem(30, 3, "item-0", 3);
        int hung = ParallelLanes.laneOf(change(0, "item-0"), 3);
        CountDownLatch never = new CountDownLatch(1);
        answer = m -> {
            if (ParallelLanes.laneOf(m.records().get(0), 3) == hung) {
                try {
                    never.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    return serverError();
                }
            }
            return ok();
        };
        ShardCursor first = start(s, buffer(records, true));
        await().atMost(Duration.ofSeconds(10)).until(() -> sent.stream().anyMatch(
                b -> ParallelLanes.laneOf(shardRecords.get(new BigInteger(b.get(0))), 3) == hung));
        await().atMost(Duration.ofSeconds(10)).until(() -> otherLanesDone(records, hung));
        first.stop();
        assertTrue(first.awaitStopped(System.nanoTime() + TimeUnit.SECONDS.toNanos(5)));
        List<String> inFlight = sent.stream().filter(b -> ParallelLanes.laneOf(
                shardRecords.get(new BigInteger(b.get(0))), 3) == hung).findFirst().orElseThrow();
        Set<String> before = new HashSet<>();
        sent.forEach(before::addAll);
        int sentBefore = sent.size();
        answer = m -> ok();

        ShardCursor second = start(s, buffer(records, true));

        awaitState(second, ShardCursor.State.FINISHED);
        List<List<String>> after = new ArrayList<>(sent.subList(sentBefore, sent.size()));
        assertEquals(inFlight, after.get(0), "the hung lane's batch is re-sent first, as it was");
        List<String> again = after.stream().flatMap(List::stream).filter(before::contains).toList();
        assertEquals(inFlight, again, "nothing else that was sent before is sent again");
        Set<String> all = new HashSet<>();
        sent.forEach(all::addAll);
        assertEquals(30, all.size());
        assertEquals(List.of(), violations);
    }

    /**
     * {@code total} changes: {@code hungCount} of them of {@code hungItem} (the 2nd, 12th, 22nd...), the others of
     * items in other lanes than its lane.
     */
    private static List<Record> withHungItem(int total, int factor, String hungItem, int hungCount) {
        int hungLane = ParallelLanes.laneOf(change(0, hungItem), factor);
        List<String> others = new ArrayList<>();
        for (int i = 0; others.size() < 5; i++) {
            if (ParallelLanes.laneOf(change(0, "other-" + i), factor) != hungLane) {
                others.add("other-" + i);
            }
        }
        List<Record> records = new ArrayList<>();
        int hung = 0;
        for (long q = 1; q <= total; q++) {
            if (q % 10 == 2 && hung < hungCount) {
                records.add(change(q, hungItem));
                hung++;
            } else {
                records.add(change(q, others.get((int) (q % others.size()))));
            }
        }
        return records;
    }

    /** Every record not of lane {@code hung} was acknowledged. */
    private boolean otherLanesDone(List<Record> records, int hung) {
        return records.stream().filter(r -> ParallelLanes.laneOf(r, 3) != hung)
                .allMatch(r -> acknowledged.contains(new BigInteger(r.dynamodb().sequenceNumber())));
    }

    @Test
    void givenAnotherFactorAfterARestart_thenDeliveryResumesFromTheShardCheckpointWithoutLoss() throws Exception {
        Subscription s = register(2, 4, -1, DeliverySettings.OnFailure.STOP);
        List<Record> records = withHungItem(40, 4, "item-3", 3);
        int hung = ParallelLanes.laneOf(change(0, "item-3"), 4);
        CountDownLatch never = new CountDownLatch(1);
        answer = m -> {
            if (ParallelLanes.laneOf(m.records().get(0), 4) == hung) {
                try {
                    never.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    return serverError();
                }
            }
            return ok();
        };
        ShardCursor first = start(s, buffer(records, true));
        await().atMost(Duration.ofSeconds(10)).until(() -> records.stream()
                .filter(r -> ParallelLanes.laneOf(r, 4) != hung)
                .allMatch(r -> acknowledged.contains(new BigInteger(r.dynamodb().sequenceNumber()))));
        first.stop();
        assertTrue(first.awaitStopped(System.nanoTime() + TimeUnit.SECONDS.toNanos(5)));
        String checkpoint = shardCheckpoint(s) == null ? null : shardCheckpoint(s).sequenceNumber();
        int sentBefore = sent.size();
        answer = m -> ok();

        ShardCursor second = start(withFactor(s, 3), buffer(records, true));

        awaitState(second, ShardCursor.State.FINISHED);
        BigInteger from = checkpoint == null ? BigInteger.ZERO : new BigInteger(checkpoint);
        Set<String> resent = new HashSet<>();
        sent.subList(sentBefore, sent.size()).forEach(resent::addAll);
        for (Record r : records) {
            BigInteger q = new BigInteger(r.dynamodb().sequenceNumber());
            assertEquals(q.compareTo(from) > 0, resent.contains(r.dynamodb().sequenceNumber()),
                    "everything after the shard checkpoint " + checkpoint + " is sent again, nothing before: " + q);
        }
        assertEquals("40", shardCheckpoint(s).sequenceNumber());
        assertEquals(List.of(), violations);
    }

    // ---- property: random items, failures and crashes

    @Test
    void givenRandomItemsFailuresAndCrashes_thenNoLossOrderPerItemCheckpointsBehindAcksAndBoundedResends()
            throws Exception {
        for (long seed = 1; seed <= 25; seed++) {
            runRandom(seed);
        }
        assertTrue(resent.get() > 0, "some crash came while batches were in flight (the property was exercised)");
    }

    /** Runs after a crash that sent again something sent before it, over every seed. */
    private final java.util.concurrent.atomic.AtomicInteger resent = new java.util.concurrent.atomic.AtomicInteger();

    private void runRandom(long seed) throws Exception {
        Random random = new Random(seed);
        sent.clear();
        acknowledged.clear();
        shardRecords.clear();
        ended.clear();
        int factor = 2 + random.nextInt(9);
        int batchSize = 1 + random.nextInt(5);
        int items = 1 + random.nextInt(12);
        int total = 60 + random.nextInt(120);
        Subscription s = register(batchSize, factor, -1, DeliverySettings.OnFailure.STOP);
        List<Record> records = new ArrayList<>();
        for (long q = 1; q <= total; q++) {
            records.add(change(q * 10 + random.nextInt(10), "item-" + random.nextInt(items)));
        }
        Random failures = new Random(seed * 31);
        answer = m -> {
            boolean fail;
            int micros;
            synchronized (failures) {
                fail = failures.nextInt(5) == 0;
                micros = failures.nextInt(1000);
            }
            // a receiver that takes a moment, so that crashes also come while batches are in flight
            java.util.concurrent.locks.LockSupport.parkNanos(micros * 1000L);
            return fail ? serverError() : ok();
        };
        int crashes = 1 + random.nextInt(3);
        String label = "seed " + seed + " (factor " + factor + ", batch " + batchSize + ", items " + items + ")";
        for (int crash = 0; crash <= crashes; crash++) {
            boolean last = crash == crashes;
            int acksBefore = acknowledged.size();
            int target = Math.min(total, acksBefore + 1 + random.nextInt(total / 2));
            Map<String, CheckpointStore.Checkpoint> storedBefore = stores.checkpoints(s.id());
            int sentBefore = sent.size();
            Set<BigInteger> ackedBefore = new HashSet<>(acknowledged);
            Set<String> sentBeforeRun = new HashSet<>();
            synchronized (sent) {
                sent.forEach(sentBeforeRun::addAll);
            }
            ShardCursor c = start(s, buffer(records, true));
            boolean finished;
            if (last) {
                awaitState(c, ShardCursor.State.FINISHED);
                finished = true;
            } else {
                await().atMost(Duration.ofSeconds(20)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
                        .until(() -> acknowledged.size() >= target
                        || c.state() == ShardCursor.State.FINISHED);
                // finished before the crash: everything it stored is there; otherwise the crash may come while it
                // finishes, and the next run must find what the store has
                finished = c.state() == ShardCursor.State.FINISHED;
                if (!finished) {
                    crashed = true; // nothing more is stored: what the store has now is what a restart finds
                    c.stop();
                    assertTrue(c.awaitStopped(System.nanoTime() + TimeUnit.SECONDS.toNanos(5)), label);
                    crashed = false;
                }
            }
            checkResends(label, factor, batchSize, storedBefore, ackedBefore, sent.subList(sentBefore, sent.size()));
            synchronized (sent) {
                sent.subList(sentBefore, sent.size()).stream().flatMap(List::stream).filter(sentBeforeRun::contains)
                        .findAny().ifPresent(q -> resent.incrementAndGet());
            }
            assertEquals(List.of(), violations, label);
            if (finished) {
                break;
            }
        }
        Set<String> delivered = new HashSet<>();
        acknowledged.forEach(q -> delivered.add(q.toString()));
        for (Record r : records) {
            assertTrue(delivered.contains(r.dynamodb().sequenceNumber()), label + ": lost " + r.dynamodb()
                    .sequenceNumber());
        }
        checkOrderPerItem(label);
        assertEquals(records.get(records.size() - 1).dynamodb().sequenceNumber(), shardCheckpoint(s)
                .sequenceNumber(), label);
    }

    /**
     * Records acknowledged before a run and sent again in it may only be those of each lane's batch in flight at the
     * start of the run (after the lane's stored position, up to its stored in-flight mark).
     */
    private void checkResends(String label, int factor, int batchSize, Map<String, CheckpointStore.Checkpoint> stored,
            Set<BigInteger> ackedBefore, List<List<String>> run) {
        Set<String> again = new HashSet<>();
        synchronized (sent) {
            for (List<String> batch : run) {
                for (String q : batch) {
                    if (ackedBefore.contains(new BigInteger(q))) {
                        again.add(q);
                    }
                }
            }
        }
        Map<Integer, Integer> perLane = new HashMap<>();
        for (String q : again) {
            Record r = shardRecords.get(new BigInteger(q));
            int lane = ParallelLanes.laneOf(r, factor);
            CheckpointStore.Checkpoint cp = stored.get(CheckpointStore.laneId(SHARD, lane, factor));
            assertTrue(cp != null && cp.inFlightThrough() != null
                    && new BigInteger(q).compareTo(new BigInteger(cp.inFlightThrough())) <= 0
                    && (cp.sequenceNumber() == null
                            || new BigInteger(q).compareTo(new BigInteger(cp.sequenceNumber())) > 0),
                    label + ": " + q + " of lane " + lane + " sent again outside its batch in flight " + cp);
            perLane.merge(lane, 1, Integer::sum);
        }
        perLane.forEach((lane, n) -> assertTrue(n <= batchSize, label + ": lane " + lane + " sent " + n
                + " acknowledged records again, more than one batch"));
    }

    /** The first deliveries of each item's changes have increasing sequence numbers. */
    private void checkOrderPerItem(String label) {
        Map<String, BigInteger> lastFirst = new HashMap<>();
        Set<String> seen = new HashSet<>();
        synchronized (sent) {
            for (List<String> batch : sent) {
                for (String q : batch) {
                    if (!seen.add(q)) {
                        continue;
                    }
                    BigInteger n = new BigInteger(q);
                    String item = item(shardRecords.get(n));
                    BigInteger previous = lastFirst.put(item, n);
                    assertTrue(previous == null || previous.compareTo(n) < 0, label + ": " + item + " got " + q
                            + " first after " + previous);
                }
            }
        }
    }

    @Test
    void givenAStoredLanePosition_thenTheLaneIdNamesShardLaneAndFactor() {
        assertEquals("shardId-0001#lane-4-of-10", CheckpointStore.laneId("shardId-0001", 3, 10));
        assertTrue(CheckpointStore.isLaneId(CheckpointStore.laneId("shardId-0001", 3, 10)));
        assertNotEquals(CheckpointStore.laneId("s", 0, 2), CheckpointStore.laneId("s", 0, 3));
    }
}
