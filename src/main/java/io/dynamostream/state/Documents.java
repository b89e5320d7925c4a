package io.dynamostream.state;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import io.dynamostream.subscription.DeadLetter;
import io.dynamostream.subscription.StopNotification;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionRequest;
import io.dynamostream.subscription.SubscriptionStatus;
import io.dynamostream.subscription.SubscriptionStore;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The JSON form of the stored documents: a subscription ({@code {"request", "source", "created_at", "status",
 * "error", "started"}}), a dead letter (its API shape, body included) and a stop notification ({@code {"table_name",
 * "message", "stopped_at", "state", "attempts", "last_error", "last_attempt_at", "next_attempt_at"}}). Unknown fields are ignored, so a document
 * written by a newer version still loads. Pure and thread-safe.
 */
final class Documents {

    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private Documents() {
    }

    /** The stored form of a subscription; the field names are the state store's format, do not rename them. */
    @RegisterForReflection
    record StoredSubscription(@JsonProperty("request") SubscriptionRequest request,
            @JsonProperty("source") Subscription.Source source,
            @JsonProperty("created_at") Instant createdAt,
            @JsonProperty("status") SubscriptionStatus status,
            @JsonProperty("error") String error,
            @JsonProperty("started") boolean started) {
    }

    static String subscription(SubscriptionStore.Stored s) {
        return write(new StoredSubscription(s.request(), s.source(), s.createdAt(), s.status(), s.error(), s.started()),
                "subscription " + s.id());
    }

    /** @throws IllegalArgumentException when the document cannot be read, with the reason */
    static SubscriptionStore.Stored subscription(String id, String document) {
        StoredSubscription doc = read(document, StoredSubscription.class);
        return new SubscriptionStore.Stored(id, doc.request(), doc.source(), doc.createdAt(),
                doc.status() == null ? SubscriptionStatus.RUNNING : doc.status(), doc.error(), doc.started());
    }

    static String deadLetter(DeadLetter letter) {
        return write(letter, "dead letter " + letter.id());
    }

    static DeadLetter deadLetter(String document) {
        try {
            return read(document, DeadLetter.class);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("unreadable dead letter in the state store: " + e.getMessage(), e);
        }
    }

    /**
     * The stored form of a stop notification (the subscription id is the key); the field names are the state store's
     * format, do not rename them.
     */
    @RegisterForReflection
    record StoredNotification(@JsonProperty("table_name") String tableName,
            @JsonProperty("message") String message,
            @JsonProperty("stopped_at") Instant stoppedAt,
            @JsonProperty("state") StopNotification.State state,
            @JsonProperty("attempts") int attempts,
            @JsonProperty("last_error") String lastError,
            @JsonProperty("last_attempt_at") Instant lastAttemptAt,
            @JsonProperty("next_attempt_at") Instant nextAttemptAt) {
    }

    static String notification(StopNotification n) {
        return write(new StoredNotification(n.tableName(), n.message(), n.stoppedAt(), n.state(), n.attempts(),
                n.lastError(), n.lastAttemptAt(), n.nextAttemptAt()), "notification of " + n.subscriptionId());
    }

    /** @throws IllegalArgumentException when the document cannot be read, with the reason */
    static StopNotification notification(String subscriptionId, String document) {
        StoredNotification doc = read(document, StoredNotification.class);
        if (doc.stoppedAt() == null || doc.state() == null) {
            throw new IllegalArgumentException("notification without stopped_at or state");
        }
        return new StopNotification(subscriptionId, doc.tableName(), doc.message(), doc.stoppedAt(), doc.state(),
                doc.attempts(), doc.lastError(), doc.lastAttemptAt(),
                doc.state() == StopNotification.State.PENDING && doc.nextAttemptAt() == null ? doc.stoppedAt()
                        : doc.nextAttemptAt());
    }

    // ---- tumbling windows

    /** The stored form of a shard's tumbling window; the field names are the state store's format. */
    @RegisterForReflection
    record StoredWindow(@JsonProperty("start") Instant start, @JsonProperty("end") Instant end,
            @JsonProperty("state") String state, @JsonProperty("through") String through,
            @JsonProperty("closed") boolean closed) {
    }

    static String window(WindowStore.Window w) {
        return write(new StoredWindow(w.start(), w.end(), w.state(), w.through(), w.closed()), "window");
    }

    /** @throws IllegalArgumentException when the document cannot be read, with the reason */
    static WindowStore.Window window(String document) {
        StoredWindow doc = read(document, StoredWindow.class);
        return new WindowStore.Window(doc.start(), doc.end(), doc.state() == null ? "{}" : doc.state(),
                doc.through(), doc.closed());
    }

    private static String write(Object doc, String what) {
        try {
            return JSON.writeValueAsString(doc);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + what, e);
        }
    }

    private static <T> T read(String document, Class<T> type) {
        try {
            return JSON.readValue(document, type);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e.getOriginalMessage(), e);
        }
    }
}
