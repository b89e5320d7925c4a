package io.dynamostream.config;

import java.nio.file.Path;

import io.smallrye.config.WithDefault;

/**
 * Where subscriptions, checkpoints and dead letters are kept ({@code dynamo-stream.state.*}).
 */
public interface StateSettings {

    /**
     * {@code embedded} (default): an H2 MVStore file under {@link #dir()}, no set-up; {@code dynamodb}: a DynamoDB
     * table ({@link #table()}), created on first use with on-demand billing, for deployments without a local disk;
     * {@code memory}: nothing survives a restart (the original tool's behaviour).
     */
    @WithDefault("embedded")
    Kind store();

    /** Directory of the embedded store ({@code DYNAMO_STREAM_STATE_DIR}); created when missing. */
    @WithDefault("data")
    Path dir();

    /** Table of the {@code dynamodb} store, in the same account and region as the streams being read. */
    @WithDefault("dynamo-stream-state")
    String table();

    /** The kinds of store. */
    enum Kind {
        EMBEDDED,
        DYNAMODB,
        MEMORY
    }
}
