package io.dynamostream.subscription;

import java.time.Instant;

import io.quarkus.runtime.annotations.RegisterForReflection;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A batch given up with {@code on_failure: dead_letter}: kept with the reason and the exact body that was POSTed,
 * until it is re-delivered or deleted through the API.
 *
 * @param body base64 of the exact JSON body ({@code {"Records":[...]}}), so a re-delivery sends the same bytes
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@RegisterForReflection
@Schema(name = "DeadLetter", description = "A batch that could not be delivered, kept for re-delivery")
public record DeadLetter(
        @Schema(required = true, description = "ULID") @JsonProperty("id") String id,
        @JsonProperty("subscription_id") String subscriptionId,
        @JsonProperty("shard_id") String shardId,
        @JsonProperty("first_sequence_number") String firstSequenceNumber,
        @JsonProperty("last_sequence_number") String lastSequenceNumber,
        @JsonProperty("records") int records,
        @Schema(description = "Why the batch was given up") @JsonProperty("reason") String reason,
        @Schema(format = "date-time") @JsonProperty("failed_at") Instant failedAt,
        @Schema(description = "The webhook-id the batch was sent with, and is re-sent with")
        @JsonProperty("webhook_id") String webhookId,
        @Schema(description = "Base64 of the exact body; only on GET /subscriptions/{id}/dead-letters/{dead_letter_id}")
        @JsonProperty("body") String body) {

    /** The same dead letter without its body (for listings). */
    public DeadLetter withoutBody() {
        return new DeadLetter(id, subscriptionId, shardId, firstSequenceNumber, lastSequenceNumber, records, reason,
                failedAt, webhookId, null);
    }
}
