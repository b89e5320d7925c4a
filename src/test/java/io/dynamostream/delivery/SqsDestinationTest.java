package io.dynamostream.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.dynamostream.TestRecords;
import io.dynamostream.subscription.DeliveryIncident;
import io.dynamostream.subscription.Subscription;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.StreamRecord;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/** The SQS destination against a real SQS server (ElasticMQ): standard and FIFO queues, both message formats. */
class SqsDestinationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static ElasticMq sqs;
    private final AwsDestinations aws = new AwsDestinations();

    @BeforeAll
    static void start() {
        sqs = new ElasticMq();
    }

    @AfterAll
    static void stop() {
        sqs.close();
    }

    @AfterEach
    void close() {
        aws.close();
    }

    private static Subscription subscription(String arn, String more) {
        return AwsDestinations.subscription("{\"table_name\": \"People\", \"url\": \"" + arn + "\", \"endpoint_url\": \""
                + sqs.endpoint() + "\"" + more + "}");
    }

    private static Record record(long sequence, String key, String eventId) {
        return Record.builder().eventID(eventId).eventName("MODIFY").awsRegion("us-east-1")
                .dynamodb(StreamRecord.builder().sequenceNumber(Long.toString(sequence))
                        .approximateCreationDateTime(Instant.parse("2026-12-01T10:00:00Z"))
                        .keys(Map.of("pk", AttributeValue.fromS(key), "sk", AttributeValue.fromN("1")))
                        .newImage(Map.of("pk", AttributeValue.fromS(key), "v", AttributeValue.fromN(
                                Long.toString(sequence))))
                        .sizeBytes(20L).build())
                .build();
    }

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    @Test
    void givenAStandardQueue_whenABatchIsDelivered_thenEachRecordIsOneMessageWithItsJsonAndEventIdAsWebhookId()
            throws Exception {
        String arn = sqs.create("people-standard");
        Subscription s = subscription(arn, "");
        List<Record> records = List.of(record(101, "a", "ev-1"), record(102, "b", "ev-2"), record(103, "a", "ev-3"));
        AwsDestinations.Listener listener = new AwsDestinations.Listener();

        BatchDelivery.Outcome outcome = aws.delivery(s).deliver(records, listener);

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome);
        List<Message> messages = sqs.drain("people-standard");
        assertEquals(3, messages.size());
        JsonNode batch = json(new String(LambdaPayload.body(records, AwsDestinations.STREAM_ARN),
                StandardCharsets.UTF_8)).get("Records");
        List<String> ids = new ArrayList<>();
        for (Message m : messages) {
            JsonNode body = json(m.body());
            String id = body.get("eventID").asText();
            ids.add(id);
            int i = Integer.parseInt(id.substring(3)) - 1;
            assertEquals(batch.get(i), body, "the record's JSON, as in Lambda's batch");
            assertEquals(id, m.messageAttributes().get("webhook-id").stringValue());
        }
        assertEquals(List.of("ev-1", "ev-2", "ev-3"), ids.stream().sorted().toList());
    }

    @Test
    void givenAFifoQueue_whenDeliveredTwice_thenOrderPerItemHoldsGroupIsTheKeysAndTheRepeatIsDeDuplicated()
            throws Exception {
        String arn = sqs.create("people.fifo");
        Subscription s = subscription(arn, "");
        List<Record> records = List.of(record(201, "a", "ev-a1"), record(202, "b", "ev-b1"), record(203, "a", "ev-a2"),
                record(204, "a", "ev-a3"));
        Destination destination = aws.destinations.of(s);

        assertTrue(destination.send(AwsDestinations.batch(s, records)).isSuccess());
        // the same batch again, as after a restart: SQS drops the repeats by MessageDeduplicationId = eventID
        assertTrue(aws.destinations.of(s).send(AwsDestinations.batch(s, records)).isSuccess());

        List<Message> messages = sqs.drain("people.fifo");
        List<String> itemA = new ArrayList<>();
        for (Message m : messages) {
            String group = m.attributes().get(MessageSystemAttributeName.MESSAGE_GROUP_ID);
            String id = json(m.body()).get("eventID").asText();
            assertEquals(id, m.attributes().get(MessageSystemAttributeName.MESSAGE_DEDUPLICATION_ID));
            if (id.startsWith("ev-a")) {
                assertEquals("{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"1\"}}", group, "the item's canonical Keys");
                itemA.add(id);
            }
        }
        assertEquals(4, messages.size(), "each record once");
        assertEquals(List.of("ev-a1", "ev-a2", "ev-a3"), itemA, "stream order per item");
    }

    @Test
    void givenKeysOverTheGroupIdLimit_whenDelivered_thenTheGroupIsTheirHashAndStaysTheSameForTheItem() throws Exception {
        String arn = sqs.create("long-keys.fifo");
        Subscription s = subscription(arn, "");
        String longKey = "k".repeat(200);

        assertTrue(aws.destinations.of(s).send(AwsDestinations.batch(s, List.of(record(301, longKey, "ev-1"),
                record(302, longKey, "ev-2")))).isSuccess());

        List<Message> messages = sqs.drain("long-keys.fifo");
        assertEquals(2, messages.size());
        String group = messages.get(0).attributes().get(MessageSystemAttributeName.MESSAGE_GROUP_ID);
        assertTrue(group.matches("[0-9a-f]{64}"), group);
        assertEquals(group, messages.get(1).attributes().get(MessageSystemAttributeName.MESSAGE_GROUP_ID));
    }

    @Test
    void givenMessageFormatBatch_whenDelivered_thenOneMessageHoldsLambdasWholeBody() {
        String arn = sqs.create("people-batches");
        Subscription s = subscription(arn, ", \"message_format\": \"batch\"");
        List<Record> records = TestRecords.records(1, 5, Instant.parse("2026-12-01T10:00:00Z"));
        Destination.Message m = AwsDestinations.batch(s, records);

        assertTrue(aws.destinations.of(s).send(m).isSuccess());

        List<Message> messages = sqs.drain("people-batches");
        assertEquals(1, messages.size());
        assertEquals(new String(m.body(), StandardCharsets.UTF_8), messages.get(0).body());
        assertEquals(m.deliveryId(), messages.get(0).messageAttributes().get("webhook-id").stringValue());
    }

    @Test
    void givenARecordOverSqssLimit_whenDelivered_thenItAloneGoesToOnFailureNamingTheLimitAndTheOthersArrive()
            throws Exception {
        String arn = sqs.create("people-oversized");
        Subscription s = subscription(arn, ", \"on_failure\": \"skip\"");
        Record huge = Record.builder().eventID("ev-huge").eventName("INSERT").dynamodb(StreamRecord.builder()
                .sequenceNumber("402").approximateCreationDateTime(Instant.now())
                .keys(Map.of("pk", AttributeValue.fromS("h")))
                .newImage(Map.of("blob", AttributeValue.fromS("x".repeat(1024 * 1024)))).build()).build();
        List<Record> records = List.of(record(401, "a", "ev-1"), huge, record(403, "b", "ev-3"),
                record(404, "c", "ev-4"));
        AwsDestinations.Listener listener = new AwsDestinations.Listener();

        BatchDelivery.Outcome outcome = aws.delivery(s).deliver(records, listener);

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome);
        assertEquals(List.of("ev-1", "ev-3", "ev-4"), sqs.drain("people-oversized").stream()
                .map(m -> m.body().replaceAll(".*\"eventID\":\"([^\"]+)\".*", "$1")).sorted().toList());
        assertEquals(1, aws.incidents.size());
        DeliveryIncident skipped = aws.incidents.get(0);
        assertEquals(DeliveryIncident.Kind.SKIPPED, skipped.kind());
        assertEquals(1, skipped.records());
        assertEquals("402", skipped.firstSequenceNumber());
        assertTrue(skipped.message().contains("SQS's limit of 1 MiB (1048576 bytes) per message"), skipped.message());
    }

    @Test
    void givenAQueueThatDoesNotExist_whenDelivering_thenTheSubscriptionEndsInErrorWithSqssText() throws Exception {
        Subscription s = subscription("arn:aws:sqs:us-east-1:123456789012:no-such-queue", "");

        BatchDelivery.Outcome outcome = aws.delivery(s).deliver(TestRecords.records(1, 2, Instant.now()),
                new AwsDestinations.Listener());

        BatchDelivery.Outcome.Failed failed = assertInstanceOf(BatchDelivery.Outcome.Failed.class, outcome);
        assertTrue(failed.message().contains("SQS queue no-such-queue"), failed.message());
        assertTrue(failed.message().contains("NonExistentQueue") || failed.message().contains("QueueDoesNotExist"),
                failed.message());
        assertTrue(aws.waits.isEmpty(), "not retried: " + aws.waits);
    }
}
