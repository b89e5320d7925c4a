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

import io.dynamostream.AwsLocal;
import io.dynamostream.TestRecords;
import io.dynamostream.subscription.Subscription;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.StreamRecord;

/**
 * The Lambda destination against a real local runtime: serverless-offline (npm) running {@code lambda/handler.js},
 * which answers with the records it got and fails on a record whose {@code NewImage.fail} is {@code "error"}; a batch
 * given up goes to an SQS on-failure destination (ElasticMQ) as Lambda's invocation record.
 */
class LambdaRuntimeTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:dynamo-stream-test-dev-records";
    private static AwsLocal offline;
    private static ElasticMq sqs;
    private final AwsDestinations aws = new AwsDestinations(
            AwsDestinations.env("AWS_ENDPOINT_URL_SQS", sqs.endpoint().toString())::get, java.time.Duration.ofSeconds(20));

    @BeforeAll
    static void start() {
        offline = AwsLocal.serverlessOffline();
        sqs = new ElasticMq();
    }

    @AfterAll
    static void stop() {
        offline.close();
        sqs.close();
    }

    @AfterEach
    void close() {
        aws.close();
    }

    private static Record record(long sequence, boolean fail) {
        return Record.builder().eventID("ev-" + sequence).eventName("INSERT").dynamodb(StreamRecord.builder()
                .sequenceNumber(Long.toString(sequence)).approximateCreationDateTime(Instant.parse("2026-12-01T10:00:00Z"))
                .keys(Map.of("id", AttributeValue.fromS("k" + sequence)))
                .newImage(fail ? Map.of("id", AttributeValue.fromS("k" + sequence), "fail", AttributeValue.fromS("error"))
                        : Map.of("id", AttributeValue.fromS("k" + sequence)))
                .build()).build();
    }

    @Test
    void givenTheHandlerSucceeds_whenABatchIsDelivered_thenItGotLambdasEventAndItsAnswerIsKept() throws Exception {
        Subscription s = AwsDestinations.subscription("{\"table_name\": \"People\", \"url\": \"" + FUNCTION
                + "\", \"endpoint_url\": \"" + offline.endpoint() + "\"}");
        List<Record> records = TestRecords.records(1, 3, Instant.parse("2026-12-01T10:00:00Z"));

        Destination.Attempt attempt = aws.destinations.of(s).send(AwsDestinations.batch(s, records));

        Destination.Attempt.Delivered delivered = assertInstanceOf(Destination.Attempt.Delivered.class, attempt,
                () -> attempt.describe() + "\n" + offline.output());
        JsonNode answer = JSON.readTree(new String(delivered.response(), StandardCharsets.UTF_8));
        assertEquals(3, answer.get("received").asInt());
        assertEquals("[\"e1\",\"e2\",\"e3\"]", answer.get("eventIds").toString());
    }

    @Test
    void givenAPoisonRecord_whenDeliveredWithBisect_thenTheOthersReachTheHandlerAndItGoesToTheOnFailureQueue()
            throws Exception {
        String failures = sqs.create("failed-batches");
        Subscription s = AwsDestinations.subscription("{\"table_name\": \"People\", \"url\": \"" + FUNCTION
                + "\", \"endpoint_url\": \"" + offline.endpoint() + "\", \"maximum_retry_attempts\": 1, "
                + "\"bisect_batch_on_function_error\": true, "
                + "\"destination_config\": {\"on_failure\": {\"destination\": \"" + failures + "\"}}}");
        List<Record> records = List.of(record(1, false), record(2, false), record(3, true), record(4, false));
        AwsDestinations.Listener listener = new AwsDestinations.Listener();

        BatchDelivery.Outcome outcome = aws.delivery(s).deliver(records, listener);

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome, () -> outcome + "\n" + listener.failures);
        List<String> delivered = new ArrayList<>();
        listener.delivered.forEach(batch -> batch.forEach(r -> delivered.add(r.eventID())));
        assertEquals(List.of("ev-1", "ev-2", "ev-4"), delivered);
        assertTrue(listener.failures.stream().anyMatch(f -> f.contains("function error (Unhandled)")
                && f.contains("record asked to fail")), listener.failures.toString());

        var messages = sqs.drain("failed-batches");
        assertEquals(1, messages.size());
        JsonNode invocation = JSON.readTree(messages.get(0).body());
        assertEquals(FUNCTION, invocation.at("/requestContext/functionArn").asText());
        assertEquals("RetryAttemptsExhausted", invocation.at("/requestContext/condition").asText());
        assertEquals(2, invocation.at("/requestContext/approximateInvokeCount").asInt());
        assertEquals("Unhandled", invocation.at("/responseContext/functionError").asText());
        assertEquals("1.0", invocation.get("version").asText());
        JsonNode batch = invocation.get("DDBStreamBatchInfo");
        assertEquals("shardId-0001", batch.get("shardId").asText());
        assertEquals("3", batch.get("startSequenceNumber").asText());
        assertEquals("3", batch.get("endSequenceNumber").asText());
        assertEquals(1, batch.get("batchSize").asInt());
        assertEquals("2026-12-01T10:00:00Z", batch.get("approximateArrivalOfFirstRecord").asText());
        assertEquals(AwsDestinations.STREAM_ARN, batch.get("streamArn").asText());
    }

    @Test
    void givenAFunctionTheRuntimeDoesNotKnow_whenDelivering_thenTheBatchIsRefusedForGood() throws Exception {
        Subscription s = AwsDestinations.subscription("{\"table_name\": \"People\", \"url\": "
                + "\"arn:aws:lambda:us-east-1:123456789012:function:nope\", \"endpoint_url\": \"" + offline.endpoint()
                + "\"}");

        BatchDelivery.Outcome outcome = aws.delivery(s).deliver(TestRecords.records(1, 1, Instant.now()),
                new AwsDestinations.Listener());

        BatchDelivery.Outcome.Failed failed = assertInstanceOf(BatchDelivery.Outcome.Failed.class, outcome);
        assertTrue(failed.message().contains("HTTP 404 ResourceNotFoundException"), failed.message());
        assertTrue(aws.waits.isEmpty(), "not retried");
    }
}
