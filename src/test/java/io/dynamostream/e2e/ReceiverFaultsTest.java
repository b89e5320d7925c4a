package io.dynamostream.e2e;

import static io.dynamostream.e2e.TestCleanup.table;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * Receiver faults end to end: the local DynamoDB + Streams server, the service, and WireMock as the receiver that
 * fails in the ways real receivers do. Each test checks what the receiver's owner would see: which requests arrived,
 * with which bodies and delivery ids, in which order and when, and the status and error the API shows.
 *
 * <p>Settings from {@link LocalDynamoDbTestResource}: delivery backoff 50 ms to 200 ms, attempt timeout 2 s. A
 * subscription registered through {@code POST /} gets the default of ten attempts per batch, then ERROR.
 */
@QuarkusTest
@WithTestResource(value = LocalDynamoDbTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = WireMockReceiverResource.class, scope = TestResourceScope.GLOBAL)
class ReceiverFaultsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** dynamo-stream.delivery.timeout in {@link LocalDynamoDbTestResource}. */
    private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(2);

    @InjectWireMock
    WireMockServer receiver;

    private final Dynamo dynamo = Dynamo.local();
    private final TestCleanup cleanup = new TestCleanup();

    @AfterEach
    void cleanUp() {
        cleanup.close();
        receiver.resetAll();
    }


    private String subscribe(String table, String path) {
        String id = Api.subscribe(table, url(path));
        cleanup.subscription(id);
        return id;
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + receiver.port() + path);
    }

    /** Every answer on {@code path} is {@code answer}. */
    private void always(String path, ResponseDefinitionBuilder answer) {
        receiver.stubFor(post(urlEqualTo(path)).willReturn(answer));
    }

    /** The first {@code times} requests on {@code path} get {@code failure}, every later one a 200. */
    private void failingThenOk(String path, ResponseDefinitionBuilder failure, int times) {
        String scenario = "failing " + path;
        for (int i = 0; i < times; i++) {
            receiver.stubFor(post(urlEqualTo(path)).inScenario(scenario)
                    .whenScenarioStateIs(i == 0 ? Scenario.STARTED : "failed " + i)
                    .willReturn(failure).willSetStateTo("failed " + (i + 1)));
        }
        receiver.stubFor(post(urlEqualTo(path)).inScenario(scenario)
                .whenScenarioStateIs(times == 0 ? Scenario.STARTED : "failed " + times).willReturn(ok()));
    }

    /** Every request that reached {@code path}, oldest first. */
    private List<LoggedRequest> requests(String path) {
        List<LoggedRequest> all = new ArrayList<>(receiver.findAll(anyRequestedFor(urlEqualTo(path))));
        all.sort((a, b) -> a.getLoggedDate().compareTo(b.getLoggedDate()));
        return all;
    }

    /** The batches (not error notifications) that reached {@code path}, oldest first; a retry appears each time. */
    private List<LoggedRequest> batches(String path) {
        return requests(path).stream().filter(r -> json(r).has("Records")).toList();
    }

    private List<LoggedRequest> notifications(String path) {
        return requests(path).stream().filter(r -> !json(r).has("Records")).toList();
    }

    private static JsonNode json(LoggedRequest r) {
        try {
            return JSON.readTree(r.getBody());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> keys(LoggedRequest batch) {
        List<String> keys = new ArrayList<>();
        json(batch).get("Records").forEach(r -> keys.add(r.at("/dynamodb/Keys/pk/S").asText()));
        return keys;
    }

    /** The keys in the order they first arrived, each once (what a receiver that drops duplicates keeps). */
    private List<String> distinctKeys(String path) {
        LinkedHashSet<String> seen = new LinkedHashSet<>();
        batches(path).forEach(b -> seen.addAll(keys(b)));
        return List.copyOf(seen);
    }

    private static String webhookId(LoggedRequest r) {
        return r.getHeader("webhook-id");
    }

    private static long millisBetween(LoggedRequest earlier, LoggedRequest later) {
        return later.getLoggedDate().getTime() - earlier.getLoggedDate().getTime();
    }

    @Test
    void givenReceiverAnswering500ThreeTimes_thenTheSameBatchIsResentAndLaterRecordsArriveOnlyAfterIt() {
        String table = dynamo.createTable(table("Flaky"), StreamViewType.NEW_IMAGE);
        String path = "/flaky/" + table;
        // slow failures leave time to write the next records while the first batch is still being retried
        failingThenOk(path, aResponse().withStatus(500).withBody("database down").withFixedDelay(300), 3);
        String id = subscribe(table, path);

        dynamo.put(table, "first", 0);
        await().atMost(Duration.ofSeconds(10)).until(() -> !batches(path).isEmpty());
        for (int i = 1; i <= 4; i++) {
            dynamo.put(table, "later-" + i, i);
        }
        long writtenAt = System.currentTimeMillis();
        await().atMost(Duration.ofSeconds(15)).until(() -> distinctKeys(path).size() == 5);

        List<LoggedRequest> batches = batches(path);
        LoggedRequest original = batches.get(0);
        assertEquals(List.of("first"), keys(original));
        assertNotNull(webhookId(original));
        for (int i = 1; i < 4; i++) {
            assertArrayEquals(original.getBody(), batches.get(i).getBody(), "attempt " + (i + 1) + ": same bytes");
            assertEquals(webhookId(original), webhookId(batches.get(i)), "attempt " + (i + 1) + ": same webhook-id");
        }
        assertTrue(writtenAt < batches.get(3).getLoggedDate().getTime(),
                "the later records were written while the first batch was still failing");
        List<String> after = batches.subList(4, batches.size()).stream().flatMap(b -> keys(b).stream()).toList();
        assertEquals(List.of("later-1", "later-2", "later-3", "later-4"), after,
                "the later records come after the acknowledged batch, in order, once");
        assertTrue(batches.subList(4, batches.size()).stream().noneMatch(b -> webhookId(b).equals(webhookId(original))),
                "a new batch has a new webhook-id");
        assertEquals("RUNNING", Api.status(id));
        assertEquals(5, Api.subscription(id).getLong("shards[0].delivered_records"));
    }

    @Test
    void givenReceiverAnswering429WithRetryAfter_thenTheNextAttemptWaitsThatLong() {
        String table = dynamo.createTable(table("RetryAfter"), StreamViewType.NEW_IMAGE);
        String path = "/busy/" + table;
        failingThenOk(path, aResponse().withStatus(429).withHeader("Retry-After", "1"), 1);
        String id = subscribe(table, path);

        dynamo.put(table, "k", 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> batches(path).size() == 1);
        await().atMost(Duration.ofSeconds(2)).until(() -> "RETRYING".equals(Api.status(id)));
        assertThat(Api.subscription(id).getString("shards[0].last_error"), containsString("HTTP 429"));
        await().atMost(Duration.ofSeconds(10)).until(() -> batches(path).size() == 2);

        List<LoggedRequest> batches = batches(path);
        assertThat("ms between the 429 and the next attempt", millisBetween(batches.get(0), batches.get(1)),
                greaterThanOrEqualTo(1000L));
        assertEquals(webhookId(batches.get(0)), webhookId(batches.get(1)));
        await().atMost(Duration.ofSeconds(2)).until(() -> "RUNNING".equals(Api.status(id)));
    }

    /** How a receiver hangs: longer than the attempt timeout in both cases. */
    enum Hang {
        /** Answers nothing for 3 s. */
        SILENT(ok().withFixedDelay(3_000)),
        /** Answers 200 at once, then trickles the body out over 3 s: not a 2xx until the answer is complete. */
        TRICKLING(ok().withBody("{\"accepted\": true, \"padding\": \"" + "x".repeat(64) + "\"}")
                .withChunkedDribbleDelay(6, 3_000));

        final ResponseDefinitionBuilder answer;

        Hang(ResponseDefinitionBuilder answer) {
            this.answer = answer;
        }
    }

    @ParameterizedTest
    @EnumSource(Hang.class)
    void givenReceiverHanging_thenEachAttemptTimesOutAndIsRetriedWhileAnotherSubscriptionKeepsReceiving(Hang hang) {
        String table = dynamo.createTable(table("Hang"), StreamViewType.NEW_IMAGE);
        String slowPath = "/hanging/" + table;
        String healthyPath = "/healthy/" + table;
        always(slowPath, hang.answer);
        always(healthyPath, ok());
        String slow = subscribe(table, slowPath);
        String healthy = subscribe(table, healthyPath);

        dynamo.put(table, "h-1", 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> distinctKeys(healthyPath).size() == 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> batches(slowPath).size() == 1);
        dynamo.put(table, "h-2", 2);
        dynamo.put(table, "h-3", 3);
        // the healthy subscription gets the next records while the slow one still waits for its first answer
        await().atMost(Duration.ofSeconds(5)).until(() -> distinctKeys(healthyPath).size() == 3);
        assertEquals(1, batches(slowPath).size(), "still the first attempt on the hanging receiver");

        await().atMost(Duration.ofSeconds(10)).until(() -> batches(slowPath).size() == 2);
        assertEquals("RETRYING", Api.status(slow));
        assertThat(Api.subscription(slow).getString("shards[0].last_error"),
                containsString("timed out after " + ATTEMPT_TIMEOUT.toMillis() + " ms"));
        List<LoggedRequest> attempts = batches(slowPath);
        assertThat("the first attempt was given its whole timeout", millisBetween(attempts.get(0), attempts.get(1)),
                greaterThanOrEqualTo(ATTEMPT_TIMEOUT.toMillis() - 100));
        assertArrayEquals(attempts.get(0).getBody(), attempts.get(1).getBody());
        assertEquals(webhookId(attempts.get(0)), webhookId(attempts.get(1)));
        assertEquals(List.of("h-1"), keys(attempts.get(0)));

        always(slowPath, ok()); // the receiver answers again
        await().atMost(Duration.ofSeconds(15)).until(() -> distinctKeys(slowPath).size() == 3);
        assertEquals(List.of("h-1", "h-2", "h-3"), distinctKeys(slowPath));
        assertEquals(List.of("h-1", "h-2", "h-3"), distinctKeys(healthyPath));
        assertEquals(3, batches(healthyPath).stream().mapToInt(b -> keys(b).size()).sum(),
                "the healthy receiver got each record once");
        await().atMost(Duration.ofSeconds(2)).until(() -> "RUNNING".equals(Api.status(slow)));
        assertEquals("RUNNING", Api.status(healthy));
    }

    @ParameterizedTest
    @EnumSource(value = Fault.class,
            names = {"CONNECTION_RESET_BY_PEER", "MALFORMED_RESPONSE_CHUNK", "RANDOM_DATA_THEN_CLOSE", "EMPTY_RESPONSE"})
    void givenBrokenConnections_thenRetriedAndDeliveredOnceTheReceiverRecoversWithNoRecordLost(Fault fault) {
        String table = dynamo.createTable(table("Broken"), StreamViewType.NEW_IMAGE);
        String path = "/broken/" + table;
        failingThenOk(path, aResponse().withFault(fault), 2);
        String id = subscribe(table, path);

        dynamo.put(table, "r-0", 0);
        await().atMost(Duration.ofSeconds(10)).until(() -> !batches(path).isEmpty());
        for (int i = 1; i < 5; i++) {
            dynamo.put(table, "r-" + i, i);
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> distinctKeys(path).size() == 5);

        List<LoggedRequest> batches = batches(path);
        for (int i = 1; i < 3; i++) {
            assertArrayEquals(batches.get(0).getBody(), batches.get(i).getBody(), fault + ": attempt " + (i + 1));
            assertEquals(webhookId(batches.get(0)), webhookId(batches.get(i)));
        }
        assertEquals(List.of("r-0", "r-1", "r-2", "r-3", "r-4"), distinctKeys(path));
        List<String> acknowledged = batches.subList(2, batches.size()).stream().flatMap(b -> keys(b).stream())
                .toList();
        assertEquals(List.of("r-0", "r-1", "r-2", "r-3", "r-4"), acknowledged,
                fault + ": once the receiver answers, every record once and in order");
        await().atMost(Duration.ofSeconds(2)).until(() -> "RUNNING".equals(Api.status(id)));
        assertEquals(5, Api.subscription(id).getLong("shards[0].delivered_records"));
    }

    @ParameterizedTest
    @ValueSource(ints = {302, 307})
    void givenReceiverRedirecting_thenNeverFollowedNeverSuccessRetriedThenError(int status) {
        String table = dynamo.createTable(table("Moved"), StreamViewType.NEW_IMAGE);
        String path = "/moved/" + table;
        String target = "/new-home/" + table;
        always(path, aResponse().withStatus(status).withHeader("Location", url(target).toString()));
        always(target, ok());
        String id = subscribe(table, path);

        dynamo.put(table, "m", 1);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> "RETRYING".equals(Api.status(id)));
        assertThat(Api.subscription(id).getString("shards[0].last_error"),
                containsString("HTTP " + status + " (redirects are not followed)"));
        await().atMost(Duration.ofSeconds(15)).until(() -> "ERROR".equals(Api.status(id)));

        String error = Api.subscription(id).getString("error");
        assertThat(error, containsString("last: HTTP " + status + " (redirects are not followed)"));
        Matcher attempts = Pattern.compile("failed after (\\d+) attempts").matcher(error);
        assertTrue(attempts.find(), error);
        await().atMost(Duration.ofSeconds(5)).until(() -> notifications(path).size() == 1);
        assertEquals(Integer.parseInt(attempts.group(1)), batches(path).size(), "every attempt reached the receiver");
        assertEquals(error, json(notifications(path).get(0)).get("message").asText());
        assertEquals(0, Api.subscription(id).getLong("shards[0].delivered_records"), "a 3xx is not a delivery");
        assertTrue(requests(target).isEmpty(), "nothing, not even the notification, went to the Location");
    }

    @Test
    void givenReceiverAnswering410_thenErrorWithReasonNotificationAndNoFurtherBatches() {
        String table = dynamo.createTable(table("Gone"), StreamViewType.NEW_IMAGE);
        String path = "/gone/" + table;
        always(path, aResponse().withStatus(410).withBody("this endpoint was retired"));
        String id = subscribe(table, path);

        dynamo.put(table, "g-0", 0);
        await().atMost(Duration.ofSeconds(10)).until(() -> "ERROR".equals(Api.status(id)));
        String error = Api.subscription(id).getString("error");
        assertEquals("receiver answered 410 Gone: HTTP 410 this endpoint was retired", error);
        await().atMost(Duration.ofSeconds(5)).until(() -> notifications(path).size() == 1);
        JsonNode note = json(notifications(path).get(0));
        assertEquals(table, note.get("table_name").asText());
        assertEquals(error, note.get("message").asText());
        assertEquals(1, batches(path).size(), "a 410 is not retried");

        for (int i = 1; i <= 3; i++) {
            dynamo.put(table, "g-" + i, i);
        }
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
                .until(() -> requests(path).size() == 2);
        assertEquals("ERROR", Api.status(id));
    }
}
