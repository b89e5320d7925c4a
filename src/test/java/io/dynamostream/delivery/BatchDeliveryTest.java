package io.dynamostream.delivery;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.Test;

import io.dynamostream.TestClock;
import io.dynamostream.TestRecords;
import io.dynamostream.metrics.StreamMetrics.AttemptOutcome;
import io.dynamostream.state.StateStores;
import io.dynamostream.subscription.DeadLetter;
import io.dynamostream.subscription.DeliveryIncident;
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
 * Every path of {@link BatchDelivery} (retries, backoff, Retry-After, bisection, record age, 410, on_failure) with a
 * scripted destination, a fake clock and a sleeper that only moves that clock: no network and no waiting.
 */
class BatchDeliveryTest {

    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    private static final String ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/People/stream/2026";

    private final TestClock clock = new TestClock(NOW);
    private final List<Duration> waits = new ArrayList<>();
    private final List<DeliveryIncident> incidents = new ArrayList<>();
    private final StateStores stores = StateStores.inMemory();
    private final Recorder listener = new Recorder();
    private boolean running = true;

    /** A destination that answers from a script, then with its default; records every message it got. */
    private static final class ScriptedDestination implements Destination {
        final List<Message> sent = new ArrayList<>();
        final Deque<Attempt> script = new ArrayDeque<>();
        Function<Message, Attempt> otherwise = m -> delivered();

        ScriptedDestination then(Attempt... attempts) {
            script.addAll(List.of(attempts));
            return this;
        }

        @Override
        public Attempt send(Message message) {
            sent.add(message);
            return script.isEmpty() ? otherwise.apply(message) : script.poll();
        }
    }

    /** What the cursor would have learnt. */
    private static final class Recorder implements BatchDelivery.Listener {
        final List<String> events = new ArrayList<>();
        final List<Destination.Attempt> attempts = new ArrayList<>();

        @Override
        public void attempted(Destination.Attempt attempt) {
            attempts.add(attempt);
        }

        @Override
        public void failed(String message) {
            events.add("failed " + message);
        }

        @Override
        public void delivered(List<Record> records, boolean wholeBatch) {
            events.add("delivered " + seqs(records) + (wholeBatch ? " whole" : " part"));
        }

        @Override
        public void handedOver(String lastSequenceNumber) {
            events.add("handed over through " + lastSequenceNumber);
        }

        final Map<io.dynamostream.metrics.StreamMetrics.EventCount, Integer> counts = new java.util.EnumMap<>(
                io.dynamostream.metrics.StreamMetrics.EventCount.class);

        @Override
        public void counted(io.dynamostream.metrics.StreamMetrics.EventCount kind, int records) {
            counts.merge(kind, records, Integer::sum);
        }
    }


    static Destination.Attempt delivered() {
        return new Destination.Attempt.Delivered("HTTP 200", AttemptOutcome.SUCCESS, Duration.ofMillis(3));
    }

    static Destination.Attempt failedWith(int status) {
        return new Destination.Attempt.Retryable("HTTP " + status, null, AttemptOutcome.of(status, false, false),
                Duration.ofMillis(3));
    }

    static Destination.Attempt retryAfter(Duration delay) {
        return new Destination.Attempt.Retryable("HTTP 429", delay, AttemptOutcome.CLIENT_ERROR, Duration.ofMillis(1));
    }

    static Destination.Attempt gone() {
        return HttpDestination.attempt(new HttpPoster.Response(410, "this endpoint was retired",
                AttemptOutcome.CLIENT_ERROR, Duration.ofMillis(1), null));
    }


    private static List<Record> records(long from, long to) {
        return TestRecords.records(from, to, NOW.minusSeconds(5));
    }

    private static String seqs(List<Record> records) {
        return records.get(0).dynamodb().sequenceNumber() + ".." + records.get(records.size() - 1).dynamodb()
                .sequenceNumber();
    }

    private static DeliverySettings settings(int retries, Duration maxAge, boolean bisect, OnFailure onFailure) {
        return new DeliverySettings(100, Duration.ZERO, retries, maxAge, bisect, onFailure);
    }

    private Subscription subscription(DeliverySettings settings) {
        Subscription s = new Subscription("01SUB", "People", URI.create("http://127.0.0.1:9/in?token=secret"),
                StartingPosition.TRIM_HORIZON, Subscription.Source.API, NOW.minusSeconds(3600),
                SubscriptionStatus.RUNNING, null, List.of(), Map.of(), List.of(), settings, true);
        stores.put(new SubscriptionStore.Stored(s.id(), SubscriptionRequest.of("People", s.url().toString(),
                "TRIM_HORIZON"), s.source(), s.createdAt(), SubscriptionStatus.RUNNING, null, true));
        return s;
    }

    private BatchDelivery delivery(Subscription s, Destination destination) {
        Sleeper sleeper = (d, keepWaiting) -> {
            waits.add(d);
            clock.advance(d);
            return keepWaiting.getAsBoolean();
        };
        DeadLetters deadLetters = new DeadLetters(stores, new Incidents(incidents::add), new Destinations(destination),
                clock);
        return new BatchDelivery(s, ARN, "shard-1", destination,
                new RetryPolicy(Duration.ofMillis(200), Duration.ofSeconds(30), new Random(7)), clock, sleeper,
                deadLetters, new Incidents(incidents::add), () -> running);
    }

    @Test
    void givenA2xx_whenDelivering_thenOneAttemptWithTheLambdaBodyAndTheWholeBatchIsAcknowledged() throws Exception {
        ScriptedDestination destination = new ScriptedDestination();
        Subscription s = subscription(settings(9, null, false, OnFailure.STOP));

        BatchDelivery.Outcome outcome = delivery(s, destination).deliver(records(1, 3), listener);

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome);
        assertEquals(1, destination.sent.size());
        Destination.Message m = destination.sent.get(0);
        assertArrayEquals(LambdaPayload.body(records(1, 3), ARN), m.body());
        assertEquals(WebhookSigner.batchId("01SUB", "shard-1", "1", "3"), m.deliveryId());
        assertEquals("shard-1", m.shardId());
        assertEquals(List.of("delivered 1..3 whole"), listener.events);
        assertEquals(1, listener.attempts.size());
        assertTrue(waits.isEmpty());
    }

    private Subscription filtered(String pattern) {
        return subscription(settings(9, null, false, OnFailure.STOP).withMapping(new io.dynamostream.subscription
                .MappingOptions(List.of(pattern), false, Duration.ZERO, 1)));
    }

    /** Issue 11.1: only matching records are sent; the checkpoint still passes the ones filtered out after them. */
    @Test
    void givenAFilter_whenABatchHasRecordsThatDoNotMatch_thenOnlyTheMatchingAreSentAndTheRestAreHandedOver()
            throws Exception {
        ScriptedDestination destination = new ScriptedDestination();
        Subscription s = filtered("{\"dynamodb\":{\"Keys\":{\"id\":{\"S\":[\"k2\",\"k4\"]}}}}");

        BatchDelivery.Outcome outcome = delivery(s, destination).deliver(records(1, 5), listener);

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome);
        assertEquals(1, destination.sent.size());
        assertArrayEquals(LambdaPayload.body(List.of(records(2, 2).get(0), records(4, 4).get(0)), ARN),
                destination.sent.get(0).body());
        assertEquals(List.of("delivered 2..4 whole", "handed over through 5"), listener.events);
        assertEquals(5, listener.counts.get(io.dynamostream.metrics.StreamMetrics.EventCount.POLLED));
        assertEquals(3, listener.counts.get(io.dynamostream.metrics.StreamMetrics.EventCount.FILTERED_OUT));
        assertEquals(2, listener.counts.get(io.dynamostream.metrics.StreamMetrics.EventCount.INVOKED));
    }

    @Test
    void givenAFilter_whenNoRecordOfABatchMatches_thenNothingIsSentAndTheCheckpointPassesThem() throws Exception {
        ScriptedDestination destination = new ScriptedDestination();
        Subscription s = filtered("{\"eventName\":[\"REMOVE\"]}");

        BatchDelivery.Outcome outcome = delivery(s, destination).deliver(records(1, 5), listener);

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome);
        assertEquals(0, destination.sent.size());
        assertEquals(List.of("handed over through 5"), listener.events);
    }

    @Test
    void givenAFilter_whenTheLastRecordMatches_thenNoExtraHandOver() throws Exception {
        ScriptedDestination destination = new ScriptedDestination().then(failedWith(500));
        Subscription s = filtered("{\"dynamodb\":{\"Keys\":{\"id\":{\"S\":[{\"prefix\":\"k3\"}]}}}}");

        BatchDelivery.Outcome outcome = delivery(s, destination).deliver(records(1, 3), listener);

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome);
        assertEquals(2, destination.sent.size(), "a retry sends the same filtered batch");
        assertArrayEquals(destination.sent.get(0).body(), destination.sent.get(1).body());
        assertEquals(List.of("failed attempt 1/10 failed: HTTP 500", "delivered 3..3 whole"), listener.events);
        assertEquals(1, listener.counts.get(io.dynamostream.metrics.StreamMetrics.EventCount.FAILED_INVOKE));
    }

    @Test
    void givenTwoFailures_whenDelivering_thenRetriedWithTheSameBytesAndIdAndGrowingJitteredBackoff() throws Exception {
        ScriptedDestination destination = new ScriptedDestination().then(failedWith(500), failedWith(503));
        Subscription s = subscription(settings(9, null, false, OnFailure.STOP));

        BatchDelivery.Outcome outcome = delivery(s, destination).deliver(records(1, 3), listener);

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome);
        assertEquals(3, destination.sent.size());
        for (Destination.Message m : destination.sent) {
            assertArrayEquals(destination.sent.get(0).body(), m.body());
            assertEquals(destination.sent.get(0).deliveryId(), m.deliveryId());
        }
        assertEquals(List.of("failed attempt 1/10 failed: HTTP 500", "failed attempt 2/10 failed: HTTP 503",
                "delivered 1..3 whole"), listener.events);
        // equal jitter: after attempt n wait between half and all of min(30 s, 200 ms * 2^(n-1))
        assertEquals(2, waits.size());
        assertBetween(waits.get(0), 100, 200);
        assertBetween(waits.get(1), 200, 400);
    }

    /** Issue 10 C: the README promises each failed attempt as a WARN with the status and the attempt number. */
    @Test
    void givenFailures_whenRetrying_thenEachFailedAttemptIsAWarnWithItsNumberStatusAndWait() throws Exception {
        ScriptedDestination destination = new ScriptedDestination().then(failedWith(500), failedWith(503));
        Subscription s = subscription(settings(9, null, false, OnFailure.STOP));

        List<String> warnings = warningsWhile(() -> delivery(s, destination).deliver(records(1, 3), listener));

        assertEquals(2, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).matches("Subscription 01SUB, shard shard-1: attempt 1/10 to \\S+ failed: HTTP 500; "
                + "retrying in " + waits.get(0).toMillis() + " ms"), warnings.get(0));
        assertTrue(warnings.get(1).matches("Subscription 01SUB, shard shard-1: attempt 2/10 to \\S+ failed: HTTP 503; "
                + "retrying in " + waits.get(1).toMillis() + " ms"), warnings.get(1));
        assertTrue(warnings.stream().noneMatch(w -> w.contains("token=secret")), warnings.toString());
    }

    @Test
    void givenRetriesForever_whenRetrying_thenTheWarnShowsTheNumberWithoutALimit() throws Exception {
        ScriptedDestination destination = new ScriptedDestination().then(failedWith(502), failedWith(502),
                failedWith(502));
        Subscription s = subscription(settings(-1, null, false, OnFailure.STOP));

        List<String> warnings = warningsWhile(() -> delivery(s, destination).deliver(records(1, 3), listener));

        assertEquals(3, warnings.size(), warnings.toString());
        assertTrue(warnings.get(2).matches("Subscription 01SUB, shard shard-1: attempt 3 to \\S+ failed: HTTP 502; "
                + "retrying in \\d+ ms"), warnings.get(2));
    }

    @Test
    void givenBisect_whenABatchFails_thenTheWarnSaysItIsSplitAndWhichAttemptFailed() throws Exception {
        ScriptedDestination destination = new ScriptedDestination().then(failedWith(500));
        Subscription s = subscription(settings(9, null, true, OnFailure.STOP));

        List<String> warnings = warningsWhile(() -> delivery(s, destination).deliver(records(1, 4), listener));

        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).matches("Subscription 01SUB, shard shard-1: attempt 1/10 to \\S+ failed: "
                + "HTTP 500; splitting the batch of 4 records in two \\(a split is not counted as a retry\\); "
                + "retrying in \\d+ ms"), warnings.get(0));
    }

    private interface Delivering {
        BatchDelivery.Outcome run() throws Exception;
    }

    /** The WARN lines of BatchDelivery's logger while {@code delivering} runs, formatted as an operator reads them. */
    private static List<String> warningsWhile(Delivering delivering) throws Exception {
        Logger logger = Logger.getLogger(BatchDelivery.class.getName());
        List<String> lines = new ArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() == Level.WARNING.intValue()) { // JBoss LogManager's WARN too
                    lines.add(record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(handler);
        try {
            delivering.run();
        } finally {
            logger.removeHandler(handler);
        }
        return lines;
    }

    @Test
    void givenRetriesUsedUp_whenOnFailureStop_thenFailedNamingTheAttemptsAndTheRange() throws Exception {
        ScriptedDestination destination = new ScriptedDestination();
        destination.otherwise = m -> failedWith(500);
        Subscription s = subscription(settings(2, null, false, OnFailure.STOP));

        BatchDelivery.Outcome outcome = delivery(s, destination).deliver(records(10, 12), listener);

        BatchDelivery.Outcome.Failed failed = assertFailed(outcome);
        assertEquals("delivery to http://127.0.0.1:9/in?token=*** failed after 3 attempts; last: HTTP 500 (shard "
                + "shard-1, sequence numbers 10 to 12, 3 records)", failed.message());
        assertEquals(3, destination.sent.size());
        assertEquals(2, waits.size(), "no wait after the last attempt");
        assertTrue(incidents.isEmpty());
    }

    @Test
    void givenRetriesUsedUp_whenOnFailureSkip_thenReportedHandedOverAndDone() throws Exception {
        ScriptedDestination destination = new ScriptedDestination();
        destination.otherwise = m -> failedWith(400);
        Subscription s = subscription(settings(0, null, false, OnFailure.SKIP));

        BatchDelivery.Outcome outcome = delivery(s, destination).deliver(records(10, 12), listener);

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome);
        assertEquals(1, destination.sent.size());
        assertEquals(List.of("failed attempt 1/1 failed: HTTP 400", "handed over through 12"), listener.events);
        assertEquals(1, incidents.size());
        DeliveryIncident incident = incidents.get(0);
        assertEquals(DeliveryIncident.Kind.SKIPPED, incident.kind());
        assertEquals("10", incident.firstSequenceNumber());
        assertEquals("12", incident.lastSequenceNumber());
        assertEquals(3, incident.records());
    }

    @Test
    void givenRetriesUsedUp_whenOnFailureDeadLetter_thenTheExactBodyIsKeptWithItsIdAndReported() throws Exception {
        ScriptedDestination destination = new ScriptedDestination();
        destination.otherwise = m -> failedWith(500);
        Subscription s = subscription(settings(1, null, false, OnFailure.DEAD_LETTER));

        BatchDelivery.Outcome outcome = delivery(s, destination).deliver(records(10, 11), listener);

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome);
        List<DeadLetter> letters = stores.deadLetters("01SUB");
        assertEquals(1, letters.size());
        DeadLetter letter = letters.get(0);
        assertArrayEquals(destination.sent.get(0).body(), Base64.getDecoder().decode(letter.body()));
        assertEquals(destination.sent.get(0).deliveryId(), letter.webhookId());
        assertEquals("10", letter.firstSequenceNumber());
        assertEquals("11", letter.lastSequenceNumber());
        assertEquals(2, letter.records());
        assertEquals(NOW.plus(waits.get(0)), letter.failedAt());
        assertEquals(DeliveryIncident.Kind.DEAD_LETTER, incidents.get(0).kind());
        assertEquals("handed over through 11", listener.events.get(listener.events.size() - 1));
    }

    @Test
    void givenRetryAfterLongerThanTheBackoff_whenRetrying_thenItIsWaitedAndCappedAtFifteenMinutes() throws Exception {
        ScriptedDestination destination = new ScriptedDestination().then(retryAfter(Duration.ofSeconds(120)),
                retryAfter(Duration.ofHours(2)), retryAfter(Duration.ZERO));
        Subscription s = subscription(settings(9, null, false, OnFailure.STOP));

        delivery(s, destination).deliver(records(1, 1), listener);

        assertEquals(Duration.ofSeconds(120), waits.get(0));
        assertEquals(BatchDelivery.MAX_RETRY_AFTER, waits.get(1));
        assertBetween(waits.get(2), 400, 800); // Retry-After 0 is less than the backoff: the backoff wins
        assertEquals(4, destination.sent.size());
    }

    @Test
    void given410Gone_whenDelivering_thenFailedAtOnceWhateverOnFailureSays() throws Exception {
        ScriptedDestination destination = new ScriptedDestination().then(gone());
        Subscription s = subscription(settings(-1, null, true, OnFailure.DEAD_LETTER));

        BatchDelivery.Outcome outcome = delivery(s, destination).deliver(records(1, 4), listener);

        assertEquals("receiver answered 410 Gone: HTTP 410 this endpoint was retired", assertFailed(outcome).message());
        assertEquals(1, destination.sent.size());
        assertTrue(waits.isEmpty());
        assertTrue(stores.deadLetters("01SUB").isEmpty());
    }

    @Test
    void givenAPoisonRecord_whenBisecting_thenTheOthersAreDeliveredInOrderAndOnlyItIsGivenUp() throws Exception {
        ScriptedDestination destination = new ScriptedDestination();
        String poison = "\"SequenceNumber\":\"3\"";
        destination.otherwise = m -> new String(m.body(), StandardCharsets.UTF_8).contains(poison) ? failedWith(500)
                : delivered();
        Subscription s = subscription(settings(1, null, true, OnFailure.SKIP));

        BatchDelivery.Outcome outcome = delivery(s, destination).deliver(records(1, 4), listener);

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome);
        List<String> deliveredOrHanded = listener.events.stream().filter(e -> !e.startsWith("failed")).toList();
        assertEquals(List.of("delivered 1..2 part", "delivered 4..4 part"),
                deliveredOrHanded.stream().filter(e -> e.startsWith("delivered")).toList());
        assertTrue(deliveredOrHanded.contains("handed over through 3"), listener.events.toString());
        // order: 1..2, then 3 given up, then 4
        assertTrue(deliveredOrHanded.indexOf("handed over through 3")
                < deliveredOrHanded.indexOf("delivered 4..4 part"));
        // the single poison record used its two attempts; the splits did not count as attempts
        long poisonAttempts = destination.sent.stream()
                .filter(m -> m.records().size() == 1 && m.records().get(0).dynamodb().sequenceNumber().equals("3"))
                .count();
        assertEquals(2, poisonAttempts);
        assertEquals(List.of("3"), incidents.stream().map(DeliveryIncident::firstSequenceNumber).toList());
        // each half is its own batch: its own body and delivery id
        assertEquals(WebhookSigner.batchId("01SUB", "shard-1", "1", "2"), destination.sent.get(1).deliveryId());
    }

    @Test
    void givenRecordsOlderThanTheMaximumAge_whenDelivering_thenTheyAreGivenUpAndTheRestDelivered() throws Exception {
        ScriptedDestination destination = new ScriptedDestination();
        Subscription s = subscription(settings(9, Duration.ofSeconds(60), false, OnFailure.SKIP));
        List<Record> batch = List.of(TestRecords.record(1, NOW.minusSeconds(600)), TestRecords.record(2, NOW.minusSeconds(61)),
                TestRecords.record(3, NOW.minusSeconds(59)), TestRecords.record(4, NOW));

        BatchDelivery.Outcome outcome = delivery(s, destination).deliver(batch, listener);

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome);
        assertEquals(List.of("handed over through 2", "delivered 3..4 part"), listener.events);
        assertTrue(incidents.get(0).message().contains("older than maximum_record_age_in_seconds (60 s)"),
                incidents.get(0).message());
        assertEquals(1, destination.sent.size());
        assertEquals(2, destination.sent.get(0).records().size());
    }

    @Test
    void givenRetriesForeverAndAnAgeLimit_whenTheReceiverKeepsFailing_thenRetriedUntilTheRecordsAreTooOld()
            throws Exception {
        ScriptedDestination destination = new ScriptedDestination();
        destination.otherwise = m -> failedWith(503);
        Subscription s = subscription(settings(-1, Duration.ofSeconds(300), false, OnFailure.STOP));

        BatchDelivery.Outcome outcome = delivery(s, destination).deliver(records(1, 2), listener);

        assertTrue(assertFailed(outcome).message().startsWith("records older than maximum_record_age_in_seconds "
                + "(300 s)"), assertFailed(outcome).message());
        assertTrue(destination.sent.size() > 5, "retried: " + destination.sent.size());
        assertTrue(listener.events.stream().anyMatch(e -> e.equals("failed attempt 3 failed: HTTP 503")),
                "no limit shown when retrying forever: " + listener.events);
        // the waits never exceed max-backoff
        assertTrue(waits.stream().allMatch(w -> w.compareTo(Duration.ofSeconds(30)) <= 0), waits.toString());
    }

    @Test
    void givenTheSubscriptionStopsDuringTheBackoff_whenRetrying_thenStoppedWithoutAnotherAttempt() throws Exception {
        ScriptedDestination destination = new ScriptedDestination();
        destination.otherwise = m -> failedWith(500);
        Subscription s = subscription(settings(9, null, false, OnFailure.STOP));
        BatchDelivery delivery = new BatchDelivery(s, ARN, "shard-1", destination,
                new RetryPolicy(Duration.ofMillis(200), Duration.ofSeconds(30), new Random(7)), clock,
                (d, keepWaiting) -> {
                    running = false; // paused while waiting
                    return keepWaiting.getAsBoolean();
                }, null, new Incidents(incidents::add), () -> running);

        BatchDelivery.Outcome outcome = delivery.deliver(records(1, 2), listener);

        assertInstanceOf(BatchDelivery.Outcome.Stopped.class, outcome);
        assertEquals(1, destination.sent.size());
    }

    @Test
    void givenAnAttemptThatFailsWhileStopping_whenDelivering_thenStoppedNotRetriedNorGivenUp() throws Exception {
        ScriptedDestination destination = new ScriptedDestination();
        destination.otherwise = m -> {
            running = false; // SIGTERM arrived during the attempt
            return failedWith(500);
        };
        Subscription s = subscription(settings(0, null, false, OnFailure.DEAD_LETTER));

        BatchDelivery.Outcome outcome = delivery(s, destination).deliver(records(1, 2), listener);

        assertInstanceOf(BatchDelivery.Outcome.Stopped.class, outcome);
        assertTrue(stores.deadLetters("01SUB").isEmpty(), "not given up: it is sent again after the restart");
        assertTrue(waits.isEmpty());
    }

    @Test
    void givenANotRunningSubscription_whenDelivering_thenNothingIsSent() throws Exception {
        ScriptedDestination destination = new ScriptedDestination();
        running = false;

        BatchDelivery.Outcome outcome = delivery(subscription(settings(9, null, false, OnFailure.STOP)), destination)
                .deliver(records(1, 2), listener);

        assertInstanceOf(BatchDelivery.Outcome.Stopped.class, outcome);
        assertTrue(destination.sent.isEmpty());
    }

    @Test
    void givenAPermanentHalf_whenBisecting_thenFailedWithoutDeliveringTheSecondHalf() throws Exception {
        ScriptedDestination destination = new ScriptedDestination().then(failedWith(500), gone());
        Subscription s = subscription(settings(9, null, true, OnFailure.SKIP));

        BatchDelivery.Outcome outcome = delivery(s, destination).deliver(records(1, 4), listener);

        assertInstanceOf(BatchDelivery.Outcome.Failed.class, outcome);
        assertEquals(2, destination.sent.size());
        assertTrue(listener.events.stream().noneMatch(e -> e.startsWith("delivered")), listener.events.toString());
    }

    // ---- partial batch responses (function_response_types: [ReportBatchItemFailures])

    /** A 2xx whose body is this text. */
    static Destination.Attempt answered(String body) {
        return new Destination.Attempt.Delivered("HTTP 200", AttemptOutcome.SUCCESS, Duration.ofMillis(3),
                body.getBytes(StandardCharsets.UTF_8));
    }

    /** A 2xx reporting these sequence numbers as failed. */
    static Destination.Attempt failedItems(String... sequenceNumbers) {
        StringBuilder b = new StringBuilder("{\"batchItemFailures\":[");
        for (int i = 0; i < sequenceNumbers.length; i++) {
            b.append(i == 0 ? "" : ",").append("{\"itemIdentifier\":\"").append(sequenceNumbers[i]).append("\"}");
        }
        return answered(b.append("]}").toString());
    }

    private static DeliverySettings reporting(int retries, Duration maxAge, boolean bisect, OnFailure onFailure) {
        return settings(retries, maxAge, bisect, onFailure)
                .withMapping(new MappingOptions(List.of(), true, Duration.ZERO, 1));
    }

    @Test
    void givenAPartialFailure_thenTheRecordsBeforeItAreCheckpointedAtOnceAndTheRestIsRetriedAsAnAttempt()
            throws Exception {
        ScriptedDestination destination = new ScriptedDestination().then(failedItems("4", "3"));
        Subscription s = subscription(reporting(9, null, false, OnFailure.STOP));

        BatchDelivery.Outcome outcome = delivery(s, destination).deliver(records(1, 5), listener);

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome);
        assertEquals(List.of("delivered 1..2 part", "failed attempt 1/10 failed: HTTP 200 reporting 2 failed records, "
                + "the first at sequence number 3: 2 records before it acknowledged, the 3 from it retried",
                "delivered 3..5 part"), listener.events);
        assertEquals(2, destination.sent.size());
        Destination.Message retry = destination.sent.get(1);
        assertArrayEquals(LambdaPayload.body(records(3, 5), ARN), retry.body(), "only the rest is sent again");
        assertEquals(WebhookSigner.batchId("01SUB", "shard-1", "3", "5"), retry.deliveryId());
        assertEquals(1, waits.size());
        assertBetween(waits.get(0), 100, 200);
    }

    @Test
    void givenTheSettingIsOff_thenTheBodyOfA2xxIsIgnored() throws Exception {
        ScriptedDestination destination = new ScriptedDestination().then(failedItems("3"));
        Subscription s = subscription(settings(9, null, false, OnFailure.STOP));

        delivery(s, destination).deliver(records(1, 5), listener);

        assertEquals(List.of("delivered 1..5 whole"), listener.events);
        assertEquals(1, destination.sent.size());
    }

    @Test
    void givenAFullSuccessAnswer_thenTheWholeBatchIsAcknowledgedInOneAttempt() throws Exception {
        ScriptedDestination destination = new ScriptedDestination().then(answered("{\"batchItemFailures\":[]}"));
        Subscription s = subscription(reporting(9, null, false, OnFailure.STOP));

        delivery(s, destination).deliver(records(1, 5), listener);

        assertEquals(List.of("delivered 1..5 whole"), listener.events);
    }

    @Test
    void givenTheFirstRecordReported_thenNothingIsAcknowledgedAndTheSameBatchIsRetriedWithTheSameBytes()
            throws Exception {
        ScriptedDestination destination = new ScriptedDestination().then(failedItems("1"));
        Subscription s = subscription(reporting(9, null, false, OnFailure.STOP));

        delivery(s, destination).deliver(records(1, 3), listener);

        assertEquals(List.of("failed attempt 1/10 failed: HTTP 200 reporting 1 failed record, the first at sequence "
                + "number 1 (the first of the batch): nothing acknowledged, the batch retried", "delivered 1..3 whole"),
                listener.events);
        assertArrayEquals(destination.sent.get(0).body(), destination.sent.get(1).body());
        assertEquals(destination.sent.get(0).deliveryId(), destination.sent.get(1).deliveryId());
    }

    @Test
    void givenAnAnswerThatFailsTheWholeBatch_thenItIsAFailedAttemptNamingWhatTheReceiverSent() throws Exception {
        ScriptedDestination destination = new ScriptedDestination().then(answered("OK"),
                answered("{\"batchItemFailures\":[{\"itemIdentifier\":\"\"}]}"),
                answered("{\"batchItemFailures\":[{\"itemIdentifier\":\"77\"}]}"));
        Subscription s = subscription(reporting(9, null, false, OnFailure.STOP));

        delivery(s, destination).deliver(records(1, 3), listener);

        assertEquals(List.of(
                "failed attempt 1/10 failed: HTTP 200 but its batchItemFailures fail the whole batch: the response "
                        + "body is not JSON (\"OK\")",
                "failed attempt 2/10 failed: HTTP 200 but its batchItemFailures fail the whole batch: "
                        + "batchItemFailures[0].itemIdentifier is empty",
                "failed attempt 3/10 failed: HTTP 200 but its batchItemFailures fail the whole batch: "
                        + "batchItemFailures[0].itemIdentifier \"77\" is not the sequence number of a record of this "
                        + "batch",
                "delivered 1..3 whole"), listener.events);
        assertEquals(4, destination.sent.size());
    }

    @Test
    void givenTheRestKeepsFailing_whenRetriesAreUsedUp_thenOnlyTheRestIsDeadLetteredAfterCountedAttempts()
            throws Exception {
        ScriptedDestination destination = new ScriptedDestination();
        destination.otherwise = m -> failedItems("3"); // record 3 never succeeds
        Subscription s = subscription(reporting(2, null, false, OnFailure.DEAD_LETTER));

        BatchDelivery.Outcome outcome = delivery(s, destination).deliver(records(1, 5), listener);

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome);
        assertEquals(3, destination.sent.size(), "maximum_retry_attempts 2: three attempts in all");
        assertEquals("delivered 1..2 part", listener.events.get(0));
        assertTrue(listener.events.get(1).startsWith("failed attempt 1/3 failed"), listener.events.toString());
        assertTrue(listener.events.get(3).startsWith("failed attempt 3/3 failed"), listener.events.toString());
        assertEquals("handed over through 5", listener.events.get(4));
        List<DeadLetter> letters = stores.deadLetters("01SUB");
        assertEquals(1, letters.size());
        assertEquals("3", letters.get(0).firstSequenceNumber());
        assertEquals("5", letters.get(0).lastSequenceNumber());
        assertArrayEquals(LambdaPayload.body(records(3, 5), ARN),
                Base64.getDecoder().decode(letters.get(0).body()));
    }

    @Test
    void givenTheRestKeepsFailing_whenOnFailureStop_thenFailedNamingTheRestAndWhatTheReceiverReported()
            throws Exception {
        ScriptedDestination destination = new ScriptedDestination();
        destination.otherwise = m -> failedItems("4");
        Subscription s = subscription(reporting(0, null, false, OnFailure.STOP));

        BatchDelivery.Outcome outcome = delivery(s, destination).deliver(records(1, 5), listener);

        String message = assertFailed(outcome).message();
        assertTrue(message.contains("failed after 1 attempts; last: HTTP 200 reporting 1 failed record, the first at "
                + "sequence number 4"), message);
        assertTrue(message.contains("sequence numbers 4 to 5, 2 records"), message);
        assertEquals("delivered 1..3 part", listener.events.get(0));
    }

    @Test
    void givenTheRestGrowsTooOldWhileRetried_thenItIsGivenUpByAgeAndTheAcknowledgedPartStaysDone()
            throws Exception {
        ScriptedDestination destination = new ScriptedDestination();
        destination.otherwise = m -> {
            clock.advance(Duration.ofSeconds(40)); // a slow receiver
            return failedItems(m.records().get(m.records().size() - 1).dynamodb().sequenceNumber());
        };
        Subscription s = subscription(reporting(-1, Duration.ofSeconds(60), false, OnFailure.SKIP));

        BatchDelivery.Outcome outcome = delivery(s, destination).deliver(records(1, 4), listener);

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome);
        assertEquals("delivered 1..3 part", listener.events.get(0));
        assertEquals("handed over through 4", listener.events.get(listener.events.size() - 1));
        assertEquals(2, destination.sent.size(), "record 4 was sent once more, then too old");
        assertEquals(DeliveryIncident.Kind.SKIPPED, incidents.get(0).kind());
        assertEquals("4", incidents.get(0).firstSequenceNumber());
    }

    @Test
    void givenBisect_whenAPartialFailure_thenTheBatchIsSplitAtTheFailedRecordNotHalved() throws Exception {
        ScriptedDestination destination = new ScriptedDestination().then(failedItems("2"));
        Subscription s = subscription(reporting(9, null, true, OnFailure.STOP));

        delivery(s, destination).deliver(records(1, 8), listener);

        assertEquals("delivered 1..1 part", listener.events.get(0));
        assertEquals("delivered 2..8 part", listener.events.get(2));
        assertEquals(List.of(records(1, 8).size(), 7), destination.sent.stream().map(m -> m.records().size()).toList());
    }

    @Test
    void givenBisect_whenTheAnswerFailsTheWholeBatch_thenTheBatchIsHalvedLikeAnyFailedInvoke() throws Exception {
        ScriptedDestination destination = new ScriptedDestination().then(answered("[]"));
        Subscription s = subscription(reporting(9, null, true, OnFailure.STOP));

        delivery(s, destination).deliver(records(1, 4), listener);

        assertEquals(List.of(4, 2, 2), destination.sent.stream().map(m -> m.records().size()).toList());
        assertEquals(List.of("failed batch of 4 records failed (HTTP 200 but its batchItemFailures fail the whole "
                + "batch: the response is a JSON array, not an object with batchItemFailures); splitting it in two",
                "delivered 1..2 part", "delivered 3..4 part"), listener.events);
    }

    private static BatchDelivery.Outcome.Failed assertFailed(BatchDelivery.Outcome outcome) {
        return assertInstanceOf(BatchDelivery.Outcome.Failed.class, outcome);
    }

    private static void assertBetween(Duration d, long minMillis, long maxMillis) {
        assertTrue(d.toMillis() >= minMillis && d.toMillis() <= maxMillis, d + " not in [" + minMillis + ", "
                + maxMillis + "] ms");
    }
}
