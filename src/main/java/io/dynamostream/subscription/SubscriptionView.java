package io.dynamostream.subscription;

import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * JSON views of a subscription. {@link Summary} is the original tool's shape (the value in {@code GET /});
 * {@link Detail} adds the id, the settings and, when asked, per-shard progress.
 */
public final class SubscriptionView {

    private SubscriptionView() {
    }

    /** {@code {"table_name", "url", "status", "error"?}}, exactly the original's entry. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @RegisterForReflection
    public record Summary(
            @JsonProperty("table_name") String tableName,
            @JsonProperty("url") String url,
            @JsonProperty("status") SubscriptionStatus status,
            @JsonProperty("error") String error) {

        static Summary of(Subscription s) {
            return new Summary(s.tableName(), s.url().toString(), s.status(), s.error());
        }
    }

    /** One subscription with its id and settings; {@code shards} only on {@code GET /subscriptions/{id}}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @RegisterForReflection
    public record Detail(
            @JsonProperty("id") String id,
            @JsonProperty("table_name") String tableName,
            @JsonProperty("url") String url,
            @JsonProperty("status") SubscriptionStatus status,
            @JsonProperty("error") String error,
            @JsonProperty("starting_position") StartingPosition startingPosition,
            @JsonProperty("source") Subscription.Source source,
            @JsonProperty("created_at") String createdAt,
            @JsonProperty("shards") List<ShardProgress> shards) {

        static Detail of(Subscription s, boolean withShards) {
            return new Detail(s.id(), s.tableName(), s.url().toString(), s.status(), s.error(),
                    s.startingPosition(), s.source(), s.createdAt().toString(), withShards ? s.shards() : null);
        }
    }
}
