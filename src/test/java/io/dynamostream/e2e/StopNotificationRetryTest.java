package io.dynamostream.e2e;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;

/**
 * End to end, the stop notification of a subscription whose receiver is down when it stops (here: its table does not
 * exist, so it is ERROR at once): retried with backoff until the receiver is up (then {@code DELIVERED}), or until
 * {@code dynamo-stream.notification.retry-for} passed ({@code GAVE_UP}), cancelled by a delete; its fate on
 * {@code GET /subscriptions/{id}} and {@code GET /}.
 */
@QuarkusTest
@WithTestResource(value = LocalDynamoDbTestResource.class, scope = TestResourceScope.GLOBAL)
@TestProfile(StopNotificationRetryTest.ShortRetries.class)
class StopNotificationRetryTest {

    /** Retries within seconds: 100 ms doubling to 400 ms, for 5 s. */
    public static class ShortRetries implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("dynamo-stream.notification.retry-for", "5s",
                    "dynamo-stream.notification.initial-backoff", "100ms",
                    "dynamo-stream.notification.max-backoff", "400ms");
        }
    }

    private final TestCleanup cleanup = new TestCleanup();

    @AfterEach
    void cleanUp() {
        cleanup.close();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static URI down(int port) {
        return URI.create("http://127.0.0.1:" + port + "/events");
    }

    /** A subscription that stops at once (no such table) and notifies {@code url}. */
    private String stoppingAtOnce(URI url) {
        String id = Api.subscribe("Missing-" + System.nanoTime(), url);
        cleanup.subscription(id);
        return id;
    }

    private static JsonPath notification(String id) {
        return given().get("/subscriptions/" + id).then().statusCode(200).extract().jsonPath()
                .setRootPath("notification");
    }

    private static String state(String id) {
        return notification(id).getString("state");
    }

    @Test
    void givenReceiverDownWhenTheSubscriptionStops_whenItComesUp_thenItGetsTheNotificationAndTheStatusShowsIt()
            throws Exception {
        int port = freePort();
        String id = stoppingAtOnce(down(port));
        assertEquals("ERROR", Api.status(id));

        await().atMost(Duration.ofSeconds(4)).pollInterval(Duration.ofMillis(20))
                .until(() -> notification(id).getInt("attempts") >= 2);
        JsonPath pending = notification(id);
        assertEquals("PENDING", pending.getString("state"));
        assertNotNull(pending.getString("last_error"));
        assertNotNull(pending.getString("last_attempt_at"));
        assertFalse(Instant.parse(pending.getString("next_attempt_at"))
                .isBefore(Instant.parse(pending.getString("last_attempt_at"))));
        assertEquals("PENDING", given().get("/").then().statusCode(200).extract().jsonPath()
                .getString(id + ".notification.state"), "GET / shows it too");

        try (Receiver receiver = new Receiver(port)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> receiver.notifications().size() == 1);
            await().atMost(Duration.ofSeconds(2)).until(() -> "DELIVERED".equals(state(id)));
            JsonNode note = receiver.notifications().get(0).json();
            assertEquals(Api.subscription(id).getString("table_name"), note.get("table_name").asText());
            assertEquals(Api.subscription(id).getString("error"), note.get("message").asText());
            assertEquals(2, note.size(), "exactly the original's {table_name, message}");
            JsonPath delivered = notification(id);
            assertTrue(delivered.getInt("attempts") > pending.getInt("attempts"));
            assertNull(delivered.getString("last_error"));
            assertNull(delivered.getString("next_attempt_at"));
            await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(2))
                    .until(() -> receiver.requests().size() == 1);
        }
    }

    @Test
    void givenReceiverDownForLongerThanTheBound_thenItIsGivenUpAndNoMoreAttemptsFollow() throws Exception {
        int port = freePort();
        String id = stoppingAtOnce(down(port));

        await().atMost(Duration.ofSeconds(15)).until(() -> "GAVE_UP".equals(state(id)));
        JsonPath gaveUp = notification(id);
        assertTrue(gaveUp.getInt("attempts") >= 3, "retried until the bound: " + gaveUp.prettify());
        assertNotNull(gaveUp.getString("last_error"));
        assertNull(gaveUp.getString("next_attempt_at"));
        assertEquals("GAVE_UP", given().get("/").then().extract().jsonPath().getString(id + ".notification.state"));

        try (Receiver late = new Receiver(port)) {
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2))
                    .until(() -> late.requests().isEmpty());
        }
    }

    @Test
    void givenPendingNotification_whenTheSubscriptionIsDeleted_thenItIsNotAttemptedAgain() {
        Receiver unavailable = cleanup.receiver().answering(n -> 503);
        String id = stoppingAtOnce(unavailable.url());
        await().atMost(Duration.ofSeconds(4)).until(() -> unavailable.notifications().size() >= 2);

        given().delete("/subscriptions/" + id).then().statusCode(204);

        int afterDelete = unavailable.requests().size();
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2))
                .until(() -> unavailable.requests().size() <= afterDelete + 1); // one may have been in flight
        assertEquals(200, given().get("/").then().extract().statusCode());
    }

    @Test
    void whenOpenApiFetched_thenTheNotificationIsDescribedOnBothViews() {
        JsonPath doc = given().queryParam("format", "json").get("/q/openapi").then().statusCode(200).extract()
                .jsonPath();
        Map<String, Object> fields = doc.getMap("components.schemas.StopNotification.properties");
        assertEquals(java.util.Set.of("state", "attempts", "last_error", "last_attempt_at", "next_attempt_at"),
                fields.keySet());
        assertEquals(java.util.List.of("PENDING", "DELIVERED", "GAVE_UP"),
                doc.getList("components.schemas.StopNotificationState.enum"),
                doc.getString("components.schemas.StopNotification"));
        for (String view : java.util.List.of("Subscription", "SubscriptionSummary")) {
            assertTrue(doc.getString("components.schemas." + view + ".properties.notification").contains(
                    "StopNotification"), view + ": " + doc.getString("components.schemas." + view + ".properties"));
        }
        assertEquals("PENDING", doc.getString("components.examples.StoppedSubscription.value.notification.state"));
    }

    @Test
    void givenSubscriptionThatNeverStopped_thenItHasNoNotificationAndGetKeepsTheOriginalShape() {
        Receiver receiver = cleanup.receiver();
        String table = Dynamo.local().createTable("NeverStopped-" + System.nanoTime() % 100000,
                software.amazon.awssdk.services.dynamodb.model.StreamViewType.NEW_IMAGE);
        String id = cleanup.subscription(Api.subscribe(table, receiver.url()));

        assertNull(given().get("/subscriptions/" + id).then().extract().jsonPath().get("notification"));
        Map<String, Object> entry = given().get("/").then().extract().jsonPath().getMap(id);
        assertEquals(java.util.Set.of("table_name", "url", "status"), entry.keySet());
    }
}
