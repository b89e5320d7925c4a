package io.dynamostream.subscription;

import io.quarkus.runtime.annotations.RegisterForReflection;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Immutable view of one subscription's position on one shard. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@RegisterForReflection
@Schema(name = "ShardProgress", description = "Where a subscription stands on one shard of the stream")
public record ShardProgress(
        @Schema(required = true, example = "shardId-00000001700000000000-a1b2c3d4")
        @JsonProperty("shard_id") String shardId,
        @Schema(description = "The shard this one follows, read first")
        @JsonProperty("parent_shard_id") String parentShardId,
        @JsonProperty("state") ShardState state,
        @Schema(description = "Sequence number of the last record delivered with a 2xx",
                example = "100000000000000000100")
        @JsonProperty("last_sequence_number") String lastSequenceNumber,
        @Schema(description = "Records delivered with a 2xx from this shard")
        @JsonProperty("delivered_records") long deliveredRecords,
        @Schema(description = "The last failed delivery attempt, while retrying")
        @JsonProperty("last_error") String lastError) {
}
