package io.dynamostream.security;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.logging.Level;

import org.junit.jupiter.api.Test;

import io.dynamostream.e2e.Dynamo;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/** No API key configured (the default app): the API stays open like the original tool, with a startup warning. */
@QuarkusTest
@WithTestResource(value = LogCaptureTestResource.class, scope = TestResourceScope.GLOBAL)
class OpenAdminApiTest {

    @Test
    void givenNoKeyConfigured_thenStartupWarnsThatTheApiIsOpenNamingTheSetting() {
        assertTrue(LogCaptureTestResource.lines().stream().anyMatch(line -> line.level().intValue() == Level.WARNING.intValue()
                        && line.logger().equals(ApiKeys.class.getName())
                        && line.message().startsWith("Admin API is open: no API key set")
                        && line.message().contains("dynamo-stream.auth.api-keys")
                        && line.message().contains("DYNAMO_STREAM_AUTH_API_KEYS")
                        && line.message().contains("port 3000")),
                () -> "no open-API warning among " + LogCaptureTestResource.lines());
    }

    @Test
    void givenNoKeyConfigured_whenNoOrAnyCredentials_thenRoutesWorkAsBefore() {
        Dynamo.local().createTable("OpenAuthPeople", StreamViewType.NEW_AND_OLD_IMAGES);
        String id = given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"OpenAuthPeople\", \"url\": \"http://localhost:9/open\"}")
                .post("/subscriptions")
                .then().statusCode(201).extract().path("id");
        given().get("/").then().statusCode(200).body(id + ".url", equalTo("http://localhost:9/open"));
        given().header("Authorization", "Bearer whatever").get("/subscriptions/" + id).then().statusCode(200);
        given().delete("/" + id).then().statusCode(204);
    }
}
