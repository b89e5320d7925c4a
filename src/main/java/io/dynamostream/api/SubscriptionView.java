package io.dynamostream.api;

import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import org.eclipse.microprofile.openapi.annotations.media.Schema;
import io.dynamostream.guard.Redaction;
import io.dynamostream.subscription.DeliverySettings;
import io.dynamostream.subscription.ShardProgress;
import io.dynamostream.subscription.StartingPosition;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionStatus;

/**
 * JSON views of a subscription. {@link Summary} is the original tool's shape (the value in {@code GET /});
 * {@link Detail} adds the id, the settings (the effective {@link Settings}, defaults filled in) and, when asked,
 * per-shard progress.
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
            @Schema(required = true) @JsonProperty("settings") Settings settings,
            @Schema(description = "Progress on each shard; only on GET /subscriptions/{id}")
            @JsonProperty("shards") List<ShardProgress> shards) {

        static Detail of(Subscription s, boolean withShards) {
            return new Detail(s.id(), s.tableName(), Redaction.url(s.url()), s.status(), s.error(),
                    s.startingPosition(), s.source(), s.createdAt().toString(), s.signed(), maskedHeaders(s),
                    Settings.of(s.settings()), withShards ? s.shards() : null);
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

    /**
     * The delivery settings in effect, every one shown (defaults included) under the name a request uses, so a
     * client can read them back and send them again.
     */
    @RegisterForReflection
    @Schema(name = "DeliverySettings", description = "How batches are formed and what happens to one that cannot be "
            + "delivered; the names and meanings of AWS Lambda's event-source mapping")
    public record Settings(
            @Schema(required = true, minimum = "1", maximum = "10000", example = "100")
            @JsonProperty("batch_size") int batchSize,
            @Schema(required = true, minimum = "0", maximum = "300", example = "0")
            @JsonProperty("maximum_batching_window_in_seconds") int maximumBatchingWindowInSeconds,
            @Schema(required = true, minimum = "-1", maximum = "10000", example = "9",
                    description = "-1: retry until the records are too old, or forever")
            @JsonProperty("maximum_retry_attempts") int maximumRetryAttempts,
            @Schema(required = true, minimum = "-1", maximum = "604800", example = "-1",
                    description = "-1: no limit")
            @JsonProperty("maximum_record_age_in_seconds") int maximumRecordAgeInSeconds,
            @Schema(required = true, example = "false")
            @JsonProperty("bisect_batch_on_function_error") boolean bisectBatchOnFunctionError,
            @Schema(required = true, enumeration = {"stop", "skip", "dead_letter"}, example = "stop")
            @JsonProperty("on_failure") String onFailure) {

        static Settings of(DeliverySettings d) {
            return new Settings(d.batchSize(), (int) d.batchingWindow().toSeconds(), d.maximumRetryAttempts(),
                    d.maximumRecordAge() == null ? -1 : (int) d.maximumRecordAge().toSeconds(), d.bisectOnError(),
                    d.onFailure().name().toLowerCase(Locale.ROOT));
        }
    }
}
