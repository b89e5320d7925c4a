package io.dynamostream.e2e;

import static io.dynamostream.e2e.TestCleanup.table;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * Describe calls off the critical paths (issue 13): {@code POST /} does not wait on a slow DynamoDB (a new table's
 * shards are looked up in the background and the answer comes within {@code reader.attach-wait}, 500 ms, saying
 * {@code STARTING}); a table already being read is joined at once with no DescribeStream; a shard's end finds its
 * children with a CHILD_SHARDS lookup, without waiting for the periodic description. The local server's
 * {@code delay} fault makes DescribeStream answer seconds late.
 */
@QuarkusTest
@WithTestResource(value = LocalDynamoDbTestResource.class, scope = TestResourceScope.GLOBAL)
class AttachTest {

    private static final Duration SLOW = Duration.ofSeconds(4);

    private final Dynamo dynamo = Dynamo.local();
    private final TestCleanup cleanup = new TestCleanup();

    @BeforeEach
    void noFaults() {
        deleteFaults();
    }

    @AfterEach
    void cleanUp() {
        cleanup.close();
        deleteFaults();
    }


    /** The next {@code count} DescribeStream calls (from any table) answer {@link #SLOW} late. */
    private void slowDescribeStream(int count) {
        dynamo.hook("faults", Map.of("operation", "DescribeStream", "error", "delay", "ms", SLOW.toMillis(),
                "count", count));
    }

    private void deleteFaults() {
        dynamo.deleteFaults();
    }

    /** {@code POST /} for a LATEST subscription; the answer and how long it took. */
    private record Answer(Response response, Duration took) {
        String status() {
            return response.jsonPath().getString("status");
        }

        String id() {
            return response.jsonPath().getString("id");
        }
    }

    private Answer subscribe(String table, Receiver receiver) {
        long t = System.nanoTime();
        Response r = given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"" + table + "\", \"url\": \"" + receiver.url() + "\"}")
                .post("/").then().statusCode(201).extract().response();
        Answer a = new Answer(r, Duration.ofNanos(System.nanoTime() - t));
        cleanup.subscription(a.id());
        return a;
    }

    private static List<String> keys(Receiver r) {
        return r.records().stream().map(x -> x.at("/dynamodb/Keys/pk/S").asText()).toList();
    }

    @Test
    void givenDescribeStreamSlow_whenSubscribingToANewTable_thenStartingAtOnce_thenRunningAndRecordsAfterItArrive() {
        String table = dynamo.createTable(table("SlowAttach"), StreamViewType.NEW_IMAGE);
        Receiver receiver = cleanup.receiver();
        slowDescribeStream(3);

        Answer a = subscribe(table, receiver);

        assertTrue(a.took().compareTo(Duration.ofMillis(2500)) < 0,
                "answered without waiting for the " + SLOW + " DescribeStream: took " + a.took());
        assertEquals("STARTING", a.status());
        assertEquals("STARTING", Api.status(a.id()));
        assertEquals("STARTING", given().get("/").then().statusCode(200).extract().path(a.id() + ".status"),
                "the original's listing shows it too");
        await().atMost(Duration.ofSeconds(20)).until(() -> "RUNNING".equals(Api.status(a.id())));
        assertEquals(1, Api.subscription(a.id()).getList("shards").size(), "its shard is known once RUNNING");

        for (int i = 0; i < 3; i++) {
            dynamo.put(table, "after-" + i, i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> keys(receiver).size() >= 3);
        assertEquals(List.of("after-0", "after-1", "after-2"), keys(receiver));
    }

    @Test
    void givenTableAlreadyRead_whenAnotherSubscriptionRegisters_thenRunningAtOnceWithoutDescribingIt() {
        String table = dynamo.createTable(table("Joined"), StreamViewType.NEW_IMAGE);
        Receiver first = cleanup.receiver();
        Receiver second = cleanup.receiver();
        Answer a = subscribe(table, first);
        await().atMost(Duration.ofSeconds(10)).until(() -> "RUNNING".equals(Api.status(a.id())));
        dynamo.put(table, "before", 0);
        await().atMost(Duration.ofSeconds(10)).until(() -> keys(first).contains("before"));
        slowDescribeStream(100); // any describe from now on is slow: the join must not need one

        Answer b = subscribe(table, second);

        assertEquals("RUNNING", b.status(), "joined the table's known shards in the answer");
        assertTrue(b.took().compareTo(SLOW) < 0, "no DescribeStream waited for: took " + b.took());
        dynamo.put(table, "after", 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> keys(second).contains("after"));
        assertEquals(List.of("after"), keys(second), "a LATEST subscription joined at the reader's end");
        assertEquals(List.of("before", "after"), keys(first));
    }

    @Test
    void givenFullListingsSlow_whenAShardRollsOver_thenItsChildIsFoundAtTheShardsEndAndRead() {
        String table = dynamo.createTable(table("Rollover"), StreamViewType.NEW_IMAGE);
        Receiver receiver = cleanup.receiver();
        Answer a = subscribe(table, receiver);
        await().atMost(Duration.ofSeconds(10)).until(() -> "RUNNING".equals(Api.status(a.id())));
        dynamo.put(table, "parent", 0);
        await().atMost(Duration.ofSeconds(10)).until(() -> keys(receiver).contains("parent"));
        // full listings (the periodic description) now answer 10 s late, as of when they were asked: a listing
        // that shows the child cannot arrive within 10 s of the rollover, only the shard-end lookup can
        dynamo.hook("faults", Map.of("operation", "DescribeStream", "error", "delay", "ms", 10_000,
                "listing", "full", "count", 100));

        dynamo.hook("rollover", Map.of("table", table));
        long rolledOver = System.nanoTime();
        dynamo.put(table, "child", 1);

        await().atMost(Duration.ofSeconds(20)).until(() -> keys(receiver).contains("child"));
        Duration took = Duration.ofNanos(System.nanoTime() - rolledOver);
        assertTrue(took.compareTo(Duration.ofSeconds(8)) < 0, "the child was found at the shard's end: " + took);
        assertEquals(List.of("parent", "child"), keys(receiver));
        assertEquals(2, Api.subscription(a.id()).getList("shards").size(), "parent and child");
    }

    @Test
    void givenStartingSubscription_whenPaused_thenItStaysPausedOnceTheShardsAreKnownAndDeliversNothing() {
        String table = dynamo.createTable(table("PauseStarting"), StreamViewType.NEW_IMAGE);
        Receiver receiver = cleanup.receiver();
        slowDescribeStream(1);
        Answer a = subscribe(table, receiver);
        assertEquals("STARTING", a.status());

        given().post("/subscriptions/" + a.id() + "/pause").then().statusCode(200);

        assertEquals("PAUSED", Api.status(a.id()));
        // the slow description ends; the attach that waited for it must not start reading a paused subscription
        await().atMost(SLOW.plusSeconds(10)).until(() -> dynamo.get("faults").get("faults").get(0).get("count")
                .asInt() == 0);
        dynamo.put(table, "while-paused", 0);
        Receiver witness = cleanup.receiver();
        String other = cleanup.subscription(Api.subscribe(table, witness.url(), "TRIM_HORIZON"));
        await().atMost(Duration.ofSeconds(15)).until(() -> keys(witness).contains("while-paused"));
        assertEquals("PAUSED", Api.status(a.id()));
        assertEquals(List.of(), receiver.batches(), "nothing delivered while paused");
        assertEquals("RUNNING", Api.status(other));
    }
}
