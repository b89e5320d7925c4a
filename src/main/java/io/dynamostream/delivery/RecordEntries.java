package io.dynamostream.delivery;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.dynamostream.subscription.DestinationOptions.MessageFormat;

/**
 * Cuts a message into the entries a queue, topic, stream or bus gets: with {@code message_format: record} one entry
 * per record of a {@code {"Records":[...]}} body, each the record's exact JSON bytes, keyed by its item's
 * {@code Keys} (canonical JSON: attribute names sorted, no spaces) and de-duplicated by its {@code eventID}; with
 * {@code batch}, and for anything that is not a batch of records (a notification, an invocation record), one entry of
 * the whole body keyed by the shard and de-duplicated by the delivery id. Works from the body alone, so a dead letter
 * re-delivered later is cut the same way. Pure.
 */
final class RecordEntries {

    private static final JsonFactory FACTORY = new JsonFactory();
    private static final ObjectMapper JSON = new ObjectMapper(FACTORY);

    private RecordEntries() {
    }

    /**
     * One message of a queue, topic, stream or bus.
     *
     * @param index position in the message, from 0
     * @param orderKey entries with the same key keep their order (the item's canonical keys, or the shard)
     * @param dedupId stays the same for every attempt and after a restart (eventID, or the delivery id)
     */
    record Entry(int index, String orderKey, String dedupId, byte[] body) {
    }

    static List<Entry> of(Destination.Message m, MessageFormat format) {
        String whole = m.shardId() != null ? m.shardId() : m.subscription().id();
        if (format == MessageFormat.RECORD) {
            List<Entry> records = records(m.body());
            if (records != null) {
                return records;
            }
        }
        return List.of(new Entry(0, whole, m.deliveryId(), m.body()));
    }

    /** The records of a {@code {"Records":[...]}} body, each as its exact bytes; null for any other body. */
    static List<Entry> records(byte[] body) {
        try (JsonParser p = FACTORY.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT || p.nextToken() != JsonToken.FIELD_NAME
                    || !"Records".equals(p.currentName()) || p.nextToken() != JsonToken.START_ARRAY) {
                return null;
            }
            List<Entry> entries = new ArrayList<>();
            while (p.nextToken() == JsonToken.START_OBJECT) {
                int start = (int) p.currentTokenLocation().getByteOffset();
                p.skipChildren();
                int end = (int) p.currentLocation().getByteOffset();
                byte[] record = java.util.Arrays.copyOfRange(body, start, end);
                JsonNode tree = JSON.readTree(record);
                String eventId = tree.path("eventID").asText(null);
                JsonNode keys = tree.path("dynamodb").path("Keys");
                entries.add(new Entry(entries.size(), keys.isObject() ? canonical(keys) : "record-" + entries.size(),
                        eventId == null ? "record-" + entries.size() : eventId, record));
            }
            return entries;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read the records of a batch", e);
        }
    }

    /** The JSON with object members sorted by name and no spaces: the same item gives the same text. */
    static String canonical(JsonNode node) {
        StringBuilder out = new StringBuilder();
        try (JsonGenerator g = FACTORY.createGenerator(new java.io.Writer() {
            @Override
            public void write(char[] cbuf, int off, int len) {
                out.append(cbuf, off, len);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        })) {
            write(g, node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static void write(JsonGenerator g, JsonNode node) throws IOException {
        if (node.isObject()) {
            Map<String, JsonNode> sorted = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                sorted.put(e.getKey(), e.getValue());
            }
            g.writeStartObject();
            for (Map.Entry<String, JsonNode> e : sorted.entrySet()) {
                g.writeFieldName(e.getKey());
                write(g, e.getValue());
            }
            g.writeEndObject();
        } else if (node.isArray()) {
            g.writeStartArray();
            for (JsonNode n : node) {
                write(g, n);
            }
            g.writeEndArray();
        } else {
            JSON.writeTree(g, node);
        }
    }

    /**
     * The key as the service takes it: itself when it has at most {@code maxLength} characters and only
     * {@code allowed} ones, otherwise its SHA-256 in hex (64 characters): the same item still gives the same key.
     */
    static String fitted(String key, int maxLength, java.util.function.IntPredicate allowed) {
        if (key.length() <= maxLength && key.chars().allMatch(allowed)) {
            return key;
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What SQS and SNS allow in a group or de-duplication id: letters, digits and ASCII punctuation. */
    static boolean fifoIdChar(int c) {
        return c > 0x20 && c < 0x7f;
    }
}
