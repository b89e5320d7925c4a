package io.dynamostream.reading;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

import io.dynamostream.config.DynamoStreamConfig;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.ExpiredIteratorException;
import software.amazon.awssdk.services.dynamodb.model.GetRecordsRequest;
import software.amazon.awssdk.services.dynamodb.model.GetRecordsResponse;
import software.amazon.awssdk.services.dynamodb.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.dynamodb.model.GetShardIteratorResponse;
import software.amazon.awssdk.services.dynamodb.model.LimitExceededException;
import software.amazon.awssdk.services.dynamodb.model.OperationType;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.model.StreamRecord;
import software.amazon.awssdk.services.dynamodb.model.TrimmedDataAccessException;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * A scripted DynamoDB Streams client for one shard, plus the record and exception builders the reading tests share.
 *
 * <p>GetRecords answers come from a script (pages and exceptions, in order); once the script is used up the shard
 * behaves like an open shard at its tip (an empty page with a next iterator). Each iterator handed out (by
 * GetShardIterator or as a page's next iterator) may be used once: GetRecords with an unknown iterator, or with one
 * already used (on AWS that re-reads the same records: duplicates), fails with an IllegalStateException, which the
 * fetcher reports as a terminal failure. GetShardIterator succeeds unless a failure is scripted for it or the
 * sequence number asked for is marked trimmed. Every request is recorded. Thread-safe: the reader thread calls it
 * while the test thread scripts and inspects it.
 */
final class FakeStreams implements DynamoDbStreamsClient {

    static final String STREAM_ARN =
            "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/stream/2024-01-01T00:00:00.000";
    static final String SHARD_ID = "shardId-00000001700000000000-aaaaaaaa";
    private static final Instant T0 = Instant.parse("2024-01-01T00:00:00Z");

    final List<GetShardIteratorRequest> iteratorRequests = new CopyOnWriteArrayList<>();
    final List<GetRecordsRequest> recordsRequests = new CopyOnWriteArrayList<>();

    private final ConcurrentLinkedDeque<Supplier<GetRecordsResponse>> script = new ConcurrentLinkedDeque<>();
    private final ConcurrentLinkedDeque<RuntimeException> iteratorFailures = new ConcurrentLinkedDeque<>();
    private final Set<String> trimmedAfter = ConcurrentHashMap.newKeySet();
    private final AtomicInteger issued = new AtomicInteger();
    private final Set<String> unused = ConcurrentHashMap.newKeySet();

    // ---- scripting

    /** Next GetRecords answer: these records, and a next iterator (the shard stays open). */
    FakeStreams page(String... sequenceNumbers) {
        script.add(() -> response(records(sequenceNumbers), issue("next")));
        return this;
    }

    /** Next GetRecords answer: the last page of a closed shard (no next iterator). */
    FakeStreams lastPage(String... sequenceNumbers) {
        script.add(() -> response(records(sequenceNumbers), null));
        return this;
    }

    /** Next GetRecords call throws {@code error}. */
    FakeStreams fail(RuntimeException error) {
        script.add(() -> {
            throw error;
        });
        return this;
    }

    /** Next GetShardIterator call throws {@code error}. */
    FakeStreams failNextIterator(RuntimeException error) {
        iteratorFailures.add(error);
        return this;
    }

    /** GetShardIterator AFTER {@code sequenceNumber} throws TrimmedDataAccessException from now on. */
    FakeStreams trimmedAfter(String sequenceNumber) {
        trimmedAfter.add(sequenceNumber);
        return this;
    }

    int getRecordsCalls() {
        return recordsRequests.size();
    }

    GetShardIteratorRequest lastIteratorRequest() {
        return iteratorRequests.get(iteratorRequests.size() - 1);
    }

    /** The shard iterator GetRecords calls used, in order. */
    List<String> iteratorsUsed() {
        return recordsRequests.stream().map(GetRecordsRequest::shardIterator).toList();
    }

    // ---- DynamoDbStreamsClient

    @Override
    public GetShardIteratorResponse getShardIterator(GetShardIteratorRequest request) {
        iteratorRequests.add(request);
        RuntimeException failure = iteratorFailures.poll();
        if (failure != null) {
            throw failure;
        }
        if (request.shardIteratorType() == ShardIteratorType.AFTER_SEQUENCE_NUMBER
                && trimmedAfter.contains(request.sequenceNumber())) {
            throw trimmed();
        }
        return GetShardIteratorResponse.builder().shardIterator(issue("opened")).build();
    }

    @Override
    public GetRecordsResponse getRecords(GetRecordsRequest request) {
        recordsRequests.add(request);
        if (request.shardIterator() == null || !unused.remove(request.shardIterator())) {
            throw new IllegalStateException("GetRecords with an unknown or already used iterator "
                    + request.shardIterator());
        }
        Supplier<GetRecordsResponse> next = script.poll();
        return next != null ? next.get() : response(List.of(), issue("idle"));
    }

    @Override
    public String serviceName() {
        return SERVICE_NAME;
    }

    @Override
    public void close() {
    }

    private String issue(String kind) {
        String iterator = kind + "-" + issued.incrementAndGet();
        unused.add(iterator);
        return iterator;
    }

    private static GetRecordsResponse response(List<Record> records, String next) {
        return GetRecordsResponse.builder().records(records).nextShardIterator(next).build();
    }

    // ---- shared builders

    /** An INSERT record with this sequence number, created {@code sequenceNumber} seconds after a fixed instant. */
    static Record record(String sequenceNumber) {
        return Record.builder()
                .eventID("event-" + sequenceNumber)
                .eventName(OperationType.INSERT)
                .dynamodb(StreamRecord.builder()
                        .sequenceNumber(sequenceNumber)
                        .approximateCreationDateTime(T0.plusSeconds(Long.parseLong(sequenceNumber) % 100_000))
                        .keys(Map.of("id", AttributeValue.fromS(sequenceNumber)))
                        .build())
                .build();
    }

    static List<Record> records(String... sequenceNumbers) {
        List<Record> list = new ArrayList<>();
        for (String s : sequenceNumbers) {
            list.add(record(s));
        }
        return list;
    }

    static List<String> sequenceNumbers(List<Record> records) {
        return records.stream().map(r -> r.dynamodb().sequenceNumber()).toList();
    }

    static ExpiredIteratorException expired() {
        return ExpiredIteratorException.builder().message("Iterator expired").build();
    }

    static TrimmedDataAccessException trimmed() {
        return TrimmedDataAccessException.builder().message("The requested records are beyond the trim horizon")
                .build();
    }

    static ResourceNotFoundException notFound() {
        return ResourceNotFoundException.builder().statusCode(400)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode("ResourceNotFoundException")
                        .errorMessage("Requested resource not found: Stream: " + STREAM_ARN + " not found").build())
                .build();
    }

    static LimitExceededException throttled() {
        return LimitExceededException.builder().statusCode(400)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode("LimitExceededException")
                        .errorMessage("Rate exceeded for shard").build())
                .build();
    }

    static SdkClientException networkError() {
        return SdkClientException.create("Unable to execute HTTP request: Connection reset");
    }

    static DynamoDbException serverError() {
        return (DynamoDbException) DynamoDbException.builder().statusCode(500)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode("InternalFailure")
                        .errorMessage("We encountered an internal error").build())
                .build();
    }

    static DynamoDbException accessDenied() {
        return (DynamoDbException) DynamoDbException.builder().statusCode(400)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode("AccessDeniedException")
                        .errorMessage("not authorized to perform: dynamodb:GetRecords").build())
                .build();
    }

    /** Reader settings with tiny waits, so retries and idle polls take milliseconds. */
    static DynamoStreamConfig.Reader fastReaderSettings() {
        return new DynamoStreamConfig.Reader() {
            @Override
            public Duration idleInterval() {
                return Duration.ofMillis(1);
            }

            @Override
            public Duration activeInterval() {
                return Duration.ofMillis(1);
            }

            @Override
            public Duration idleMaxInterval() {
                return Duration.ofMillis(1);
            }

            @Override
            public Duration slowDownAfter() {
                return Duration.ofSeconds(30);
            }

            @Override
            public Duration discoveryInterval() {
                return Duration.ofMillis(1);
            }

            @Override
            public double describeRate() {
                return 1000;
            }

            @Override
            public Duration attachWait() {
                return Duration.ofSeconds(5);
            }

            @Override
            public int bufferRecords() {
                return 100;
            }

            @Override
            public int limit() {
                return 100;
            }

            @Override
            public Duration initialBackoff() {
                return Duration.ofMillis(1);
            }

            @Override
            public Duration maxBackoff() {
                return Duration.ofMillis(1);
            }
        };
    }

    /** A call running on its own virtual thread (a cursor's {@code take}, the reader's {@code awaitRoom}). */
    static final class Async<T> {
        final Thread thread;
        private final FutureTask<T> task;

        private Async(Callable<T> call) {
            task = new FutureTask<>(call);
            thread = Thread.ofVirtual().start(task);
        }

        static <T> Async<T> start(Callable<T> call) {
            return new Async<>(call);
        }

        /** Waits until the call is parked (on a lock condition): it really waits and has not returned. */
        Async<T> awaitBlocked() {
            eventually().until(() -> {
                Thread.State state = thread.getState();
                return state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING || task.isDone();
            });
            if (task.isDone()) {
                throw new AssertionError("expected the call to wait, but it returned " + result());
            }
            return this;
        }

        /** Waits until the call has either returned or is parked, whichever it does first. */
        Async<T> awaitSettled() {
            eventually().until(() -> task.isDone() || thread.getState() == Thread.State.WAITING
                    || thread.getState() == Thread.State.TIMED_WAITING);
            return this;
        }

        /** The call's result, failing the test when it does not come within two seconds. */
        T result() {
            try {
                return task.get(2, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                thread.interrupt();
                throw new AssertionError("the call did not return within 2 s (stuck)");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            } catch (ExecutionException e) {
                throw new AssertionError("the call failed: " + e.getCause(), e.getCause());
            }
        }
    }

    /** Awaitility polling every millisecond, giving up after two seconds (a failure, never a normal wait). */
    static ConditionFactory eventually() {
        return Awaitility.await().atMost(Duration.ofSeconds(2)).pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(1));
    }
}
