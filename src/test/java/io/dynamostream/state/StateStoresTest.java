package io.dynamostream.state;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;

import io.dynamostream.state.CheckpointStore.Checkpoint;
import io.dynamostream.subscription.DeadLetter;
import io.dynamostream.subscription.DeliverySettings;
import io.dynamostream.subscription.StopNotification;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionRequest;
import io.dynamostream.subscription.SubscriptionStatus;
import io.dynamostream.subscription.SubscriptionStore.Stored;

/**
 * The typed stores over a raw memory store, inspected directly: nothing is written for a subscription that is
 * unknown or deleted, a delete waits for the writes in progress, and the stored JSON keeps loading across versions.
 */
class StateStoresTest {

    private static final Instant NOW = Instant.parse("2026-03-30T12:00:00Z");
    private static final String SEQ_10 = "100000000000000000010";
    private static final String SEQ_20 = "100000000000000000020";
    private static final String SEQ_30 = "100000000000000000030";
    private static final String SUB = "01JQ8Z0000000000000000SUB1";
    private static final String SECRET = "whsec_" + "A".repeat(44);
    private static final String PREVIOUS_SECRET = "whsec_" + "B".repeat(44);

    private final MemoryStateStore raw = new MemoryStateStore();
    private final StateStores stores = StateStores.over(raw);

    private static Stored stored(String id, SubscriptionStatus status) {
        return new Stored(id, SubscriptionRequest.of("People", "http://receiver.example/stream", "LATEST")
                .withSettings(DeliverySettings.DEFAULTS), Subscription.Source.API, NOW, status, null, false);
    }

    private static DeadLetter deadLetter(String subscriptionId, String id, String body) {
        return new DeadLetter(id, subscriptionId, "shard-1", SEQ_10, SEQ_20, 2, "HTTP 500 after 10 attempts", NOW,
                "msg_" + id, body);
    }

    /** Every kind of write a reader or the delivery makes for a subscription. */
    private void writeEverything(String id) {
        stores.checkpoint(id, "shard-1", SEQ_30);
        stores.inFlight(id, "shard-2", SEQ_20);
        stores.checkpointAndInFlight(id, "shard-3", SEQ_10, SEQ_20);
        stores.finish(id, "shard-4");
        stores.putDeadLetter(deadLetter(id, "01DEADLETTER0000000000000Z", "e30="));
        stores.putNotification(StopNotification.pending(id, "People", "table People was deleted", NOW));
    }

    private void assertNothingStoredFor(String id) {
        assertFalse(raw.subscriptions().containsKey(id), "subscription document");
        assertEquals(Map.of(), raw.checkpoints(id), "checkpoints");
        assertEquals(Map.of(), raw.deadLetters(id), "dead letters");
        assertFalse(raw.notifications().containsKey(id), "stop notification");
    }

    private static ConditionFactory waiting() {
        return await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2));
    }

    // ---- writes for unknown or deleted subscriptions ----

    @Test
    void givenUnknownSubscription_whenItsReaderWrites_thenNothingReachesTheStore() {
        assertFalse(stores.checkpoint("01NEVERSTORED", "shard-1", SEQ_10));
        assertFalse(stores.putDeadLetter(deadLetter("01NEVERSTORED", "01DL", "e30=")));
        writeEverything("01NEVERSTORED");

        assertNothingStoredFor("01NEVERSTORED");
    }

    @Test
    void givenStoredSubscription_whenItsReaderWrites_thenEveryWriteLands() {
        stores.put(stored(SUB, SubscriptionStatus.RUNNING));

        writeEverything(SUB);

        assertEquals(Map.of("shard-1", new Checkpoint(SEQ_30, null, false),
                "shard-2", new Checkpoint(null, SEQ_20, false),
                "shard-3", new Checkpoint(SEQ_10, SEQ_20, false),
                "shard-4", new Checkpoint(null, null, true)), raw.checkpoints(SUB));
        assertEquals(1, raw.deadLetters(SUB).size());
        assertTrue(raw.notifications().containsKey(SUB));
    }

    @Test
    void givenStopNotificationInEachState_whenStoredAndLoaded_thenEveryFieldComesBack() {
        stores.put(stored(SUB, SubscriptionStatus.ERROR));
        StopNotification pending = StopNotification.pending(SUB, "People", "table People was deleted", NOW);
        StopNotification retrying = pending.retrying(NOW.plusSeconds(1), "connection refused", NOW.plusSeconds(3));
        for (StopNotification n : List.of(pending, retrying, retrying.delivered(NOW.plusSeconds(4)),
                retrying.gaveUp(NOW.plusSeconds(5), "HTTP 503"))) {
            assertTrue(stores.putNotification(n));

            assertEquals(List.of(n), stores.notifications((id, reason) -> {
                throw new AssertionError(reason);
            }));
        }
        assertFalse(stores.putNotification(StopNotification.pending("01NEVERSTORED", "People", "x", NOW)),
                "not kept for a subscription that is not stored");
    }

    @Test
    void givenUnreadableNotification_whenLoaded_thenItIsReportedAndTheOthersLoad() {
        raw.putNotification("bad", "{not json");
        raw.putNotification("nostate", "{\"table_name\":\"People\"}");
        stores.put(stored(SUB, SubscriptionStatus.ERROR));
        stores.putNotification(StopNotification.pending(SUB, "People", "gone", NOW));
        Map<String, String> unreadable = new java.util.TreeMap<>();

        List<StopNotification> loaded = stores.notifications(unreadable::put);

        assertEquals(List.of(SUB), loaded.stream().map(StopNotification::subscriptionId).toList());
        assertEquals(Set.of("bad", "nostate"), unreadable.keySet());
    }

    @Test
    void givenSubscriptionAlreadyInTheStoreAtStartup_whenItsReaderWrites_thenTheWritesLand() {
        raw.putSubscription(SUB, Documents.subscription(stored(SUB, SubscriptionStatus.RUNNING)));
        StateStores afterRestart = StateStores.over(raw);

        assertTrue(afterRestart.checkpoint(SUB, "shard-1", SEQ_10), "a checkpoint lost here means re-deliveries");

        assertEquals(SEQ_10, raw.checkpoints(SUB).get("shard-1").sequenceNumber());
    }

    @Test
    void givenDeletedSubscription_whenItsStoppingReaderWritesLate_thenNothingIsLeftBehind() {
        stores.put(stored(SUB, SubscriptionStatus.RUNNING));
        writeEverything(SUB);

        stores.delete(SUB);

        assertNothingStoredFor(SUB);
        assertFalse(stores.checkpoint(SUB, "shard-1", "100000000000000000099"));
        assertFalse(stores.putDeadLetter(deadLetter(SUB, "01DL2", "e30=")));
        writeEverything(SUB);
        assertNothingStoredFor(SUB);
        assertEquals(List.of(), stores.deadLetters(SUB));
        assertEquals(Map.of(), stores.checkpoints(SUB));
    }

    @Test
    void givenDeletedSubscription_whenALatePutArrives_thenItDoesNotComeBack() {
        stores.put(stored(SUB, SubscriptionStatus.RUNNING));
        stores.delete(SUB);

        stores.put(stored(SUB, SubscriptionStatus.ERROR));

        assertNothingStoredFor(SUB);
        assertEquals(List.of(), stores.load((id, reason) -> {
        }));
        assertEquals(List.of(), StateStores.over(raw).load((id, reason) -> {
        }), "not at the next start either");
    }

    @Test
    void givenDeletedSubscription_whenPutTogetherWithOthers_thenOnlyTheOthersAreStoredAndWritable() {
        stores.put(stored(SUB, SubscriptionStatus.RUNNING));
        stores.delete(SUB);

        stores.putAll(List.of(stored("01NEW0000000000000000000A1", SubscriptionStatus.RUNNING),
                stored(SUB, SubscriptionStatus.ERROR), stored("01NEW0000000000000000000A2", SubscriptionStatus.PAUSED)));

        assertNothingStoredFor(SUB);
        assertEquals(List.of("01NEW0000000000000000000A1", "01NEW0000000000000000000A2"),
                StateStores.over(raw).load((id, reason) -> {
                }).stream().map(Stored::id).toList());
        assertTrue(stores.checkpoint("01NEW0000000000000000000A2", "shard-1", SEQ_30), "their writes land");
    }

    @Test
    void givenLatePutAfterDelete_whenTheStoppingReaderWritesNext_thenNothingIsLeftBehind() {
        stores.put(stored(SUB, SubscriptionStatus.RUNNING));
        stores.delete(SUB);
        stores.put(stored(SUB, SubscriptionStatus.ERROR));

        boolean moved = stores.checkpoint(SUB, "shard-1", SEQ_30);
        boolean kept = stores.putDeadLetter(deadLetter(SUB, "01DL3", "e30="));

        assertFalse(moved, "checkpoint of a deleted subscription");
        assertFalse(kept, "dead letter of a deleted subscription");
        assertNothingStoredFor(SUB);
    }

    @Test
    void givenWriteInProgress_whenDeleted_thenTheDeleteWaitsForItAndNothingIsLeftBehind() throws Exception {
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        StateStores blocking = StateStores.over(new DelegatingStore(raw) {
            @Override
            public boolean checkpoint(String subscriptionId, String shardId, String sequenceNumber) {
                writing.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
                return super.checkpoint(subscriptionId, shardId, sequenceNumber);
            }
        });
        blocking.put(stored(SUB, SubscriptionStatus.RUNNING));
        AtomicBoolean moved = new AtomicBoolean();
        AtomicBoolean deleted = new AtomicBoolean();
        Thread writer = Thread.ofVirtual().start(() -> moved.set(blocking.checkpoint(SUB, "shard-1", SEQ_10)));
        waiting().until(() -> writing.getCount() == 0);

        Thread deleter = Thread.ofVirtual().start(() -> {
            blocking.delete(SUB);
            deleted.set(true);
        });
        waiting().until(() -> deleter.getState() == Thread.State.WAITING);

        assertFalse(deleted.get(), "the delete must wait for the write in progress");
        assertTrue(raw.subscriptions().containsKey(SUB));
        release.countDown();
        waiting().untilTrue(deleted);
        writer.join(Duration.ofSeconds(5));
        deleter.join(Duration.ofSeconds(5));
        assertTrue(moved.get(), "the write in progress finished");
        assertEquals(Map.of(), raw.subscriptions());
        assertNothingStoredFor(SUB);
    }

    // ---- dead letters ----

    @Test
    void givenDeadLettersStoredOutOfOrder_whenListed_thenOldestFirstWithTheirExactBodies() {
        stores.put(stored(SUB, SubscriptionStatus.RUNNING));
        DeadLetter newer = deadLetter(SUB, "01JQ8Z00000000000000000002", "eyJSZWNvcmRzIjpbMl19");
        DeadLetter older = deadLetter(SUB, "01JQ8Z00000000000000000001", "eyJSZWNvcmRzIjpbMV19");
        assertTrue(stores.putDeadLetter(newer));
        assertTrue(stores.putDeadLetter(older));

        assertEquals(List.of(older, newer), stores.deadLetters(SUB));
        assertEquals(Optional.of(newer), stores.deadLetter(SUB, newer.id()));
        assertEquals(Optional.empty(), stores.deadLetter(SUB, "01JQ8Z00000000000000000003"));
        assertTrue(stores.deleteDeadLetter(SUB, older.id()));
        assertFalse(stores.deleteDeadLetter(SUB, older.id()));
        assertEquals(List.of(newer), stores.deadLetters(SUB));
    }

    // ---- loading and the document format ----

    @Test
    void givenUnreadableDocuments_whenLoaded_thenEachIsReportedAndTheOthersLoad() {
        stores.put(stored("01GOOD", SubscriptionStatus.PAUSED));
        raw.putSubscription("01BROKEN", "{\"request\":");
        raw.putSubscription("01BADSTATUS", "{\"request\":{\"table_name\":\"People\",\"url\":\"http://r.example/\"},"
                + "\"status\":\"SLEEPING\"}");
        Map<String, String> unreadable = new LinkedHashMap<>();

        List<Stored> loaded = stores.load(unreadable::put);

        assertEquals(List.of(stored("01GOOD", SubscriptionStatus.PAUSED)), loaded);
        assertEquals(Set.of("01BROKEN", "01BADSTATUS"), unreadable.keySet());
        unreadable.values().forEach(reason -> assertFalse(reason == null || reason.isBlank() || reason.equals("null"),
                "a reason the log can show: " + reason));
    }

    /** A subscription document exactly as this version writes it; stores in the field hold documents like it. */
    private static final String TODAYS_DOCUMENT = """
            {"request":{"table_name":"People","url":"https://receiver.example/stream?tenant=7",\
            "starting_position":"TRIM_HORIZON","secret":"%s","previous_secret":"%s",\
            "headers":{"Authorization":"Bearer t0k3n","X-Tenant":"7"},"batch_size":250,\
            "maximum_batching_window_in_seconds":5,"maximum_retry_attempts":-1,\
            "maximum_record_age_in_seconds":3600,"bisect_batch_on_function_error":true,"on_failure":"dead_letter"},\
            "source":"API","created_at":"2026-03-30T12:00:00Z","status":"PAUSED","error":null,"started":true}"""
            .formatted(SECRET, PREVIOUS_SECRET);

    private static Stored todaysSubscription(String id) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", "Bearer t0k3n");
        headers.put("X-Tenant", "7");
        return new Stored(id, new SubscriptionRequest("People", "https://receiver.example/stream?tenant=7",
                "TRIM_HORIZON", SECRET, PREVIOUS_SECRET, headers, IntNode.valueOf(250), IntNode.valueOf(5),
                IntNode.valueOf(-1), IntNode.valueOf(3600), BooleanNode.TRUE, "dead_letter"), Subscription.Source.API,
                NOW, SubscriptionStatus.PAUSED, null, true);
    }

    private Stored loadOnly(String document) {
        raw.putSubscription(SUB, document);
        List<String> unreadable = new ArrayList<>();
        List<Stored> loaded = StateStores.over(raw).load((id, reason) -> unreadable.add(id + ": " + reason));
        assertEquals(List.of(), unreadable);
        assertEquals(1, loaded.size());
        return loaded.get(0);
    }

    @Test
    void givenDocumentInTodaysFormat_whenLoaded_thenEveryFieldComesBack() {
        Stored loaded = loadOnly(TODAYS_DOCUMENT);

        assertEquals(todaysSubscription(SUB), loaded);
        SubscriptionRequest.Valid valid = loaded.request().validate();
        assertEquals(new DeliverySettings(250, Duration.ofSeconds(5), -1, Duration.ofSeconds(3600), true,
                DeliverySettings.OnFailure.DEAD_LETTER), valid.settings());
        assertEquals(2, valid.secrets().size(), "both signing secrets, so a rotation in progress goes on");
        assertEquals(List.of("Authorization", "X-Tenant"), List.copyOf(valid.headers().keySet()));
    }

    @Test
    void givenDocumentWithFieldsThisVersionDoesNotKnow_whenLoaded_thenTheyAreIgnored() {
        String newer = TODAYS_DOCUMENT
                .replace("{\"request\":{", "{\"priority\":7,\"request\":{\"compression\":{\"kind\":\"gzip\"},")
                .replace("\"started\":true}", "\"started\":true,\"labels\":[\"a\",\"b\"]}");

        assertEquals(todaysSubscription(SUB), loadOnly(newer));
    }

    @Test
    void givenDocumentFromBeforeStatusWasStored_whenLoaded_thenItIsRunningAndNotStarted() {
        Stored loaded = loadOnly("{\"request\":{\"table_name\":\"People\",\"url\":\"http://receiver.example/\"},"
                + "\"source\":\"CONFIG_FILE\",\"created_at\":\"2026-03-30T12:00:00Z\"}");

        assertEquals(SubscriptionStatus.RUNNING, loaded.status());
        assertFalse(loaded.started());
        assertEquals(Subscription.Source.CONFIG_FILE, loaded.source());
        assertEquals(NOW, loaded.createdAt());
        assertEquals("People", loaded.request().validate().tableName());
    }

    @Test
    void givenSubscription_whenStored_thenTheDocumentHasTodaysFieldNamesAndLoadsBackEqual() throws Exception {
        stores.put(todaysSubscription(SUB));

        String written = raw.subscriptions().get(SUB);

        ObjectMapper json = new ObjectMapper();
        JsonNode expected = json.readTree(TODAYS_DOCUMENT);
        JsonNode actual = json.readTree(written);
        assertEquals(names(expected), names(actual), written);
        assertEquals(names(expected.get("request")), names(actual.get("request")), written);
        assertEquals(expected, actual, "same values as today's documents, so an older version can read it");
        assertEquals(List.of(todaysSubscription(SUB)), stores.load((id, reason) -> {
        }));
    }

    private static Set<String> names(JsonNode object) {
        Set<String> names = new TreeSet<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** A raw store that forwards everything; tests override the call they want to hold. */
    private static class DelegatingStore implements StateStore {
        private final StateStore delegate;

        DelegatingStore(StateStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public SortedMap<String, String> subscriptions() {
            return delegate.subscriptions();
        }

        @Override
        public void putSubscription(String id, String document) {
            delegate.putSubscription(id, document);
        }

        @Override
        public void deleteSubscription(String id) {
            delegate.deleteSubscription(id);
        }

        @Override
        public Map<String, Checkpoint> checkpoints(String subscriptionId) {
            return delegate.checkpoints(subscriptionId);
        }

        @Override
        public boolean checkpoint(String subscriptionId, String shardId, String sequenceNumber) {
            return delegate.checkpoint(subscriptionId, shardId, sequenceNumber);
        }

        @Override
        public void inFlight(String subscriptionId, String shardId, String lastSequenceNumber) {
            delegate.inFlight(subscriptionId, shardId, lastSequenceNumber);
        }

        @Override
        public void checkpointAndInFlight(String subscriptionId, String shardId, String sequenceNumber,
                String nextLastSequenceNumber) {
            delegate.checkpointAndInFlight(subscriptionId, shardId, sequenceNumber, nextLastSequenceNumber);
        }

        @Override
        public void finish(String subscriptionId, String shardId) {
            delegate.finish(subscriptionId, shardId);
        }

        @Override
        public SortedMap<String, String> deadLetters(String subscriptionId) {
            return delegate.deadLetters(subscriptionId);
        }

        @Override
        public void putDeadLetter(String subscriptionId, String deadLetterId, String document) {
            delegate.putDeadLetter(subscriptionId, deadLetterId, document);
        }

        @Override
        public boolean deleteDeadLetter(String subscriptionId, String deadLetterId) {
            return delegate.deleteDeadLetter(subscriptionId, deadLetterId);
        }

        @Override
        public SortedMap<String, String> notifications() {
            return delegate.notifications();
        }

        @Override
        public void putNotification(String subscriptionId, String document) {
            delegate.putNotification(subscriptionId, document);
        }

        @Override
        public String describe() {
            return delegate.describe();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
