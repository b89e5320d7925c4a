package io.dynamostream.subscription;

import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

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
    @Schema(name = "SubscriptionSummary", description = "One entry of GET /, the original tool's shape")
    public record Summary(
            @Schema(required = true, example = "People") @JsonProperty("table_name") String tableName,
            @Schema(required = true, example = "http://localhost:9000/stream") @JsonProperty("url") String url,
            @Schema(required = true) @JsonProperty("status") SubscriptionStatus status,
            @Schema(description = "Why the subscription stopped; only in ERROR",
                    example = "table People does not exist") @JsonProperty("error") String error) {

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
    @Schema(name = "Subscription", description = "A subscription with its id and settings")
    public record Detail(
            @Schema(required = true, description = "ULID", example = "01JQ7R8Z5W3K2M4N6P8Q0S2T4V")
            @JsonProperty("id") String id,
            @Schema(required = true, example = "People") @JsonProperty("table_name") String tableName,
            @Schema(required = true, example = "http://localhost:9000/stream") @JsonProperty("url") String url,
            @Schema(required = true) @JsonProperty("status") SubscriptionStatus status,
            @Schema(description = "Why the subscription stopped; only in ERROR",
                    example = "table People does not exist") @JsonProperty("error") String error,
            @Schema(required = true) @JsonProperty("starting_position") StartingPosition startingPosition,
            @Schema(required = true, description = "API, or CONFIG_FILE for an entry of CONFIG_PATH")
            @JsonProperty("source") Subscription.Source source,
            @Schema(required = true, format = "date-time", example = "2026-03-30T12:00:00Z")
            @JsonProperty("created_at") String createdAt,
            @JsonProperty("signed") boolean signed,
            @JsonProperty("headers") Map<String, String> headers,
            @Schema(description = "Progress on each shard; only on GET /subscriptions/{id}")
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
