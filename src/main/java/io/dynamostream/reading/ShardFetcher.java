package io.dynamostream.reading;

import java.util.List;

import io.dynamostream.aws.StreamErrors;
import software.amazon.awssdk.services.dynamodb.model.GetRecordsResponse;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * Owns one shard's iterator, as KCL's {@code DataFetcher} does: opens it (at LATEST, at TRIM_HORIZON or after a
 * sequence number), calls GetRecords, follows the next iterator, re-opens after the last record read when the
 * iterator expired, and tells its caller, as a {@link Fetch} value, whatever else happened: the end of a closed
 * shard, a trimmed position, a transient or a terminal error. It never sleeps and never retries by itself.
 *
 * <p>Not thread-safe: used by the shard's reader thread only (and, for {@link #openLatest}, by the thread that
 * creates the reader, before the reader thread starts).
 */
final class ShardFetcher {

    /** What one {@link #fetch} brought. */
    sealed interface Fetch {
        /** A page of records (possibly empty); {@code endOfShard}: the shard is closed and this was its last page. */
        record Page(List<Record> records, boolean endOfShard) implements Fetch {
        }

        /**
         * The iterator expired. {@code positionLost}: it was a LATEST iterator and no record was read yet, so the
         * position cannot be re-opened (LATEST now would skip what was written meanwhile): re-read from TRIM_HORIZON.
         * Otherwise the next fetch re-opens after the last record read.
         */
        record Expired(boolean positionLost) implements Fetch {
        }

        /** The position asked for is older than the stream's retention (24 h): re-read from TRIM_HORIZON. */
        record Trimmed() implements Fetch {
        }

        /** Throttling, a 5xx or a network error: try again after a backoff. */
        record Transient(RuntimeException error) implements Fetch {
        }

        /** The stream or shard is gone, or AWS refused the read for good. */
        record Failed(StreamErrors kind, String message) implements Fetch {
        }
    }

    private final DynamoDbStreamsClient streams;
    private final String streamArn;
    private final String shardId;
    private final int limit;

    private String iterator;
    private ShardIteratorType startType;
    /** The last sequence number read (or the position reading started after); null: none. */
    private String lastRead;

    /**
     * @param after read after this sequence number; null: from TRIM_HORIZON
     * @param limit records per GetRecords call
     */
    ShardFetcher(DynamoDbStreamsClient streams, String streamArn, String shardId, String after, int limit) {
        this.streams = streams;
        this.streamArn = streamArn;
        this.shardId = shardId;
        this.limit = limit;
        restartAfter(after);
    }

    /**
     * Opens a LATEST iterator now, so that every record written after this returns is read. Throws what
     * GetShardIterator throws.
     */
    void openLatest() {
        startType = ShardIteratorType.LATEST;
        lastRead = null;
        iterator = null;
        iterator = open();
    }

    /** Reading goes on after {@code after} (null: from TRIM_HORIZON), with a new iterator. */
    void restartAfter(String after) {
        startType = ShardIteratorType.TRIM_HORIZON;
        lastRead = after;
        iterator = null;
    }

    /** The last sequence number read, or where reading starts after; null when none. */
    String lastRead() {
        return lastRead;
    }

    /** One GetRecords call (opening the iterator first when there is none). Never throws. */
    Fetch fetch() {
        try {
            if (iterator == null) {
                iterator = open();
            }
            String current = iterator;
            GetRecordsResponse response = streams.getRecords(r -> r.shardIterator(current).limit(limit));
            iterator = response.nextShardIterator();
            List<Record> records = response.records();
            if (!records.isEmpty()) {
                lastRead = records.get(records.size() - 1).dynamodb().sequenceNumber();
            }
            return new Fetch.Page(records, iterator == null);
        } catch (RuntimeException e) {
            iterator = null;
            return switch (StreamErrors.classify(e)) {
                case EXPIRED_ITERATOR -> new Fetch.Expired(lastRead == null && startType == ShardIteratorType.LATEST);
                case TRIMMED -> new Fetch.Trimmed();
                case TRANSIENT -> new Fetch.Transient(e);
                case NOT_FOUND, FATAL -> new Fetch.Failed(StreamErrors.classify(e), StreamErrors.describe(e));
            };
        }
    }

    /**
     * Whether the records after {@code sequenceNumber} are still retained: a GetShardIterator AFTER it succeeds. A
     * failure of any kind counts as not retained (a gap reported once too often beats a silent one).
     */
    boolean retainedAfter(String sequenceNumber) {
        try {
            streams.getShardIterator(r -> r.streamArn(streamArn).shardId(shardId)
                    .shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER).sequenceNumber(sequenceNumber));
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private String open() {
        String after = lastRead;
        if (after != null) {
            return streams.getShardIterator(r -> r.streamArn(streamArn).shardId(shardId)
                    .shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER).sequenceNumber(after))
                    .shardIterator();
        }
        ShardIteratorType type = startType;
        return streams.getShardIterator(r -> r.streamArn(streamArn).shardId(shardId).shardIteratorType(type))
                .shardIterator();
    }
}
