package io.dynamostream.subscription;

/**
 * Lifecycle of a subscription.
 *
 * <pre>
 *   RUNNING ──(terminal error: table/stream gone, retries exhausted)──▶ ERROR
 * </pre>
 * A subscription in ERROR stays listed (with its {@code error}) until it is deleted.
 */
public enum SubscriptionStatus {
    RUNNING,
    ERROR
}
