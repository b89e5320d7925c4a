package io.dynamostream.reading;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import software.amazon.awssdk.services.dynamodb.model.GetRecordsRequest;
import software.amazon.awssdk.services.dynamodb.model.GetRecordsResponse;
import software.amazon.awssdk.services.dynamodb.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.dynamodb.model.GetShardIteratorResponse;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * One open shard as DynamoDB Streams serves it, by position rather than by script (unlike {@link FakeStreams}): any
 * number of readers may open iterators at TRIM_HORIZON, LATEST or after a sequence number and page through it
 * independently. Records are appended by the test. It counts GetRecords calls and the most that were ever in flight
 * at once (each call takes {@code callMillis}, so overlapping readers show up). Thread-safe.
 */
final class ShardLog implements DynamoDbStreamsClient {

    private final List<Record> records = new CopyOnWriteArrayList<>();
    private final Map<String, Integer> iterators = new ConcurrentHashMap<>();
    private final AtomicLong issued = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final AtomicInteger calls = new AtomicInteger();
    private final long callMillis;

    ShardLog(long callMillis) {
        this.callMillis = callMillis;
    }

    /** Appends records with sequence numbers {@code from..to} (inclusive). */
    ShardLog append(long from, long to) {
        records.addAll(FakeStreams.records(range(from, to)));
        return this;
    }

    private static String[] range(long from, long to) {
        String[] out = new String[(int) (to - from + 1)];
        for (int i = 0; i < out.length; i++) {
            out[i] = Long.toString(from + i);
        }
        return out;
    }

    /** GetRecords calls so far. */
    int calls() {
        return calls.get();
    }

    /** The most GetRecords calls that were in flight on this shard at one moment. */
    int maxConcurrentReads() {
        return maxInFlight.get();
    }

    @Override
    public GetShardIteratorResponse getShardIterator(GetShardIteratorRequest request) {
        int index = switch (request.shardIteratorType()) {
            case TRIM_HORIZON -> 0;
            case LATEST -> records.size();
            case AFTER_SEQUENCE_NUMBER -> after(Long.parseLong(request.sequenceNumber()));
            default -> throw new IllegalArgumentException(request.shardIteratorTypeAsString());
        };
        return GetShardIteratorResponse.builder().shardIterator(issue(index)).build();
    }

    private int after(long sequenceNumber) {
        int i = 0;
        while (i < records.size() && Long.parseLong(records.get(i).dynamodb().sequenceNumber()) <= sequenceNumber) {
            i++;
        }
        return i;
    }

    private String issue(int index) {
        String it = "it-" + issued.incrementAndGet();
        iterators.put(it, index);
        return it;
    }

    @Override
    public GetRecordsResponse getRecords(GetRecordsRequest request) {
        Integer index = iterators.remove(request.shardIterator());
        if (index == null) {
            throw new IllegalStateException("unknown or used iterator " + request.shardIterator());
        }
        calls.incrementAndGet();
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        try {
            Thread.sleep(callMillis);
            int limit = request.limit() == null ? 1000 : request.limit();
            int to = Math.min(records.size(), index + limit);
            List<Record> page = List.copyOf(records.subList(index, to));
            return GetRecordsResponse.builder().records(page).nextShardIterator(issue(to)).build();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            inFlight.decrementAndGet();
        }
    }

    @Override
    public String serviceName() {
        return "streams";
    }

    @Override
    public void close() {
    }
}
