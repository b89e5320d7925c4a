package io.dynamostream.subscription;

/**
 * Lifecycle of a subscription.
 *
 * <pre>
 *   (registered) ──▶ STARTING ──shards known──▶ RUNNING ◀──2xx──▶ RETRYING   (a shard's batch is being retried, or
 *                                                                           the stream cannot be read for now:
 *                                                │  ▲            │          DynamoDB unreachable, no credentials)
 *                                         pause  │  │ resume     │ retries exhausted (on_failure: stop), 410 Gone,
 *                                                ▼  │            │ table deleted, stream unreadable
 *                                               PAUSED           ▼
 *                     RUNNING ───────────▶ ERROR ──restart──▶ STARTING (from the checkpoints)
 *                     RUNNING ──stream disabled or replaced, every record delivered──▶ CLOSED ──restart──▶ STARTING
 * </pre>
 * STARTING is brief (one DescribeStream of the table, none when its shards are already known); a resume or restart
 * passes through it too. Pausing is allowed in STARTING, RUNNING and RETRYING.
 * </pre>
 * A subscription stays listed in every status until it is deleted; ERROR and CLOSED carry the reason in
 * {@code error} and were announced with the error notification.
 */
public enum SubscriptionStatus {
    /**
     * Registered (or resumed, restarted, loaded at startup) and active, but its table's shards are not known yet:
     * reading starts as soon as they are. Shown only; stored as RUNNING.
     */
    STARTING,
    /** Reading and delivering. */
    RUNNING,
    /**
     * Running, but the delivery of at least one shard's batch is failing and being retried, or the table's stream
     * cannot be read for now (DynamoDB unreachable, no credentials; {@code error} says why). Back to RUNNING by itself.
     */
    RETRYING,
    /** Stopped by the API ({@code POST /subscriptions/{id}/pause}); resumes from its checkpoints. */
    PAUSED,
    /** Stopped by a terminal error; {@code POST /subscriptions/{id}/restart} resumes from the checkpoints. */
    ERROR,
    /** The stream was disabled or replaced and every record of it was delivered. */
    CLOSED;

    /** Whether the subscription is reading or about to (STARTING, RUNNING or RETRYING). */
    public boolean isActive() {
        return this == STARTING || this == RUNNING || this == RETRYING;
    }
}
