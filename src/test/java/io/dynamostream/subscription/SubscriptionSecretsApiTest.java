package io.dynamostream.subscription;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.dynamostream.e2e.Dynamo;
import io.dynamostream.e2e.LocalDynamoDbTestResource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/** Secrets go in through the API and never come out of it; bad secrets and headers get a 400 naming the field. */
@QuarkusTest
@WithTestResource(value = LocalDynamoDbTestResource.class, scope = TestResourceScope.GLOBAL)
class SubscriptionSecretsApiTest {

    private static final String TABLE = "SecretsPeople";
    private static final String SECRET_KEY = Base64.getEncoder().encodeToString("current-secret-32-bytes-long-abc".getBytes());
    private static final String OLD_KEY = Base64.getEncoder().encodeToString("previous-secret-32-bytes-long-ab".getBytes());
    /** Every value that must never appear in a response. */
    private static final List<String> SECRETS = List.of(SECRET_KEY, OLD_KEY, "hdr-value-42", "userpw-42", "tok-value-42",
            "Bearer");
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

    private static void assertNoSecret(String body) {
        for (String secret : SECRETS) {
            assertFalse(body.contains(secret), "'" + secret + "' leaked in: " + body);
        }
    }

    @Test
    void givenUrlWithUserinfo_thenRefusedWithoutEchoingThePassword() {
        String body = given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"" + TABLE + "\", \"url\": \"http://admin:userpw-42@localhost:9/x\"}")
                .post("/").then().statusCode(400)
                .body("errors[0].field", equalTo("url")).extract().asString();
        assertNoSecret(body);
    }

    @Test
    void givenSecretHeadersAndToken_whenCreatedAndRead_thenNoRouteReturnsAnyOfThem() {
        String created = given().contentType(ContentType.JSON).body("""
                {"table_name": "%s", "url": "http://localhost:9/x?token=tok-value-42&page=2",
                 "secret": "whsec_%s", "previous_secret": "whsec_%s",
                 "headers": {"Authorization": "Bearer hdr-value-42", "X-Team": "hdr-value-42"}}
                """.formatted(TABLE, SECRET_KEY, OLD_KEY))
                .post("/").then().statusCode(201)
                .body("url", equalTo("http://localhost:9/x?token=***&page=2"))
                .body("signed", equalTo(true))
                .body("headers.Authorization", equalTo("***"))
                .body("headers.X-Team", equalTo("***"))
                .extract().asString();
        String id = io.restassured.path.json.JsonPath.from(created).getString("id");

        assertNoSecret(created);
        assertNoSecret(given().get("/").then().statusCode(200)
                .body(id + ".url", equalTo("http://localhost:9/x?token=***&page=2")).extract().asString());
        assertNoSecret(given().get("/subscriptions").then().statusCode(200)
                .body("signed", hasItem(true)).extract().asString());
        assertNoSecret(given().get("/subscriptions/" + id).then().statusCode(200)
                .body("headers.Authorization", equalTo("***")).extract().asString());
    }

    @Test
    void givenUnsignedSubscription_whenRead_thenSignedFalseAndNoHeadersKey() {
        given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"" + TABLE + "\", \"url\": \"http://localhost:9/x\"}")
                .post("/subscriptions").then().statusCode(201)
                .body("signed", equalTo(false))
                .body("containsKey('headers')", equalTo(false));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "\"secret\": \"not-a-whsec-secret\"                          | secret",
            "\"secret\": \"whsec_c2hvcnQ=\"                              | secret",
            "\"previous_secret\": \"whsec_c2hvcnQ=\"                     | previous_secret",
            "\"headers\": {\"Authorization\": \"Bearer x\\r\\nX-Evil: 1\"} | headers.Authorization",
            "\"headers\": {\"Content-Type\": \"text/plain\"}             | headers.Content-Type",
            "\"headers\": {\"Host\": \"evil.example\"}                   | headers.Host",
            "\"headers\": {\"webhook-signature\": \"v1,forged\"}         | headers.webhook-signature",
            "\"headers\": {\"Bad Name\": \"x\"}                          | headers"})
    void givenInvalidSecretOrHeader_whenPosted_then400NamingTheField(String fields, String field) {
        given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"" + TABLE + "\", \"url\": \"http://localhost:9/x\", " + fields + "}")
                .post("/subscriptions").then().statusCode(400)
                .body("message", equalTo("invalid subscription"))
                .body("errors.field", hasItem(field))
                .body(org.hamcrest.Matchers.not(containsString("not-a-whsec-secret")))
                .body(org.hamcrest.Matchers.not(containsString("evil")));
    }

    @Test
    void givenBodyLargerThanTheLimit_whenPosted_then413WithJsonMessage() {
        String big = "{\"table_name\": \"" + TABLE + "\", \"url\": \"http://localhost:9/x\", \"headers\": {\"X-Pad\": \""
                + "a".repeat(70_000) + "\"}}";

        given().contentType(ContentType.JSON).body(big).post("/").then().statusCode(413)
                .contentType(ContentType.JSON)
                .body("message", containsString("request body too large"));
    }
}
