package io.dynamostream.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.dynamostream.subscription.SubscriptionRequest;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.OperationType;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.StreamRecord;

/**
 * Patterns of the kinds AWS's filtering documentation shows for DynamoDB, applied by event-ruler to records as
 * Lambda sees them: typed image values, key and event-name matches, prefix, suffix, anything-but, exists, numeric on
 * the record's numbers, null and boolean values, $or.
 */
class RecordFilterTest {

    private static final String STREAM = "arn:aws:dynamodb:us-east-1:000000000000:table/Customers/stream/x";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A record of a customers table: key CustomerName, and an image with a few typed attributes. */
    private static Record customer(OperationType event, String name, Map<String, AttributeValue> image) {
        StreamRecord.Builder d = StreamRecord.builder().sequenceNumber("100").sizeBytes(120L)
                .approximateCreationDateTime(Instant.ofEpochSecond(1_700_000_000))
                .keys(Map.of("CustomerName", AttributeValue.fromS(name))).streamViewType("NEW_AND_OLD_IMAGES");
        if (event == OperationType.REMOVE) {
            d.oldImage(image);
        } else {
            d.newImage(image);
        }
        return Record.builder().eventID("1").eventName(event).eventSource("aws:dynamodb").awsRegion("us-east-1")
                .dynamodb(d.build()).build();
    }

    private static final Record ANY_COMPANY = customer(OperationType.INSERT, "AnyCompany Industries", Map.of(
            "CustomerName", AttributeValue.fromS("AnyCompany Industries"),
            "AccountManager", AttributeValue.fromS("Pat Candella"),
            "PaymentTerms", AttributeValue.fromS("60 days"),
            "Quantity", AttributeValue.fromN("5"),
            "Active", AttributeValue.fromBool(true),
            "Closed", AttributeValue.fromNul(true),
            "Address", AttributeValue.fromM(Map.of("City", AttributeValue.fromS("Berlin")))));

    /** A pattern as the API takes it: validated and normalised first, exactly as a subscription's. */
    private static RecordFilter filter(String... patterns) throws Exception {
        ObjectNode request = JSON.createObjectNode().put("table_name", "Customers").put("url", "http://h/x");
        var filters = request.putObject("filter_criteria").putArray("filters");
        for (String p : patterns) {
            filters.addObject().put("pattern", p);
        }
        return RecordFilter.of(SubscriptionRequest.fromJson(request).validate().settings().mapping()
                .filterPatterns());
    }

    static Stream<Arguments> patterns() {
        return Stream.of(
                Arguments.of("{\"dynamodb\": {\"Keys\": {\"CustomerName\": {\"S\": [\"AnyCompany Industries\"]}}}}", true),
                Arguments.of("{\"dynamodb\": {\"Keys\": {\"CustomerName\": {\"S\": [\"Other\"]}}}}", false),
                Arguments.of("{\"eventName\": [\"INSERT\"]}", true),
                Arguments.of("{\"eventName\": [\"REMOVE\"]}", false),
                Arguments.of("{\"dynamodb\": {\"NewImage\": {\"AccountManager\": {\"S\": [{\"prefix\": \"Pat\"}]}}}}", true),
                Arguments.of("{\"dynamodb\": {\"NewImage\": {\"PaymentTerms\": {\"S\": [{\"suffix\": \"days\"}]}}}}", true),
                Arguments.of("{\"dynamodb\": {\"NewImage\": {\"PaymentTerms\": {\"S\": [{\"anything-but\": [\"60 days\"]}]}}}}", false),
                Arguments.of("{\"dynamodb\": {\"NewImage\": {\"AccountManager\": {\"S\": [{\"equals-ignore-case\": \"pat candella\"}]}}}}", true),
                Arguments.of("{\"dynamodb\": {\"NewImage\": {\"AccountManager\": {\"S\": [{\"wildcard\": \"Pat*la\"}]}}}}", true),
                Arguments.of("{\"dynamodb\": {\"NewImage\": {\"Quantity\": {\"N\": [\"5\"]}}}}", true),
                Arguments.of("{\"dynamodb\": {\"NewImage\": {\"Quantity\": {\"N\": [{\"numeric\": [\">\", 1]}]}}}}", false),
                Arguments.of("{\"dynamodb\": {\"NewImage\": {\"Active\": {\"BOOL\": [true]}}}}", true),
                Arguments.of("{\"dynamodb\": {\"NewImage\": {\"Closed\": {\"NULL\": [true]}}}}", true),
                Arguments.of("{\"dynamodb\": {\"NewImage\": {\"Address\": {\"M\": {\"City\": {\"S\": [\"Berlin\"]}}}}}}", true),
                Arguments.of("{\"dynamodb\": {\"NewImage\": {\"Phone\": {\"S\": [{\"exists\": false}]}}}}", true),
                Arguments.of("{\"dynamodb\": {\"NewImage\": {\"AccountManager\": {\"S\": [{\"exists\": true}]}}}}", true),
                Arguments.of("{\"dynamodb\": {\"NewImage\": {\"AccountManager\": [{\"exists\": true}]}}}", false),
                Arguments.of("{\"dynamodb\": {\"SizeBytes\": [{\"numeric\": [\">\", 100, \"<=\", 200]}]}}", true),
                Arguments.of("{\"dynamodb\": {\"ApproximateCreationDateTime\": [{\"numeric\": [\"<\", 1600000000]}]}}", false),
                Arguments.of("{\"$or\": [{\"eventName\": [\"REMOVE\"]}, {\"dynamodb\": {\"NewImage\": {\"Quantity\": {\"N\": [\"5\"]}}}}]}", true),
                Arguments.of("{\"eventSourceARN\": [{\"prefix\": \"arn:aws:dynamodb:us-east-1:\"}]}", true));
    }

    @ParameterizedTest
    @MethodSource("patterns")
    void givenADocumentedPattern_whenAppliedToARecord_thenMatchesAsOnLambda(String pattern, boolean matches)
            throws Exception {
        assertEquals(matches, filter(pattern).matches(ANY_COMPANY, STREAM), pattern);
    }

    @Test
    void givenSeveralFilters_whenAnyMatches_thenTheRecordPasses() throws Exception {
        RecordFilter f = filter("{\"eventName\": [\"REMOVE\"]}", "{\"dynamodb\": {\"Keys\": {\"CustomerName\": "
                + "{\"S\": [{\"prefix\": \"Any\"}]}}}}");
        assertTrue(f.matches(ANY_COMPANY, STREAM));
        Record removed = customer(OperationType.REMOVE, "Zeta", Map.of("CustomerName", AttributeValue.fromS("Zeta")));
        assertTrue(f.matches(removed, STREAM), "REMOVE matches the first filter");
        Record other = customer(OperationType.MODIFY, "Zeta", Map.of("CustomerName", AttributeValue.fromS("Zeta")));
        assertFalse(f.matches(other, STREAM), "neither filter");
    }

    @Test
    void givenNoFilter_whenMatched_thenEveryRecordPasses() {
        RecordFilter f = RecordFilter.of(List.of());
        assertFalse(f.filters());
        assertTrue(f.matches(ANY_COMPANY, STREAM));
    }
}
