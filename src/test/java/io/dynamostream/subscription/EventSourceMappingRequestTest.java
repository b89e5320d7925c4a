package io.dynamostream.subscription;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A subscription given as Lambda gives an event-source mapping: CreateEventSourceMapping's field names, filters,
 * response types, windows and parallel batches; the errors and warnings a user sees.
 */
class EventSourceMappingRequestTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STREAM = "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/stream/"
            + "2024-05-01T10:00:00.000";

    private static SubscriptionRequest.Valid valid(String json) throws Exception {
        return SubscriptionRequest.fromJson((ObjectNode) JSON.readTree(json)).validate();
    }

    private static List<FieldError> errors(String json) {
        InvalidSubscriptionException e = assertThrows(InvalidSubscriptionException.class, () -> valid(json));
        return e.errors();
    }

    private static FieldError only(String json) {
        List<FieldError> errors = errors(json);
        assertEquals(1, errors.size(), errors.toString());
        return errors.get(0);
    }

    @Test
    void givenTheBodyOfACreateEventSourceMappingCall_whenValidated_thenEverySettingIsTaken() throws Exception {
        SubscriptionRequest.Valid v = valid("""
                {"EventSourceArn": "%s", "FunctionName": "order-handler", "BatchSize": 25,
                 "MaximumBatchingWindowInSeconds": 2, "StartingPosition": "TRIM_HORIZON",
                 "MaximumRetryAttempts": 3, "MaximumRecordAgeInSeconds": 3600, "BisectBatchOnFunctionError": true,
                 "ParallelizationFactor": 4, "FunctionResponseTypes": ["ReportBatchItemFailures"],
                 "FilterCriteria": {"Filters": [{"Pattern": "{\\"eventName\\": [\\"INSERT\\"]}"}]},
                 "DestinationConfig": {"OnFailure": {"Destination": "arn:aws:sqs:eu-west-1:123456789012:failed"}},
                 "Enabled": true}
                """.formatted(STREAM));

        assertEquals("Orders", v.tableName());
        assertEquals(URI.create("arn:aws:lambda:eu-west-1:123456789012:function:order-handler"), v.url(),
                "a function name takes the stream's region and account");
        assertEquals(StartingPosition.TRIM_HORIZON, v.startingPosition());
        DeliverySettings s = v.settings();
        assertEquals(25, s.batchSize());
        assertEquals(Duration.ofSeconds(2), s.batchingWindow());
        assertEquals(3, s.maximumRetryAttempts());
        assertEquals(Duration.ofHours(1), s.maximumRecordAge());
        assertTrue(s.bisectOnError());
        assertEquals(DeliverySettings.OnFailure.SKIP, s.onFailure(), "an on-failure destination: Lambda goes on");
        assertEquals(URI.create("arn:aws:sqs:eu-west-1:123456789012:failed"), s.destination().onFailure());
        assertEquals(new MappingOptions(List.of("{\"eventName\":[\"INSERT\"]}"), true, Duration.ZERO, 4),
                s.mapping());
        assertEquals(List.of(), v.warnings());
    }

    @Test
    void givenMappingOptions_whenStoredAndReadBack_thenTheSame() throws Exception {
        SubscriptionRequest.Valid v = valid("""
                {"table_name": "Orders", "url": "http://localhost:9/x", "tumbling_window_in_seconds": 60,
                 "function_response_types": ["ReportBatchItemFailures"],
                 "filter_criteria": {"filters": [{"pattern": {"eventName": ["MODIFY"]}},
                                                 {"pattern": "{\\"dynamodb\\": {\\"Keys\\": {\\"id\\": {\\"S\\": [{\\"prefix\\": \\"a\\"}]}}}}"}]}}
                """);
        assertEquals(v, v.toRequest().validate());
        String stored = JSON.writeValueAsString(v.toRequest());
        assertEquals(v, SubscriptionRequest.fromJson((ObjectNode) JSON.readTree(stored)).validate());
        assertEquals(2, v.settings().mapping().filterPatterns().size());
        assertEquals(Duration.ofSeconds(60), v.settings().mapping().tumblingWindow());
    }

    @Test
    void givenDefaults_whenStored_thenNoMappingFieldIsWritten() throws Exception {
        String stored = JSON.writeValueAsString(valid("{\"table_name\": \"Orders\", \"url\": \"http://h/x\"}")
                .toRequest());
        for (String field : List.of("filter_criteria", "function_response_types", "tumbling_window_in_seconds",
                "parallelization_factor", "enabled", "given")) {
            assertFalse(stored.contains(field), field + " in " + stored);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "order-handler | arn:aws:lambda:eu-west-1:123456789012:function:order-handler",
        "order-handler:live | arn:aws:lambda:eu-west-1:123456789012:function:order-handler:live",
        "210987654321:function:other | arn:aws:lambda:eu-west-1:210987654321:function:other",
        "arn:aws:lambda:us-west-2:210987654321:function:other:7 | arn:aws:lambda:us-west-2:210987654321:function:other:7"
    })
    void givenEachFormOfFunctionName_whenValidated_thenTheFunctionsArn(String name, String arn) throws Exception {
        assertEquals(URI.create(arn), valid("{\"EventSourceArn\": \"" + STREAM + "\", \"FunctionName\": \"" + name
                + "\"}").url());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "has space", "arn:aws:lambda:us-east-1:function:no-account", "a/b"})
    void givenAnInvalidFunctionName_whenValidated_then400NamingFunctionName(String name) {
        FieldError e = only("{\"table_name\": \"Orders\", \"FunctionName\": \"" + name + "\"}");
        assertEquals("FunctionName", e.field());
        assertTrue(e.messages().get(0).contains("must name a Lambda function"), e.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"arn:aws:sqs:us-east-1:123456789012:q", "Orders", "arn:aws:dynamodb:us-east-1:1:table/x"})
    void givenAnEventSourceArnThatIsNoStream_whenValidated_then400NamingIt(String arn) {
        FieldError e = only("{\"EventSourceArn\": \"" + arn + "\", \"url\": \"http://h/x\"}");
        assertEquals("EventSourceArn", e.field());
        assertTrue(e.messages().get(0).contains("ARN of a DynamoDB stream"), e.toString());
    }

    @Test
    void givenAWrongValueUnderLambdasName_whenValidated_thenTheErrorNamesItAsGiven() {
        List<FieldError> errors = errors("""
                {"EventSourceArn": "%s", "url": "http://h/x", "BatchSize": 0, "ParallelizationFactor": 11,
                 "TumblingWindowInSeconds": "60", "FunctionResponseTypes": ["ReportBatchItemFailure"]}
                """.formatted(STREAM));
        assertEquals(List.of("BatchSize", "FunctionResponseTypes", "TumblingWindowInSeconds",
                "ParallelizationFactor"), errors.stream().map(FieldError::field).toList());
        assertTrue(errors.get(0).messages().get(0).contains("from 1 to 10000"));
        assertTrue(errors.get(1).messages().get(0).contains("'ReportBatchItemFailure' is not one"));
        assertTrue(errors.get(2).messages().get(0).contains("not a string"));
        assertTrue(errors.get(3).messages().get(0).contains("from 1 to 10"));
    }

    @Test
    void givenAFieldInBothSpellings_whenValidated_then400() {
        FieldError e = only("{\"table_name\": \"Orders\", \"url\": \"http://h/x\", \"batch_size\": 5, "
                + "\"BatchSize\": 6}");
        assertEquals("BatchSize", e.field());
        assertTrue(e.messages().get(0).contains("batch_size again"), e.toString());
        assertEquals("EventSourceArn", only("{\"table_name\": \"Orders\", \"EventSourceArn\": \"" + STREAM
                + "\", \"url\": \"http://h/x\"}").field());
        assertEquals("FunctionName", only("{\"table_name\": \"Orders\", \"FunctionName\": \"f\", "
                + "\"url\": \"http://h/x\"}").field());
    }

    @Test
    void givenUnknownAndForeignFields_whenValidated_thenEachNamedWithWhatIsAllowed() {
        List<FieldError> errors = errors("{\"table_name\": \"Orders\", \"url\": \"http://h/x\", \"Queues\": [\"q\"], "
                + "\"batchsize\": 5}");
        assertEquals(List.of("Queues", "batchsize"), errors.stream().map(FieldError::field).toList());
        assertTrue(errors.get(0).messages().get(0).contains("other event sources"));
        assertTrue(errors.get(1).messages().get(0).contains("allowed: table_name, url"));
        assertTrue(errors.get(1).messages().get(0).contains("BatchSize"));
    }

    @Test
    void givenAwsOnlyFields_whenValidated_thenAcceptedWithAWarning() throws Exception {
        SubscriptionRequest.Valid v = valid("{\"table_name\": \"Orders\", \"url\": \"http://h/x\", "
                + "\"Tags\": {\"team\": \"a\"}, \"MetricsConfig\": {\"Metrics\": [\"EventCount\"]}}");
        assertEquals(2, v.warnings().size(), v.warnings().toString());
        assertTrue(v.warnings().stream().allMatch(w -> w.contains("is ignored")));
    }

    @Test
    void givenEnabledFalse_whenRead_thenDisabled() throws Exception {
        SubscriptionRequest r = SubscriptionRequest.fromJson((ObjectNode) JSON.readTree(
                "{\"table_name\": \"Orders\", \"url\": \"http://h/x\", \"Enabled\": false}"));
        assertTrue(r.disabled());
        assertFalse(SubscriptionRequest.fromJson((ObjectNode) JSON.readTree(
                "{\"table_name\": \"Orders\", \"url\": \"http://h/x\", \"enabled\": true}")).disabled());
        assertEquals("Enabled", only("{\"table_name\": \"Orders\", \"url\": \"http://h/x\", \"Enabled\": \"no\"}")
                .field());
    }

    @Test
    void givenATumblingWindowWithParallelBatches_whenValidated_then400() {
        FieldError e = only("{\"table_name\": \"Orders\", \"url\": \"http://h/x\", \"tumbling_window_in_seconds\": "
                + "30, \"parallelization_factor\": 2}");
        assertEquals("tumbling_window_in_seconds", e.field());
        assertTrue(e.messages().get(0).contains("parallelization_factor 2"));
        assertEquals("tumbling_window_in_seconds", only("{\"table_name\": \"Orders\", \"url\": \"http://h/x\", "
                + "\"tumbling_window_in_seconds\": 901}").field());
    }

    @Test
    void givenAResponseTypeOrAWindowForAQueue_whenValidated_then400() {
        List<FieldError> errors = errors("{\"table_name\": \"Orders\", \"url\": \"arn:aws:sqs:us-east-1:"
                + "123456789012:q\", \"FunctionResponseTypes\": [\"ReportBatchItemFailures\"], "
                + "\"tumbling_window_in_seconds\": 60}");
        assertEquals(List.of("FunctionResponseTypes", "tumbling_window_in_seconds"),
                errors.stream().map(FieldError::field).toList());
        assertTrue(errors.get(0).messages().get(0).contains("SQS queue answers nothing"), errors.toString());
    }

    // ---- filters

    private static String withFilters(String... patterns) {
        StringBuilder sb = new StringBuilder("{\"table_name\": \"Orders\", \"url\": \"http://h/x\", "
                + "\"filter_criteria\": {\"filters\": [");
        for (int i = 0; i < patterns.length; i++) {
            sb.append(i == 0 ? "" : ", ").append("{\"pattern\": ").append(JSON.valueToTree(patterns[i]).toString()).append('}');
        }
        return sb.append("]}}").toString();
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"eventName\": \"INSERT\"}", "{\"eventName\": [{\"prefix\": 5}]}", "not json",
            "[]", "{}", "{\"eventName\": [{\"numeric\": [\">\"]}]}"})
    void givenAnInvalidPattern_whenValidated_then400NamingTheFilter(String pattern) {
        FieldError e = only(withFilters("{\"eventName\": [\"INSERT\"]}", pattern));
        assertEquals("filter_criteria.filters[1].pattern", e.field());
    }

    @Test
    void givenSixFilters_whenValidated_then400() {
        String p = "{\"eventName\": [\"INSERT\"]}";
        FieldError e = only(withFilters(p, p, p, p, p, p));
        assertEquals("filter_criteria.filters", e.field());
        assertTrue(e.messages().get(0).contains("at most 5"));
    }

    @Test
    void givenLambdasFilterNames_whenInvalid_thenNamedAsGiven() {
        FieldError e = only("{\"table_name\": \"Orders\", \"url\": \"http://h/x\", \"FilterCriteria\": "
                + "{\"Filters\": [{\"Pattern\": \"{\\\"a\\\": 1}\"}]}}");
        assertEquals("FilterCriteria.Filters[0].Pattern", e.field());
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> mistakes() {
        return java.util.stream.Stream.of(
                new String[] {"{\"dynamodb\": {\"NewImage\": {\"qty\": {\"N\": [{\"numeric\": [\">\", 5]}]}}}}",
                    "numeric matching"},
                new String[] {"{\"dynamodb\": {\"NewImage\": {\"qty\": {\"N\": [5]}}}}", "write \"5\""},
                new String[] {"{\"dynamodb\": {\"NewImage\": {\"name\": [{\"exists\": true}]}}}",
                    "'exists' above the type key"},
                new String[] {"{\"dynamodb\": {\"NewImage\": {\"name\": [\"Alice\"]}}}",
                    "match 'dynamodb.NewImage.name.S'"},
                new String[] {"{\"NewImage\": {\"name\": {\"S\": [\"Alice\"]}}}", "'NewImage' is not a field"},
                new String[] {"{\"dynamodb\": {\"Newimage\": {\"name\": {\"S\": [\"Alice\"]}}}}",
                    "'dynamodb.Newimage' is not a field"},
                new String[] {"{\"eventName\": [\"insert\"]}", "INSERT, MODIFY or REMOVE"},
                new String[] {"{\"dynamodb\": {\"Keys\": {\"id\": {\"string\": [\"1\"]}}}}",
                    "'dynamodb.Keys.id.string' is not a field"})
                .map(a -> org.junit.jupiter.params.provider.Arguments.of(a[0], a[1]));
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("mistakes")
    void givenAPatternThatNeverMatchesARecord_whenValidated_thenAcceptedWithAWarningNamingTheMistake(String pattern,
            String mistake) throws Exception {
        SubscriptionRequest.Valid v = valid(withFilters(pattern));
        assertEquals(1, v.settings().mapping().filterPatterns().size(), "accepted, as Lambda accepts it");
        assertEquals(1, v.warnings().size(), v.warnings().toString());
        assertTrue(v.warnings().get(0).startsWith("filter_criteria.filters[0].pattern: "), v.warnings().get(0));
        assertTrue(v.warnings().get(0).contains(mistake), v.warnings().get(0));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"eventName\": [\"INSERT\", \"MODIFY\"]}",
        "{\"dynamodb\": {\"NewImage\": {\"status\": {\"S\": [\"active\"]}}}}",
        "{\"dynamodb\": {\"NewImage\": {\"qty\": {\"N\": [\"5\"]}}, \"SizeBytes\": [{\"numeric\": [\">\", 10]}]}}",
        "{\"dynamodb\": {\"OldImage\": {\"addr\": {\"M\": {\"city\": {\"S\": [{\"prefix\": \"Ber\"}]}}}}}}",
        "{\"dynamodb\": {\"NewImage\": {\"name\": {\"S\": [{\"exists\": false}]}}}}",
        "{\"$or\": [{\"eventName\": [\"REMOVE\"]}, {\"dynamodb\": {\"Keys\": {\"pk\": {\"S\": [\"x\"]}}}}]}",
        "{\"userIdentity\": {\"type\": [\"Service\"], \"principalId\": [\"dynamodb.amazonaws.com\"]}}"
    })
    void givenPatternsFromAwssDocs_whenValidated_thenNoWarning(String pattern) throws Exception {
        assertEquals(List.of(), valid(withFilters(pattern)).warnings());
    }
}
