package io.dynamostream.subscription;

/**
 * Records that will not reach a subscription's URL although it keeps running (I1: reported, never silent). Fired
 * synchronously by {@link SubscriptionRegistry}, after it logged the incident at ERROR; the error notifier and the
 * metrics observe it.
 *
 * @param firstSequenceNumber first sequence number concerned; for a gap the last one that was delivered (exclusive),
 *        null when the gap starts at the beginning of the shard
 * @param lastSequenceNumber last sequence number concerned; for a gap the first one read after it (exclusive)
 * @param records how many records, 0 when unknown (a gap)
 */
public record DeliveryIncident(Kind kind, Subscription subscription, String shardId, String firstSequenceNumber,
        String lastSequenceNumber, long records, String message) {

    public enum Kind {
        /** Records were trimmed from the stream (older than 24 h) before they were delivered. */
        GAP,
        /** A batch was given up with {@code on_failure: skip}. */
        SKIPPED,
        /** A batch was given up with {@code on_failure: dead_letter} and kept in the dead-letter store. */
        DEAD_LETTER
    }
}
