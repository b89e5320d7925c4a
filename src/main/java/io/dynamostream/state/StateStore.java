package io.dynamostream.state;

import java.util.Map;
import java.util.SortedMap;

/**
 * What survives a restart: subscriptions, a checkpoint per (subscription, shard) and dead letters. Documents are
 * opaque JSON strings owned by the caller (the registry decides their format); the store only keeps them.
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
 * <p>Entries of a subscription are kept whether or not its document is stored: stop writing a subscription's
 * checkpoints before {@link #deleteSubscription deleting} it, or a late write leaves an entry nobody reads.
 *
 * <p>Implementations: {@link EmbeddedStateStore} (default), {@link DynamoDbStateStore}, {@link MemoryStateStore};
 * {@link StateStoreProducer} picks one from {@code dynamo-stream.state.store}.
 */
public interface StateStore extends AutoCloseable {

    /** Every stored subscription: id → document, ordered by id. */
    SortedMap<String, String> subscriptions();

    /** Inserts or replaces a subscription's document. */
    void putSubscription(String id, String document);

    /** Deletes a subscription with its checkpoints and dead letters; nothing happens when it is unknown. */
    void deleteSubscription(String id);

    /** The checkpoints of one subscription: shard id → checkpoint (empty when none). */
    Map<String, Checkpoint> checkpoints(String subscriptionId);

    /**
     * Records that every record of the shard up to {@code sequenceNumber} was acknowledged with a 2xx (or handed to
     * {@code on_failure}). Forward only: a number not greater than the stored one changes nothing. Clears the
     * in-flight range when the checkpoint reaches or passes it.
     *
     * @return whether the checkpoint moved
     */
    boolean checkpoint(String subscriptionId, String shardId, String sequenceNumber);

    /**
     * Records the last sequence number of the batch about to be POSTed on the shard, so that after a crash the same
     * batch (same first and last record, same body, same delivery id) is sent again. A mark at or before the
     * checkpoint reads as none: that batch was acknowledged.
     */
    void inFlight(String subscriptionId, String shardId, String lastSequenceNumber);

    /**
     * {@link #checkpoint} and then {@link #inFlight} as one write: the batch through {@code sequenceNumber} was
     * acknowledged and the next one, through {@code nextLastSequenceNumber}, is about to be POSTed. While a backlog
     * drains this halves the writes per batch. The checkpoint only moves forward as in {@link #checkpoint}; the
     * in-flight mark is set either way. A kill during the call leaves both changes or neither.
     */
    void checkpointAndInFlight(String subscriptionId, String shardId, String sequenceNumber,
            String nextLastSequenceNumber);

    /**
     * Records that the subscription acknowledged every record of the (closed) shard, or that it is out of scope.
     * Keeps the checkpoint, clears the in-flight mark; final (later checkpoints still move the number forward).
     */
    void finish(String subscriptionId, String shardId);

    /** Dead letters of one subscription: dead-letter id → document, ordered by id (oldest first). */
    SortedMap<String, String> deadLetters(String subscriptionId);

    /** Stores a dead letter (a batch given up with {@code on_failure: dead_letter}). */
    void putDeadLetter(String subscriptionId, String deadLetterId, String document);

    /** Removes a dead letter; returns whether it existed. */
    boolean deleteDeadLetter(String subscriptionId, String deadLetterId);

    /** One line for the startup log, e.g. "embedded (H2 MVStore) at /var/lib/dynamo-stream/state.mv.db". */
    String describe();

    /** Flushes and releases the store; later calls may fail. */
    @Override
    void close();

    /**
     * Where a subscription stands on one shard.
     *
     * @param sequenceNumber last sequence number acknowledged, null when none yet
     * @param inFlightThrough last sequence number of the batch being delivered, null when none
     * @param finished every record of the closed shard was acknowledged
     */
    record Checkpoint(String sequenceNumber, String inFlightThrough, boolean finished) {
    }
}
