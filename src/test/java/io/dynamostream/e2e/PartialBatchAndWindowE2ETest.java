package io.dynamostream.e2e;

import static io.dynamostream.e2e.TestCleanup.table;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;

import io.dynamostream.aws.SequenceNumbers;
import io.dynamostream.delivery.PowertoolsHandler;
import io.quarkus.test.junit.QuarkusTest;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * End to end, from the table to the receiver, with subscriptions registered through the API: a handler written with
 * Powertools for AWS Lambda's batch utility answering partial batch responses over HTTP
 * ({@code function_response_types: ["ReportBatchItemFailures"]}), and a receiver aggregating a tumbling window's
 * state ({@code tumbling_window_in_seconds}).
 */
@QuarkusTest
class PartialBatchAndWindowE2ETest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static PowertoolsHandler powertools;

    private final Dynamo dynamo = Dynamo.local();
    private final TestCleanup cleanup = new TestCleanup();

    @BeforeAll
    static void startHandler() {
        powertools = PowertoolsHandler.start();
    }

    @AfterAll
    static void stopHandler() {
        powertools.close();
    }

    @AfterEach
    void cleanUp() {
        cleanup.close();
    }



    @Test
    void givenAPowertoolsHandlerFailingSomeRecords_thenEachIsRetriedFromTheFailureAndTheRecordsBeforeItOnlyOnce()
            throws Exception {
        String table = dynamo.createTable(table("Partial"), StreamViewType.NEW_IMAGE);
        String id = cleanup.subscribe("{\"table_name\": \"" + table + "\", \"url\": \"" + powertools.url() + "\", "
                + "\"starting_position\": \"TRIM_HORIZON\", \"batch_size\": 10, "
                + "\"maximum_batching_window_in_seconds\": 1, \"maximum_retry_attempts\": 5, "
                + "\"FunctionResponseTypes\": [\"ReportBatchItemFailures\"]}");
        for (int i = 0; i < 6; i++) {
            Map<String, AttributeValue> item = new java.util.HashMap<>(Map.of("pk", AttributeValue.fromS("p" + i)));
            if (i == 2 || i == 4) {
                item.put("failTimes", AttributeValue.fromN(i == 2 ? "1" : "2"));
            }
            dynamo.put(table, item);
        }
        List<String> written = new ArrayList<>(dynamo.shardOfEachSequenceNumber(table).keySet());
        written.sort(SequenceNumbers.ORDER);
        assertEquals(6, written.size());

        await().atMost(Duration.ofSeconds(30)).until(() -> powertools.processed().containsAll(written));

        List<String> processed = powertools.processed();
        assertEquals(1, Collections.frequency(processed, written.get(0)), processed.toString());
        assertEquals(1, Collections.frequency(processed, written.get(1)), processed.toString());
        // a record that failed is processed again only after the records before it were acknowledged; those after
        // it may be processed twice (once before, once after), as on Lambda
        assertEquals(1, Collections.frequency(processed, written.get(2)), processed.toString());
        assertEquals("RUNNING", Api.status(id));
    }

    @Test
    void givenATumblingWindow_thenTheReceiversStateIsCarriedAndTheFinalInvokeHasEveryRecordOfTheWindow()
            throws Exception {
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
        try {
            String table = dynamo.createTable(table("Window"), StreamViewType.NEW_IMAGE);
            URI url = URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + "/");
            cleanup.subscribe("{\"table_name\": \"" + table + "\", \"url\": \"" + url + "\", "
                    + "\"starting_position\": \"TRIM_HORIZON\", \"batch_size\": 2, "
                    + "\"tumbling_window_in_seconds\": 2}");
            for (int i = 0; i < 5; i++) {
                dynamo.put(table, "w" + i, i);
            }

            // every window the records fall in is closed: on time (a quiet shard) or by a later record
            await().atMost(Duration.ofSeconds(40)).until(() -> {
                int inFinals = 0;
                for (JsonNode e : invokes) {
                    if (e.path("isFinalInvokeForWindow").asBoolean()) {
                        inFinals += e.path("state").path("count").asInt();
                    }
                }
                return inFinals == 5;
            });
            for (JsonNode e : invokes) {
                assertTrue(e.has("window") && e.has("shardId") && e.has("eventSourceARN"), e.toString());
                String start = e.path("window").path("start").asText();
                for (JsonNode r : e.path("Records")) {
                    long created = r.path("dynamodb").path("ApproximateCreationDateTime").asLong();
                    long windowStart = java.time.Instant.parse(start).getEpochSecond();
                    assertTrue(created >= windowStart && created < windowStart + 2 || created < windowStart,
                            "a record in its window (or a later one when read late): " + e);
                }
            }
        } finally {
            receiver.stop(0);
        }
    }
}
