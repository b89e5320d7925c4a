package io.dynamostream.subscription;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import io.dynamostream.guard.Redaction;

/**
 * Immutable snapshot of one subscription, as handed out by {@link SubscriptionRegistry}.
 *
 * @param id ULID
 * @param error the reason of an ERROR or CLOSED status; while RETRYING because the stream cannot be read (DynamoDB
 *        unreachable, no credentials), why; otherwise null
 * @param shards per-shard progress, in shard discovery order
 * @param headers custom headers sent with every POST (values are secrets: never shown or logged)
 * @param secrets signing secrets, current first; empty when deliveries are not signed
 * @param settings batching and failure handling
 * @param started whether reading started once (its starting position was fixed); later starts resume from the
 *        checkpoints
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
        List<ShardProgress> shards,
        Map<String, String> headers,
        List<WebhookSecret> secrets,
        DeliverySettings settings,
        boolean started) {

    /** Whether each POST carries a {@code webhook-signature}. */
    public boolean signed() {
        return !secrets.isEmpty();
    }

    /** Masks the URL's secrets and the header values. */
    @Override
    public String toString() {
        return "Subscription[id=" + id + ", table_name=" + tableName + ", url=" + Redaction.url(url) + ", status="
                + status + ", signed=" + signed() + ", headers=" + headers.keySet() + "]";
    }

    /** Where a subscription came from. */
    public enum Source {
        CONFIG_FILE,
        API
    }
}
