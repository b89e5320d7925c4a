package io.dynamostream.subscription;

import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * JSON views of a subscription. {@link Summary} is the original tool's shape (the value in {@code GET /});
 * {@link Detail} adds the id, the settings and, when asked, per-shard progress.
 *
 * <p>No view carries a secret: URLs go through {@link Redaction#url}, header values are replaced by
 * {@value Redaction#MASK}, and signing secrets only show as {@code "signed": true}.
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
            return new Summary(s.tableName(), Redaction.url(s.url()), s.status(), s.error());
        }
    }

    /**
     * One subscription with its id and settings; {@code shards} only on {@code GET /subscriptions/{id}};
     * {@code headers} (names only, values masked) only when there are some.
     */
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
            @JsonProperty("signed") boolean signed,
            @JsonProperty("headers") Map<String, String> headers,
            @JsonProperty("shards") List<ShardProgress> shards) {

        static Detail of(Subscription s, boolean withShards) {
            return new Detail(s.id(), s.tableName(), Redaction.url(s.url()), s.status(), s.error(),
                    s.startingPosition(), s.source(), s.createdAt().toString(), s.signed(), maskedHeaders(s),
                    withShards ? s.shards() : null);
        }

        private static Map<String, String> maskedHeaders(Subscription s) {
            if (s.headers().isEmpty()) {
                return null;
            }
            Map<String, String> masked = new LinkedHashMap<>();
            s.headers().keySet().forEach(name -> masked.put(name, Redaction.MASK));
            return masked;
        }
    }
}
