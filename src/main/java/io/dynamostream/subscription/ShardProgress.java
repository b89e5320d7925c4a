package io.dynamostream.subscription;

import io.quarkus.runtime.annotations.RegisterForReflection;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** Immutable view of one subscription's position on one shard. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@RegisterForReflection
public record ShardProgress(
        @JsonProperty("shard_id") String shardId,
        @JsonProperty("parent_shard_id") String parentShardId,
        @JsonProperty("state") ShardState state,
        @JsonProperty("last_sequence_number") String lastSequenceNumber,
        @JsonProperty("delivered_records") long deliveredRecords,
        @JsonProperty("last_error") String lastError) {
}
