package io.dynamostream.state;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;

import io.dynamostream.dev.LocalDynamoDbServer;
import io.dynamostream.e2e.Dynamo;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * Issue 11.3, across a restart: a receiver that counts a tumbling window's records in the state it returns gets, in
 * the window's final invoke, every record of the window, those delivered before the packaged service was stopped
 * (SIGTERM) and started again included, each counted once: the state the receiver returned was kept in the embedded
 * store and sent with the first invoke after the restart.
 */
class WindowRestartIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Long enough for a stop and a start inside one window, short enough to wait for its end. */
    private static final int WINDOW_SECONDS = 30;

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void givenAWindowOpenAcrossARestart_whenItCloses_thenItsFinalStateCountsEveryRecordOnce() throws Exception {
        List<JsonNode> invokes = new CopyOnWriteArrayList<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
        receiver.createContext("/", exchange -> {
            JsonNode event = JSON.readTree(exchange.getRequestBody().readAllBytes());
            invokes.add(event);
            int count = event.path("state").path("count").asInt(0) + event.path("Records").size();
            byte[] answer = ("{\"state\":{\"count\":\"" + count + "\"}}").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        });
        receiver.start();
        try (LocalDynamoDbServer db = LocalDynamoDbServer.start()) {
            Dynamo dynamo = new Dynamo(db.endpoint());
            dynamo.createTable("Tally", StreamViewType.NEW_IMAGE);
            Map<String, String> env = Map.of("DYNAMODB_ENDPOINT_URL", db.endpoint().toString(), "AWS_REGION",
                    "us-east-1", "AWS_ACCESS_KEY_ID", "test", "AWS_SECRET_ACCESS_KEY", "test",
                    "DYNAMO_STREAM_STATE_STORE", "embedded", "DYNAMO_STREAM_STATE_DIR", dir.resolve("state").toString());
            int port = PackagedService.freePort();
            // windows are aligned to multiples of their length: begin near the start of one, so the stop and the
            // start (a few seconds) fall inside it
            long now = Instant.now().getEpochSecond();
            long start = now % WINDOW_SECONDS < 3 ? now - now % WINDOW_SECONDS : now - now % WINDOW_SECONDS
                    + WINDOW_SECONDS;
            Process first = PackagedService.start(env, port);
            try {
                awaitUp(port);
                HttpResponse<String> created = send(port, "POST", "/subscriptions", "{\"table_name\": \"Tally\", "
                        + "\"url\": \"http://127.0.0.1:" + receiver.getAddress().getPort() + "/\", "
                        + "\"starting_position\": \"TRIM_HORIZON\", \"tumbling_window_in_seconds\": "
                        + WINDOW_SECONDS + "}");
                assertEquals(201, created.statusCode(), created.body());
                await().atMost(Duration.ofSeconds(WINDOW_SECONDS + 5)).pollInterval(Duration.ofMillis(100))
                        .until(() -> Instant.now().getEpochSecond() >= start);
                for (int i = 0; i < 3; i++) {
                    dynamo.put("Tally", "before-" + i, i);
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> records(invokes) == 3);
            } finally {
                assertEquals(0, PackagedService.stop(first), "SIGTERM ends the service with status 0");
            }
            Process second = PackagedService.start(env, port);
            try {
                awaitUp(port);
                for (int i = 0; i < 2; i++) {
                    dynamo.put("Tally", "after-" + i, i);
                }
                Assumptions.assumeTrue(Instant.now().getEpochSecond() < start + WINDOW_SECONDS - 1,
                        "the stop and the start took longer than the window: nothing to conclude");
                await().atMost(Duration.ofSeconds(WINDOW_SECONDS + 20)).until(() -> finals(invokes).size() >= 1);
                JsonNode last = finals(invokes).get(0);
                assertEquals(Instant.ofEpochSecond(start).toString(), last.path("window").path("start").asText(),
                        invokes.toString());
                assertEquals(5, last.path("state").path("count").asInt(), "every record of the window, once: "
                        + invokes);
            } finally {
                assertEquals(0, PackagedService.stop(second));
            }
        } finally {
            receiver.stop(0);
        }
    }

    private static int records(List<JsonNode> invokes) {
        return invokes.stream().mapToInt(e -> e.path("Records").size()).sum();
    }

    private static List<JsonNode> finals(List<JsonNode> invokes) {
        return invokes.stream().filter(e -> e.path("isFinalInvokeForWindow").asBoolean()).toList();
    }

    private void awaitUp(int port) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> send(port, "GET", "/q/health/ready", null).statusCode() == 200);
    }

    private HttpResponse<String> send(int port, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return http.send(b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

}
