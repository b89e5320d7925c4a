package io.dynamostream.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.dynamostream.guard.DestinationGuard;
import io.dynamostream.guard.FakeResolver;
import io.dynamostream.state.StateStores;
import io.dynamostream.subscription.DeliveryIncident;
import io.dynamostream.subscription.DeliverySettings;
import io.dynamostream.subscription.DeliverySettings.OnFailure;
import io.dynamostream.subscription.MappingOptions;
import io.dynamostream.subscription.StartingPosition;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionStatus;
import io.vertx.core.Vertx;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.OperationType;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.StreamRecord;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * A handler written for AWS Lambda with Powertools' batch utility ({@code processPartialResponse},
 * {@code BatchProcessor(EventType.DynamoDBStreams)}), served over HTTP, behind the real HTTP destination and
 * {@link BatchDelivery}: its partial batch responses move the checkpoint exactly as on Lambda. Backoff waits only move
 * a fake clock.
 */
class PowertoolsPartialBatchTest {

    private static final String ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/Orders/stream/2026-12-01";
    private static PowertoolsHandler handler;

    private final Vertx vertx = Vertx.vertx();
    private final HttpPoster poster = new HttpPoster(vertx, DestinationDeliveryTest.settings(), 10,
            DestinationGuard.withDefaults(new FakeResolver()));
    private final List<String> events = Collections.synchronizedList(new ArrayList<>());
    private final List<DeliveryIncident> incidents = new ArrayList<>();

    @BeforeAll
    static void startHandler() {
        handler = PowertoolsHandler.start();
    }

    @AfterAll
    static void stopHandler() {
        handler.close();
    }

    @AfterEach
    void close() {
        poster.close();
        vertx.close();
    }

    /** An INSERT of item {@code id} with a stream-like sequence number; {@code extra} goes into NewImage. */
    private static Record insert(String sequenceNumber, String id, Map<String, AttributeValue> extra) {
        Map<String, AttributeValue> image = new java.util.HashMap<>(extra);
        image.put("id", AttributeValue.fromS(id));
        return Record.builder().eventID("ev-" + sequenceNumber).eventName(OperationType.INSERT)
                .awsRegion("us-east-1").eventSource("aws:dynamodb").eventVersion("1.1")
                .dynamodb(StreamRecord.builder().sequenceNumber(sequenceNumber)
                        .approximateCreationDateTime(Instant.now()).keys(Map.of("id", AttributeValue.fromS(id)))
                        .newImage(image).sizeBytes(40L).streamViewType(StreamViewType.NEW_IMAGE).build())
                .build();
    }

    private static String seq(int i) {
        return "4100000000" + String.format("%012d", 1000 + i * 7) + "00";
    }

    private BatchDelivery delivery(DeliverySettings settings) {
        Subscription s = new Subscription("01POWERTOOLS", "Orders", handler.url(), StartingPosition.TRIM_HORIZON,
                Subscription.Source.API, Instant.now(), SubscriptionStatus.RUNNING, null, List.of(), Map.of(),
                List.of(), settings.withMapping(new MappingOptions(List.of(), true, Duration.ZERO, 1)), true);
        StateStores stores = StateStores.inMemory();
        Incidents report = new Incidents(incidents::add);
        HttpDestination destination = new HttpDestination(poster, Clock.systemUTC());
        return new BatchDelivery(s, ARN, "shardId-00000001", destination,
                new RetryPolicy(Duration.ofMillis(1), Duration.ofMillis(2), new Random(3)), Clock.systemUTC(),
                (d, keepWaiting) -> keepWaiting.getAsBoolean(),
                new DeadLetters(stores, report, new Destinations(destination), Clock.systemUTC()), report,
                () -> true);
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
            events.add("delivered " + records.size() + " through " + records.get(records.size() - 1).dynamodb()
                    .sequenceNumber());
        }

        @Override
        public void handedOver(String lastSequenceNumber) {
            events.add("handed over through " + lastSequenceNumber);
        }
    };

    @Test
    void givenRecordsThatFailAFewTimes_thenEachRetryStartsAtTheLowestFailureAndTheDonePartIsNeverSentAgain()
            throws Exception {
        Map<String, AttributeValue> twice = Map.of("failTimes", AttributeValue.fromN("2"));
        Map<String, AttributeValue> once = Map.of("failTimes", AttributeValue.fromN("1"));
        List<Record> batch = List.of(insert(seq(1), "a1", Map.of()), insert(seq(2), "a2", Map.of()),
                insert(seq(3), "a3", twice), insert(seq(4), "a4", Map.of()), insert(seq(5), "a5", once),
                insert(seq(6), "a6", Map.of()));

        BatchDelivery.Outcome outcome = delivery(new DeliverySettings(100, Duration.ZERO, 9, null, false,
                OnFailure.STOP)).deliver(batch, listener);

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome, events.toString());
        assertEquals("delivered 2 through " + seq(2), events.get(0));
        assertTrue(events.get(1).startsWith("failed attempt 1/10 failed: HTTP 200 reporting 2 failed records, the "
                + "first at sequence number " + seq(3) + ": 2 records before it acknowledged"), events.toString());
        assertTrue(events.get(2).startsWith("failed attempt 2/10 failed: HTTP 200 reporting 1 failed record, the "
                + "first at sequence number " + seq(3) + " (the first of the batch)"), events.toString());
        assertEquals("delivered 4 through " + seq(6), events.get(3));
        assertEquals(4, events.size(), events.toString());
        List<String> processed = handler.processed();
        assertEquals(1, Collections.frequency(processed, seq(1)), "acknowledged records are not sent again");
        assertEquals(1, Collections.frequency(processed, seq(2)));
        for (Record r : batch) {
            assertTrue(processed.contains(r.dynamodb().sequenceNumber()), "at least once: " + processed);
        }
    }

    @Test
    void givenARecordThatAlwaysFails_whenRetriesAreUsedUp_thenOnlyItAndTheRecordsAfterItAreSkipped()
            throws Exception {
        List<Record> batch = List.of(insert(seq(11), "b1", Map.of()),
                insert(seq(12), "b2", Map.of("fail", AttributeValue.fromS("always"))), insert(seq(13), "b3", Map.of()));

        BatchDelivery.Outcome outcome = delivery(new DeliverySettings(100, Duration.ZERO, 2, null, false,
                OnFailure.SKIP)).deliver(batch, listener);

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome);
        assertEquals("delivered 1 through " + seq(11), events.get(0));
        assertEquals("handed over through " + seq(13), events.get(events.size() - 1));
        assertEquals(1, incidents.size());
        assertEquals(seq(12), incidents.get(0).firstSequenceNumber());
        assertEquals(2, incidents.get(0).records());
    }

    @Test
    void givenEveryRecordFails_thenPowertoolsThrowsAndTheFunctionErrorIsBisected() throws Exception {
        Map<String, AttributeValue> once = Map.of("failTimes", AttributeValue.fromN("1"));
        List<Record> batch = List.of(insert(seq(21), "c1", once), insert(seq(22), "c2", once),
                insert(seq(23), "c3", once), insert(seq(24), "c4", once));

        BatchDelivery.Outcome outcome = delivery(new DeliverySettings(100, Duration.ZERO, 9, null, true,
                OnFailure.STOP)).deliver(batch, listener);

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome);
        assertTrue(events.get(0).startsWith("failed batch of 4 records failed (HTTP 500"), events.toString());
        assertTrue(events.get(0).contains("FullBatchFailureError"), events.toString());
        assertEquals(List.of("delivered 2 through " + seq(22), "delivered 2 through " + seq(24)),
                events.subList(1, events.size()));
    }
}
