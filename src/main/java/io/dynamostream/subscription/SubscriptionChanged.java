package io.dynamostream.subscription;

/**
 * Fired synchronously by {@link SubscriptionRegistry} after each change, in the thread that made it, so the stream
 * side starts or stops reading before the API call returns.
 */
public record SubscriptionChanged(Kind kind, Subscription subscription) {

    public enum Kind {
        ADDED,
        REMOVED,
        FAILED
    }
}
