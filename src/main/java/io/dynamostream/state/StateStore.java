package io.dynamostream.state;

import java.util.Map;
import java.util.SortedMap;

/**
 * The storage SPI of the three kinds (embedded, DynamoDB table, memory): subscriptions, a checkpoint per
 * (subscription, shard), dead letters and one stop notification per subscription. Documents are opaque strings here; {@link StateStores} gives the rest of
 * the service typed stores over it ({@link CheckpointStore}, {@link DeadLetterStore}, {@link NotificationStore}, the
 * registry's {@code SubscriptionStore}) and owns the JSON form of the documents ({@link Documents}).
 *
 * <p>Contract of every implementation:
 * <ul>
 * <li>Thread-safe; called concurrently by many cursor threads.</li>
 * <li>Durable on return: when a mutating method returns, the change survives a {@code kill -9} of this process
 * (it reached the OS or the remote table). A kill in the middle of a call leaves either the old or the new value,
 * never a corrupt store.</li>
 * <li>Checkpoints only move forward (I5): sequence numbers are compared as big integers, never as strings.</li>
 * </ul>
 * Sequence numbers are 1 to 48 ASCII digits (DynamoDB Streams uses 21 to 40); anything else, and an empty id or one
 * containing NUL, is refused with {@link IllegalArgumentException}. Failures of the storage itself (disk, DynamoDB)
 * surface as unchecked exceptions; a call that threw may or may not have taken effect.
 *
 * <p>Entries of a subscription are kept whether or not its document is stored: a late checkpoint after
 * {@link #deleteSubscription} would leave an entry nobody reads. {@link StateStores} prevents that.
 *
 * <p>Implementations: {@link EmbeddedStateStore} (default), {@link DynamoDbStateStore}, {@link MemoryStateStore};
 * {@link StateStoreProducer} picks one from {@code dynamo-stream.state.store}.
 */
interface StateStore extends CheckpointStore, AutoCloseable {

    /** Every stored subscription: id → document, ordered by id. */
    SortedMap<String, String> subscriptions();

    /** Inserts or replaces a subscription's document. */
    void putSubscription(String id, String document);

    /**
     * Inserts or replaces several subscriptions' documents (id → document), durable when this returns; a store that
     * can writes them in one commit (registering the thousands of entries of a subscription file).
     */
    default void putSubscriptions(Map<String, String> documents) {
        documents.forEach(this::putSubscription);
    }

    /**
     * Deletes a subscription with its checkpoints, dead letters and stop notification; nothing happens when it is
     * unknown.
     */
    void deleteSubscription(String id);

    /** Dead letters of one subscription: dead-letter id → document, ordered by id (oldest first). */
    SortedMap<String, String> deadLetters(String subscriptionId);

    /** Stores a dead letter (a batch given up with {@code on_failure: dead_letter}). */
    void putDeadLetter(String subscriptionId, String deadLetterId, String document);

    /** Removes a dead letter; returns whether it existed. */
    boolean deleteDeadLetter(String subscriptionId, String deadLetterId);

    /** Every stored stop notification: subscription id → document, ordered by id. */
    SortedMap<String, String> notifications();

    /** Inserts or replaces the stop notification of a subscription (one per subscription). */
    void putNotification(String subscriptionId, String document);

    // ---- tumbling windows (WindowStore): one document per (subscription, shard), removed with the subscription

    /**
     * The window document of a shard, null when none was stored. (Default: a store that keeps no windows, e.g. a
     * test double; the three kinds implement both methods.)
     */
    default String window(String subscriptionId, String shardId) {
        return null;
    }

    /** Inserts or replaces the window document of a shard. */
    default void putWindow(String subscriptionId, String shardId, String document) {
        throw new UnsupportedOperationException("this store keeps no tumbling windows");
    }

    /** One line for the startup log, e.g. "embedded (H2 MVStore) at /var/lib/dynamo-stream/state.mv.db". */
    String describe();

    /** Flushes and releases the store; later calls may fail. */
    @Override
    void close();

}
