package io.dynamostream.e2e;

import static io.dynamostream.e2e.TestCleanup.table;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * End to end, Lambda-style failure handling per subscription: batching, bisection of a failing batch, on_failure
 * (dead_letter, skip, stop), dead-letter re-delivery, pause / resume / restart.
 */
@QuarkusTest
class FailureHandlingTest {


    private final Dynamo dynamo = Dynamo.local();
    private final TestCleanup cleanup = new TestCleanup();

    @AfterEach
    void cleanUp() {
        cleanup.close();
    }

    private Receiver receiver() {
        return cleanup.receiver();
    }

    private String subscribe(String table, Receiver receiver, String settings) {
        String id = Api.subscribeWith("{\"table_name\":\"" + table + "\",\"url\":\"" + receiver.url()
                + "\",\"starting_position\":\"TRIM_HORIZON\"" + (settings.isEmpty() ? "" : "," + settings) + "}");
        cleanup.subscription(id);
        return id;
    }


    private static boolean holds(Receiver.Request r, String key) {
        return new String(r.body(), StandardCharsets.UTF_8).contains("\"" + key + "\"");
    }

    private static List<String> keys(JsonNode batch) {
        List<String> keys = new ArrayList<>();
        batch.get("Records").forEach(r -> keys.add(r.at("/dynamodb/Keys/pk/S").asText()));
        return keys;
    }

    @Test
    void givenPoisonRecordAndBisect_thenOnlyItIsDeadLetteredAndTheOthersArriveInOrder() {
        String table = dynamo.createTable(table("Poison"), StreamViewType.NEW_IMAGE);
        List<String> written = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            String key = i == 6 ? "poison" : "ok-" + i;
            dynamo.put(table, key, i);
            written.add(key);
        }
        Receiver receiver = receiver().answeringRequest(r -> holds(r, "poison") && !r.isNotification() ? 500 : 200);
        String id = subscribe(table, receiver, "\"batch_size\":10,\"bisect_batch_on_function_error\":true,"
                + "\"maximum_retry_attempts\":1,\"on_failure\":\"dead_letter\"");

        await().atMost(Duration.ofSeconds(20)).until(() -> given().get("/subscriptions/" + id + "/dead-letters")
                .then().extract().jsonPath().getList("$").size() == 1);
        JsonPath letters = given().get("/subscriptions/" + id + "/dead-letters").then().statusCode(200)
                .extract().jsonPath();
        assertEquals(1, letters.getInt("[0].records"), "only the poison record is given up");
        assertEquals(letters.getString("[0].first_sequence_number"), letters.getString("[0].last_sequence_number"));
        org.hamcrest.MatcherAssert.assertThat(letters.getString("[0].reason"), containsString("HTTP 500"));

        List<String> delivered = new ArrayList<>();
        receiver.batches().stream().filter(r -> !holds(r, "poison")).forEach(r -> delivered.addAll(keys(r.json())));
        List<String> expected = new ArrayList<>(written);
        expected.remove("poison");
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            delivered.clear();
            receiver.batches().stream().filter(r -> !holds(r, "poison"))
                    .forEach(r -> delivered.addAll(keys(r.json())));
            return delivered.size() >= expected.size();
        });
        assertEquals(expected, delivered, "every other record, once each, in the order written");
        assertEquals("RUNNING", Api.status(id));
        await().atMost(Duration.ofSeconds(5)).until(() -> receiver.notifications().stream()
                .anyMatch(n -> "DEAD_LETTER".equals(n.json().path("kind").asText())));

        // the dead letter keeps the exact body; re-delivered once the receiver accepts it, then deleted
        String letterId = letters.getString("[0].id");
        JsonPath letter = given().get("/subscriptions/" + id + "/dead-letters/" + letterId).then().statusCode(200)
                .extract().jsonPath();
        byte[] body = Base64.getDecoder().decode(letter.getString("body"));
        assertTrue(new String(body, StandardCharsets.UTF_8).contains("\"poison\""));
        given().post("/subscriptions/" + id + "/dead-letters/" + letterId + "/redeliver").then().statusCode(502)
                .body("message", containsString("HTTP 500"));
        receiver.answeringRequest(r -> 200);
        given().post("/subscriptions/" + id + "/dead-letters/" + letterId + "/redeliver").then().statusCode(200)
                .body("delivered", equalTo(1)).body("remaining", equalTo(0));
        Receiver.Request last = receiver.batches().get(receiver.batches().size() - 1);
        assertEquals(new String(body, StandardCharsets.UTF_8), new String(last.body(), StandardCharsets.UTF_8));
        assertEquals(letter.getString("webhook_id"), last.headers().get("Webhook-id").get(0));
        given().get("/subscriptions/" + id + "/dead-letters").then().statusCode(200).body("$", hasSize(0));
        given().get("/subscriptions/" + id + "/dead-letters/" + letterId).then().statusCode(404);
    }

    @Test
    void givenOnFailureSkip_thenTheBatchIsReportedWithItsRangeAndTheNextOnesArrive() {
        String table = dynamo.createTable(table("Skip"), StreamViewType.NEW_IMAGE);
        dynamo.put(table, "bad", 1);
        Receiver receiver = receiver().answeringRequest(r -> holds(r, "bad") && !r.isNotification() ? 500 : 200);
        String id = subscribe(table, receiver, "\"maximum_retry_attempts\":0,\"on_failure\":\"skip\"");
        await().atMost(Duration.ofSeconds(10)).until(() -> !receiver.notifications().isEmpty());
        JsonNode note = receiver.notifications().get(0).json();
        assertEquals("SKIPPED", note.get("kind").asText());
        assertEquals(table, note.get("table_name").asText());
        assertEquals(note.get("first_sequence_number").asText(), note.get("last_sequence_number").asText());
        assertEquals(1, note.get("records").asInt());

        dynamo.put(table, "good", 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.batches().stream().anyMatch(r -> holds(r, "good")));
        assertEquals(1, receiver.batches().stream().filter(r -> holds(r, "bad")).count(), "one attempt, then skipped");
        assertEquals("RUNNING", Api.status(id));
    }

    @Test
    void givenRecordsOlderThanTheMaximumAge_thenTheyAreGivenUpAndReportedWhileNewerOnesArrive() {
        String table = dynamo.createTable(table("Age"), StreamViewType.NEW_IMAGE);
        dynamo.hook("record-clock", java.util.Map.of("offsetSeconds", -120));
        try {
            dynamo.put(table, "two-minutes-old", 1);
        } finally {
            dynamo.hook("record-clock", java.util.Map.of("offsetSeconds", 0));
        }
        dynamo.put(table, "fresh", 2);
        Receiver receiver = receiver();
        String id = subscribe(table, receiver, "\"maximum_record_age_in_seconds\":60,\"on_failure\":\"skip\"");
        await().atMost(Duration.ofSeconds(10)).until(() -> !receiver.notifications().isEmpty()
                && !receiver.records().isEmpty());
        JsonNode note = receiver.notifications().get(0).json();
        assertEquals("SKIPPED", note.get("kind").asText());
        org.hamcrest.MatcherAssert.assertThat(note.get("message").asText(),
                containsString("older than maximum_record_age_in_seconds (60 s)"));
        assertEquals(List.of("fresh"), receiver.records().stream().map(r -> r.at("/dynamodb/Keys/pk/S").asText())
                .toList(), "the old record is never POSTed, the fresh one is");
        assertEquals("RUNNING", Api.status(id));
    }

    @Test
    void givenBatchSizeAndWindow_thenRecordsAreGroupedInOrder() {
        String table = dynamo.createTable(table("Batch"), StreamViewType.NEW_IMAGE);
        for (int i = 0; i < 7; i++) {
            dynamo.put(table, "b-" + i, i);
        }
        Receiver small = receiver();
        subscribe(table, small, "\"batch_size\":3");
        await().atMost(Duration.ofSeconds(10)).until(() -> small.records().size() == 7);
        assertEquals(List.of(3, 3, 1), small.batches().stream().map(r -> r.json().get("Records").size()).toList());

        // a window: records written one by one within it arrive in one POST
        String windowed = dynamo.createTable(table("Window"), StreamViewType.NEW_IMAGE);
        Receiver patient = receiver();
        subscribe(windowed, patient, "\"batch_size\":5,\"maximum_batching_window_in_seconds\":3");
        for (int i = 0; i < 5; i++) {
            dynamo.put(windowed, "w-" + i, i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> patient.records().size() == 5);
        assertEquals(1, patient.batches().size(), "five records within the window: one POST");
        List<String> order = keys(patient.batches().get(0).json());
        assertEquals(List.of("w-0", "w-1", "w-2", "w-3", "w-4"), order);
    }

    @Test
    void givenPaused_thenNothingArrivesUntilResumedAndNothingIsLostOrRepeated() {
        String table = dynamo.createTable(table("Pause"), StreamViewType.NEW_IMAGE);
        Receiver receiver = receiver();
        String id = subscribe(table, receiver, "");
        dynamo.put(table, "before", 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.records().size() == 1);

        given().post("/subscriptions/" + id + "/pause").then().statusCode(200).body("status", equalTo("PAUSED"));
        given().post("/subscriptions/" + id + "/pause").then().statusCode(409)
                .body("message", containsString("only a STARTING, RUNNING or RETRYING subscription can be paused"));
        dynamo.put(table, "while-paused-1", 2);
        dynamo.put(table, "while-paused-2", 3);
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2))
                .until(() -> receiver.records().size() == 1);

        given().post("/subscriptions/" + id + "/resume").then().statusCode(200).body("status", equalTo("RUNNING"));
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.records().size() == 3);
        List<String> keys = receiver.records().stream().map(r -> r.at("/dynamodb/Keys/pk/S").asText()).toList();
        assertEquals(List.of("before", "while-paused-1", "while-paused-2"), keys);
        given().post("/subscriptions/" + id + "/resume").then().statusCode(409);
        given().post("/subscriptions/" + id + "/restart").then().statusCode(409);
        given().post("/subscriptions/01J0000000000000000000NONE/pause").then().statusCode(404);
    }

    @Test
    void givenErrorAfterRetries_whenRestarted_thenTheFailedBatchIsDeliveredFromTheCheckpoint() {
        String table = dynamo.createTable(table("Restart"), StreamViewType.NEW_IMAGE);
        dynamo.put(table, "first", 1);
        Receiver receiver = receiver().answering(n -> n <= 2 ? 500 : 200);
        String id = subscribe(table, receiver, "\"maximum_retry_attempts\":1");
        await().atMost(Duration.ofSeconds(10)).until(() -> "ERROR".equals(Api.status(id)));
        org.hamcrest.MatcherAssert.assertThat(Api.subscription(id).getString("error"),
                containsString("failed after 2 attempts"));
        await().atMost(Duration.ofSeconds(5)).until(() -> receiver.notifications().size() == 1);
        dynamo.put(table, "second", 2);

        given().post("/subscriptions/" + id + "/restart").then().statusCode(200).body("status", equalTo("RUNNING"))
                .body("error", equalTo(null));
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.records().size() == 4);
        List<JsonNode> batches = receiver.batches().stream().map(Receiver.Request::json).toList();
        List<String> keys = new ArrayList<>();
        batches.forEach(b -> keys.addAll(keys(b)));
        assertEquals(List.of("first", "first", "first", "second"), keys,
                "two failed attempts, the restart re-sends the same batch, then the next record");
        BigInteger firstSeq = new BigInteger(batches.get(2).at("/Records/0/dynamodb/SequenceNumber").asText());
        BigInteger secondSeq = new BigInteger(batches.get(3).at("/Records/0/dynamodb/SequenceNumber").asText());
        assertTrue(secondSeq.compareTo(firstSeq) > 0);
        assertEquals("RUNNING", Api.status(id));
    }
}
