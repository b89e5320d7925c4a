package io.dynamostream.subscription;

/**
 * Fired synchronously by {@link SubscriptionRegistry} after each change, for observers that only watch (metrics, the
 * error notification) and never call back into the registry or the readers. Starting and stopping the readers is
 * not done through this event: the supervisor is called explicitly.
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
        RESUMED

    }
}
