package io.dynamostream.subscription;

/**
 * Where one subscription stands on one shard.
 *
 * <pre>
 *   WAITING_FOR_PARENT ──parent acknowledged──▶ READING ──end of a closed shard acknowledged──▶ FINISHED
 *                                                  │
 *                                                  └──delivery failing──▶ RETRYING ──2xx──▶ READING
 * </pre>
 */
public enum ShardState {
    WAITING_FOR_PARENT,
    READING,
    RETRYING,
    FINISHED
}
