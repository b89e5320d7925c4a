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

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.dynamostream.e2e.Dynamo;
import io.dynamostream.e2e.LocalDynamoDbTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/** Every route of the admin API, every status code and error body. */
@QuarkusTest
@QuarkusTestResource(LocalDynamoDbTestResource.class)
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

    private static String create(String url) {
        return given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"" + TABLE + "\", \"url\": \"" + url + "\"}")
                .post("/").then().statusCode(201).extract().path("id");
    }
}
