package io.dynamostream.subscription;

import java.net.URI;
import java.time.Instant;
import java.util.List;

/**
 * Immutable snapshot of one subscription, as handed out by {@link SubscriptionRegistry}.
 *
 * @param id ULID
 * @param error the reason of an ERROR status, otherwise null
 * @param shards per-shard progress, in shard discovery order
 */
public record Subscription(
        String id,
        String tableName,
        URI url,
        StartingPosition startingPosition,
        Source source,
        Instant createdAt,
        SubscriptionStatus status,
        String error,
        List<ShardProgress> shards) {

    /** Where a subscription came from. */
    public enum Source {
        CONFIG_FILE,
        API
    }
}
