package io.dynamostream.e2e;

import static io.dynamostream.e2e.TestCleanup.table;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import com.amazonaws.services.lambda.runtime.events.DynamodbEvent;
import com.amazonaws.services.lambda.runtime.events.models.dynamodb.AttributeValue;
import com.amazonaws.services.lambda.runtime.serialization.PojoSerializer;
import com.amazonaws.services.lambda.runtime.serialization.events.LambdaEventSerializers;
import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.test.junit.QuarkusTest;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/** End to end: the local DynamoDB + Streams server, the service, and real HTTP receivers. */
@QuarkusTest
class StreamDeliveryTest {

    private static final PojoSerializer<DynamodbEvent> LAMBDA = LambdaEventSerializers.serializerFor(
            DynamodbEvent.class, StreamDeliveryTest.class.getClassLoader());

    private final Dynamo dynamo = Dynamo.local();
    private final TestCleanup cleanup = new TestCleanup();

    @AfterEach
    void cleanUp() {
        cleanup.close();
    }

    private Receiver receiver() {
        return cleanup.receiver();
    }

    private String subscribe(String table, Receiver receiver, String position) {
        String id = Api.subscribe(table, receiver.url(), position);
        cleanup.subscription(id);
        return id;
    }


    @Test
    void givenOneSubscription_whenItemPutUpdatedDeleted_thenLambdaParsesExactlyWhatWasWritten() {
        String table = dynamo.createTable(table("Exact"), StreamViewType.NEW_AND_OLD_IMAGES);
        Receiver receiver = receiver();
        subscribe(table, receiver, "LATEST");
        String streamArn = dynamo.db.describeTable(r -> r.tableName(table)).table().latestStreamArn();

        byte[] blob = {0, 1, 2, (byte) 0xff, 'x'};
        var item = new HashMap<String, software.amazon.awssdk.services.dynamodb.model.AttributeValue>();
        item.put("pk", av().s("user#1").build());
        item.put("name", av().s("Zoë \"quoted\"\n").build());
        item.put("age", av().n("42.50").build());
        item.put("photo", av().b(SdkBytes.fromByteArray(blob)).build());
        item.put("tags", av().ss("a", "b").build());
        item.put("scores", av().ns("1", "2.5", "-3").build());
        item.put("blobs", av().bs(SdkBytes.fromByteArray(new byte[] {1}), SdkBytes.fromByteArray(new byte[] {2}))
                .build());
        item.put("active", av().bool(true).build());
        item.put("nothing", av().nul(true).build());
        item.put("profile", av().m(Map.of(
                "address", av().m(Map.of("city", av().s("Lyon").build())).build(),
                "list", av().l(av().n("1").build(), av().m(Map.of("deep", av().bool(false).build())).build())
                        .build()))
                .build());
        dynamo.put(table, item);

        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.batches().size() == 1);
        DynamodbEvent insert = LAMBDA.fromJson(new String(receiver.batches().get(0).body(), StandardCharsets.UTF_8));
        assertEquals(1, insert.getRecords().size());
        DynamodbEvent.DynamodbStreamRecord r = insert.getRecords().get(0);
        assertEquals("INSERT", r.getEventName());
        assertEquals("1.1", r.getEventVersion());
        assertEquals("aws:dynamodb", r.getEventSource());
        assertEquals("us-east-1", r.getAwsRegion());
        assertEquals(streamArn, r.getEventSourceARN());
        assertFalse(r.getEventID().isBlank());
        assertNull(r.getUserIdentity());
        var sr = r.getDynamodb();
        assertEquals("NEW_AND_OLD_IMAGES", sr.getStreamViewType());
        assertTrue(sr.getSizeBytes() > 0);
        assertTrue(sr.getApproximateCreationDateTime().getTime() > System.currentTimeMillis() - 60_000);
        assertEquals(Map.of("pk", new AttributeValue().withS("user#1")), sr.getKeys());
        assertNull(sr.getOldImage());
        Map<String, AttributeValue> img = sr.getNewImage();
        assertEquals("Zoë \"quoted\"\n", img.get("name").getS());
        assertEquals("42.5", img.get("age").getN(), "DynamoDB normalises numbers");
        assertArrayEquals(blob, bytes(img.get("photo").getB()));
        assertEquals(Set.of("a", "b"), new HashSet<>(img.get("tags").getSS()));
        assertEquals(Set.of("1", "2.5", "-3"), new HashSet<>(img.get("scores").getNS()));
        assertEquals(2, img.get("blobs").getBS().size());
        assertTrue(img.get("active").getBOOL());
        assertTrue(img.get("nothing").getNULL());
        assertEquals("Lyon", img.get("profile").getM().get("address").getM().get("city").getS());
        var list = img.get("profile").getM().get("list").getL();
        assertEquals("1", list.get(0).getN());
        assertFalse(list.get(1).getM().get("deep").getBOOL());
        String insertSeq = sr.getSequenceNumber();

        dynamo.db.updateItem(u -> u.tableName(table).key(Map.of("pk", av().s("user#1").build()))
                .updateExpression("SET age = :a").expressionAttributeValues(Map.of(":a", av().n("43").build())));
        dynamo.db.deleteItem(d -> d.tableName(table).key(Map.of("pk", av().s("user#1").build())));
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.records().size() == 3);

        List<DynamodbEvent.DynamodbStreamRecord> all = new ArrayList<>();
        receiver.batches().forEach(b -> all.addAll(LAMBDA.fromJson(new String(b.body(), StandardCharsets.UTF_8))
                .getRecords()));
        var modify = all.get(1);
        assertEquals("MODIFY", modify.getEventName());
        assertEquals("42.5", modify.getDynamodb().getOldImage().get("age").getN());
        assertEquals("43", modify.getDynamodb().getNewImage().get("age").getN());
        var remove = all.get(2);
        assertEquals("REMOVE", remove.getEventName());
        assertNull(remove.getDynamodb().getNewImage());
        assertEquals("43", remove.getDynamodb().getOldImage().get("age").getN());
        assertTrue(new java.math.BigInteger(modify.getDynamodb().getSequenceNumber())
                .compareTo(new java.math.BigInteger(insertSeq)) > 0);
    }

    @ParameterizedTest
    @EnumSource(value = StreamViewType.class, names = {"KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"})
    void givenEachStreamViewType_whenItemModified_thenImagesAsTheViewTypeSays(StreamViewType view) {
        String table = dynamo.createTable(table("View"), view);
        Receiver receiver = receiver();
        subscribe(table, receiver, "LATEST");
        dynamo.put(table, "k", 1);
        dynamo.put(table, "k", 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.records().size() == 2);
        JsonNode modify = receiver.records().get(1);
        assertEquals("MODIFY", modify.get("eventName").asText());
        JsonNode ddb = modify.get("dynamodb");
        assertEquals(view.toString(), ddb.get("StreamViewType").asText());
        assertEquals("k", ddb.get("Keys").get("pk").get("S").asText());
        boolean newImage = view == StreamViewType.NEW_IMAGE || view == StreamViewType.NEW_AND_OLD_IMAGES;
        boolean oldImage = view == StreamViewType.OLD_IMAGE || view == StreamViewType.NEW_AND_OLD_IMAGES;
        assertEquals(newImage, ddb.has("NewImage"));
        assertEquals(oldImage, ddb.has("OldImage"));
        if (newImage) {
            assertEquals("2", ddb.get("NewImage").get("n").get("N").asText());
        }
        if (oldImage) {
            assertEquals("1", ddb.get("OldImage").get("n").get("N").asText());
        }
    }

    @Test
    void givenRecordsWrittenBeforeSubscribing_thenTrimHorizonGetsThemAndLatestDoesNot() {
        String table = dynamo.createTable(table("Start"), StreamViewType.NEW_IMAGE);
        for (int i = 0; i < 5; i++) {
            dynamo.put(table, "old-" + i, i);
        }
        Receiver fromStart = receiver();
        Receiver latest = receiver();
        subscribe(table, fromStart, "TRIM_HORIZON");
        subscribe(table, latest, "LATEST");
        dynamo.put(table, "new", 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> fromStart.records().size() == 6
                && latest.records().size() == 1);
        assertEquals("new", latest.records().get(0).at("/dynamodb/Keys/pk/S").asText());
        assertEquals(List.of("old-0", "old-1", "old-2", "old-3", "old-4", "new"),
                fromStart.records().stream().map(r -> r.at("/dynamodb/Keys/pk/S").asText()).toList());
    }

    @Test
    void givenTableAlreadyBeingRead_whenTrimHorizonSubscriptionJoins_thenItGetsTheBacklogAndOthersNoDuplicates() {
        String table = dynamo.createTable(table("Join"), StreamViewType.NEW_IMAGE);
        Receiver early = receiver();
        subscribe(table, early, "LATEST");
        for (int i = 0; i < 10; i++) {
            dynamo.put(table, "j-" + i, i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> early.records().size() == 10);
        dynamo.hook("rollover", Map.of("table", table));
        for (int i = 10; i < 15; i++) {
            dynamo.put(table, "j-" + i, i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> early.records().size() == 15);

        Receiver late = receiver();
        subscribe(table, late, "TRIM_HORIZON");
        for (int i = 15; i < 20; i++) {
            dynamo.put(table, "j-" + i, i);
        }
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            expected.add("j-" + i);
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> late.records().size() >= 20
                && early.records().size() >= 20);
        assertEquals(expected, keysOf(late), "the late TRIM_HORIZON subscription gets parent then child, in order");
        assertEquals(expected, keysOf(early), "the running subscription gets nothing twice");
    }

    private static List<String> keysOf(Receiver r) {
        return r.records().stream().map(x -> x.at("/dynamodb/Keys/pk/S").asText()).toList();
    }

    @Test
    void givenThreeSubscriptionsOnOneTable_thenEachGetsEveryRecordThroughOneReaderPerShard() {
        String table = dynamo.createTable(table("Fan"), StreamViewType.NEW_IMAGE);
        dynamo.hook("counts/reset", Map.of());
        List<Receiver> rs = List.of(receiver(), receiver(), receiver());
        rs.forEach(r -> subscribe(table, r, "LATEST"));
        long started = System.nanoTime();
        for (int i = 0; i < 30; i++) {
            dynamo.put(table, "item-" + i, i);
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> rs.stream().allMatch(r -> r.records().size() == 30));
        long elapsedMs = Duration.ofNanos(System.nanoTime() - started).toMillis();
        for (Receiver r : rs) {
            assertEquals(30, r.records().stream().map(x -> x.at("/dynamodb/Keys/pk/S").asText()).distinct().count());
        }
        JsonNode shards = dynamo.get("shards?table=" + table).get("shards");
        JsonNode counts = dynamo.get("counts");
        for (JsonNode shard : shards) {
            String id = shard.get("shardId").asText();
            assertEquals(1, counts.at("/GetShardIterator/" + id).asInt(),
                    "one iterator opened on " + id + " for three subscriptions: " + counts);
            // one poller at 5 calls/s at most while idle, plus one call per page of records
            assertTrue(counts.at("/GetRecords/" + id).asInt() <= elapsedMs / 200 + 40,
                    "GetRecords calls on " + id + ": " + counts.at("/GetRecords/" + id));
        }
    }

    @Test
    void givenRolloverAndSplitDuringWrites_thenNoGapNoReorderAndChildrenAfterParents() throws Exception {
        String table = dynamo.createTable(table("Roll"), StreamViewType.NEW_IMAGE);
        Receiver receiver = receiver();
        String id = subscribe(table, receiver, "LATEST");
        int keys = 8;
        int perKey = 30;
        for (int n = 0; n < perKey; n++) {
            for (int k = 0; k < keys; k++) {
                dynamo.put(table, "key-" + k, n);
            }
            if (n == 8) {
                dynamo.hook("rollover", Map.of("table", table));
            }
            if (n == 16) {
                dynamo.hook("split", Map.of("table", table));
            }
            if (n == 22) {
                dynamo.hook("split", Map.of("table", table));
            }
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.records().size() >= keys * perKey);

        Map<String, List<Integer>> perKeyOrder = new HashMap<>();
        for (JsonNode r : receiver.records()) {
            perKeyOrder.computeIfAbsent(r.at("/dynamodb/Keys/pk/S").asText(), k -> new ArrayList<>())
                    .add(r.at("/dynamodb/NewImage/n/N").asInt());
        }
        List<Integer> expected = new ArrayList<>();
        for (int n = 0; n < perKey; n++) {
            expected.add(n);
        }
        for (int k = 0; k < keys; k++) {
            assertEquals(expected, perKeyOrder.get("key-" + k), "every write of key-" + k + ", in order, once");
        }

        // children after parents: when a child's first record arrived, every record of its parent had arrived
        Map<String, String> shardOfSeq = dynamo.shardOfEachSequenceNumber(table);
        Map<String, String> parentOf = new HashMap<>();
        Map<String, Integer> total = new HashMap<>();
        for (JsonNode s : dynamo.get("shards?table=" + table).get("shards")) {
            if (s.hasNonNull("parentShardId")) {
                parentOf.put(s.get("shardId").asText(), s.get("parentShardId").asText());
            }
        }
        shardOfSeq.values().forEach(s -> total.merge(s, 1, Integer::sum));
        Map<String, Integer> arrived = new HashMap<>();
        for (JsonNode r : receiver.records()) {
            String shard = shardOfSeq.get(r.at("/dynamodb/SequenceNumber").asText());
            String parent = parentOf.get(shard);
            if (parent != null) {
                assertEquals(total.getOrDefault(parent, 0), arrived.getOrDefault(parent, 0),
                        "record of " + shard + " arrived before all of its parent " + parent);
            }
            arrived.merge(shard, 1, Integer::sum);
        }
        assertTrue(parentOf.size() >= 4, "the test rolled over and split: " + parentOf);
        assertEquals("RUNNING", Api.status(id));
    }

    @Test
    void givenReceiverFailingForever_thenErrorAndNotificationWhileOthersKeepReceiving() {
        String table = dynamo.createTable(table("Fail"), StreamViewType.NEW_IMAGE);
        Receiver failing = receiver().answering(n -> 500);
        Receiver healthy = receiver();
        String bad = Api.subscribeWith("{\"table_name\":\"" + table + "\",\"url\":\"" + failing.url()
                + "\",\"maximum_retry_attempts\":2}");
        cleanup.subscription(bad);
        String good = subscribe(table, healthy, "LATEST");
        for (int i = 0; i < 5; i++) {
            dynamo.put(table, "a-" + i, i);
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> "ERROR".equals(Api.status(bad)));
        var detail = Api.subscription(bad);
        org.hamcrest.MatcherAssert.assertThat(detail.getString("error"),
                containsString("failed after 3 attempts; last: HTTP 500"));
        await().atMost(Duration.ofSeconds(10)).until(() -> failing.notifications().size() == 1);
        JsonNode note = failing.notifications().get(0).json();
        assertEquals(table, note.get("table_name").asText());
        assertEquals(detail.getString("error"), note.get("message").asText());
        assertEquals(2, note.size(), "exactly {table_name, message}");
        assertEquals(3, failing.batches().size(), "three attempts of the first batch, then nothing");

        for (int i = 5; i < 10; i++) {
            dynamo.put(table, "a-" + i, i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> healthy.records().size() == 10);
        assertEquals("RUNNING", Api.status(good));
        assertEquals(3, failing.batches().size(), "an ERROR subscription gets no more batches");
    }

    @Test
    void givenReceiverHanging_thenEachAttemptTimesOutAndTheSubscriptionEndsWhileOthersDeliver() {
        String table = dynamo.createTable(table("Hang"), StreamViewType.NEW_IMAGE);
        Receiver hanging = receiver().delaying(Duration.ofSeconds(5));
        Receiver healthy = receiver();
        String slow = Api.subscribeWith("{\"table_name\":\"" + table + "\",\"url\":\"" + hanging.url()
                + "\",\"maximum_retry_attempts\":2}");
        cleanup.subscription(slow);
        subscribe(table, healthy, "LATEST");
        dynamo.put(table, "h-1", 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> healthy.records().size() == 1);
        dynamo.put(table, "h-2", 2);
        await().atMost(Duration.ofSeconds(5)).until(() -> healthy.records().size() == 2);
        // the first attempt times out after 2 s: RETRYING, while the healthy one keeps delivering
        await().atMost(Duration.ofSeconds(5)).until(() -> "RETRYING".equals(Api.status(slow)));
        await().atMost(Duration.ofSeconds(20)).until(() -> "ERROR".equals(Api.status(slow)));
        org.hamcrest.MatcherAssert.assertThat(Api.subscription(slow).getString("error"),
                containsString("timed out after 2000 ms"));
    }

    @Test
    void givenStreamDisabledWhileRunning_thenItsLastRecordsArriveAndTheSubscriptionIsClosed() {
        String table = dynamo.createTable(table("Disabled"), StreamViewType.NEW_IMAGE);
        Receiver receiver = receiver();
        String id = subscribe(table, receiver, "LATEST");
        for (int i = 0; i < 3; i++) {
            dynamo.put(table, "d-" + i, i);
        }
        dynamo.db.updateTable(u -> u.tableName(table).streamSpecification(s -> s.streamEnabled(false)));
        await().atMost(Duration.ofSeconds(15)).until(() -> "CLOSED".equals(Api.status(id)));
        assertEquals(3, receiver.records().size(), "the records written before the stream was disabled");
        assertEquals("the stream of table " + table + " was disabled; every record of it was delivered",
                Api.subscription(id).getString("error"));
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.notifications().size() == 1);
    }

    @Test
    void givenReceiverRedirecting_thenNotFollowedAndNotSuccess() {
        String table = dynamo.createTable(table("Redirect"), StreamViewType.NEW_IMAGE);
        Receiver redirecting = receiver().answering(n -> 302);
        String id = subscribe(table, redirecting, "LATEST");
        dynamo.put(table, "r", 1);
        await().atMost(Duration.ofSeconds(15)).until(() -> "ERROR".equals(Api.status(id)));
        org.hamcrest.MatcherAssert.assertThat(Api.subscription(id).getString("error"),
                containsString("redirects are not followed"));
    }

    @Test
    void givenReceiverFailingTwiceThenOk_thenSameBodyRetriedAndStillRunning() {
        String table = dynamo.createTable(table("Retry"), StreamViewType.NEW_IMAGE);
        Receiver flaky = receiver().answering(n -> n <= 2 ? 503 : 200);
        String id = subscribe(table, flaky, "LATEST");
        dynamo.put(table, "x", 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> flaky.batches().size() == 3);
        assertArrayEquals(flaky.batches().get(0).body(), flaky.batches().get(2).body());
        dynamo.put(table, "y", 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> flaky.batches().size() == 4);
        assertEquals("RUNNING", Api.status(id));
        assertEquals(2, Api.subscription(id).getLong("shards[0].delivered_records"));
    }

    @Test
    void givenTableDeletedWhileRunning_thenErrorAndNotification() {
        String table = dynamo.createTable(table("Deleted"), StreamViewType.NEW_IMAGE);
        Receiver receiver = receiver();
        String id = subscribe(table, receiver, "LATEST");
        dynamo.put(table, "before", 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.records().size() == 1);
        dynamo.db.deleteTable(d -> d.tableName(table));
        await().atMost(Duration.ofSeconds(15)).until(() -> "ERROR".equals(Api.status(id)));
        org.hamcrest.MatcherAssert.assertThat(Api.subscription(id).getString("error"),
                equalTo("table " + table + " was deleted"));
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.notifications().size() == 1);
    }

    @Test
    void givenTableWithoutStreamOrMissing_thenErrorAtOnceWithReadableReason() {
        String plain = dynamo.createTable(table("NoStream"), null);
        Receiver receiver = receiver();
        String noStream = subscribe(plain, receiver, "LATEST");
        String missing = subscribe("DoesNotExist-" + System.nanoTime(), receiver, "LATEST");
        org.hamcrest.MatcherAssert.assertThat(Api.subscription(noStream).getString("error"),
                containsString("has no stream enabled"));
        assertEquals("ERROR", Api.status(noStream));
        org.hamcrest.MatcherAssert.assertThat(Api.subscription(missing).getString("error"),
                containsString("does not exist"));
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.notifications().size() == 2);
        io.restassured.RestAssured.given().get("/").then()
                .body(noStream + ".status", equalTo("ERROR"))
                .body(noStream + ".error", containsString("no stream"));
    }

    @Test
    void givenThrottlingErrorsAndExpiredIterators_thenNoGapNoDuplicateAndStillRunning() {
        String table = dynamo.createTable(table("Faults"), StreamViewType.NEW_IMAGE);
        Receiver receiver = receiver();
        String id = subscribe(table, receiver, "LATEST");
        for (int i = 0; i < 40; i++) {
            if (i == 5) {
                dynamo.hook("faults", Map.of("operation", "GetRecords", "error", "throttle", "count", 6));
            }
            if (i == 15) {
                dynamo.hook("faults", Map.of("operation", "GetRecords", "error", "expired", "count", 2));
            }
            if (i == 25) {
                dynamo.hook("faults", Map.of("operation", "*", "error", "internal", "count", 4));
            }
            if (i == 30) {
                dynamo.hook("faults", Map.of("operation", "GetRecords", "error", "throttling", "count", 3));
            }
            dynamo.put(table, "f-" + i, i);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> receiver.records().size() >= 40);
        List<String> keys = receiver.records().stream().map(r -> r.at("/dynamodb/Keys/pk/S").asText()).toList();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            expected.add("f-" + i);
        }
        assertEquals(expected, keys, "every record once, in order");
        assertEquals("RUNNING", Api.status(id));
        org.hamcrest.MatcherAssert.assertThat(dynamo.get("faults"), org.hamcrest.Matchers.notNullValue());
    }

    private static software.amazon.awssdk.services.dynamodb.model.AttributeValue.Builder av() {
        return software.amazon.awssdk.services.dynamodb.model.AttributeValue.builder();
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
