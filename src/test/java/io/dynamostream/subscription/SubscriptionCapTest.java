package io.dynamostream.subscription;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.aMapWithSize;
import static org.hamcrest.Matchers.containsString;

import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.dynamostream.e2e.Dynamo;
import io.dynamostream.e2e.LocalDynamoDbTestResource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/** {@code dynamo-stream.limits.max-subscriptions}: one more than the cap is a 409 with a clear message. */
@QuarkusTest
@WithTestResource(value = LocalDynamoDbTestResource.class, scope = TestResourceScope.GLOBAL)
@TestProfile(SubscriptionCapTest.CapOfTwo.class)
class SubscriptionCapTest {

    public static class CapOfTwo implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("dynamo-stream.limits.max-subscriptions", "2");
        }
    }

    @AfterEach
    void removeAll() {
        given().get("/subscriptions").then().extract().jsonPath().getList("id", String.class)
                .forEach(id -> given().delete("/subscriptions/" + id));
    }

    private static io.restassured.response.Response post() {
        return given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"CapPeople\", \"url\": \"http://localhost:9/x\"}").post("/");
    }

    @Test
    void givenCapReached_whenOneMoreRegistered_then409UntilOneIsDeleted() {
        Dynamo.local().createTable("CapPeople", StreamViewType.NEW_IMAGE);
        String first = post().then().statusCode(201).extract().path("id");
        post().then().statusCode(201);

        post().then().statusCode(409).contentType(ContentType.JSON)
                .body("message", containsString("subscription limit reached: 2"))
                .body("message", containsString("dynamo-stream.limits.max-subscriptions"));
        given().get("/").then().body("$", aMapWithSize(2));

        given().delete("/subscriptions/" + first).then().statusCode(204);
        post().then().statusCode(201);
    }
}
