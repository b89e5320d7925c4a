package io.dynamostream.state;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.dynamostream.dev.LocalDynamoDbServer;
import io.dynamostream.e2e.Receiver;
import io.dynamostream.e2e.ServiceProcess;

/**
 * The packaged service with the embedded state store: a stop notification still pending when the service goes down
 * (SIGTERM or SIGKILL) is resumed at the next start, reaches the receiver that came up meanwhile, and the
 * subscription's status shows it DELIVERED with the attempts of both runs counted.
 */
class StopNotificationRestartIT {

    private static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar");

    @TempDir
    Path dir;

    @Test
    void givenPendingNotification_whenTheServiceIsStoppedAndStartedAgain_thenItIsDeliveredAfterTheRestart()
            throws Exception {
        pendingAcrossARestart(false);
    }

    @Test
    void givenPendingNotification_whenTheServiceIsKilledAndStartedAgain_thenItIsDeliveredAfterTheRestart()
            throws Exception {
        pendingAcrossARestart(true);
    }

    private void pendingAcrossARestart(boolean kill) throws Exception {
        try (LocalDynamoDbServer db = LocalDynamoDbServer.start()) {
            Map<String, String> env = Map.of("DYNAMODB_ENDPOINT_URL", db.endpoint().toString(),
                    "AWS_REGION", "us-east-1", "AWS_ACCESS_KEY_ID", "test", "AWS_SECRET_ACCESS_KEY", "test",
                    "DYNAMO_STREAM_STATE_STORE", "embedded", "DYNAMO_STREAM_STATE_DIR", dir.resolve("state").toString(),
                    "DYNAMO_STREAM_NOTIFICATION_RETRY_FOR", "10m",
                    "DYNAMO_STREAM_NOTIFICATION_INITIAL_BACKOFF", "200ms",
                    "DYNAMO_STREAM_NOTIFICATION_MAX_BACKOFF", "1s");
            Path log = dir.resolve("service.log");
            int port = freePort();
            URI receiverUrl = URI.create("http://127.0.0.1:" + port + "/events");

            String id;
            int attemptsBefore;
            try (ServiceProcess first = ServiceProcess.start(JAR, List.of(), env, log, Duration.ofSeconds(60))) {
                // no such table: ERROR at once, and the notification goes to a receiver that is down
                id = first.subscribe("Missing-" + System.nanoTime(), receiverUrl, "LATEST");
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(
                        () -> first.subscription(id).path("notification").path("attempts").asInt() >= 2);
                JsonNode pending = first.subscription(id);
                assertEquals("ERROR", pending.path("status").asText());
                assertEquals("PENDING", pending.at("/notification/state").asText(), pending.toString());
                attemptsBefore = pending.at("/notification/attempts").asInt();
                if (kill) {
                    assertEquals(ServiceProcess.SIGKILLED, first.kill());
                } else {
                    assertEquals(OptionalInt.of(0), first.stop(Duration.ofSeconds(30)), "SIGTERM: exit status 0");
                }
            }

            try (Receiver receiver = new Receiver(port);
                    ServiceProcess second = ServiceProcess.start(JAR, List.of(), env, log, Duration.ofSeconds(60))) {
                await().atMost(Duration.ofSeconds(20)).until(() -> receiver.notifications().size() == 1);
                await().atMost(Duration.ofSeconds(5)).until(
                        () -> "DELIVERED".equals(second.subscription(id).at("/notification/state").asText()));
                JsonNode after = second.subscription(id);
                assertEquals("ERROR", after.path("status").asText(), "the subscription's own status is kept");
                JsonNode note = receiver.notifications().get(0).json();
                assertEquals(after.path("error").asText(), note.path("message").asText());
                assertEquals(after.path("table_name").asText(), note.path("table_name").asText());
                assertTrue(after.at("/notification/attempts").asInt() > attemptsBefore,
                        "attempts of both runs are counted: " + after);
                assertEquals(OptionalInt.of(0), second.stop(Duration.ofSeconds(30)));
            }

            // delivered is final: a third start sends nothing and still shows it
            try (Receiver receiver = new Receiver(port);
                    ServiceProcess third = ServiceProcess.start(JAR, List.of(), env, log, Duration.ofSeconds(60))) {
                assertEquals("DELIVERED", third.subscription(id).at("/notification/state").asText());
                await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                        .until(() -> receiver.requests().isEmpty());
                third.stop(Duration.ofSeconds(30));
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
