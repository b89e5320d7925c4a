package io.dynamostream.e2e;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.standardwebhooks.Webhook;
import com.standardwebhooks.exceptions.WebhookVerificationException;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * Signed deliveries with custom headers, end to end: what the receiver gets is checked with the independent
 * Standard Webhooks library over the exact bytes received, and no secret shows up in the service's log lines.
 */
@QuarkusTest
class SignedDeliveryTest {

    private static final String SECRET = "whsec_" + Base64.getEncoder()
            .encodeToString("e2e-current-secret-32-bytes-long".getBytes(StandardCharsets.US_ASCII));
    private static final String OLD_SECRET = "whsec_" + Base64.getEncoder()
            .encodeToString("e2e-previous-secret-32-bytes-lng".getBytes(StandardCharsets.US_ASCII));
    private static final String HEADER_VALUE = "Bearer hdr-e2e-value-7";
    private static final String TOKEN = "tok-e2e-value-7";
    /** Nothing of these may appear in a log line. */
    private static final List<String> NEVER_LOGGED = List.of(SECRET.substring(6), OLD_SECRET.substring(6),
            "hdr-e2e-value-7", TOKEN);

    private final Dynamo dynamo = Dynamo.local();
    private final TestCleanup cleanup = new TestCleanup();

    @AfterEach
    void cleanUp() {
        cleanup.close();
    }

    private Receiver receiver() {
        return cleanup.receiver();
    }

    private String subscribeSigned(String table, Receiver receiver) {
        URI url = URI.create(receiver.url() + "?token=" + TOKEN);
        String id = given().contentType(ContentType.JSON).body("""
                {"table_name": "%s", "url": "%s", "secret": "%s", "previous_secret": "%s",
                 "headers": {"Authorization": "%s"}}
                """.formatted(table, url, SECRET, OLD_SECRET, HEADER_VALUE))
                .post("/").then().statusCode(201).extract().path("id");
        cleanup.subscription(id);
        return id;
    }

    private static String header(Receiver.Request request, String name) {
        return request.headers().entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                .map(e -> e.getValue().get(0)).findFirst().orElse(null);
    }

    /** Verifies with the independent library over the exact bytes received. */
    private static void assertVerifies(String secret, Receiver.Request request) {
        String body = new String(request.body(), StandardCharsets.UTF_8);
        assertArrayEquals(request.body(), body.getBytes(StandardCharsets.UTF_8), "the body must be exact UTF-8");
        assertDoesNotThrow(() -> new Webhook(secret).verify(body, request.headers()),
                "signature over the received bytes: " + request.headers());
    }

    private static void assertNoSecretLogged(LogCapture logs) {
        for (String line : logs.lines()) {
            for (String secret : NEVER_LOGGED) {
                assertFalse(line.contains(secret), "'" + secret + "' logged: " + line);
            }
        }
    }

    @Test
    void givenSignedSubscription_whenReceiverFailsOnceThenAccepts_thenSameIdBothTimesAndEachSignatureVerifies() {
        String table = dynamo.createTable("Signed-" + System.nanoTime() % 100000, StreamViewType.NEW_AND_OLD_IMAGES);
        Receiver receiver = receiver().answering(n -> n == 1 ? 500 : 200);
        try (LogCapture logs = LogCapture.start()) {
            subscribeSigned(table, receiver);
            dynamo.put(table, "alice", 1);

            await().atMost(Duration.ofSeconds(20)).until(() -> receiver.batches().size() >= 2);
            Receiver.Request failed = receiver.batches().get(0);
            Receiver.Request accepted = receiver.batches().get(1);

            assertArrayEquals(failed.body(), accepted.body(), "a retry sends the same bytes");
            assertNotNull(header(failed, "webhook-id"));
            assertTrue(header(failed, "webhook-id").matches("msg_[0-9a-f]{32}"), header(failed, "webhook-id"));
            assertEquals(header(failed, "webhook-id"), header(accepted, "webhook-id"), "same delivery id on retry");
            for (Receiver.Request request : List.of(failed, accepted)) {
                assertEquals(HEADER_VALUE, header(request, "Authorization"));
                assertEquals(2, header(request, "webhook-signature").split(" ").length, "one signature per secret");
                assertVerifies(SECRET, request);
                assertVerifies(OLD_SECRET, request);
            }
            String tampered = new String(accepted.body(), StandardCharsets.UTF_8).replace("alice", "mallory");
            assertThrows(WebhookVerificationException.class,
                    () -> new Webhook(SECRET).verify(tampered, accepted.headers()));

            await().atMost(Duration.ofSeconds(5)).until(() -> logs.lines().stream()
                    .anyMatch(l -> l.contains("retrying") && l.contains("token=***")));
            assertNoSecretLogged(logs);
        }
    }

    @Test
    void givenSignedSubscription_whenReceiverAnswers410_thenErrorNotificationCarriesHeaderAndValidSignature() {
        String table = dynamo.createTable("SignedGone-" + System.nanoTime() % 100000, StreamViewType.NEW_IMAGE);
        Receiver receiver = receiver().answering(n -> n == 1 ? 410 : 200);
        try (LogCapture logs = LogCapture.start()) {
            String id = subscribeSigned(table, receiver);
            dynamo.put(table, "bob", 1);

            await().atMost(Duration.ofSeconds(20)).until(() -> receiver.notifications().size() == 1);
            Receiver.Request notification = receiver.notifications().get(0);

            assertEquals(HEADER_VALUE, header(notification, "Authorization"));
            assertTrue(header(notification, "webhook-id").matches("msg_[0-9a-f]{32}"));
            assertVerifies(SECRET, notification);
            assertEquals("ERROR", Api.status(id));
            String detail = given().get("/subscriptions/" + id).then().extract().asString();
            for (String secret : NEVER_LOGGED) {
                assertFalse(detail.contains(secret), "'" + secret + "' in " + detail);
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> logs.lines().stream()
                    .anyMatch(l -> l.contains("Error notification") && l.contains("token=***")));
            assertNoSecretLogged(logs);
        }
    }
}
