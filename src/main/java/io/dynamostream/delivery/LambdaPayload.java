package io.dynamostream.delivery;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;

import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.Identity;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.StreamRecord;

/**
 * Writes DynamoDB Streams records (AWS SDK v2 model) as the JSON body AWS Lambda receives from a
 * DynamoDB event source mapping: {@code {"Records":[...]}}.
 *
 * <p>Stateless apart from an immutable, thread-safe {@link JsonFactory}; safe to call from any thread.
 * Fields the record does not carry are left out (never written as {@code null}).
 */
public final class LambdaPayload {

    /** Lambda's values for these two fields; used only when the SDK record does not carry them. */
    static final String EVENT_VERSION = "1.1";
    static final String EVENT_SOURCE = "aws:dynamodb";

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
            .build();

    private static final byte[] EMPTY_BODY = "{\"Records\":[]}".getBytes(StandardCharsets.UTF_8);

    // Pre-encoded field names (Jackson writes these without re-escaping or re-encoding).
    private static final SerializedString RECORDS = new SerializedString("Records");
    private static final SerializedString EVENT_ID = new SerializedString("eventID");
    private static final SerializedString EVENT_NAME = new SerializedString("eventName");
    private static final SerializedString EVENT_VERSION_F = new SerializedString("eventVersion");
    private static final SerializedString EVENT_SOURCE_F = new SerializedString("eventSource");
    private static final SerializedString AWS_REGION = new SerializedString("awsRegion");
    private static final SerializedString DYNAMODB = new SerializedString("dynamodb");
    private static final SerializedString EVENT_SOURCE_ARN = new SerializedString("eventSourceARN");
    private static final SerializedString USER_IDENTITY = new SerializedString("userIdentity");
    private static final SerializedString TYPE = new SerializedString("type");
    private static final SerializedString PRINCIPAL_ID = new SerializedString("principalId");

    private static final SerializedString APPROXIMATE_CREATION_DATE_TIME = new SerializedString("ApproximateCreationDateTime");
    private static final SerializedString KEYS = new SerializedString("Keys");
    private static final SerializedString NEW_IMAGE = new SerializedString("NewImage");
    private static final SerializedString OLD_IMAGE = new SerializedString("OldImage");
    private static final SerializedString SEQUENCE_NUMBER = new SerializedString("SequenceNumber");
    private static final SerializedString SIZE_BYTES = new SerializedString("SizeBytes");
    private static final SerializedString STREAM_VIEW_TYPE = new SerializedString("StreamViewType");

    private static final SerializedString S = new SerializedString("S");
    private static final SerializedString N = new SerializedString("N");
    private static final SerializedString B = new SerializedString("B");
    private static final SerializedString SS = new SerializedString("SS");
    private static final SerializedString NS = new SerializedString("NS");
    private static final SerializedString BS = new SerializedString("BS");
    private static final SerializedString M = new SerializedString("M");
    private static final SerializedString L = new SerializedString("L");
    private static final SerializedString NULL = new SerializedString("NULL");
    private static final SerializedString BOOL = new SerializedString("BOOL");


    private LambdaPayload() {
    }

    /**
     * One delivery body: {"Records":[...]} as UTF-8 JSON bytes.
     *
     * @param records   records as GetRecords returned them, in stream order; null or empty gives {"Records":[]}
     * @param streamArn written as each record's eventSourceARN; its region stands in for a missing awsRegion
     */
    public static byte[] body(List<Record> records, String streamArn) {
        if (records == null || records.isEmpty()) {
            return EMPTY_BODY.clone();
        }
        String arnRegion = null;
        boolean arnRegionParsed = false;
        // the output buffer's blocks come from Jackson's public recycler pool, as the generator's own buffers do
        BufferRecycler recycler = JsonRecyclerPools.defaultPool().acquireAndLinkPooled();
        try (ByteArrayBuilder out = new ByteArrayBuilder(recycler, Math.min(512 * records.size(), 256 * 1024))) {
            try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
                g.writeStartObject();
                g.writeFieldName(RECORDS);
                g.writeStartArray();
                for (Record r : records) {
                    String region = r.awsRegion();
                    if (region == null) {
                        if (!arnRegionParsed) {
                            arnRegion = regionFromArn(streamArn);
                            arnRegionParsed = true;
                        }
                        region = arnRegion;
                    }
                    writeRecord(g, r, region, streamArn);
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            byte[] result = out.toByteArray();
            out.release();
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write Lambda DynamoDB event", e);
        } finally {
            recycler.releaseToPool();
        }
    }


    /**
     * The body of an invoke with a tumbling window: Lambda's DynamoDB time-window event, {@link #body} followed by
     * {@code window} ({@code start}, {@code end} as ISO-8601 UTC seconds, e.g. {@code 2020-07-30T17:00:00Z}),
     * {@code state}, {@code shardId}, {@code eventSourceARN}, {@code isFinalInvokeForWindow} and
     * {@code isWindowTerminatedEarly}.
     *
     * @param records the window's records in this invoke; empty for a final invoke
     * @param state a JSON object, written as it is (the receiver's last answer, or {@code {}})
     */
    public static byte[] windowBody(List<Record> records, String streamArn, String shardId, Instant start,
            Instant end, String state, boolean finalInvoke, boolean terminatedEarly) {
        byte[] head = body(records, streamArn);
        String tail = ",\"window\":{\"start\":\"" + windowTime(start) + "\",\"end\":\"" + windowTime(end)
                + "\"},\"state\":" + state + ",\"shardId\":\"" + quoted(shardId) + "\",\"eventSourceARN\":\""
                + quoted(streamArn) + "\",\"isFinalInvokeForWindow\":" + finalInvoke
                + ",\"isWindowTerminatedEarly\":" + terminatedEarly + "}";
        byte[] tailBytes = tail.getBytes(StandardCharsets.UTF_8);
        byte[] out = java.util.Arrays.copyOf(head, head.length - 1 + tailBytes.length); // drops the closing brace
        System.arraycopy(tailBytes, 0, out, head.length - 1, tailBytes.length);
        return out;
    }

    private static String quoted(String s) {
        return new String(com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(s));
    }

    /** Lambda's form of a window bound: UTC, whole seconds, {@code Z}. */
    static String windowTime(Instant t) {
        return java.time.format.DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    }

    /**
     * The region part of {@code arn:<partition>:dynamodb:<region>:<account>:table/<t>/stream/<label>},
     * or null if the ARN does not have one.
     */
    static String regionFromArn(String arn) {
        if (arn == null) {
            return null;
        }
        int p1 = arn.indexOf(':');
        int p2 = p1 < 0 ? -1 : arn.indexOf(':', p1 + 1);
        int p3 = p2 < 0 ? -1 : arn.indexOf(':', p2 + 1);
        int p4 = p3 < 0 ? -1 : arn.indexOf(':', p3 + 1);
        if (p4 < 0 || p4 == p3 + 1 || !arn.startsWith("arn:")) {
            return null;
        }
        return arn.substring(p3 + 1, p4);
    }

    private static void writeRecord(JsonGenerator g, Record r, String region, String streamArn) throws IOException {
        g.writeStartObject();
        writeOptional(g, EVENT_ID, r.eventID());
        writeOptional(g, EVENT_NAME, r.eventNameAsString());
        String version = r.eventVersion();
        writeOptional(g, EVENT_VERSION_F, version != null ? version : EVENT_VERSION);
        String source = r.eventSource();
        writeOptional(g, EVENT_SOURCE_F, source != null ? source : EVENT_SOURCE);
        writeOptional(g, AWS_REGION, region);
        StreamRecord d = r.dynamodb();
        if (d != null) {
            g.writeFieldName(DYNAMODB);
            writeStreamRecord(g, d);
        }
        writeOptional(g, EVENT_SOURCE_ARN, streamArn);
        Identity id = r.userIdentity();
        if (id != null) {
            g.writeFieldName(USER_IDENTITY);
            g.writeStartObject();
            writeOptional(g, TYPE, id.type());
            writeOptional(g, PRINCIPAL_ID, id.principalId());
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    private static void writeStreamRecord(JsonGenerator g, StreamRecord d) throws IOException {
        g.writeStartObject();
        Instant t = d.approximateCreationDateTime();
        if (t != null) {
            g.writeFieldName(APPROXIMATE_CREATION_DATE_TIME);
            int nanos = t.getNano();
            if (nanos == 0) {
                g.writeNumber(t.getEpochSecond());
            } else {
                g.writeNumber(BigDecimal.valueOf(t.getEpochSecond())
                        .add(BigDecimal.valueOf(nanos, 9))
                        .stripTrailingZeros());
            }
        }
        if (d.hasKeys()) {
            g.writeFieldName(KEYS);
            writeItem(g, d.keys());
        }
        if (d.hasNewImage()) {
            g.writeFieldName(NEW_IMAGE);
            writeItem(g, d.newImage());
        }
        if (d.hasOldImage()) {
            g.writeFieldName(OLD_IMAGE);
            writeItem(g, d.oldImage());
        }
        writeOptional(g, SEQUENCE_NUMBER, d.sequenceNumber());
        Long size = d.sizeBytes();
        if (size != null) {
            g.writeFieldName(SIZE_BYTES);
            g.writeNumber(size.longValue());
        }
        writeOptional(g, STREAM_VIEW_TYPE, d.streamViewTypeAsString());
        g.writeEndObject();
    }

    private static void writeItem(JsonGenerator g, Map<String, AttributeValue> item) throws IOException {
        g.writeStartObject();
        for (Map.Entry<String, AttributeValue> e : item.entrySet()) {
            g.writeFieldName(e.getKey());
            writeValue(g, e.getValue());
        }
        g.writeEndObject();
    }

    private static void writeValue(JsonGenerator g, AttributeValue v) throws IOException {
        g.writeStartObject();
        AttributeValue.Type type = v == null ? null : v.type();
        if (type != null) {
            switch (type) {
                case S -> {
                    g.writeFieldName(S);
                    g.writeString(v.s());
                }
                case N -> {
                    // DynamoDB numbers travel as strings, exactly as stored.
                    g.writeFieldName(N);
                    g.writeString(v.n());
                }
                case B -> {
                    g.writeFieldName(B);
                    writeBytes(g, v.b());
                }
                case SS -> {
                    g.writeFieldName(SS);
                    writeStrings(g, v.ss());
                }
                case NS -> {
                    g.writeFieldName(NS);
                    writeStrings(g, v.ns());
                }
                case BS -> {
                    g.writeFieldName(BS);
                    List<SdkBytes> bs = v.bs();
                    g.writeStartArray();
                    for (int i = 0, n = bs.size(); i < n; i++) {
                        writeBytes(g, bs.get(i));
                    }
                    g.writeEndArray();
                }
                case M -> {
                    g.writeFieldName(M);
                    writeItem(g, v.m());
                }
                case L -> {
                    g.writeFieldName(L);
                    List<AttributeValue> l = v.l();
                    g.writeStartArray();
                    for (int i = 0, n = l.size(); i < n; i++) {
                        writeValue(g, l.get(i));
                    }
                    g.writeEndArray();
                }
                case BOOL -> {
                    g.writeFieldName(BOOL);
                    g.writeBoolean(v.bool());
                }
                case NUL -> {
                    g.writeFieldName(NULL);
                    g.writeBoolean(v.nul());
                }
                default -> {
                    // UNKNOWN_TO_SDK_VERSION: a type this SDK does not know; nothing we can faithfully write.
                }
            }
        }
        g.writeEndObject();
    }

    private static void writeStrings(JsonGenerator g, List<String> values) throws IOException {
        g.writeStartArray();
        for (int i = 0, n = values.size(); i < n; i++) {
            g.writeString(values.get(i));
        }
        g.writeEndArray();
    }

    private static void writeBytes(JsonGenerator g, SdkBytes bytes) throws IOException {
        // Standard base64 with padding and no line breaks (Jackson's default variant), like Lambda.
        byte[] raw = bytes.asByteArrayUnsafe();
        g.writeBinary(raw, 0, raw.length);
    }

    private static void writeOptional(JsonGenerator g, SerializedString name, String value) throws IOException {
        if (value != null) {
            g.writeFieldName(name);
            g.writeString(value);
        }
    }
}
