package io.dynamostream.delivery;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import io.dynamostream.subscription.DeliveryIncident;

/**
 * The bodies of the notifications sent to a subscription's URL: the original tool's error notification
 * {@code {"table_name", "message"}}, and the same with the incident's kind, shard and sequence range. Pure.
 */
final class Notifications {

    private static final JsonFactory JSON = new JsonFactory();

    private Notifications() {
    }

    /**
     * Error notification body {"table_name": ..., "message": ...} (the original tool's format). Both keys are
     * always present; a null argument is written as JSON null.
     */
    static byte[] error(String tableName, String message) {
        return write(g -> {
            g.writeStringField("table_name", tableName);
            g.writeStringField("message", message);
        });
    }

    /**
     * The notification of records that will not be delivered: the error notification's two fields, plus
     * {@code kind} (GAP, SKIPPED, DEAD_LETTER), {@code shard_id}, {@code first_sequence_number},
     * {@code last_sequence_number} and {@code records} (when known). For a gap the two sequence numbers are exclusive
     * bounds: the last record delivered (absent at the start of the shard) and the first one read after it.
     */
    static byte[] incident(String tableName, DeliveryIncident incident) {
        return write(g -> {
            g.writeStringField("table_name", tableName);
            g.writeStringField("message", incident.message());
            g.writeStringField("kind", incident.kind().name());
            g.writeStringField("shard_id", incident.shardId());
            if (incident.firstSequenceNumber() != null) {
                g.writeStringField("first_sequence_number", incident.firstSequenceNumber());
            }
            if (incident.lastSequenceNumber() != null) {
                g.writeStringField("last_sequence_number", incident.lastSequenceNumber());
            }
            if (incident.records() > 0) {
                g.writeNumberField("records", incident.records());
            }
        });
    }

    private interface Fields {
        void write(JsonGenerator g) throws IOException;
    }

    private static byte[] write(Fields fields) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            fields.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write a notification", e);
        }
        return out.toByteArray();
    }
}
