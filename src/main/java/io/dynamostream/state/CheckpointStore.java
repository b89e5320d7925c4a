package io.dynamostream.state;

import java.util.Map;

/**
 * Where each subscription stands on each shard: the checkpoint (last sequence number acknowledged), the in-flight
 * mark (last sequence number of the batch being delivered) and whether the shard is finished. Written by the shard
 * cursors (reading), read when a subscription is attached. KCL's {@code Checkpointer} is the model:
 * {@link #inFlight} is its {@code prepareCheckpoint}, {@link #checkpoint} its {@code checkpoint}.
 *
 * <p>Contract: thread-safe; durable when a call returns (survives {@code kill -9}); checkpoints move forward only,
 * compared as big integers (I5); a write for a subscription that was deleted (or never stored) is ignored, so a
 * cursor that is still stopping cannot leave an entry behind. Arguments that are not sequence numbers (1 to 48
 * digits) or ids (non-empty, no NUL) are refused with {@link IllegalArgumentException}; storage failures surface as
 * unchecked exceptions.
 *
 * <p>Lanes ({@code parallelization_factor} above 1): each lane of a shard keeps its own entry beside the shard's,
 * under the id {@link #laneId}, with the same rules (its checkpoint is the last record of that lane acknowledged,
 * its in-flight mark that lane's batch being delivered). The shard's own entry stays the point below which every
 * record is done, whatever the lanes. Lane entries are listed by {@link #checkpoints} like shards; callers that look
 * shards up by id never meet them, and {@link #isLaneId} tells them apart.
 */
public interface CheckpointStore {

    /** What separates a shard id from a lane's part in {@link #laneId}; never part of a DynamoDB Streams shard id. */
    String LANE_MARK = "#lane-";

    /**
     * The id under which lane {@code lane} (0-based) of {@code shardId} keeps its position when the shard is read
     * with {@code factor} lanes, e.g. {@code shardId-0001#lane-3-of-10} for the fourth of ten. The factor is part of
     * it, so entries of a run with another factor are never mistaken for this one's.
     */
    static String laneId(String shardId, int lane, int factor) {
        return shardId + LANE_MARK + (lane + 1) + "-of-" + factor;
    }

    /** Whether an id of {@link #checkpoints} names a lane's entry rather than a shard's. */
    static boolean isLaneId(String id) {
        return id.contains(LANE_MARK);
    }

    /** The checkpoints of one subscription: shard id → checkpoint (empty when none). */
    Map<String, Checkpoint> checkpoints(String subscriptionId);

    /**
     * Every record of the shard up to {@code sequenceNumber} was acknowledged (or handed to {@code on_failure}).
     * Forward only; clears the in-flight mark once the checkpoint reaches it.
     *
     * @return whether the checkpoint moved
     */
    boolean checkpoint(String subscriptionId, String shardId, String sequenceNumber);

    /** The batch through {@code lastSequenceNumber} is about to be delivered: after a crash it is sent again as is. */
    void inFlight(String subscriptionId, String shardId, String lastSequenceNumber);

    /**
     * {@link #checkpoint} and then {@link #inFlight} for the next batch, as one write (both or neither survive a kill):
     * while a backlog drains this halves the writes per batch.
     */
    void checkpointAndInFlight(String subscriptionId, String shardId, String sequenceNumber,
            String nextLastSequenceNumber);

    /** Every record of the (closed) shard was acknowledged, or the shard is out of scope: final. */
    void finish(String subscriptionId, String shardId);

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
