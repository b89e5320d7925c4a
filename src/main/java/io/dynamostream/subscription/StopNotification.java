package io.dynamostream.subscription;

import java.time.Instant;
import java.util.Objects;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * The error notification {@code {"table_name", "message"}} that announces a subscription's stop (ERROR or CLOSED),
 * and its fate: retried while {@link State#PENDING}, then {@link State#DELIVERED} or {@link State#GAVE_UP}. One per
 * subscription (a later stop replaces it); kept with the subscription in the state store, so a pending one is resumed
 * after a restart and the API shows the last one's fate. Immutable.
 *
 * @param subscriptionId the subscription that stopped
 * @param tableName the notification's {@code table_name}
 * @param message the notification's {@code message} (the subscription's {@code error})
 * @param stoppedAt when the subscription stopped: retries are bounded from this time
 * @param attempts attempts made so far
 * @param lastError why the last attempt failed; null before the first attempt and once delivered
 * @param lastAttemptAt when the last attempt ended; null before the first
 * @param nextAttemptAt when the next attempt is due; null unless PENDING
 */
public record StopNotification(String subscriptionId, String tableName, String message, Instant stoppedAt,
        State state, int attempts, String lastError, Instant lastAttemptAt, Instant nextAttemptAt) {

    /** Where a notification stands. */
    @Schema(name = "StopNotificationState", description = "Where an error notification stands")
    public enum State {
        /** Not delivered yet; the next attempt is due at {@code nextAttemptAt}. */
        PENDING,
        /** The receiver confirmed it (HTTP: a 2xx). Final. */
        DELIVERED,
        /** Not delivered within {@code dynamo-stream.notification.retry-for}, or refused for good (410). Final. */
        GAVE_UP
    }

    public StopNotification {
        Objects.requireNonNull(subscriptionId, "subscriptionId");
        Objects.requireNonNull(stoppedAt, "stoppedAt");
        Objects.requireNonNull(state, "state");
    }

    /** A new notification, not attempted yet, due at once. */
    public static StopNotification pending(String subscriptionId, String tableName, String message,
            Instant stoppedAt) {
        return new StopNotification(subscriptionId, tableName, message, stoppedAt, State.PENDING, 0, null, null,
                stoppedAt);
    }

    /** After one more attempt that succeeded. */
    public StopNotification delivered(Instant at) {
        return new StopNotification(subscriptionId, tableName, message, stoppedAt, State.DELIVERED, attempts + 1, null,
                at, null);
    }

    /** After one more attempt that failed, with the next one due at {@code next}. */
    public StopNotification retrying(Instant at, String error, Instant next) {
        return new StopNotification(subscriptionId, tableName, message, stoppedAt, State.PENDING, attempts + 1, error,
                at, next);
    }

    /** After one more attempt that failed, the last one. */
    public StopNotification gaveUp(Instant at, String error) {
        return new StopNotification(subscriptionId, tableName, message, stoppedAt, State.GAVE_UP, attempts + 1, error,
                at, null);
    }

    public boolean isPending() {
        return state == State.PENDING;
    }
}
