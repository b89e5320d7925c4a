package io.dynamostream.api;

import io.quarkus.runtime.annotations.RegisterForReflection;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import org.eclipse.microprofile.openapi.annotations.media.Schema;
import io.dynamostream.guard.Redaction;
import io.dynamostream.subscription.AwsArn;
import io.dynamostream.subscription.DeliverySettings;
import io.dynamostream.subscription.DestinationOptions;
import io.dynamostream.subscription.MappingOptions;
import io.dynamostream.subscription.ShardProgress;
import io.dynamostream.subscription.StartingPosition;
import io.dynamostream.subscription.StopNotification;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionStatus;

/**
 * JSON views of a subscription. {@link Summary} is the original tool's shape (the value in {@code GET /}), plus the
 * fate of its error notification once it stopped ({@link Notification}); {@link Detail} adds the id, the settings (the
 * effective {@link Settings}, defaults filled in) and, when asked, per-shard progress.
 *
 * <p>No view carries a secret: URLs go through {@link Redaction#url}, header values are replaced by
 * {@value Redaction#MASK}, and signing secrets only show as {@code "signed": true}.
 */
public final class SubscriptionView {

    private SubscriptionView() {
    }

    /**
     * {@code {"table_name", "url", "status", "error"?}}, exactly the original's entry, and {@code "notification"}
     * once the subscription stopped (absent before, so a subscription that never stopped has the original's shape).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @RegisterForReflection
    @Schema(name = "SubscriptionSummary", description = "One entry of GET /, the original tool's shape")
    public record Summary(
            @Schema(required = true, example = "People") @JsonProperty("table_name") String tableName,
            @Schema(required = true, example = "http://localhost:9000/stream") @JsonProperty("url") String url,
            @Schema(required = true) @JsonProperty("status") SubscriptionStatus status,
            @Schema(description = "Why the subscription stopped (ERROR, CLOSED), or why reading its stream is being retried (RETRYING)",
                    example = "table People does not exist") @JsonProperty("error") String error,
            @Schema(description = "The error notification of the last stop and its fate; absent when the "
                    + "subscription never stopped") @JsonProperty("notification") Notification notification) {

        static Summary of(Subscription s, Optional<StopNotification> notification) {
            return new Summary(s.tableName(), Redaction.url(s.url()), s.status(), s.error(),
                    notification.map(Notification::of).orElse(null));
        }
    }

    /**
     * What became of the error notification {@code {"table_name", "message"}} POSTed to the URL when the subscription
     * stopped (ERROR or CLOSED): retried with backoff while {@code PENDING}, for at most
     * {@code dynamo-stream.notification.retry-for} after the stop, then {@code DELIVERED} or {@code GAVE_UP}.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @RegisterForReflection
    @Schema(name = "StopNotification", description = "The error notification {table_name, message} POSTed when the "
            + "subscription stopped (ERROR or CLOSED), retried with backoff until the receiver answers 2xx or "
            + "dynamo-stream.notification.retry-for has passed, across restarts")
    public record Notification(
            @Schema(required = true, description = "PENDING: not delivered yet, retried; DELIVERED: the receiver "
                    + "answered 2xx; GAVE_UP: not delivered within the retry bound, or the receiver answered 410")
            @JsonProperty("state") StopNotification.State state,
            @Schema(required = true, minimum = "0", description = "Attempts made so far", example = "3")
            @JsonProperty("attempts") int attempts,
            @Schema(description = "Why the last attempt failed; absent once delivered",
                    example = "connection refused") @JsonProperty("last_error") String lastError,
            @Schema(format = "date-time", description = "When the last attempt ended",
                    example = "2026-03-30T12:00:07Z") @JsonProperty("last_attempt_at") String lastAttemptAt,
            @Schema(format = "date-time", description = "When the next attempt is due; only while PENDING",
                    example = "2026-03-30T12:00:15Z") @JsonProperty("next_attempt_at") String nextAttemptAt) {

        static Notification of(StopNotification n) {
            return new Notification(n.state(), n.attempts(), n.lastError(), text(n.lastAttemptAt()),
                    n.isPending() ? text(n.nextAttemptAt()) : null);
        }

        private static String text(Instant at) {
            return at == null ? null : at.toString();
        }
    }

    /**
     * One subscription with its id and settings; {@code shards} only on {@code GET /subscriptions/{id}};
     * {@code headers} (names only, values masked) only when there are some; {@code notification} once it stopped.
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
            @Schema(description = "Why the subscription stopped (ERROR, CLOSED), or why reading its stream is being retried (RETRYING)",
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
            @JsonProperty("shards") List<ShardProgress> shards,
            @Schema(description = "The error notification of the last stop and its fate; absent when the "
                    + "subscription never stopped") @JsonProperty("notification") Notification notification,
            @Schema(description = "Only in the answer to a registration: what was accepted but cannot work as "
                    + "written, e.g. a filter pattern that never matches a DynamoDB record",
                    example = "[\"filter_criteria.filters[0].pattern: numeric matching on 'dynamodb.NewImage.n.N' "
                            + "never matches: ...\"]")
            @JsonProperty("warnings") List<String> warnings) {

        static Detail of(Subscription s, boolean withShards, Optional<StopNotification> notification) {
            return new Detail(s.id(), s.tableName(), Redaction.url(s.url()), s.status(), s.error(),
                    s.startingPosition(), s.source(), s.createdAt().toString(), s.signed(), maskedHeaders(s),
                    Settings.of(s.settings(), s.url()), withShards ? s.shards() : null,
                    notification.map(Notification::of).orElse(null), null);
        }

        /** This view with the registration's warnings (none: no field). */
        Detail withWarnings(List<String> list) {
            return new Detail(id, tableName, url, status, error, startingPosition, source, createdAt, signed, headers,
                    settings, shards, notification, list.isEmpty() ? null : List.copyOf(list));
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
            @JsonProperty("on_failure") String onFailure,
            @Schema(description = "The AWS service's endpoint for an ARN url, when one is set for the subscription",
                    example = "http://localhost:9324")
            @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("endpoint_url") String endpointUrl,
            @Schema(description = "Queues, topics, streams and event buses only: one message per record or the "
                    + "whole batch", enumeration = {"record", "batch"}, example = "record")
            @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("message_format") String messageFormat,
            @Schema(description = "Lambda's on-failure destination, when one is set")
            @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("destination_config")
            DestinationConfig destinationConfig,
            @Schema(description = "The event filters, when there are some: a record is delivered when it matches "
                    + "one") @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("filter_criteria")
            FilterCriteria filterCriteria,
            @Schema(required = true, description = "[] or [\"ReportBatchItemFailures\"]")
            @JsonProperty("function_response_types") List<String> functionResponseTypes,
            @Schema(required = true, minimum = "0", maximum = "900", example = "0")
            @JsonProperty("tumbling_window_in_seconds") int tumblingWindowInSeconds,
            @Schema(required = true, minimum = "1", maximum = "10", example = "1")
            @JsonProperty("parallelization_factor") int parallelizationFactor) {

        static Settings of(DeliverySettings d, java.net.URI url) {
            DestinationOptions o = d.destination();
            AwsArn arn = "arn".equals(url.getScheme()) ? AwsArn.parse(url.toString()).arn() : null;
            boolean messages = arn != null && arn.service() != AwsArn.Service.LAMBDA;
            return new Settings(d.batchSize(), (int) d.batchingWindow().toSeconds(), d.maximumRetryAttempts(),
                    d.maximumRecordAge() == null ? -1 : (int) d.maximumRecordAge().toSeconds(), d.bisectOnError(),
                    d.onFailure().name().toLowerCase(Locale.ROOT),
                    o.endpointUrl() == null ? null : o.endpointUrl().toString(),
                    messages ? o.messageFormat().name().toLowerCase(Locale.ROOT) : null,
                    o.onFailure() == null ? null
                            : new DestinationConfig(new OnFailureDestination(Redaction.url(o.onFailure()))),
                    d.mapping().filtered() ? new FilterCriteria(d.mapping().filterPatterns().stream()
                            .map(Filter::new).toList()) : null,
                    d.mapping().reportBatchItemFailures() ? List.of(MappingOptions.REPORT_BATCH_ITEM_FAILURES)
                            : List.of(),
                    (int) d.mapping().tumblingWindow().toSeconds(), d.mapping().parallelizationFactor());
        }
    }

    /** {@code filter_criteria} as a request sends it. */
    @RegisterForReflection
    public record FilterCriteria(@JsonProperty("filters") List<Filter> filters) {
    }

    /** One filter: its JSON pattern, as text. */
    @RegisterForReflection
    public record Filter(@JsonProperty("pattern") String pattern) {
    }

    /** {@code destination_config} as a request sends it. */
    @RegisterForReflection
    public record DestinationConfig(@JsonProperty("on_failure") OnFailureDestination onFailure) {
    }

    /** {@code destination_config.on_failure}: where a batch that is given up goes (URL credentials masked). */
    @RegisterForReflection
    public record OnFailureDestination(@JsonProperty("destination") String destination) {
    }
}
