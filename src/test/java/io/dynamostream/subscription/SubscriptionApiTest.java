package io.dynamostream.subscription;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.aMapWithSize;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import io.dynamostream.e2e.Dynamo;
import io.dynamostream.e2e.LocalDynamoDbTestResource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/** Every route of the admin API, every status code and error body. */
@QuarkusTest
@WithTestResource(value = LocalDynamoDbTestResource.class, scope = TestResourceScope.GLOBAL)
class SubscriptionApiTest {

    private static final String TABLE = "ApiPeople";
    private static boolean tableCreated;

    @BeforeEach
    void table() {
        if (!tableCreated) {
            Dynamo.local().createTable(TABLE, StreamViewType.NEW_AND_OLD_IMAGES);
            tableCreated = true;
        }
    }

    @AfterEach
    void removeAll() {
        given().get("/subscriptions").then().extract().jsonPath().getList("id", String.class)
                .forEach(id -> given().delete("/subscriptions/" + id));
    }

    @Test
    void givenValidRequest_whenPostRoot_then201WithIdAndLocationAndListedByOriginalShape() {
        String id = given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"ApiPeople\", \"url\": \"http://localhost:9/stream\"}")
                .when().post("/")
                .then().statusCode(201)
                .header("Location", containsString("/subscriptions/"))
                .body("table_name", equalTo(TABLE))
                .body("url", equalTo("http://localhost:9/stream"))
                .body("status", equalTo("RUNNING"))
                .body("starting_position", equalTo("LATEST"))
                .body("$", not(hasKey("error")))
                .extract().path("id");

        given().get("/").then().statusCode(200)
                .body("$", aMapWithSize(1))
                .body(id + ".table_name", equalTo(TABLE))
                .body(id + ".url", equalTo("http://localhost:9/stream"))
                .body(id + ".status", equalTo("RUNNING"))
                .body(id, not(hasKey("error")));
        org.junit.jupiter.api.Assertions.assertEquals(26, id.length(), "a ULID");
    }

    @Test
    void givenSubscription_whenDeleteRootId_then204AndGone() {
        String id = create("http://localhost:9/a");
        given().delete("/" + id).then().statusCode(204);
        given().get("/").then().body("$", aMapWithSize(0));
        given().delete("/" + id).then().statusCode(404).body("message", containsString(id));
    }

    @Test
    void givenSubscriptions_whenResourceStyleRoutes_thenListDetailAndDelete() {
        String id = create("http://localhost:9/b");
        given().get("/subscriptions").then().statusCode(200)
                .body("id", hasItem(id))
                .body("[0].table_name", equalTo(TABLE))
                .body("[0].shards", nullValue());
        given().get("/subscriptions/" + id).then().statusCode(200)
                .body("id", equalTo(id))
                .body("status", equalTo("RUNNING"))
                .body("source", equalTo("API"))
                .body("shards[0].shard_id", startsWith("shardId-"))
                .body("shards[0].state", equalTo("READING"))
                .body("created_at", notNullValue());
        given().delete("/subscriptions/" + id).then().statusCode(204);
        given().get("/subscriptions/" + id).then().statusCode(404)
                .body("message", equalTo("no subscription with id " + id));
    }

    @Test
    void givenPostToSubscriptions_then201() {
        given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"ApiPeople\", \"url\": \"https://example.org/hook\","
                        + " \"starting_position\": \"trim_horizon\"}")
                .post("/subscriptions")
                .then().statusCode(201).body("starting_position", equalTo("TRIM_HORIZON"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ab", "has space", "bad/char", "ümlaut"})
    void givenInvalidTableName_then400NamingTheField(String name) {
        given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"" + name + "\", \"url\": \"http://localhost:9/\"}")
                .post("/")
                .then().statusCode(400)
                .body("message", equalTo("invalid subscription"))
                .body("errors[0].field", equalTo("table_name"))
                .body("errors[0].messages[0]", containsString("3 to 255"));
    }

    @Test
    void givenTooLongTableName_then400() {
        given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"" + "t".repeat(256) + "\", \"url\": \"http://localhost:9/\"}")
                .post("/").then().statusCode(400).body("errors[0].field", equalTo("table_name"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://host/x", "file:///etc/passwd", "not a url", "localhost:9000/x", "http:///path",
            "gopher://h/"})
    void givenNonHttpUrl_then400NamingTheField(String url) {
        given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"ApiPeople\", \"url\": \"" + url + "\"}")
                .post("/")
                .then().statusCode(400)
                .body("errors[0].field", equalTo("url"));
    }

    @Test
    void givenMissingFields_then400ListingEachField() {
        given().contentType(ContentType.JSON).body("{}").post("/")
                .then().statusCode(400)
                .body("errors.field", hasItem("table_name"))
                .body("errors.field", hasItem("url"))
                .body("errors[0].messages[0]", equalTo("is required"));
    }

    @Test
    void givenInvalidStartingPosition_then400() {
        given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"ApiPeople\", \"url\": \"http://localhost:9/\", \"starting_position\": \"AT_TIMESTAMP\"}")
                .post("/").then().statusCode(400)
                .body("errors[0].field", equalTo("starting_position"));
    }

    @Test
    void givenMalformedJson_then400WithPosition() {
        given().contentType(ContentType.JSON).body("{\"table_name\": ").post("/")
                .then().statusCode(400).body("message", startsWith("malformed JSON"));
    }

    @Test
    void givenJsonArrayOrWrongType_then400() {
        given().contentType(ContentType.JSON).body("[1,2]").post("/")
                .then().statusCode(400).body("message", containsString("JSON object"));
        given().contentType(ContentType.JSON).body("{\"table_name\": {\"x\": 1}, \"url\": \"http://h/\"}").post("/")
                .then().statusCode(400).body("errors[0].field", equalTo("table_name"));
    }

    /** Issue 10 A: a typo in a field name was accepted (201) and silently meant the default. */
    @ParameterizedTest
    @ValueSource(strings = {"/", "/subscriptions"})
    void givenUnknownField_whenPosted_then400NamingItWithEveryAllowedFieldAndNothingRegistered(String route) {
        String allowed = "unknown field (allowed: table_name, url, starting_position, secret, previous_secret, "
                + "headers, batch_size, maximum_batching_window_in_seconds, maximum_retry_attempts, "
                + "maximum_record_age_in_seconds, bisect_batch_on_function_error, on_failure, endpoint_url, "
                + "message_format, destination_config, filter_criteria, function_response_types, "
                + "tumbling_window_in_seconds, parallelization_factor, enabled (or Lambda's EventSourceArn, "
                + "FunctionName, BatchSize, MaximumBatchingWindowInSeconds, StartingPosition, MaximumRetryAttempts, "
                + "MaximumRecordAgeInSeconds, BisectBatchOnFunctionError, ParallelizationFactor, "
                + "TumblingWindowInSeconds, FunctionResponseTypes, FilterCriteria, DestinationConfig, Enabled))";
        given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"ApiPeople\", \"url\": \"http://127.0.0.1:9/x\", \"batchsize\": 5}")
                .post(route)
                .then().statusCode(400).contentType(ContentType.JSON)
                .body("message", equalTo("invalid subscription"))
                .body("errors.field", equalTo(List.of("batchsize")))
                .body("errors[0].messages", equalTo(List.of(allowed)));

        given().get("/subscriptions").then().statusCode(200).body("id", equalTo(List.of()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/subscriptions"})
    void givenSeveralUnknownFields_whenPosted_thenEachNamedOnceInTheOrderGiven(String route) {
        given().contentType(ContentType.JSON)
                .body("{\"tableName\": \"ApiPeople\", \"url\": \"http://127.0.0.1:9/x\", \"batchsize\": {\"a\": [1]},"
                        + " \"on_failure\": \"skip\", \"retries\": 3, \"headers\": {\"X-Custom\": \"v\"}}")
                .post(route)
                .then().statusCode(400)
                .body("message", equalTo("invalid subscription"))
                .body("errors.field", equalTo(List.of("tableName", "batchsize", "retries")))
                .body("errors[2].messages[0]", startsWith("unknown field (allowed: table_name, url,"));
    }

    @Test
    void givenUnknownHeaderNames_whenPosted_thenAcceptedAsHeaders() {
        given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"ApiPeople\", \"url\": \"http://127.0.0.1:9/x\","
                        + " \"headers\": {\"batchsize\": \"5\", \"X-Anything\": \"v\"}}")
                .post("/subscriptions")
                .then().statusCode(201);
    }

    @Test
    void givenEmptyBody_then400() {
        given().contentType(ContentType.JSON).body("").post("/")
                .then().statusCode(400).body("message", containsString("required"));
    }

    @Test
    void givenWrongContentType_then415WithMessage() {
        given().contentType(ContentType.TEXT).body("table_name=x").post("/")
                .then().statusCode(415).contentType(ContentType.JSON)
                .body("message", containsString("application/json"));
    }

    @Test
    void givenUnknownRouteOrMethod_thenJsonErrors() {
        given().get("/nope/deeper").then().statusCode(404).contentType(ContentType.JSON)
                .body("message", notNullValue());
        given().put("/subscriptions").then().statusCode(405).contentType(ContentType.JSON)
                .body("message", containsString("not allowed"));
    }

    // ---------------------------------------------------------------- delivery settings

    @Test
    void givenSettings_whenPosted_thenShownByDetailAndListButNotByTheOriginalList() {
        String id = given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"ApiPeople\", \"url\": \"http://localhost:9/s\", \"batch_size\": 500, "
                        + "\"maximum_batching_window_in_seconds\": 5, \"maximum_retry_attempts\": -1, "
                        + "\"maximum_record_age_in_seconds\": 3600, \"bisect_batch_on_function_error\": true, "
                        + "\"on_failure\": \"DEAD_LETTER\"}")
                .post("/subscriptions")
                .then().statusCode(201)
                .body("settings.batch_size", equalTo(500))
                .body("settings.on_failure", equalTo("dead_letter"))
                .extract().path("id");

        given().get("/subscriptions/" + id).then().statusCode(200)
                .body("settings.batch_size", equalTo(500))
                .body("settings.maximum_batching_window_in_seconds", equalTo(5))
                .body("settings.maximum_retry_attempts", equalTo(-1))
                .body("settings.maximum_record_age_in_seconds", equalTo(3600))
                .body("settings.bisect_batch_on_function_error", equalTo(true))
                .body("settings.on_failure", equalTo("dead_letter"));
        given().get("/subscriptions").then().statusCode(200)
                .body("find { it.id == '" + id + "' }.settings.maximum_retry_attempts", equalTo(-1));
        // GET / keeps the original tool's shape
        given().get("/").then().statusCode(200)
                .body(id + ".keySet()", equalTo(Set.of("table_name", "url", "status")));
    }

    @Test
    void givenNoSettings_whenListed_thenEveryDefaultShown() {
        String id = create("http://localhost:9/defaults");

        given().get("/subscriptions/" + id).then().statusCode(200)
                .body("settings", equalTo(Map.of("batch_size", 100,
                        "maximum_batching_window_in_seconds", 0, "maximum_retry_attempts", 9,
                        "maximum_record_age_in_seconds", -1, "bisect_batch_on_function_error", false,
                        "on_failure", "stop", "function_response_types", List.of(), "tumbling_window_in_seconds", 0,
                        "parallelization_factor", 1)));
    }

    /** Wrong values and wrong JSON types: always a 400 naming the field and what it accepts, never a 5xx. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "batch_size | 0 | must be an integer from 1 to 10000",
            "batch_size | 1.5 | must be an integer from 1 to 10000, not a decimal number",
            "batch_size | \"100\" | must be an integer from 1 to 10000, not a string",
            "batch_size | true | must be an integer from 1 to 10000, not a boolean",
            "batch_size | {} | must be an integer from 1 to 10000, not an object",
            "batch_size | 99999999999999999999999 | must be an integer from 1 to 10000",
            "batch_size | 1e400 | must be an integer from 1 to 10000, not a decimal number",
            "maximum_batching_window_in_seconds | 301 | must be an integer from 0 to 300",
            "maximum_retry_attempts | -2 | must be -1 (retry until the records are too old, or forever) or an "
                    + "integer from 0 to 10000",
            "maximum_record_age_in_seconds | 59 | must be -1 (no limit) or an integer from 60 to 604800",
            "bisect_batch_on_function_error | \"yes\" | must be true or false, not a string",
            "bisect_batch_on_function_error | [true] | must be true or false, not an array",
            "on_failure | \"retry\" | must be stop, skip or dead_letter",
            "on_failure | {\"a\": 1} | must be a string"})
    void givenInvalidSetting_then400NamingTheFieldAndWhatItAccepts(String field, String json, String message) {
        given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"ApiPeople\", \"url\": \"http://localhost:9/\", \"" + field + "\": " + json
                        + "}")
                .post("/subscriptions")
                .then().statusCode(400)
                .body("message", equalTo("invalid subscription"))
                .body("errors.size()", equalTo(1))
                .body("errors[0].field", equalTo(field))
                .body("errors[0].messages", equalTo(List.of(message)));
    }

    @Test
    void whenOpenApiFetched_thenSettingsDescribedWithTypesRangesAndDefaults() {
        JsonPath doc = given().queryParam("format", "json").get("/q/openapi")
                .then().statusCode(200).extract().jsonPath();
        String request = "components.schemas.SubscriptionRequest.properties.";

        // exactly the request's fields: the event-source-mapping ones documented, nothing internal shown
        assertEquals(Set.copyOf(SubscriptionRequest.FIELDS),
                doc.getMap("components.schemas.SubscriptionRequest.properties").keySet());
        for (String[] f : new String[][] {{"batch_size", "1", "10000", "100"},
                {"maximum_batching_window_in_seconds", "0", "300", "0"},
                {"maximum_retry_attempts", "-1", "10000", "9"},
                {"maximum_record_age_in_seconds", "-1", "604800", "-1"},
                {"tumbling_window_in_seconds", "0", "900", "0"},
                {"parallelization_factor", "1", "10", "1"}}) {
            assertEquals(List.of("integer", f[1], f[2], f[3]),
                    List.of(doc.getString(request + f[0] + ".type"), doc.getString(request + f[0] + ".minimum"),
                            doc.getString(request + f[0] + ".maximum"), doc.getString(request + f[0] + ".default")),
                    f[0]);
            assertTrue(doc.getString(request + f[0] + ".description").contains("Lambda: "), f[0]);
            assertNull(doc.getString(request + f[0] + ".$ref"), f[0]);
        }
        assertEquals("boolean", doc.getString(request + "bisect_batch_on_function_error.type"));
        assertNull(doc.getString(request + "bisect_batch_on_function_error.$ref"));
        assertEquals(List.of("stop", "skip", "dead_letter"), doc.getList(request + "on_failure.enum"));
        assertEquals("#/components/schemas/DeliverySettings",
                doc.getString("components.schemas.Subscription.properties.settings.$ref"));
    }

    /** Issue 11: the body of a CreateEventSourceMapping call is a subscription; warnings come back with it. */
    @ParameterizedTest
    @ValueSource(strings = {"/", "/subscriptions"})
    void givenACreateEventSourceMappingBody_whenPosted_then201WithItsSettingsAndTheFilterWarning(String route) {
        String stream = "arn:aws:dynamodb:us-east-1:000000000000:table/" + TABLE + "/stream/2024-01-01T00:00:00.000";
        String id = given().contentType(ContentType.JSON)
                .body("{\"EventSourceArn\": \"" + stream + "\", \"FunctionName\": \"people-handler:live\", "
                        + "\"BatchSize\": 10, \"StartingPosition\": \"TRIM_HORIZON\", \"ParallelizationFactor\": 3, "
                        + "\"FunctionResponseTypes\": [\"ReportBatchItemFailures\"], \"FilterCriteria\": {\"Filters\": "
                        + "[{\"Pattern\": \"{\\\"dynamodb\\\": {\\\"NewImage\\\": {\\\"n\\\": {\\\"N\\\": "
                        + "[{\\\"numeric\\\": [\\\">\\\", 1]}]}}}}\"}]}}")
                .post(route)
                .then().statusCode(201)
                .body("table_name", equalTo(TABLE))
                .body("url", equalTo("arn:aws:lambda:us-east-1:000000000000:function:people-handler:live"))
                .body("starting_position", equalTo("TRIM_HORIZON"))
                .body("settings.batch_size", equalTo(10))
                .body("settings.parallelization_factor", equalTo(3))
                .body("settings.tumbling_window_in_seconds", equalTo(0))
                .body("settings.function_response_types", equalTo(List.of("ReportBatchItemFailures")))
                .body("settings.filter_criteria.filters[0].pattern",
                        equalTo("{\"dynamodb\":{\"NewImage\":{\"n\":{\"N\":[{\"numeric\":[\">\",1]}]}}}}"))
                .body("warnings", org.hamcrest.Matchers.hasSize(1))
                .body("warnings[0]", containsString("FilterCriteria.Filters[0].Pattern: numeric matching"))
                .extract().path("id");
        given().get("/subscriptions/" + id).then().statusCode(200).body("$", not(hasKey("warnings")))
                .body("settings.filter_criteria.filters", org.hamcrest.Matchers.hasSize(1));
    }

    @Test
    void givenEnabledFalse_whenPosted_thenRegisteredPaused() {
        given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"ApiPeople\", \"url\": \"http://127.0.0.1:9/x\", \"Enabled\": false}")
                .post("/subscriptions")
                .then().statusCode(201).body("status", equalTo("PAUSED"));
    }

    @Test
    void givenAnInvalidFilterPattern_whenPosted_then400NamingTheFilterAndNothingRegistered() {
        given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"ApiPeople\", \"url\": \"http://127.0.0.1:9/x\", \"filter_criteria\": "
                        + "{\"filters\": [{\"pattern\": \"{\\\"eventName\\\": [\\\"INSERT\\\"]}\"}, "
                        + "{\"pattern\": \"{\\\"eventName\\\": \\\"INSERT\\\"}\"}]}}")
                .post("/")
                .then().statusCode(400)
                .body("errors.field", equalTo(List.of("filter_criteria.filters[1].pattern")))
                .body("errors[0].messages[0]", startsWith("is not a valid filter pattern: "));
        given().get("/subscriptions").then().statusCode(200).body("id", equalTo(List.of()));
    }


    private static String create(String url) {
        return given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"" + TABLE + "\", \"url\": \"" + url + "\"}")
                .post("/").then().statusCode(201).extract().path("id");
    }
}
