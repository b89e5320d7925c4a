package io.dynamostream.subscription;

/**
 * Fired synchronously by {@link SubscriptionRegistry} after each change, in the thread that made it, so the stream
 * side starts or stops reading before the API call returns.
 */
public record SubscriptionChanged(Kind kind, Subscription subscription) {

    public enum Kind {
        /** Registered, or loaded at startup: start reading (from the checkpoints when there are some). */
        ADDED,
        /** Deleted: stop reading; its state is gone. */
        REMOVED,
        /** Ended in ERROR: stop reading; the error notification goes out. */
        FAILED,
        /** Ended in CLOSED (the stream ended): stop reading; the notification goes out. */
        CLOSED,
        /** Paused by the API: stop reading, keep the checkpoints. */
        PAUSED,
        /** Resumed or restarted by the API: read again from the checkpoints. */
        RESUMED;

        /** Whether the stream side must stop reading for this subscription. */
        public boolean stopsReading() {
            return this == REMOVED || this == FAILED || this == CLOSED || this == PAUSED;
        }
    }
}
