package io.dynamostream.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.dynamostream.state.CheckpointStore.Checkpoint;

/**
 * What every {@link StateStore} must do, run against each implementation by a subclass. Each test uses fresh
 * subscription ids, so stores may be shared between tests.
 */
abstract class StateStoreContract {

    private static final AtomicInteger IDS = new AtomicInteger();

    /** 21 digits, the length DynamoDB Streams sequence numbers start with. */
    static final String SEQ_21 = "100000000000000000001";
    /** 40 digits: greater than {@link #SEQ_21}, and smaller as a string ("1000..." < "9..."). */
    static final String SEQ_40 = "1" + "0".repeat(38) + "5";

    protected StateStore store;

    /** The store under test; may return the same instance for every test. */
    protected abstract StateStore store();

    /** Checkpoint calls per thread in the concurrency test (remote stores use fewer). */
    protected int concurrentCallsPerThread() {
        return 2_000;
    }

    @BeforeEach
    void open() {
        store = store();
    }

    @AfterEach
    void release() {
        afterTest(store);
    }

    /** Called after each test with the store {@link #store()} returned. */
    protected void afterTest(StateStore used) {
    }

    static String id(String name) {
        return name + "-" + IDS.incrementAndGet() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void givenSubscriptions_whenListed_thenEveryDocumentComesBackOrderedById() {
        String a = id("a");
        String b = id("b");
        store.putSubscription(b, "{\"table_name\":\"B\"}");
        store.putSubscription(a, "{\"table_name\":\"A\"}");

        Map<String, String> all = store.subscriptions();

        assertEquals("{\"table_name\":\"A\"}", all.get(a));
        assertEquals("{\"table_name\":\"B\"}", all.get(b));
        List<String> ours = all.keySet().stream().filter(k -> k.equals(a) || k.equals(b)).toList();
        assertEquals(List.of(a, b), ours);
    }

    /** A subscription file's new entries in one call: more than one DynamoDB batch, a replaced one, a large one. */
    @Test
    void givenManySubscriptions_whenPutTogether_thenEachDocumentComesBack() {
        String replaced = id("replaced");
        store.putSubscription(replaced, "{\"v\":1}");
        Map<String, String> documents = new java.util.LinkedHashMap<>();
        for (int i = 0; i < 60; i++) {
            documents.put(id("batch" + i), "{\"table_name\":\"T" + i + "\"}");
        }
        documents.put(replaced, "{\"v\":2}");
        String large = "{\"headers\":{\"x\":\"" + "h".repeat(200_000) + "\"}}";
        documents.put(id("large"), large);

        store.putSubscriptions(documents);

        Map<String, String> all = store.subscriptions();
        documents.forEach((id, document) -> assertEquals(document, all.get(id), id));
    }

    @Test
    void givenSubscription_whenPutAgain_thenTheDocumentIsReplaced() {
        String s = id("s");
        store.putSubscription(s, "{\"v\":1}");
        store.putSubscription(s, "{\"v\":2, \"text\":\"ünïcødé ✓ \\\"quoted\\\"\"}");

        assertEquals("{\"v\":2, \"text\":\"ünïcødé ✓ \\\"quoted\\\"\"}", store.subscriptions().get(s));
    }

    @Test
    void givenNothingStored_whenUnknownSubscriptionIsDeleted_thenNothingHappens() {
        String s = id("s");
        store.putSubscription(s, "{}");

        store.deleteSubscription(id("unknown"));

        assertEquals("{}", store.subscriptions().get(s));
    }

    @Test
    void givenNoCheckpoint_whenCheckpointed_thenItMovesAndReadsBack() {
        String s = id("s");

        assertTrue(store.checkpoint(s, "shardId-1", SEQ_21));

        assertEquals(Map.of("shardId-1", new Checkpoint(SEQ_21, null, false)), store.checkpoints(s));
    }

    @Test
    void givenCheckpoint_whenSameOrSmallerNumberArrives_thenItDoesNotMove() {
        String s = id("s");
        store.checkpoint(s, "shardId-1", "100000000000000000500");

        assertFalse(store.checkpoint(s, "shardId-1", "100000000000000000500"));
        assertFalse(store.checkpoint(s, "shardId-1", "100000000000000000499"));
        assertTrue(store.checkpoint(s, "shardId-1", "100000000000000000501"));

        assertEquals("100000000000000000501", store.checkpoints(s).get("shardId-1").sequenceNumber());
    }

    @Test
    void givenNumbersOfDifferentLengths_whenCheckpointed_thenTheyCompareAsNumbersNotStrings() {
        String s = id("s");

        assertTrue(store.checkpoint(s, "short", "99"));
        assertTrue(store.checkpoint(s, "short", "100"), "100 > 99 although \"100\" < \"99\"");
        assertFalse(store.checkpoint(s, "short", "99"));
        assertFalse(store.checkpoint(s, "short", "9"));

        assertTrue(store.checkpoint(s, "long", SEQ_21));
        assertTrue(store.checkpoint(s, "long", SEQ_40), "40 digits > 21 digits");
        assertFalse(store.checkpoint(s, "long", "9" + "9".repeat(20)), "21 nines < a 40-digit number");

        Map<String, Checkpoint> checkpoints = store.checkpoints(s);
        assertEquals("100", checkpoints.get("short").sequenceNumber());
        assertEquals(SEQ_40, checkpoints.get("long").sequenceNumber());
    }

    @Test
    void givenCheckpointsOfSeveralShardsAndSubscriptions_whenRead_thenEachSubscriptionSeesOnlyItsOwn() {
        String s = id("sub");
        String longer = s + "0";
        store.checkpoint(s, "shardId-1", "100000000000000000001");
        store.checkpoint(s, "shardId-2", "100000000000000000002");
        store.checkpoint(longer, "shardId-1", "100000000000000000003");

        assertEquals(Map.of("shardId-1", new Checkpoint("100000000000000000001", null, false),
                "shardId-2", new Checkpoint("100000000000000000002", null, false)), store.checkpoints(s));
        assertEquals(Map.of("shardId-1", new Checkpoint("100000000000000000003", null, false)),
                store.checkpoints(longer));
        assertEquals(Map.of(), store.checkpoints(id("none")));
    }

    @Test
    void givenLanesOfAShard_whenTheirPositionsAreStored_thenEachIsKeptBesideTheShardsAndGoesWithTheSubscription() {
        String s = id("lanes");
        String lane1 = CheckpointStore.laneId("shardId-1", 0, 3);
        String lane3 = CheckpointStore.laneId("shardId-1", 2, 3);
        store.checkpoint(s, "shardId-1", "100000000000000000010");
        store.checkpointAndInFlight(s, lane1, "100000000000000000030", "100000000000000000040");
        store.inFlight(s, lane3, "100000000000000000020");
        store.checkpoint(s, lane3, "100000000000000000015");

        assertEquals(Map.of("shardId-1", new Checkpoint("100000000000000000010", null, false),
                lane1, new Checkpoint("100000000000000000030", "100000000000000000040", false),
                lane3, new Checkpoint("100000000000000000015", "100000000000000000020", false)),
                store.checkpoints(s));

        store.deleteSubscription(s);
        assertEquals(Map.of(), store.checkpoints(s));
    }

    @Test
    void givenBatchInFlight_whenCheckpointStaysBelowIt_thenTheInFlightMarkRemains() {
        String s = id("s");
        store.checkpoint(s, "sh", "100000000000000000100");
        store.inFlight(s, "sh", "100000000000000000200");

        store.checkpoint(s, "sh", "100000000000000000150");

        assertEquals(new Checkpoint("100000000000000000150", "100000000000000000200", false),
                store.checkpoints(s).get("sh"));
    }

    @Test
    void givenBatchInFlightOnANewShard_whenRead_thenTheMarkShowsWithoutACheckpoint() {
        String s = id("s");

        store.inFlight(s, "sh", "100000000000000000200");

        assertEquals(new Checkpoint(null, "100000000000000000200", false), store.checkpoints(s).get("sh"));
    }

    @Test
    void givenBatchInFlight_whenCheckpointReachesIt_thenTheMarkIsCleared() {
        String s = id("s");
        store.inFlight(s, "sh", "100000000000000000200");

        assertTrue(store.checkpoint(s, "sh", "100000000000000000200"));

        assertEquals(new Checkpoint("100000000000000000200", null, false), store.checkpoints(s).get("sh"));
    }

    @Test
    void givenBatchInFlight_whenCheckpointPassesIt_thenTheMarkIsCleared() {
        String s = id("s");
        store.inFlight(s, "sh", "99");

        store.checkpoint(s, "sh", "100");

        assertEquals(new Checkpoint("100", null, false), store.checkpoints(s).get("sh"));
    }

    @Test
    void givenClearedMark_whenTheNextBatchGoesOut_thenTheNewMarkShows() {
        String s = id("s");
        store.inFlight(s, "sh", "100000000000000000200");
        store.checkpoint(s, "sh", "100000000000000000200");

        store.inFlight(s, "sh", "100000000000000000300");

        assertEquals(new Checkpoint("100000000000000000200", "100000000000000000300", false),
                store.checkpoints(s).get("sh"));
    }

    @Test
    void givenBatchInFlight_whenAcknowledgedTogetherWithTheNextOne_thenCheckpointAndNewMarkShow() {
        String s = id("s");
        store.checkpoint(s, "sh", "100000000000000000100");
        store.inFlight(s, "sh", "100000000000000000200");

        store.checkpointAndInFlight(s, "sh", "100000000000000000200", "100000000000000000300");

        assertEquals(new Checkpoint("100000000000000000200", "100000000000000000300", false),
                store.checkpoints(s).get("sh"));
    }

    @Test
    void givenCheckpoint_whenAcknowledgedTogetherWithTheNextOneBehindIt_thenCheckpointStaysAndMarkIsSet() {
        String s = id("s");
        store.checkpoint(s, "sh", "100000000000000000300");

        // not forward: the checkpoint keeps its place; the mark behind it reads as none (that batch is acknowledged)
        store.checkpointAndInFlight(s, "sh", "100000000000000000200", "100000000000000000250");
        assertEquals(new Checkpoint("100000000000000000300", null, false), store.checkpoints(s).get("sh"));

        // not forward, mark ahead: the mark is set all the same
        store.checkpointAndInFlight(s, "sh", "9", "100000000000000000400");
        assertEquals(new Checkpoint("100000000000000000300", "100000000000000000400", false),
                store.checkpoints(s).get("sh"));
    }

    @Test
    void givenNewShard_whenAcknowledgedTogetherWithTheNextOne_thenBothShow() {
        String s = id("s");

        store.checkpointAndInFlight(s, "sh", "99", "100");

        assertEquals(new Checkpoint("99", "100", false), store.checkpoints(s).get("sh"));
        assertThrows(IllegalArgumentException.class, () -> store.checkpointAndInFlight(s, "sh", "100", "x"));
        assertThrows(IllegalArgumentException.class, () -> store.checkpointAndInFlight(s, "sh", "", "101"));
        assertEquals(new Checkpoint("99", "100", false), store.checkpoints(s).get("sh"));
    }

    @Test
    void givenShardWithBatchInFlight_whenFinished_thenItIsFinishedKeepsItsCheckpointAndHasNoMark() {
        String s = id("s");
        store.checkpoint(s, "sh", "100000000000000000100");
        store.inFlight(s, "sh", "100000000000000000200");

        store.finish(s, "sh");
        store.finish(s, "never-read");

        assertEquals(new Checkpoint("100000000000000000100", null, true), store.checkpoints(s).get("sh"));
        assertEquals(new Checkpoint(null, null, true), store.checkpoints(s).get("never-read"));
    }

    @Test
    void givenFinishedShard_whenCheckpointedFurther_thenItStaysFinished() {
        String s = id("s");
        store.finish(s, "sh");

        assertTrue(store.checkpoint(s, "sh", "100000000000000000100"));

        assertEquals(new Checkpoint("100000000000000000100", null, true), store.checkpoints(s).get("sh"));
    }

    @Test
    void givenMalformedSequenceNumbers_whenCheckpointed_thenTheyAreRefused() {
        String s = id("s");
        for (String bad : new String[] {"", "abc", "-1", "1e5", " 12", "12 ", "1".repeat(49)}) {
            assertThrows(IllegalArgumentException.class, () -> store.checkpoint(s, "sh", bad), bad);
            assertThrows(IllegalArgumentException.class, () -> store.inFlight(s, "sh", bad), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> store.checkpoint(s, "sh", null));

        assertEquals(Map.of(), store.checkpoints(s));
    }

    @Test
    void givenDeadLetters_whenListed_thenTheyComeBackOrderedByIdAndPerSubscription() {
        String s = id("s");
        String other = id("other");
        store.putDeadLetter(s, "01J00000000000000000000002", "{\"n\":2}");
        store.putDeadLetter(s, "01J00000000000000000000001", "{\"n\":1}");
        store.putDeadLetter(other, "01J00000000000000000000003", "{\"n\":3}");

        assertEquals(List.of("01J00000000000000000000001", "01J00000000000000000000002"),
                List.copyOf(store.deadLetters(s).keySet()));
        assertEquals("{\"n\":1}", store.deadLetters(s).get("01J00000000000000000000001"));
        assertEquals(Map.of("01J00000000000000000000003", "{\"n\":3}"), store.deadLetters(other));
    }

    @Test
    void givenDeadLetter_whenDeleted_thenItIsGoneAndASecondDeleteReportsNothing() {
        String s = id("s");
        store.putDeadLetter(s, "dl-1", "{}");
        store.putDeadLetter(s, "dl-2", "{}");

        assertTrue(store.deleteDeadLetter(s, "dl-1"));
        assertFalse(store.deleteDeadLetter(s, "dl-1"));
        assertFalse(store.deleteDeadLetter(id("unknown"), "dl-2"));

        assertEquals(Set.of("dl-2"), store.deadLetters(s).keySet());
    }

    @Test
    void givenLargeDeadLetter_whenStored_thenItReadsBackUnchanged() {
        String s = id("s");
        StringBuilder body = new StringBuilder("{\"Records\":[");
        for (int i = 0; body.length() < 1_000_000; i++) {
            UUID key = UUID.randomUUID();
            body.append(i == 0 ? "" : ",").append("{\"eventID\":\"").append(UUID.randomUUID())
                    .append("\",\"eventName\":\"MODIFY\",\"dynamodb\":{\"Keys\":{\"id\":{\"S\":\"").append(key)
                    .append("\"}},\"NewImage\":{\"id\":{\"S\":\"").append(key).append("\"},\"count\":{\"N\":\"")
                    .append(i).append("\"}},\"SequenceNumber\":\"").append(BigInteger.TEN.pow(20).add(
                            BigInteger.valueOf(i))).append("\",\"StreamViewType\":\"NEW_AND_OLD_IMAGES\"}}");
        }
        String document = body.append("]}").toString();

        store.putDeadLetter(s, "big", document);

        assertEquals(document, store.deadLetters(s).get("big"));
    }

    @Test
    void givenNotifications_whenListed_thenOnePerSubscriptionOrderedByIdAndAPutReplacesIt() {
        String a = id("a");
        String b = id("b");
        store.putNotification(b, "{\"state\":\"PENDING\"}");
        store.putNotification(a, "{\"state\":\"PENDING\"}");
        store.putNotification(a, "{\"state\":\"DELIVERED\"}");

        Map<String, String> all = store.notifications();

        assertEquals("{\"state\":\"DELIVERED\"}", all.get(a));
        assertEquals("{\"state\":\"PENDING\"}", all.get(b));
        assertEquals(List.of(a, b), all.keySet().stream().filter(k -> k.equals(a) || k.equals(b)).toList());
        assertFalse(store.subscriptions().containsKey(a), "a notification is no subscription");
        assertEquals(Map.of(), store.deadLetters(a), "nor a dead letter");
        assertThrows(IllegalArgumentException.class, () -> store.putNotification("", "{}"));
        assertThrows(IllegalArgumentException.class, () -> store.putNotification(a, null));
    }

    @Test
    void givenSubscriptionWithANotification_whenDeleted_thenItsNotificationIsGoneAndOthersRemain() {
        String s = id("s");
        String kept = id("kept");
        for (String sub : List.of(s, kept)) {
            store.putSubscription(sub, "{}");
            store.putNotification(sub, "{\"state\":\"PENDING\"}");
        }

        store.deleteSubscription(s);

        assertFalse(store.notifications().containsKey(s));
        assertTrue(store.notifications().containsKey(kept));
    }

    @Test
    void givenSubscriptionWithCheckpointsAndDeadLetters_whenDeleted_thenAllOfItIsGoneAndOthersRemain() {
        String s = id("s");
        String kept = id("kept");
        for (String sub : List.of(s, kept)) {
            store.putSubscription(sub, "{}");
            store.checkpoint(sub, "shardId-1", SEQ_21);
            store.inFlight(sub, "shardId-2", SEQ_40);
            store.putDeadLetter(sub, "dl-1", "{}");
        }
        for (int i = 0; i < 60; i++) {
            // more than one DynamoDB batch (25) and query page of keys
            store.checkpoint(s, "shardId-x" + i, SEQ_21);
        }

        store.deleteSubscription(s);

        assertFalse(store.subscriptions().containsKey(s));
        assertEquals(Map.of(), store.checkpoints(s));
        assertEquals(Map.of(), store.deadLetters(s));
        assertTrue(store.subscriptions().containsKey(kept));
        assertEquals(2, store.checkpoints(kept).size());
        assertEquals(Set.of("dl-1"), store.deadLetters(kept).keySet());
    }

    @Test
    void givenManyThreadsCheckpointingSharedAndOwnShards_whenRacing_thenNoCheckpointEverGoesBackwards()
            throws Exception {
        String s = id("s");
        int threads = 8;
        int calls = concurrentCallsPerThread();
        Map<String, BigInteger> highestOffered = new ConcurrentHashMap<>();
        Map<String, Set<String>> moved = new ConcurrentHashMap<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        CountDownLatch done = new CountDownLatch(threads);

        // a reader watching the checkpoints while they are written: none may ever be seen smaller than before
        Thread watcher = Thread.ofPlatform().start(() -> {
            Map<String, BigInteger> seen = new java.util.HashMap<>();
            try {
                while (writing.get()) {
                    store.checkpoints(s).forEach((shard, c) -> {
                        BigInteger now = new BigInteger(c.sequenceNumber());
                        BigInteger before = seen.put(shard, now);
                        if (before != null && now.compareTo(before) < 0) {
                            failures.add(new AssertionError(shard + " went back from " + before + " to " + now));
                        }
                    });
                }
            } catch (Throwable t) {
                failures.add(t);
            }
        });
        for (int t = 0; t < threads; t++) {
            String own = "own-" + t;
            Thread.ofPlatform().start(() -> {
                try {
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    for (int i = 0; i < calls; i++) {
                        String shard = random.nextBoolean() ? "shared" : own;
                        // 21 to 40 digits, so string order and number order disagree often
                        BigInteger n = new BigInteger(random.nextInt(67, 133), random).add(BigInteger.TEN.pow(20));
                        String seq = n.toString();
                        highestOffered.merge(shard, n, BigInteger::max);
                        if (store.checkpoint(s, shard, seq)) {
                            if (!moved.computeIfAbsent(shard, k -> ConcurrentHashMap.newKeySet()).add(seq)) {
                                failures.add(new AssertionError(shard + " moved twice to " + seq));
                            }
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                } finally {
                    done.countDown();
                }
            });
        }
        assertTrue(done.await(120, TimeUnit.SECONDS), "writers did not finish");
        writing.set(false);
        watcher.join(TimeUnit.SECONDS.toMillis(30));

        assertEquals(List.of(), failures);
        Map<String, Checkpoint> stored = store.checkpoints(s);
        assertEquals(highestOffered.keySet(), stored.keySet());
        highestOffered.forEach((shard, max) -> assertEquals(max.toString(), stored.get(shard).sequenceNumber(),
                shard + " must end at the highest number offered"));
    }
}
