package io.dynamostream.e2e;

import static io.dynamostream.e2e.TestCleanup.table;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * AWS faults end to end: the local server answers GetRecords and GetShardIterator with throttling, 500s, expired
 * iterators and trimmed positions, through its {@code /_local/faults}, {@code /_local/iterator-expiry} and
 * {@code /_local/trim} hooks. What a receiver sees is checked by sequence number against what the stream holds:
 * every record exactly once (I1, I3, I7), or, when records really were trimmed, a gap notification with the shard
 * and the sequence range, the gap metric, and reading going on after it.
 *
 * <p>How the local server's hooks behave (src/localdb/server.js): {@code faults} makes the next {@code count} calls
 * of an operation (from any reader) fail, then they answer normally again; {@code faults: trimmed} only throws
 * TrimmedDataAccessException, it removes nothing. {@code trim} removes every record the shards hold at that moment
 * (or the first {@code count} of each) and moves each shard's trim horizon after them: an iterator or an
 * AFTER_SEQUENCE_NUMBER position before the horizon then gets TrimmedDataAccessException, and TRIM_HORIZON starts
 * at the first record written after the trim. A reader at the tip reads on undisturbed; a subscription that was
 * behind when the records were trimmed finds its position gone.
 */
@QuarkusTest
@WithTestResource(value = LocalDynamoDbTestResource.class, scope = TestResourceScope.GLOBAL)
class AwsFaultsTest {


    private final Dynamo dynamo = Dynamo.local();
    private final TestCleanup cleanup = new TestCleanup();

    @BeforeEach
    void noFaults() {
        deleteFaults();
        dynamo.hook("iterator-expiry", Map.of()); // the default, 15 min
    }

    @AfterEach
    void cleanUp() {
        cleanup.close();
        noFaults();
    }


    private Receiver receiver() {
        return cleanup.receiver();
    }

    private String subscribe(String table, Receiver receiver) {
        String id = Api.subscribe(table, receiver.url(), "LATEST");
        cleanup.subscription(id);
        return id;
    }

    private void fault(String operation, String error, int count) {
        dynamo.hook("faults", Map.of("operation", operation, "error", error, "count", count));
    }

    /** Injected faults not used up yet (0 once every injected call failed). */
    private int faultsLeft() {
        int left = 0;
        for (JsonNode f : dynamo.get("faults").get("faults")) {
            left += f.get("count").asInt();
        }
        return left;
    }

    private void deleteFaults() {
        dynamo.deleteFaults();
    }

    private static List<String> keys(Receiver r) {
        return r.records().stream().map(x -> x.at("/dynamodb/Keys/pk/S").asText()).toList();
    }

    private static List<String> sequenceNumbers(Receiver r) {
        return r.records().stream().map(x -> x.at("/dynamodb/SequenceNumber").asText()).toList();
    }

    private static List<String> keys(String prefix, int from, int to) {
        List<String> keys = new ArrayList<>();
        for (int i = from; i < to; i++) {
            keys.add(prefix + i);
        }
        return keys;
    }

    /**
     * Every record the table's stream holds reached the receiver exactly once (counted by sequence number), in
     * write order.
     */
    private void assertEveryRecordExactlyOnce(String table, Receiver receiver, List<String> expectedKeys) {
        List<String> received = sequenceNumbers(receiver);
        Set<String> distinct = new HashSet<>(received);
        assertEquals(distinct.size(), received.size(), "duplicates among " + received);
        assertEquals(dynamo.shardOfEachSequenceNumber(table).keySet(), distinct,
                "the receiver got exactly the records of the stream");
        assertEquals(expectedKeys, keys(receiver));
    }

    private static String metrics() {
        return given().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    /** A counter's value for one table, 0 when the series does not exist. */
    private static double counter(String name, String labels) {
        Matcher m = Pattern.compile(Pattern.quote(name + "{" + labels + "}") + " ([0-9.Ee+-]+)").matcher(metrics());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void givenThrottlingBurstsOnGetRecords_thenEveryRecordExactlyOnceAndStillRunning() {
        String table = dynamo.createTable(table("Throttled"), StreamViewType.NEW_IMAGE);
        Receiver receiver = receiver();
        String id = subscribe(table, receiver);
        for (int i = 0; i < 5; i++) {
            dynamo.put(table, "t-" + i, i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.records().size() == 5);

        fault("GetRecords", "throttle", 8); // LimitExceededException
        for (int i = 5; i < 10; i++) {
            dynamo.put(table, "t-" + i, i);
        }
        fault("GetRecords", "throttling", 4); // ThrottlingException: the SDK itself retries these 3 times
        for (int i = 10; i < 15; i++) {
            dynamo.put(table, "t-" + i, i);
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> receiver.records().size() >= 15 && faultsLeft() == 0);

        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> receiver.records().size() == 15);
        assertEveryRecordExactlyOnce(table, receiver, keys("t-", 0, 15));
        assertEquals("RUNNING", Api.status(id));
        assertNull(Api.subscription(id).getString("error"));
        // each LimitExceededException reaches the reader; ThrottlingExceptions only once the SDK's retries are used up
        double throttles = counter("dynamo_stream_aws_throttles_total",
                "operation=\"GetRecords\",table=\"" + table + "\"");
        assertTrue(throttles >= 8, "throttled reads counted: " + throttles);
    }

    @Test
    void givenInternalErrorsOnGetRecordsGetShardIteratorAndDescribeStream_thenEveryRecordExactlyOnceAndRunning() {
        String table = dynamo.createTable(table("Internal"), StreamViewType.NEW_IMAGE);
        Receiver receiver = receiver();
        String id = subscribe(table, receiver);
        for (int i = 0; i < 5; i++) {
            dynamo.put(table, "i-" + i, i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.records().size() == 5);

        // the SDK retries a 500 three times itself: 8 make the reader see two failed calls
        fault("GetRecords", "internal", 8);
        for (int i = 5; i < 10; i++) {
            dynamo.put(table, "i-" + i, i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> faultsLeft() == 0);
        // the reader only asks for an iterator again when its own one is refused: expire it, then refuse that too
        // (twice, past the SDK's own retries)
        fault("GetShardIterator", "internal", 8);
        fault("GetRecords", "expired", 1);
        fault("DescribeStream", "internal", 8); // two shard discoveries fail meanwhile
        for (int i = 10; i < 15; i++) {
            dynamo.put(table, "i-" + i, i);
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> receiver.records().size() >= 15 && faultsLeft() == 0);

        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> receiver.records().size() == 15);
        assertEveryRecordExactlyOnce(table, receiver, keys("i-", 0, 15));
        // RETRYING (with the reason) while discoveries fail, RUNNING again from the next one that succeeds
        await().atMost(Duration.ofSeconds(5)).until(() -> "RUNNING".equals(Api.status(id)));
        assertNull(Api.subscription(id).getString("error"));
    }

    @Test
    void givenIteratorsExpiringBetweenPolls_thenEachIsReopenedAfterTheLastRecordReadWithNoGapOrReplay() {
        String table = dynamo.createTable(table("Expiring"), StreamViewType.NEW_IMAGE);
        Receiver receiver = receiver();
        String id = subscribe(table, receiver);
        dynamo.put(table, "e-0", 0);
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.records().size() == 1);
        String shard = dynamo.get("shards?table=" + table).at("/shards/0/shardId").asText();
        int opened = dynamo.get("counts").at("/GetShardIterator/" + shard).asInt();

        // every iterator expires before the reader's next poll (it waits 200 ms after an empty read)
        dynamo.hook("iterator-expiry", Map.of("millis", 50));
        for (int i = 1; i < 8; i++) {
            dynamo.put(table, "e-" + i, i);
            int n = i + 1;
            await().atMost(Duration.ofSeconds(10)).until(() -> receiver.records().size() >= n);
        }
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> receiver.records().size() == 8);

        assertEveryRecordExactlyOnce(table, receiver, keys("e-", 0, 8));
        int reopened = dynamo.get("counts").at("/GetShardIterator/" + shard).asInt() - opened;
        assertTrue(reopened >= 7, "the iterator expired and was re-opened between the writes: " + reopened);
        assertEquals("RUNNING", Api.status(id));
    }

    @Test
    void givenGetShardIteratorFailingWhenLatestSubscriptionRegisters_thenOnlyRecordsWrittenAfterItArrive() {
        String table = dynamo.createTable(table("LatestOpen"), StreamViewType.NEW_IMAGE);
        // an hour old: well outside the clock margin a LATEST subscription allows for records created just before it
        dynamo.hook("record-clock", Map.of("offsetSeconds", -3600));
        try {
            for (int i = 0; i < 3; i++) {
                dynamo.put(table, "before-" + i, i);
            }
        } finally {
            dynamo.hook("record-clock", Map.of("offsetSeconds", 0));
        }
        fault("GetShardIterator", "internal", 4); // past the SDK's own three retries: the open fails
        Receiver receiver = receiver();
        String id = subscribe(table, receiver);
        await().atMost(Duration.ofSeconds(5)).until(() -> faultsLeft() == 0);
        for (int i = 0; i < 3; i++) {
            dynamo.put(table, "after-" + i, i);
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> keys(receiver).contains("after-2"));
        assertEquals(keys("after-", 0, 3), keys(receiver), "a LATEST subscription gets what was written after it");
        assertEquals("RUNNING", Api.status(id));
    }

    @Test
    void givenTrimmedErrorWhileTheRecordsAreStillThere_thenNoGapReportedAndNothingReplayed() {
        String table = dynamo.createTable(table("NotTrimmed"), StreamViewType.NEW_IMAGE);
        Receiver receiver = receiver();
        String id = subscribe(table, receiver);
        for (int i = 0; i < 5; i++) {
            dynamo.put(table, "n-" + i, i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.records().size() == 5);

        // TrimmedDataAccessException although nothing was removed: the reader re-reads from TRIM_HORIZON, where
        // this subscription's position is still retained
        fault("GetRecords", "trimmed", 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> faultsLeft() == 0);
        for (int i = 5; i < 10; i++) {
            dynamo.put(table, "n-" + i, i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.records().size() >= 10);
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> receiver.records().size() == 10);

        assertEveryRecordExactlyOnce(table, receiver, keys("n-", 0, 10));
        assertTrue(receiver.notifications().isEmpty(), "no gap: " + receiver.notifications());
        assertEquals(0.0, counter("dynamo_stream_gaps_total", "table=\"" + table + "\""));
        assertEquals("RUNNING", Api.status(id));
    }

    @Test
    void givenRecordsTrimmedWhileTheSubscriptionWasPaused_thenGapReportedWithItsRangeAndReadingGoesOn() {
        String table = dynamo.createTable(table("Trimmed"), StreamViewType.NEW_IMAGE);
        Receiver receiver = receiver();
        String id = subscribe(table, receiver);
        for (int i = 0; i < 3; i++) {
            dynamo.put(table, "p-" + i, i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.records().size() == 3);
        String lastDelivered = receiver.records().get(2).at("/dynamodb/SequenceNumber").asText();
        String shard = dynamo.get("shards?table=" + table).at("/shards/0/shardId").asText();

        // the subscription falls behind: paused while records keep coming, which then pass the retention period
        given().post("/subscriptions/" + id + "/pause").then().statusCode(200);
        for (int i = 3; i < 6; i++) {
            dynamo.put(table, "p-" + i, i);
        }
        assertEquals(6, dynamo.hook("trim", Map.of("table", table)).get("trimmed").asInt());
        for (int i = 6; i < 9; i++) {
            dynamo.put(table, "p-" + i, i);
        }
        given().post("/subscriptions/" + id + "/resume").then().statusCode(200);

        await().atMost(Duration.ofSeconds(10)).until(() -> keys(receiver).contains("p-8")
                && receiver.notifications().size() == 1);
        JsonNode gap = receiver.notifications().get(0).json();
        String firstAfter = receiver.records().get(3).at("/dynamodb/SequenceNumber").asText();
        assertEquals(table, gap.get("table_name").asText());
        assertEquals("GAP", gap.get("kind").asText());
        assertEquals(shard, gap.get("shard_id").asText());
        assertEquals(lastDelivered, gap.get("first_sequence_number").asText(), "exclusive: the last one delivered");
        assertEquals(firstAfter, gap.get("last_sequence_number").asText(), "exclusive: the first one read after");
        assertTrue(gap.get("message").asText().contains(shard), gap.toString());
        assertEquals(List.of("p-0", "p-1", "p-2", "p-6", "p-7", "p-8"), keys(receiver),
                "everything before the gap once, then reading went on after it");
        assertEquals(1.0, counter("dynamo_stream_gaps_total", "table=\"" + table + "\""));
        assertEquals("RUNNING", Api.status(id));

        dynamo.put(table, "p-9", 9);
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.records().size() == 7);
        assertEquals(1, receiver.notifications().size(), "the gap is reported once");
    }

    @Test
    void givenOneSubscriptionBehindATrimAndOneCaughtUp_thenOnlyTheOneBehindReportsAGap() {
        String table = dynamo.createTable(table("TrimShared"), StreamViewType.NEW_IMAGE);
        Receiver behind = receiver();
        Receiver caughtUp = receiver();
        String behindId = subscribe(table, behind);
        String caughtUpId = subscribe(table, caughtUp);
        for (int i = 0; i < 3; i++) {
            dynamo.put(table, "q-" + i, i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> behind.records().size() == 3
                && caughtUp.records().size() == 3);

        given().post("/subscriptions/" + behindId + "/pause").then().statusCode(200);
        for (int i = 3; i < 6; i++) {
            dynamo.put(table, "q-" + i, i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> caughtUp.records().size() == 6);
        dynamo.hook("trim", Map.of("table", table));
        given().post("/subscriptions/" + behindId + "/resume").then().statusCode(200);
        for (int i = 6; i < 9; i++) {
            dynamo.put(table, "q-" + i, i);
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> keys(behind).contains("q-8")
                && keys(caughtUp).contains("q-8") && behind.notifications().size() == 1);
        assertEquals(List.of("q-0", "q-1", "q-2", "q-6", "q-7", "q-8"), keys(behind));
        assertEquals("GAP", behind.notifications().get(0).json().get("kind").asText());
        assertEquals(keys("q-", 0, 9), keys(caughtUp), "the caught-up subscription lost nothing and got nothing twice");
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> caughtUp.notifications().isEmpty());
        assertEquals(1.0, counter("dynamo_stream_gaps_total", "table=\"" + table + "\""), "one gap, not two");
        assertEquals("RUNNING", Api.status(behindId));
        assertEquals("RUNNING", Api.status(caughtUpId));
    }
}
