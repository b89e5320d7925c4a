package io.dynamostream.state;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.dynamostream.e2e.Dynamo;
import io.dynamostream.e2e.Receiver;
import io.dynamostream.dev.LocalDynamoDbServer;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * The packaged service with the embedded state store, stopped with SIGTERM and started again: subscriptions keep
 * their ids and statuses, file entries are matched on table and URL, and reading resumes after the checkpoints.
 */
class RestartIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void givenStoredState_whenServiceRestarts_thenIdsStatusesAndPositionsSurvive() throws Exception {
        try (LocalDynamoDbServer db = LocalDynamoDbServer.start(); Receiver people = new Receiver();
                Receiver orders = new Receiver(); Receiver api = new Receiver()) {
            Dynamo dynamo = new Dynamo(db.endpoint());
            dynamo.createTable("People", StreamViewType.NEW_IMAGE);
            dynamo.createTable("Orders", StreamViewType.NEW_IMAGE);
            Path file = dir.resolve("config.yml");
            Files.writeString(file, "entries:\n"
                    + "  - table_name: People\n    url: " + people.url() + "\n"
                    + "  - table_name: Orders\n    url: " + orders.url() + "\n");
            Map<String, String> env = new HashMap<>(Map.of("CONFIG_PATH", file.toString(),
                    "DYNAMODB_ENDPOINT_URL", db.endpoint().toString(), "AWS_REGION", "us-east-1",
                    "AWS_ACCESS_KEY_ID", "test", "AWS_SECRET_ACCESS_KEY", "test",
                    "DYNAMO_STREAM_STATE_STORE", "embedded", "DYNAMO_STREAM_STATE_DIR", dir.resolve("state").toString()));

            int port = PackagedService.freePort();
            Process first = PackagedService.start(env, port);
            String peopleId;
            String apiId;
            try {
                JsonNode list = awaitList(port, 2);
                peopleId = idOf(list, "People");
                apiId = post(port, "/", "{\"table_name\":\"People\",\"url\":\"" + api.url()
                        + "\",\"starting_position\":\"TRIM_HORIZON\"}").get("id").asText();
                dynamo.put("People", "before-restart", 1);
                await().atMost(Duration.ofSeconds(20)).until(() -> people.records().size() == 1
                        && api.records().size() == 1);
                assertEquals(200, send(port, "POST", "/subscriptions/" + apiId + "/pause").statusCode());
            } finally {
                assertEquals(0, PackagedService.stop(first), "SIGTERM ends the service with status 0");
            }

            // while it is down: one more record, and the Orders entry leaves the file
            dynamo.put("People", "while-down", 2);
            Files.writeString(file, "entries:\n  - table_name: People\n    url: " + people.url() + "\n");
            Process second = PackagedService.start(env, port);
            try {
                JsonNode list = awaitList(port, 2);
                assertEquals(peopleId, idOf(list, "People"), "the file entry keeps its id");
                assertTrue(list.has(apiId), "the API subscription keeps its id: " + list);
                assertEquals("PAUSED", list.get(apiId).get("status").asText());
                assertEquals(2, list.size(), "the entry removed from the file is gone, nothing is duplicated");

                await().atMost(Duration.ofSeconds(20)).until(() -> people.records().size() == 2);
                assertEquals(List.of("before-restart", "while-down"), keys(people),
                        "resumed after the checkpoint: the record written while down arrives, nothing twice");

                assertEquals(200, send(port, "POST", "/subscriptions/" + apiId + "/resume").statusCode());
                await().atMost(Duration.ofSeconds(20)).until(() -> api.records().size() == 2);
                assertEquals(List.of("before-restart", "while-down"), keys(api));
            } finally {
                assertEquals(0, PackagedService.stop(second));
            }
        }
    }

    private static List<String> keys(Receiver receiver) {
        List<String> keys = new ArrayList<>();
        receiver.records().forEach(r -> keys.add(r.at("/dynamodb/Keys/pk/S").asText()));
        return keys;
    }

    private static String idOf(JsonNode list, String table) {
        for (var e : list.properties()) {
            if (table.equals(e.getValue().get("table_name").asText())) {
                return e.getKey();
            }
        }
        throw new AssertionError("no subscription for " + table + " in " + list);
    }

    private JsonNode awaitList(int port, int size) {
        return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> JSON.readTree(send(port, "GET", "/").body()), n -> n.size() == size);
    }

    private JsonNode post(int port, String path, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    private HttpResponse<String> send(int port, String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

}
