package io.dynamostream.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.dynamostream.AwsLocal;
import io.dynamostream.subscription.Subscription;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.StreamRecord;

/**
 * The same Powertools batch handler as {@link PowertoolsPartialBatchTest}, run as a Lambda function by
 * serverless-offline and registered by its ARN: the function's response payload carries the partial batch response
 * through the Lambda destination, and the checkpoint moves as on Lambda.
 */
class PowertoolsLambdaTest {

    private static final String FUNCTION =
            "arn:aws:lambda:us-east-1:123456789012:function:dynamo-stream-test-dev-partialBatch";
    private static AwsLocal offline;
    private final AwsDestinations aws = new AwsDestinations(name -> null, java.time.Duration.ofSeconds(30));

    @BeforeAll
    static void start() {
        offline = AwsLocal.serverlessOffline();
    }

    @AfterAll
    static void stop() {
        offline.close();
    }

    @AfterEach
    void close() {
        aws.close();
    }

    private static Record record(long sequence, boolean alwaysFails) {
        Map<String, AttributeValue> image = alwaysFails
                ? Map.of("id", AttributeValue.fromS("k" + sequence), "fail", AttributeValue.fromS("always"))
                : Map.of("id", AttributeValue.fromS("k" + sequence));
        return Record.builder().eventID("lambda-" + sequence).eventName("INSERT").eventSource("aws:dynamodb")
                .dynamodb(StreamRecord.builder().sequenceNumber(Long.toString(sequence))
                        .approximateCreationDateTime(Instant.now()).keys(Map.of("id", AttributeValue.fromS("k"
                                + sequence))).newImage(image).build())
                .build();
    }

    @Test
    void givenAFunctionReportingOneFailedRecord_thenTheRecordsBeforeItAreDoneAndOnlyTheRestIsGivenUp()
            throws Exception {
        Subscription s = AwsDestinations.subscription("{\"table_name\": \"People\", \"url\": \"" + FUNCTION
                + "\", \"endpoint_url\": \"" + offline.endpoint() + "\", \"maximum_retry_attempts\": 1, "
                + "\"on_failure\": \"skip\", \"function_response_types\": [\"ReportBatchItemFailures\"]}");
        AwsDestinations.Listener listener = new AwsDestinations.Listener();

        BatchDelivery.Outcome outcome = aws.delivery(s).deliver(List.of(record(11, false), record(12, false),
                record(13, true), record(14, false)), listener);

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome, () -> listener.failures + "\n"
                + offline.output());
        assertEquals(List.of("11", "12"), listener.delivered.get(0).stream()
                .map(r -> r.dynamodb().sequenceNumber()).toList());
        assertTrue(listener.failures.get(0).contains("reporting 1 failed record, the first at sequence number 13"),
                listener.failures.toString());
        assertEquals(List.of("14"), listener.handedOver);
        assertEquals("13", aws.incidents.get(0).firstSequenceNumber());
    }
}
