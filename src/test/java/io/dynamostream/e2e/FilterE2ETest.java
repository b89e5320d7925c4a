package io.dynamostream.e2e;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.test.junit.QuarkusTest;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * Issue 11.1 end to end: a subscription with filter criteria gets only the records that match, in order; the others
 * are counted under the filtered and Lambda's event-count metrics, and reading goes on past them.
 */
@QuarkusTest
class FilterE2ETest {


    private final Dynamo dynamo = Dynamo.local();
    private final TestCleanup cleanup = new TestCleanup();

    @AfterEach
    void cleanUp() {
        cleanup.close();
    }

    private static double metric(String name, String id) {
        String scrape = given().get("/q/metrics").then().statusCode(200).extract().asString();
        Matcher m = Pattern.compile(Pattern.quote(name) + "\\{subscription=\"" + id + "\"[^}]*} ([0-9.E+]+)")
                .matcher(scrape);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void givenAFilterOnTheNewImage_whenItemsAreWritten_thenOnlyTheMatchingArriveAndTheOthersAreCounted() {
        String table = dynamo.createTable(TestCleanup.table("Filtered"), StreamViewType.NEW_AND_OLD_IMAGES);
        Receiver receiver = cleanup.receiver();
        String id = cleanup.subscribe("{\"table_name\": \"" + table + "\", \"url\": \"" + receiver.url() + "\", "
                + "\"starting_position\": \"TRIM_HORIZON\", \"batch_size\": 3, \"filter_criteria\": {\"filters\": ["
                + "{\"pattern\": \"{\\\"dynamodb\\\": {\\\"NewImage\\\": {\\\"status\\\": {\\\"S\\\": [\\\"active\\\"]}}}}\"},"
                + "{\"pattern\": \"{\\\"eventName\\\": [\\\"REMOVE\\\"]}\"}]}}");

        List<String> statuses = List.of("active", "closed", "active", "closed", "closed", "active", "closed");
        for (int i = 0; i < statuses.size(); i++) {
            dynamo.put(table, Map.of("pk", AttributeValue.fromS("item-" + i), "status",
                    AttributeValue.fromS(statuses.get(i))));
        }
        dynamo.db.deleteItem(r -> r.tableName(table).key(Map.of("pk", AttributeValue.fromS("item-1"))));
        dynamo.put(table, Map.of("pk", AttributeValue.fromS("last"), "status", AttributeValue.fromS("active")));

        await().atMost(Duration.ofSeconds(20)).until(() -> receiver.records().size() >= 5);
        List<String> got = new ArrayList<>();
        for (JsonNode r : receiver.records()) {
            got.add(r.path("eventName").asText() + " " + r.at("/dynamodb/Keys/pk/S").asText());
        }
        assertEquals(List.of("INSERT item-0", "INSERT item-2", "INSERT item-5", "REMOVE item-1", "INSERT last"), got,
                "the matching records, in stream order, and only them");
        await().atMost(Duration.ofSeconds(10)).until(() -> metric("dynamo_stream_records_filtered_total", id) == 4);
        assertEquals(4, metric("dynamo_stream_filtered_out_event_count_total", id));
        assertEquals(9, metric("dynamo_stream_polled_event_count_total", id));
        assertEquals("RUNNING", Api.status(id));
    }
}
