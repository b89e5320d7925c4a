package io.dynamostream.delivery;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.amazonaws.services.lambda.runtime.events.DynamodbEvent;
import com.amazonaws.services.lambda.runtime.serialization.PojoSerializer;
import com.amazonaws.services.lambda.runtime.serialization.events.LambdaEventSerializers;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.Identity;
import software.amazon.awssdk.services.dynamodb.model.OperationType;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.StreamRecord;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * Proves that {@link LambdaPayload#body} is what a Lambda function reading a DynamoDB stream gets: every
 * body is parsed back with Amazon's own Lambda event classes and compared field by field with the SDK
 * record, and the raw JSON is checked for the details Lambda's lenient parser would not notice.
 */
class LambdaPayloadTest {

    static final String STREAM_ARN = "arn:aws:dynamodb:eu-west-3:123456789012:table/Orders/stream/2024-05-01T12:00:00.000";
    static final Instant CREATED = Instant.ofEpochSecond(1_700_000_000L);

    static final PojoSerializer<DynamodbEvent> LAMBDA = LambdaEventSerializers.serializerFor(
            DynamodbEvent.class, DynamodbEvent.class.getClassLoader());
    static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    static final List<String> RECORD_KEYS = List.of(
            "eventID", "eventName", "eventVersion", "eventSource", "awsRegion", "dynamodb", "eventSourceARN");

    // ---------------------------------------------------------------- every operation x every view type

    static Stream<Arguments> operationsAndViewTypes() {
        List<Arguments> all = new ArrayList<>();
        for (OperationType op : List.of(OperationType.INSERT, OperationType.MODIFY, OperationType.REMOVE)) {
            for (StreamViewType view : List.of(StreamViewType.KEYS_ONLY, StreamViewType.NEW_IMAGE,
                    StreamViewType.OLD_IMAGE, StreamViewType.NEW_AND_OLD_IMAGES)) {
                all.add(Arguments.of(op, view));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} with {1}")
    @MethodSource("operationsAndViewTypes")
    void lambdaParsesEveryFieldAsTheStreamRecordHadIt(OperationType op, StreamViewType view) throws IOException {
        Record record = record("1", op, view, CREATED);
        byte[] body = LambdaPayload.body(List.of(record), STREAM_ARN);

        DynamodbEvent event = parseWithLambda(body);
        assertEquals(1, event.getRecords().size());
        assertSameRecord(record, event.getRecords().get(0), "eu-west-3", STREAM_ARN);

        // Which images are present is visible to the user: check the raw keys and their order too.
        JsonNode raw = JSON.readTree(body).get("Records").get(0);
        assertEquals(RECORD_KEYS, fieldNames(raw));
        List<String> expectedStreamKeys = new ArrayList<>(List.of("ApproximateCreationDateTime", "Keys"));
        if (hasNewImage(op, view)) {
            expectedStreamKeys.add("NewImage");
        }
        if (hasOldImage(op, view)) {
            expectedStreamKeys.add("OldImage");
        }
        expectedStreamKeys.addAll(List.of("SequenceNumber", "SizeBytes", "StreamViewType"));
        assertEquals(expectedStreamKeys, fieldNames(raw.get("dynamodb")));
        assertEquals(op.toString(), raw.get("eventName").asText());
        assertEquals(view.toString(), raw.get("dynamodb").get("StreamViewType").asText());
    }

    @Test
    void severalRecordsKeepTheirOrderAndEachIsComplete() throws IOException {
        List<Record> records = List.of(
                record("a", OperationType.INSERT, StreamViewType.NEW_AND_OLD_IMAGES, CREATED),
                record("b", OperationType.MODIFY, StreamViewType.NEW_AND_OLD_IMAGES, CREATED.plusSeconds(1)),
                record("c", OperationType.REMOVE, StreamViewType.NEW_AND_OLD_IMAGES, CREATED.plusSeconds(2)));
        DynamodbEvent event = parseWithLambda(LambdaPayload.body(records, STREAM_ARN));

        assertEquals(3, event.getRecords().size());
        for (int i = 0; i < records.size(); i++) {
            assertSameRecord(records.get(i), event.getRecords().get(i), "eu-west-3", STREAM_ARN);
        }
    }

    // ---------------------------------------------------------------- userIdentity

    @Test
    void ttlDeleteCarriesUserIdentityAsLastField() throws IOException {
        Record ttlDelete = record("ttl", OperationType.REMOVE, StreamViewType.NEW_AND_OLD_IMAGES, CREATED).toBuilder()
                .userIdentity(Identity.builder().type("Service").principalId("dynamodb.amazonaws.com").build())
                .build();
        byte[] body = LambdaPayload.body(List.of(ttlDelete), STREAM_ARN);

        DynamodbEvent.DynamodbStreamRecord parsed = parseWithLambda(body).getRecords().get(0);
        assertSameRecord(ttlDelete, parsed, "eu-west-3", STREAM_ARN);
        assertNotNull(parsed.getUserIdentity());
        assertEquals("Service", parsed.getUserIdentity().getType());
        assertEquals("dynamodb.amazonaws.com", parsed.getUserIdentity().getPrincipalId());

        JsonNode raw = JSON.readTree(body).get("Records").get(0);
        List<String> keys = new ArrayList<>(RECORD_KEYS);
        keys.add("userIdentity");
        assertEquals(keys, fieldNames(raw));
        assertEquals(List.of("type", "principalId"), fieldNames(raw.get("userIdentity")));
    }

    @Test
    void ordinaryRecordsHaveNoUserIdentity() throws IOException {
        byte[] body = LambdaPayload.body(
                List.of(record("x", OperationType.REMOVE, StreamViewType.OLD_IMAGE, CREATED)), STREAM_ARN);

        assertNull(parseWithLambda(body).getRecords().get(0).getUserIdentity());
        assertFalse(JSON.readTree(body).get("Records").get(0).has("userIdentity"));
    }

    // ---------------------------------------------------------------- raw JSON details

    @Test
    void rawJsonHasNoNullsAndUsesLambdaFieldNames() throws IOException {
        Record sparse = Record.builder()     // only what the stream must carry; everything else unset
                .eventID("sparse")
                .eventName(OperationType.INSERT)
                .dynamodb(StreamRecord.builder()
                        .keys(Map.of("pk", s("p")))
                        .sequenceNumber("100")
                        .streamViewType(StreamViewType.KEYS_ONLY)
                        .build())
                .build();
        Record full = record("full", OperationType.MODIFY, StreamViewType.NEW_AND_OLD_IMAGES, CREATED);
        JsonNode root = JSON.readTree(LambdaPayload.body(List.of(sparse, full), STREAM_ARN));

        assertEquals(List.of("Records"), fieldNames(root));
        assertNoNulls(root, "$");
        for (JsonNode r : root.get("Records")) {
            assertTrue(r.has("eventID"), "eventID spelled like Lambda");
            assertFalse(r.has("eventId"));
            assertTrue(r.has("eventSourceARN"), "eventSourceARN spelled like Lambda");
            assertFalse(r.has("eventSourceArn"));
        }
        JsonNode sparseStream = root.get("Records").get(0).get("dynamodb");
        assertEquals(List.of("Keys", "SequenceNumber", "StreamViewType"), fieldNames(sparseStream));
    }

    @Test
    void approximateCreationDateTimeIsWholeEpochSecondsAsANumber() throws IOException {
        byte[] body = LambdaPayload.body(
                List.of(record("t", OperationType.INSERT, StreamViewType.KEYS_ONLY, CREATED)), STREAM_ARN);

        JsonNode time = JSON.readTree(body).get("Records").get(0).get("dynamodb").get("ApproximateCreationDateTime");
        assertTrue(time.isIntegralNumber(), "a JSON integer, got " + time);
        assertEquals(1_700_000_000L, time.asLong());
        assertEquals(1_700_000_000_000L,
                parseWithLambda(body).getRecords().get(0).getDynamodb().getApproximateCreationDateTime().getTime());
    }

    @Test
    void subSecondCreationTimeIsADecimalNumberOfSeconds() throws IOException {
        Instant precise = Instant.ofEpochSecond(1_700_000_000L, 250_000_000);
        byte[] body = LambdaPayload.body(
                List.of(record("t", OperationType.INSERT, StreamViewType.KEYS_ONLY, precise)), STREAM_ARN);

        JsonNode time = JSON.readTree(body).get("Records").get(0).get("dynamodb").get("ApproximateCreationDateTime");
        assertTrue(time.isNumber() && !time.isIntegralNumber(), "a JSON decimal number, got " + time);
        assertEquals(0, new BigDecimal("1700000000.25").compareTo(time.decimalValue()));
        assertEquals(precise.toEpochMilli(),
                parseWithLambda(body).getRecords().get(0).getDynamodb().getApproximateCreationDateTime().getTime());
    }

    @Test
    void binaryIsStandardBase64TextAndNumbersStayStrings() throws IOException {
        byte[] allBytes = new byte[256];
        for (int i = 0; i < allBytes.length; i++) {
            allBytes[i] = (byte) i;
        }
        Map<String, AttributeValue> image = new LinkedHashMap<>();
        image.put("pk", s("p"));
        image.put("bin", AttributeValue.builder().b(SdkBytes.fromByteArray(allBytes)).build());
        image.put("bins", AttributeValue.builder().bs(SdkBytes.fromByteArray(new byte[] {(byte) 0xfb, (byte) 0xff}),
                SdkBytes.fromByteArray(new byte[] {1})).build());
        image.put("num", n("0.10"));
        image.put("nums", AttributeValue.builder().ns("1E+3", "-0", "12345678901234567890123456789012345678").build());
        Record record = Record.builder().eventID("b").eventName(OperationType.INSERT).awsRegion("eu-west-3")
                .dynamodb(StreamRecord.builder().keys(Map.of("pk", s("p"))).newImage(image)
                        .sequenceNumber("1").sizeBytes(300L).streamViewType(StreamViewType.NEW_IMAGE).build())
                .build();
        byte[] body = LambdaPayload.body(List.of(record), STREAM_ARN);

        JsonNode newImage = JSON.readTree(body).get("Records").get(0).get("dynamodb").get("NewImage");
        JsonNode bin = newImage.get("bin").get("B");
        assertTrue(bin.isTextual(), "B is a string, got " + bin);
        assertEquals(Base64.getEncoder().encodeToString(allBytes), bin.asText());
        JsonNode bins = newImage.get("bins").get("BS");
        assertEquals("+/8=", bins.get(0).asText());
        assertEquals("AQ==", bins.get(1).asText());
        assertTrue(newImage.get("num").get("N").isTextual(), "N is a string");
        assertEquals("0.10", newImage.get("num").get("N").asText());
        assertEquals("12345678901234567890123456789012345678", newImage.get("nums").get("NS").get(2).asText());

        assertSameRecord(record, parseWithLambda(body).getRecords().get(0), "eu-west-3", STREAM_ARN);
    }

    @Test
    void emptyBatchIsEmptyRecordsArray() throws IOException {
        byte[] body = LambdaPayload.body(List.of(), STREAM_ARN);

        assertEquals("{\"Records\":[]}", new String(body, StandardCharsets.UTF_8));
        assertTrue(parseWithLambda(body).getRecords().isEmpty());
    }

    @Test
    void nonAsciiAndControlCharactersRoundTrip() throws IOException {
        String tricky = "h\u00e9llo w\u00f6rld \u2013 \u65e5\u672c\u8a9e \uD83C\uDF89 \u0000\u0001\u001f\u007f"
                + "\n\r\t\b\f \"quoted\" back\\slash /slash/ \u2028\u2029 </script>";
        String trickyName = "n\u00e4me\n\"\u00df\uD83D\uDE00";
        Map<String, AttributeValue> image = new LinkedHashMap<>();
        image.put("pk", s(tricky));
        image.put(trickyName, AttributeValue.builder().ss(tricky, "plain").build());
        image.put("nested", AttributeValue.builder().m(Map.of(trickyName, s(tricky))).build());
        Record record = Record.builder().eventID("\u00fcnic\u00f6de-\t-id").eventName(OperationType.INSERT)
                .awsRegion("eu-west-3")
                .dynamodb(StreamRecord.builder().approximateCreationDateTime(CREATED)
                        .keys(Map.of("pk", s(tricky))).newImage(image)
                        .sequenceNumber("7").sizeBytes(99L).streamViewType(StreamViewType.NEW_IMAGE).build())
                .build();
        byte[] body = LambdaPayload.body(List.of(record), STREAM_ARN);

        assertSameRecord(record, parseWithLambda(body).getRecords().get(0), "eu-west-3", STREAM_ARN);
        JsonNode newImage = JSON.readTree(body).get("Records").get(0).get("dynamodb").get("NewImage");
        assertEquals(tricky, newImage.get("pk").get("S").asText());
        assertEquals(tricky, newImage.get("nested").get("M").get(trickyName).get("S").asText());
        // Sent as UTF-8, like Lambda: the text is readable as UTF-8, not only as \\u escapes.
        assertTrue(new String(body, StandardCharsets.UTF_8).contains("\u65e5\u672c\u8a9e"));
    }

    // ---------------------------------------------------------------- fallbacks

    @Test
    void missingRegionVersionAndSourceAreFilledLikeLambda() throws IOException {
        Record bare = record("r", OperationType.INSERT, StreamViewType.KEYS_ONLY, CREATED).toBuilder()
                .awsRegion(null).eventVersion(null).eventSource(null).build();
        Record own = record("o", OperationType.INSERT, StreamViewType.KEYS_ONLY, CREATED).toBuilder()
                .awsRegion("us-east-1").build();
        DynamodbEvent event = parseWithLambda(LambdaPayload.body(List.of(bare, own), STREAM_ARN));

        DynamodbEvent.DynamodbStreamRecord first = event.getRecords().get(0);
        assertEquals("eu-west-3", first.getAwsRegion(), "region taken from the stream ARN");
        assertEquals("1.1", first.getEventVersion());
        assertEquals("aws:dynamodb", first.getEventSource());
        assertEquals("us-east-1", event.getRecords().get(1).getAwsRegion(), "the record's own region wins");
    }

    // ---------------------------------------------------------------- error notification

    @Test
    void errorNotificationHasExactlyTableNameAndMessage() throws IOException {
        String message = "POST https://example.com/hook failed: 503 \"Service Unavailable\"\nretrying \u2013 \u00e9";
        JsonNode root = JSON.readTree(Notifications.error("Orders", message));

        assertEquals(List.of("table_name", "message"), fieldNames(root));
        assertEquals("Orders", root.get("table_name").asText());
        assertEquals(message, root.get("message").asText());
    }

    // ---------------------------------------------------------------- concurrency

    @Test
    void concurrentCallsProduceTheSameBytes() throws Exception {
        List<Record> batch = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            batch.add(record("c" + i, OperationType.MODIFY, StreamViewType.NEW_AND_OLD_IMAGES, CREATED.plusSeconds(i)));
        }
        byte[] expected = LambdaPayload.body(batch, STREAM_ARN);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        assertArrayEquals(expected, LambdaPayload.body(batch, STREAM_ARN));
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ================================================================ fixtures

    static boolean hasNewImage(OperationType op, StreamViewType view) {
        return op != OperationType.REMOVE
                && (view == StreamViewType.NEW_IMAGE || view == StreamViewType.NEW_AND_OLD_IMAGES);
    }

    static boolean hasOldImage(OperationType op, StreamViewType view) {
        return op != OperationType.INSERT
                && (view == StreamViewType.OLD_IMAGE || view == StreamViewType.NEW_AND_OLD_IMAGES);
    }

    /** A record as GetRecords returns it, with the images a stream of that view type carries. */
    static Record record(String id, OperationType op, StreamViewType view, Instant created) {
        Map<String, AttributeValue> keys = new LinkedHashMap<>();
        keys.put("pk", s("order#" + id));
        keys.put("sk", n("42"));
        StreamRecord.Builder stream = StreamRecord.builder()
                .approximateCreationDateTime(created)
                .keys(keys)
                .sequenceNumber("1110000000000000" + id.hashCode())
                .sizeBytes(1234L)
                .streamViewType(view);
        if (hasNewImage(op, view)) {
            stream.newImage(item(keys, "new"));
        }
        if (hasOldImage(op, view)) {
            stream.oldImage(item(keys, "old"));
        }
        return Record.builder()
                .eventID("evt-" + id)
                .eventName(op)
                .eventVersion("1.1")
                .eventSource("aws:dynamodb")
                .awsRegion("eu-west-3")
                .dynamodb(stream.build())
                .build();
    }

    /** An item holding every attribute type, including M inside L inside M. */
    static Map<String, AttributeValue> item(Map<String, AttributeValue> keys, String flavour) {
        Map<String, AttributeValue> deepest = new LinkedHashMap<>();
        deepest.put("leaf", s(flavour));
        deepest.put("count", n("-3.5"));
        deepest.put("raw", AttributeValue.builder().b(SdkBytes.fromByteArray(new byte[] {0, (byte) 0xff, 10})).build());
        AttributeValue list = AttributeValue.builder().l(
                s("first"),
                n("2"),
                AttributeValue.builder().m(deepest).build(),
                AttributeValue.builder().nul(true).build(),
                AttributeValue.builder().bool(false).build(),
                AttributeValue.builder().l(List.of()).build(),
                AttributeValue.builder().ss("x", "y").build()).build();
        Map<String, AttributeValue> outer = new LinkedHashMap<>();
        outer.put("list", list);
        outer.put("flag", AttributeValue.builder().bool(true).build());
        outer.put("empty", AttributeValue.builder().m(Map.of()).build());

        Map<String, AttributeValue> item = new LinkedHashMap<>(keys);
        item.put("name", s("Ada " + flavour));
        item.put("price", n("19.99"));
        item.put("photo", AttributeValue.builder().b(SdkBytes.fromUtf8String("\u0089PNG " + flavour)).build());
        item.put("tags", AttributeValue.builder().ss("red", "green", flavour).build());
        item.put("scores", AttributeValue.builder().ns("1", "2.5", "-7").build());
        item.put("blobs", AttributeValue.builder().bs(
                SdkBytes.fromByteArray(new byte[] {1, 2, 3}), SdkBytes.fromByteArray(new byte[] {(byte) 0x80})).build());
        item.put("details", AttributeValue.builder().m(outer).build());
        item.put("nothing", AttributeValue.builder().nul(true).build());
        item.put("active", AttributeValue.builder().bool(true).build());
        item.put("blank", s(""));
        return item;
    }

    static AttributeValue s(String v) {
        return AttributeValue.builder().s(v).build();
    }

    static AttributeValue n(String v) {
        return AttributeValue.builder().n(v).build();
    }

    // ================================================================ comparison with Lambda's classes

    static DynamodbEvent parseWithLambda(byte[] body) {
        DynamodbEvent event = LAMBDA.fromJson(new ByteArrayInputStream(body));
        assertNotNull(event.getRecords(), "Records");
        return event;
    }

    static void assertSameRecord(Record sdk, DynamodbEvent.DynamodbStreamRecord lambda, String region, String arn) {
        String id = sdk.eventID();
        assertEquals(sdk.eventID(), lambda.getEventID(), "eventID");
        assertEquals(sdk.eventNameAsString(), lambda.getEventName(), id + " eventName");
        assertEquals(sdk.eventVersion() == null ? "1.1" : sdk.eventVersion(), lambda.getEventVersion(), id + " eventVersion");
        assertEquals(sdk.eventSource() == null ? "aws:dynamodb" : sdk.eventSource(), lambda.getEventSource(), id + " eventSource");
        assertEquals(sdk.awsRegion() == null ? region : sdk.awsRegion(), lambda.getAwsRegion(), id + " awsRegion");
        assertEquals(arn, lambda.getEventSourceARN(), id + " eventSourceARN");

        StreamRecord s = sdk.dynamodb();
        var l = lambda.getDynamodb();
        assertNotNull(l, id + " dynamodb");
        if (s.approximateCreationDateTime() == null) {
            assertNull(l.getApproximateCreationDateTime(), id + " ApproximateCreationDateTime");
        } else {
            assertNotNull(l.getApproximateCreationDateTime(), id + " ApproximateCreationDateTime");
            assertEquals(s.approximateCreationDateTime().toEpochMilli(), l.getApproximateCreationDateTime().getTime(),
                    id + " ApproximateCreationDateTime");
        }
        assertSameItem(s.hasKeys() ? s.keys() : null, l.getKeys(), id + " Keys");
        assertSameItem(s.hasNewImage() ? s.newImage() : null, l.getNewImage(), id + " NewImage");
        assertSameItem(s.hasOldImage() ? s.oldImage() : null, l.getOldImage(), id + " OldImage");
        assertEquals(s.sequenceNumber(), l.getSequenceNumber(), id + " SequenceNumber");
        assertEquals(s.sizeBytes(), l.getSizeBytes(), id + " SizeBytes");
        assertEquals(s.streamViewTypeAsString(), l.getStreamViewType(), id + " StreamViewType");

        if (sdk.userIdentity() == null) {
            assertNull(lambda.getUserIdentity(), id + " userIdentity");
        } else {
            assertNotNull(lambda.getUserIdentity(), id + " userIdentity");
            assertEquals(sdk.userIdentity().type(), lambda.getUserIdentity().getType(), id + " userIdentity.type");
            assertEquals(sdk.userIdentity().principalId(), lambda.getUserIdentity().getPrincipalId(),
                    id + " userIdentity.principalId");
        }
    }

    static void assertSameItem(Map<String, AttributeValue> sdk,
            Map<String, com.amazonaws.services.lambda.runtime.events.models.dynamodb.AttributeValue> lambda, String path) {
        if (sdk == null) {
            assertNull(lambda, path + " should be absent");
            return;
        }
        assertNotNull(lambda, path);
        assertEquals(sdk.keySet(), lambda.keySet(), path + " attribute names");
        for (Map.Entry<String, AttributeValue> e : sdk.entrySet()) {
            assertSameValue(e.getValue(), lambda.get(e.getKey()), path + "." + e.getKey());
        }
    }

    static void assertSameValue(AttributeValue sdk,
            com.amazonaws.services.lambda.runtime.events.models.dynamodb.AttributeValue lambda, String path) {
        assertNotNull(lambda, path);
        int set = 0;
        for (Object field : new Object[] {lambda.getS(), lambda.getN(), lambda.getB(), lambda.getSS(), lambda.getNS(),
                lambda.getBS(), lambda.getM(), lambda.getL(), lambda.getNULL(), lambda.getBOOL()}) {
            if (field != null) {
                set++;
            }
        }
        assertEquals(1, set, path + " must carry exactly one type, got " + lambda);
        switch (sdk.type()) {
            case S -> assertEquals(sdk.s(), lambda.getS(), path + ".S");
            case N -> assertEquals(sdk.n(), lambda.getN(), path + ".N");
            case B -> assertArrayEquals(sdk.b().asByteArray(), bytes(lambda.getB()), path + ".B");
            case SS -> assertEquals(sdk.ss(), lambda.getSS(), path + ".SS");
            case NS -> assertEquals(sdk.ns(), lambda.getNS(), path + ".NS");
            case BS -> {
                assertNotNull(lambda.getBS(), path + ".BS");
                assertEquals(sdk.bs().size(), lambda.getBS().size(), path + ".BS size");
                for (int i = 0; i < sdk.bs().size(); i++) {
                    assertArrayEquals(sdk.bs().get(i).asByteArray(), bytes(lambda.getBS().get(i)), path + ".BS[" + i + "]");
                }
            }
            case M -> assertSameItem(sdk.m(), lambda.getM(), path + ".M");
            case L -> {
                assertNotNull(lambda.getL(), path + ".L");
                assertEquals(sdk.l().size(), lambda.getL().size(), path + ".L size");
                for (int i = 0; i < sdk.l().size(); i++) {
                    assertSameValue(sdk.l().get(i), lambda.getL().get(i), path + ".L[" + i + "]");
                }
            }
            case NUL -> assertEquals(sdk.nul(), lambda.getNULL(), path + ".NULL");
            case BOOL -> assertEquals(sdk.bool(), lambda.getBOOL(), path + ".BOOL");
            default -> fail(path + ": fixture uses an unknown type " + sdk.type());
        }
    }

    static byte[] bytes(ByteBuffer buffer) {
        assertNotNull(buffer, "binary value");
        ByteBuffer copy = buffer.duplicate();
        byte[] out = new byte[copy.remaining()];
        copy.get(out);
        return out;
    }

    // ================================================================ tumbling windows

    @Test
    void aWindowInvokeIsReadByLambdasOwnTimeWindowEventClassWithEveryField() throws IOException {
        Record record = record("7", OperationType.INSERT, StreamViewType.NEW_AND_OLD_IMAGES, CREATED);
        byte[] body = LambdaPayload.windowBody(List.of(record), STREAM_ARN, "shardId-00001", Instant.parse(
                "2020-07-30T17:00:00Z"), Instant.parse("2020-07-30T17:05:00Z"), "{\"1\":\"state1\"}", false, false);

        com.amazonaws.services.lambda.runtime.events.DynamodbTimeWindowEvent event = LambdaEventSerializers
                .serializerFor(com.amazonaws.services.lambda.runtime.events.DynamodbTimeWindowEvent.class,
                        getClass().getClassLoader())
                .fromJson(new java.io.ByteArrayInputStream(body));

        assertEquals(1, event.getRecords().size());
        assertSameRecord(record, event.getRecords().get(0), "eu-west-3", STREAM_ARN);
        assertEquals("2020-07-30T17:00:00Z", event.getWindow().getStart());
        assertEquals("2020-07-30T17:05:00Z", event.getWindow().getEnd());
        assertEquals(Map.of("1", "state1"), event.getState());
        assertEquals("shardId-00001", event.getShardId());
        assertEquals(STREAM_ARN, event.getEventSourceArn());
        assertEquals(Boolean.FALSE, event.getIsFinalInvokeForWindow());
        assertEquals(Boolean.FALSE, event.getIsWindowTerminatedEarly());
        assertEquals(List.of("Records", "window", "state", "shardId", "eventSourceARN", "isFinalInvokeForWindow",
                "isWindowTerminatedEarly"), fieldNames(JSON.readTree(body)));
    }

    @Test
    void aFinalWindowInvokeHasNoRecordsAndItsFlags() throws IOException {
        byte[] body = LambdaPayload.windowBody(List.of(), STREAM_ARN, "s\"1", Instant.parse("2020-07-30T17:00:00.700Z"),
                Instant.parse("2020-07-30T17:01:00Z"), "{}", true, true);

        JsonNode raw = JSON.readTree(body);
        assertEquals(0, raw.get("Records").size());
        assertEquals("2020-07-30T17:00:00Z", raw.get("window").get("start").asText());
        assertEquals("s\"1", raw.get("shardId").asText(), "escaped");
        assertTrue(raw.get("isFinalInvokeForWindow").asBoolean());
        assertTrue(raw.get("isWindowTerminatedEarly").asBoolean());
    }

    // ================================================================ raw JSON helpers

    static List<String> fieldNames(JsonNode node) {
        assertTrue(node != null && node.isObject(), "expected an object, got " + node);
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    static void assertNoNulls(JsonNode node, String path) {
        assertFalse(node.isNull(), path + " is null");
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                assertNoNulls(e.getValue(), path + "." + e.getKey());
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                assertNoNulls(node.get(i), path + "[" + i + "]");
            }
        }
    }
}
