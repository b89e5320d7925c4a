package io.dynamostream.subscription;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.dynamostream.subscription.DestinationOptions.MessageFormat;

/**
 * A subscription's destination as the API and the YAML file take it: the ARNs of Lambda, SQS, SNS, Kinesis and
 * EventBridge in {@code url}, {@code endpoint_url}, {@code message_format} and Lambda's on-failure destination, each
 * wrong value refused with a message naming the field.
 */
class DestinationRequestTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static SubscriptionRequest.Valid valid(String json) throws Exception {
        return JSON.readValue(json, SubscriptionRequest.class).validate();
    }

    /** The field errors of a request that must be refused, as "field: message" lines. */
    private static List<String> errors(String json) throws Exception {
        SubscriptionRequest request = JSON.readValue(json, SubscriptionRequest.class);
        InvalidSubscriptionException e = assertThrows(InvalidSubscriptionException.class, request::validate);
        return e.errors().stream().flatMap(f -> f.messages().stream().map(m -> f.field() + ": " + m)).toList();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "arn:aws:lambda:us-east-1:123456789012:function:people-handler",
        "arn:aws:lambda:eu-west-3:123456789012:function:people-handler:live",
        "arn:aws:lambda:us-east-1:123456789012:function:people-handler:$LATEST",
        "arn:aws:lambda:us-east-1:123456789012:function:people-handler:42",
        "arn:aws:sqs:us-east-1:123456789012:orders",
        "arn:aws:sqs:us-east-1:123456789012:orders.fifo",
        "arn:aws:sns:ap-southeast-2:123456789012:changes",
        "arn:aws:sns:us-east-1:123456789012:changes.fifo",
        "arn:aws:kinesis:us-east-1:123456789012:stream/people-changes",
        "arn:aws:events:us-east-1:123456789012:event-bus/default",
        "arn:aws-cn:sqs:cn-north-1:123456789012:orders"})
    void givenTheArnOfADestination_whenValidated_thenItIsTheUrl(String arn) throws Exception {
        SubscriptionRequest.Valid v = valid("{\"table_name\": \"People\", \"url\": \"" + arn + "\"}");

        assertEquals(URI.create(arn), v.url());
        assertEquals(DestinationOptions.NONE, v.settings().destination());
        assertEquals(v, v.toRequest().validate(), "stored and loaded back unchanged");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "arn:aws:s3:::my-bucket|names service 's3', which is not a destination",
        "arn:aws:sqs:us-east-1:1234:orders|must name the 12-digit account id",
        "arn:aws:sqs:useast1:123456789012:orders|must name a region, e.g. us-east-1",
        "arn:aws:sqs:us-east-1:123456789012:bad/name|must end in the queue name",
        "arn:aws:lambda:us-east-1:123456789012:people|must end in function:<name>",
        "arn:aws:lambda:us-east-1:123456789012:function:f:$PREVIOUS|has qualifier '$previous'",
        "arn:aws:kinesis:us-east-1:123456789012:people|must end in stream/<name>",
        "arn:aws:events:us-east-1:123456789012:rule/r|must end in event-bus/<name>",
        "arn:aws:sqs|is not a valid ARN",
        "ftp://example.com/x|must be an absolute http or https URL, or the ARN of a Lambda function"})
    void givenAnArnThatIsNoDestination_whenValidated_thenA400NamesUrlAndSaysWhatIsWrong(String url, String problem)
            throws Exception {
        List<String> errors = errors("{\"table_name\": \"People\", \"url\": \"" + url + "\"}");

        assertEquals(1, errors.size(), errors.toString());
        assertTrue(errors.get(0).startsWith("url: ") && errors.get(0).contains(problem), errors.get(0));
    }

    @Test
    void givenEndpointAndFormat_whenValidated_thenKeptAndStoredBackUnchanged() throws Exception {
        SubscriptionRequest.Valid v = valid("{\"table_name\": \"People\", \"url\": \"arn:aws:sqs:us-east-1:"
                + "123456789012:orders\", \"endpoint_url\": \"http://localhost:9324\", \"message_format\": \"BATCH\"}");

        assertEquals(new DestinationOptions(URI.create("http://localhost:9324"), MessageFormat.BATCH, null),
                v.settings().destination());
        assertEquals(v, v.toRequest().validate());
    }

    @Test
    void givenEndpointOrFormatWhereTheyMeanNothing_whenValidated_thenEachIsRefusedNamingItsField() throws Exception {
        assertEquals(List.of("endpoint_url: is only for an ARN url (an HTTP url is its own endpoint)",
                "message_format: is only for the ARN of an SQS queue, SNS topic, Kinesis stream or EventBridge "
                        + "event bus (an HTTP url gets the whole batch)"),
                errors("{\"table_name\": \"People\", \"url\": \"http://localhost:9000/x\", \"endpoint_url\": "
                        + "\"http://localhost:9324\", \"message_format\": \"record\"}"));
        assertEquals(List.of("message_format: is only for queues, topics, streams and event buses: a Lambda "
                + "function is always invoked with the whole batch"), errors("{\"table_name\": \"People\", \"url\": "
                + "\"arn:aws:lambda:us-east-1:123456789012:function:f\", \"message_format\": \"batch\"}"));
        assertEquals(List.of("message_format: must be record or batch"), errors("{\"table_name\": \"People\", "
                + "\"url\": \"arn:aws:sqs:us-east-1:123456789012:q\", \"message_format\": \"lines\"}"));
        assertEquals(List.of("endpoint_url: must be an absolute http or https URL"), errors("{\"table_name\": "
                + "\"People\", \"url\": \"arn:aws:sqs:us-east-1:123456789012:q\", \"endpoint_url\": \"localhost:9324\"}"));
    }

    @Test
    void givenAnOnFailureDestination_whenValidated_thenItIsKeptAndOnFailureDefaultsToSkipAsInLambda()
            throws Exception {
        SubscriptionRequest.Valid v = valid("{\"table_name\": \"People\", \"url\": \"arn:aws:lambda:us-east-1:"
                + "123456789012:function:f\", \"destination_config\": {\"on_failure\": {\"destination\": "
                + "\"arn:aws:sqs:us-east-1:123456789012:failed\"}}}");

        assertEquals(URI.create("arn:aws:sqs:us-east-1:123456789012:failed"), v.settings().destination().onFailure());
        assertEquals(DeliverySettings.OnFailure.SKIP, v.settings().onFailure());
        assertEquals(v, v.toRequest().validate());
    }

    @Test
    void givenLambdasOwnNames_whenValidated_thenTheSame() throws Exception {
        SubscriptionRequest.Valid v = valid("{\"table_name\": \"People\", \"url\": \"http://localhost:9000/x\", "
                + "\"DestinationConfig\": {\"OnFailure\": {\"Destination\": \"https://hooks.example.com/failed\"}}, "
                + "\"on_failure\": \"dead_letter\"}");

        assertEquals(URI.create("https://hooks.example.com/failed"), v.settings().destination().onFailure());
        assertEquals(DeliverySettings.OnFailure.DEAD_LETTER, v.settings().onFailure(), "an explicit on_failure wins");
    }

    @Test
    void givenAWrongOnFailureDestination_whenValidated_thenTheErrorNamesTheNestedFieldAsTheRequestSpelledIt()
            throws Exception {
        assertEquals(List.of("DestinationConfig.OnFailure.Destination: names service 's3', which is not a "
                + "destination: use the ARN of a Lambda function (lambda), SQS queue (sqs), SNS topic (sns), Kinesis "
                + "stream (kinesis) or EventBridge event bus (events)"), errors("{\"table_name\": \"People\", \"url\": "
                + "\"http://localhost:9000/x\", \"DestinationConfig\": {\"OnFailure\": {\"Destination\": "
                + "\"arn:aws:s3:::bucket\"}}}"));
        assertEquals(List.of("destination_config.on_failure: unknown field 'url' (allowed: destination)"),
                errors("{\"table_name\": \"People\", \"url\": \"http://localhost:9000/x\", \"destination_config\": "
                        + "{\"on_failure\": {\"url\": \"http://x\"}}}"));
        assertEquals(List.of("destination_config: unknown field 'on_success' (allowed: on_failure)"),
                errors("{\"table_name\": \"People\", \"url\": \"http://localhost:9000/x\", \"destination_config\": "
                        + "{\"on_success\": {\"destination\": \"http://x\"}}}"));
        assertEquals(List.of("destination_config.on_failure.destination: is required"),
                errors("{\"table_name\": \"People\", \"url\": \"http://localhost:9000/x\", \"destination_config\": "
                        + "{\"on_failure\": {}}}"));
    }

    @Test
    void givenTheYamlFile_whenAnEntryHasAnAwsDestination_thenItIsReadWithEnvironmentVariablesExpanded()
            throws Exception {
        Path file = Files.writeString(dir.resolve("subscriptions.yaml"), """
                entries:
                  - table_name: Orders
                    url: arn:aws:sqs:us-east-1:123456789012:orders.fifo
                    endpoint_url: ${SQS_ENDPOINT}
                    message_format: record
                    DestinationConfig:
                      OnFailure:
                        Destination: ${FAILED_URL}
                """);

        List<SubscriptionRequest.Valid> entries = SubscriptionFile.read(file, Map.of("SQS_ENDPOINT",
                "http://localhost:9324", "FAILED_URL", "https://hooks.example.com/failed")::get);

        assertEquals(new DestinationOptions(URI.create("http://localhost:9324"), MessageFormat.RECORD,
                URI.create("https://hooks.example.com/failed")), entries.get(0).settings().destination());
    }

    @Test
    void givenTheYamlFile_whenAnArnIsWrong_thenOneLineNamesTheFileTheLineAndTheField() throws Exception {
        Path file = Files.writeString(dir.resolve("subscriptions.yaml"), """
                entries:
                  - table_name: People
                    url: http://localhost:9000/x
                  - table_name: Orders
                    url: arn:aws:sqs:us-east-1:123456789012:orders
                    destination_config:
                      on_failure:
                        destination: arn:aws:dynamodb:us-east-1:123456789012:table/x
                """);

        SubscriptionFile.InvalidFileException e = assertThrows(SubscriptionFile.InvalidFileException.class,
                () -> SubscriptionFile.read(file, name -> null));

        assertEquals(4, e.line());
        assertTrue(e.getMessage().startsWith("Subscription file " + file.toAbsolutePath() + ", line 4: entry 2 is "
                + "invalid: destination_config.on_failure.destination: names service 'dynamodb'"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line");
    }

    @Test
    void givenAnHttpSubscription_whenStored_thenTheNewFieldsAreAbsent() throws Exception {
        SubscriptionRequest stored = valid("{\"table_name\": \"People\", \"url\": \"http://localhost:9000/x\"}")
                .toRequest();

        assertNull(stored.endpointUrl());
        assertNull(stored.messageFormat());
        assertNull(stored.destinationConfig());
        assertTrue(!JSON.writeValueAsString(stored).contains("endpoint_url"));
    }
}
