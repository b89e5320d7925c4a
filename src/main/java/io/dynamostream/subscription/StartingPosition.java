package io.dynamostream.subscription;

/** Where a new subscription starts reading the shards that are open when it is registered. */
public enum StartingPosition {
    /** Only records written after the subscription was registered (the default, like the original). */
    LATEST,
    /** Every record still in the stream (up to 24 h back), in shard lineage order. */
    TRIM_HORIZON
}
