package io.dynamostream.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.dynamostream.TestClock;
import io.dynamostream.TestRecords;
import io.dynamostream.metrics.StreamMetrics.AttemptOutcome;
import io.dynamostream.state.StateStores;
import io.dynamostream.state.WindowStore;
import io.dynamostream.subscription.DeliverySettings;
import io.dynamostream.subscription.DeliverySettings.OnFailure;
import io.dynamostream.subscription.MappingOptions;
import io.dynamostream.subscription.StartingPosition;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionRequest;
import io.dynamostream.subscription.SubscriptionStatus;
import io.dynamostream.subscription.SubscriptionStore;
import software.amazon.awssdk.services.dynamodb.model.Record;

/**
 * Tumbling windows ({@code tumbling_window_in_seconds}) as Lambda runs them for a DynamoDB stream: window fields on
 * every invoke, the returned state sent with the next invoke of the window, the final invoke, windows closed by a
 * later record, by time and by the shard's end, early termination over 1 MB, and the state across a restart. A fake
 * clock and a receiver that counts records into its state.
 */
class TumblingWindowTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOON = Instant.parse("2026-12-01T12:00:00Z");
    private static final String ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/People/stream/2026";

    private final TestClock clock = new TestClock(NOON.plusSeconds(30));
    private final StateStores stores = StateStores.inMemory();
    private final List<String> events = new ArrayList<>();
    private boolean running = true;

    /** A receiver aggregating {@code count} in its state; answers from a script first; remembers each event. */
    private final class Counter implements Destination {
        final List<JsonNode> invokes = new ArrayList<>();
        final Deque<Function<JsonNode, Attempt>> script = new ArrayDeque<>();

        @Override
        public Attempt send(Message m) {
            JsonNode event;
            try {
                event = JSON.readTree(m.body());
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
            invokes.add(event);
            return script.isEmpty() ? count(event) : script.poll().apply(event);
        }
    }

    static Destination.Attempt count(JsonNode event) {
        int count = event.path("state").path("count").asInt(0) + event.path("Records").size();
        return answer("{\"state\":{\"count\":\"" + count + "\"}}");
    }

    static Destination.Attempt answer(String body) {
        return new Destination.Attempt.Delivered("HTTP 200", AttemptOutcome.SUCCESS, Duration.ofMillis(2),
                body.getBytes(StandardCharsets.UTF_8));
    }

    private final BatchDelivery.Listener listener = new BatchDelivery.Listener() {
        @Override
        public void attempted(Destination.Attempt attempt) {
        }

        @Override
        public void failed(String message) {
            events.add("failed " + message);
        }

        @Override
        public void delivered(List<Record> records, boolean wholeBatch) {
            events.add("delivered " + records.get(0).dynamodb().sequenceNumber() + ".."
                    + records.get(records.size() - 1).dynamodb().sequenceNumber());
        }

        @Override
        public void handedOver(String lastSequenceNumber) {
            events.add("handed over through " + lastSequenceNumber);
        }
    };

    private Subscription subscription(int retries, boolean reportFailures) {
        DeliverySettings settings = new DeliverySettings(100, Duration.ZERO, retries, null, false, OnFailure.SKIP)
                .withMapping(new MappingOptions(List.of(), reportFailures, Duration.ofSeconds(60), 1));
        Subscription s = new Subscription("01WIN", "People", URI.create("http://127.0.0.1:9/in"),
                StartingPosition.TRIM_HORIZON, Subscription.Source.API, NOON.minusSeconds(3600),
                SubscriptionStatus.RUNNING, null, List.of(), Map.of(), List.of(), settings, true);
        stores.put(new SubscriptionStore.Stored(s.id(), SubscriptionRequest.of("People", s.url().toString(),
                "TRIM_HORIZON"), s.source(), s.createdAt(), SubscriptionStatus.RUNNING, null, true));
        return s;
    }

    private BatchDelivery delivery(Subscription s, Destination destination) {
        Incidents incidents = new Incidents(i -> {
        });
        return new BatchDelivery(s, ARN, "shard-1", destination,
                new RetryPolicy(Duration.ofMillis(100), Duration.ofSeconds(1), new Random(1)), clock,
                (d, keepWaiting) -> {
                    clock.advance(d);
                    return keepWaiting.getAsBoolean();
                }, new DeadLetters(stores, incidents, new Destinations(destination), clock), incidents,
                () -> running, stores);
    }

    /** Records {@code from} to {@code to}, created {@code secondsAfterNoon} after 12:00:00. */
    private static List<Record> at(long from, long to, int secondsAfterNoon) {
        return TestRecords.records(from, to, NOON.plusSeconds(secondsAfterNoon));
    }

    private static List<Record> concat(List<Record> a, List<Record> b) {
        List<Record> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    @Test
    void givenBatchesOfOneWindow_thenEachInvokeHasLambdasWindowFieldsAndTheStateTheLastOneReturned()
            throws Exception {
        Counter receiver = new Counter();
        BatchDelivery delivery = delivery(subscription(3, false), receiver);

        delivery.deliver(at(1, 3, 10), listener);
        delivery.deliver(at(4, 5, 20), listener);

        JsonNode first = receiver.invokes.get(0);
        assertEquals("2026-12-01T12:00:00Z", first.path("window").path("start").asText());
        assertEquals("2026-12-01T12:01:00Z", first.path("window").path("end").asText());
        assertEquals("{}", first.path("state").toString());
        assertEquals("shard-1", first.path("shardId").asText());
        assertEquals(ARN, first.path("eventSourceARN").asText());
        assertFalse(first.path("isFinalInvokeForWindow").asBoolean(true));
        assertFalse(first.path("isWindowTerminatedEarly").asBoolean(true));
        assertEquals(3, first.path("Records").size());
        assertEquals("{\"count\":\"3\"}", receiver.invokes.get(1).path("state").toString());
        assertEquals(List.of("delivered 1..3", "delivered 4..5"), events);
        WindowStore.Window stored = stores.window("01WIN", "shard-1").orElseThrow();
        assertEquals("{\"count\":\"5\"}", stored.state());
        assertEquals("5", stored.through());
        assertFalse(stored.closed());
    }

    @Test
    void givenABatchSpanningTwoWindows_thenItIsSplitAndTheFirstWindowsFinalInvokeComesBetween() throws Exception {
        Counter receiver = new Counter();
        BatchDelivery delivery = delivery(subscription(3, false), receiver);

        delivery.deliver(concat(at(1, 2, 50), at(3, 4, 65)), listener);

        assertEquals(3, receiver.invokes.size());
        JsonNode last = receiver.invokes.get(0);
        JsonNode fin = receiver.invokes.get(1);
        JsonNode next = receiver.invokes.get(2);
        assertEquals(2, last.path("Records").size());
        assertEquals(0, fin.path("Records").size(), "the final invoke carries no records");
        assertTrue(fin.path("isFinalInvokeForWindow").asBoolean());
        assertEquals("{\"count\":\"2\"}", fin.path("state").toString());
        assertEquals("2026-12-01T12:00:00Z", fin.path("window").path("start").asText());
        assertEquals("2026-12-01T12:01:00Z", next.path("window").path("start").asText());
        assertEquals("{}", next.path("state").toString(), "a new window starts with a fresh state");
        assertEquals(List.of("delivered 1..2", "delivered 3..4"), events);
    }

    @Test
    void givenAnAnswerWithoutState_thenTheInvokeFailedAndIsRetriedWithTheSameState() throws Exception {
        Counter receiver = new Counter();
        receiver.script.add(e -> answer("{\"batchItemFailures\":[]}"));
        BatchDelivery delivery = delivery(subscription(3, false), receiver);

        delivery.deliver(at(1, 2, 10), listener);

        assertEquals(List.of("failed attempt 1/4 failed: HTTP 200 without \"state\" (a tumbling window's invoke must "
                + "return one)", "delivered 1..2"), events);
        assertEquals(receiver.invokes.get(0), receiver.invokes.get(1));
    }

    @Test
    void givenTheFinalInvokeFails_thenItIsRetriedUntilItSucceedsWhateverTheRetryLimit() throws Exception {
        Counter receiver = new Counter();
        BatchDelivery delivery = delivery(subscription(0, false), receiver);
        delivery.deliver(at(1, 1, 10), listener);
        for (int i = 0; i < 4; i++) {
            receiver.script.add(e -> new Destination.Attempt.Retryable("HTTP 503", null, AttemptOutcome.SERVER_ERROR,
                    Duration.ofMillis(1)));
        }

        BatchDelivery.Outcome outcome = delivery.deliver(at(2, 2, 70), listener);

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome);
        assertEquals(7, receiver.invokes.size(), "1 + 4 failed finals + the final + the next window's");
        assertTrue(events.get(1).startsWith("failed final invoke of the window 2026-12-01T12:00:00Z to "
                + "2026-12-01T12:01:00Z, attempt 1, failed: HTTP 503"), events.toString());
        assertEquals("delivered 2..2", events.get(events.size() - 1));
    }

    @Test
    void givenAQuietShard_whenTheWindowsTimeIsOver_thenTheFinalInvokeIsSentAndALateRecordGoesToTheNextWindow()
            throws Exception {
        Counter receiver = new Counter();
        BatchDelivery delivery = delivery(subscription(3, false), receiver);
        delivery.deliver(at(1, 2, 10), listener);

        clock.advance(Duration.ofSeconds(32)); // 12:01:02: before the end and its grace
        delivery.closeWindowIfDue(listener);
        assertEquals(1, receiver.invokes.size());
        clock.advance(Duration.ofSeconds(4)); // 12:01:06
        delivery.closeWindowIfDue(listener);
        assertEquals(2, receiver.invokes.size());
        assertTrue(receiver.invokes.get(1).path("isFinalInvokeForWindow").asBoolean());
        assertTrue(stores.window("01WIN", "shard-1").orElseThrow().closed());

        delivery.deliver(at(3, 3, 59), listener); // read after its window closed
        assertEquals("2026-12-01T12:01:00Z", receiver.invokes.get(2).path("window").path("start").asText());
        delivery.closeWindowIfDue(listener);
        assertEquals(3, receiver.invokes.size(), "the new window is not over yet");
    }

    @Test
    void givenAParkedCursor_thenItIsWokenWhenItsWindowIsDueAndNotWithoutAnOpenWindow() throws Exception {
        Counter receiver = new Counter();
        BatchDelivery delivery = delivery(subscription(3, false), receiver);
        java.util.concurrent.atomic.AtomicInteger woken = new java.util.concurrent.atomic.AtomicInteger();

        delivery.wakeWhenWindowDue(woken::incrementAndGet); // nothing open yet
        delivery.deliver(at(1, 1, 10), listener);
        clock.advance(Duration.ofSeconds(40)); // 12:01:10: past the end and its grace
        delivery.wakeWhenWindowDue(woken::incrementAndGet);

        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> woken.get() == 1);
        delivery.closeWindowIfDue(listener);
        delivery.wakeWhenWindowDue(woken::incrementAndGet); // closed: nothing to wake for
        // a wake-up would come after 50 ms: none does
        org.awaitility.Awaitility.await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                .until(() -> woken.get() == 1);
    }

    @Test
    void givenTheShardEnds_thenItsOpenWindowIsClosed() throws Exception {
        Counter receiver = new Counter();
        BatchDelivery delivery = delivery(subscription(3, false), receiver);
        delivery.deliver(at(1, 2, 10), listener);

        delivery.closeWindowAtShardEnd(listener);
        delivery.closeWindowAtShardEnd(listener);

        assertEquals(2, receiver.invokes.size(), "one final invoke");
        assertTrue(receiver.invokes.get(1).path("isFinalInvokeForWindow").asBoolean());
        assertEquals("{\"count\":\"2\"}", receiver.invokes.get(1).path("state").toString());
    }

    @Test
    void givenAStateOver1MB_thenTheWindowIsTerminatedEarlyAndGoesOnWithAFreshState() throws Exception {
        Counter receiver = new Counter();
        receiver.script.add(e -> answer("{\"state\":{\"big\":\"" + "x".repeat(1024 * 1024) + "\"}}"));
        BatchDelivery delivery = delivery(subscription(3, false), receiver);

        delivery.deliver(at(1, 2, 10), listener);
        delivery.deliver(at(3, 3, 20), listener);

        JsonNode early = receiver.invokes.get(1);
        assertTrue(early.path("isFinalInvokeForWindow").asBoolean());
        assertTrue(early.path("isWindowTerminatedEarly").asBoolean());
        assertEquals(1024 * 1024, early.path("state").path("big").asText().length());
        JsonNode after = receiver.invokes.get(2);
        assertEquals("2026-12-01T12:00:00Z", after.path("window").path("start").asText(), "the same window");
        assertEquals("{}", after.path("state").toString(), "with a fresh state");
    }

    @Test
    void givenACrashAfterTheStateWasStoredButBeforeTheCheckpoint_whenRestarted_thenThoseRecordsAreNotCountedTwice()
            throws Exception {
        Subscription s = subscription(3, false);
        Counter before = new Counter();
        delivery(s, before).deliver(at(1, 3, 10), listener);
        // the checkpoint of 1..3 was not stored: after the restart the cursor reads them again

        Counter after = new Counter();
        BatchDelivery restarted = delivery(s, after);
        restarted.deliver(concat(at(1, 3, 10), at(4, 5, 15)), listener);

        assertEquals(1, after.invokes.size());
        JsonNode invoke = after.invokes.get(0);
        assertEquals(2, invoke.path("Records").size(), "only 4 and 5 are sent");
        assertEquals("{\"count\":\"3\"}", invoke.path("state").toString(), "with the state stored before the crash");
        assertEquals(List.of("delivered 1..3", "delivered 1..3", "delivered 4..5"), events);
        restarted.closeWindowAtShardEnd(listener);
        assertEquals("{\"count\":\"5\"}", after.invokes.get(1).path("state").toString(), "each record counted once");
    }

    @Test
    void givenAPartialBatchResponse_thenTheStateCoversTheAcknowledgedRecordsAndTheRestGetsIt() throws Exception {
        Counter receiver = new Counter();
        receiver.script.add(e -> answer("{\"state\":{\"count\":\"2\"},\"batchItemFailures\":[{\"itemIdentifier\":"
                + "\"3\"}]}"));
        BatchDelivery delivery = delivery(subscription(3, true), receiver);

        delivery.deliver(at(1, 4, 10), listener);

        assertEquals("delivered 1..2", events.get(0));
        JsonNode retry = receiver.invokes.get(1);
        assertEquals(2, retry.path("Records").size());
        assertEquals("{\"count\":\"2\"}", retry.path("state").toString());
        assertEquals("delivered 3..4", events.get(events.size() - 1));
        assertEquals("4", stores.window("01WIN", "shard-1").orElseThrow().through());
    }

    @Test
    void givenADestinationThatAnswersNoState_thenTheWindowIsIgnoredAndRecordsGoOutAsUsual() throws Exception {
        List<JsonNode> sent = new ArrayList<>();
        Destination queue = new Destination() {
            @Override
            public Attempt send(Message m) {
                try {
                    sent.add(JSON.readTree(m.body()));
                } catch (java.io.IOException e) {
                    throw new AssertionError(e);
                }
                return new Attempt.Delivered("sent", AttemptOutcome.SUCCESS, Duration.ofMillis(1));
            }

            @Override
            public String type() {
                return "sqs";
            }
        };
        BatchDelivery delivery = delivery(subscription(3, false), queue);

        delivery.deliver(concat(at(1, 1, 10), at(2, 2, 70)), listener);
        delivery.closeWindowAtShardEnd(listener);

        assertEquals(1, sent.size());
        assertFalse(sent.get(0).has("window"));
        assertEquals(List.of("delivered 1..2"), events);
    }

    @Test
    void givenTheSubscriptionStopsDuringTheFinalInvokesRetries_thenStoppedAndTheWindowStaysOpen() throws Exception {
        Counter receiver = new Counter();
        BatchDelivery delivery = delivery(subscription(3, false), receiver);
        delivery.deliver(at(1, 1, 10), listener);
        receiver.script.add(e -> {
            running = false;
            return new Destination.Attempt.Retryable("HTTP 500", null, AttemptOutcome.SERVER_ERROR,
                    Duration.ofMillis(1));
        });

        BatchDelivery.Outcome outcome = delivery.closeWindowAtShardEnd(listener);

        assertInstanceOf(BatchDelivery.Outcome.Stopped.class, outcome);
        assertFalse(stores.window("01WIN", "shard-1").orElseThrow().closed());
    }
}
