package io.dynamostream.reading;

import static io.dynamostream.reading.FakeStreams.SHARD_ID;
import static io.dynamostream.reading.FakeStreams.STREAM_ARN;
import static io.dynamostream.reading.FakeStreams.eventually;
import static io.dynamostream.reading.FakeStreams.sequenceNumbers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.dynamostream.aws.StreamErrors;
import io.dynamostream.config.DynamoStreamConfig;
import io.dynamostream.metrics.StreamMetrics;
import io.dynamostream.reading.FakeStreams.Async;
import io.dynamostream.reading.ShardBuffer.Batch;
import io.dynamostream.reading.ShardBuffer.Join;
import io.dynamostream.reading.ShardBuffer.Position;
import io.dynamostream.reading.ShardReader.State;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import software.amazon.awssdk.services.dynamodb.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;

/**
 * The reader loop against a scripted DynamoDB Streams client and a real buffer: what a cursor can take, which
 * positions the reader asks AWS for, and how it ends. The loop runs on a virtual thread; the test waits for
 * observable conditions (Awaitility), never for time.
 */
class ShardReaderTest {

    private static final String TABLE = "Orders";
    private static final long PAST = Long.MIN_VALUE / 2;

    private final FakeStreams streams = new FakeStreams();
    private final Events events = new Events();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final StreamMetrics metrics = new StreamMetrics(meters, null);
    private final List<ShardReader> readers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    /** What the owning table would be told. */
    static final class Events implements ShardReader.Listener {
        final AtomicInteger ended = new AtomicInteger();
        final List<String> failures = new CopyOnWriteArrayList<>();

        @Override
        public void shardEnded(ShardReader reader) {
            ended.incrementAndGet();
        }

        @Override
        public void readerFailed(ShardReader reader, StreamErrors kind, String message) {
            failures.add(kind + " " + message);
        }
    }

    /** The threads a parking reader ran on after its first ({@link #parkingReader}). */
    private final List<Thread> relaunched = new CopyOnWriteArrayList<>();
    private final ScheduledThreadPoolExecutor quietTimer = new ScheduledThreadPoolExecutor(1);

    @AfterEach
    void stopReaders() throws InterruptedException {
        readers.forEach(ShardReader::stop);
        for (Thread t : threads) {
            assertTrue(t.join(Duration.ofSeconds(2)), "the reader loop ends when stopped");
        }
        for (Thread t : relaunched) {
            assertTrue(t.join(Duration.ofSeconds(2)), "the reader loop ends when stopped");
        }
        quietTimer.shutdownNow();
    }

    // ---------------------------------------------------------------- helpers

    private ShardBuffer buffer(int capacity, String after, boolean latest) {
        return new ShardBuffer(capacity, after, latest);
    }

    private ShardReader reader(ShardBuffer buffer, ShardFetcher fetcher) {
        ShardReader reader = new ShardReader(TABLE, SHARD_ID, fetcher, buffer, FakeStreams.fastReaderSettings(),
                events, metrics);
        readers.add(reader);
        return reader;
    }

    /** A reader that waits out quiet intervals with no thread, as the service's readers do; runs again on new ones. */
    private ShardReader parkingReader(ShardBuffer buffer, DynamoStreamConfig.Reader settings) {
        ShardReader reader = new ShardReader(TABLE, SHARD_ID, new ShardFetcher(streams, STREAM_ARN, SHARD_ID, null,
                100), buffer, settings, events, metrics);
        readers.add(reader);
        reader.parkWith(quietTimer, () -> relaunched.add(Thread.ofVirtual().name("reader-again").start(reader::run)));
        return reader;
    }

    /** The fast settings, with every poll interval {@code interval}. */
    private static DynamoStreamConfig.Reader pollingEvery(Duration interval) {
        DynamoStreamConfig.Reader fast = FakeStreams.fastReaderSettings();
        return (DynamoStreamConfig.Reader) Proxy.newProxyInstance(ShardReaderTest.class.getClassLoader(),
                new Class<?>[] {DynamoStreamConfig.Reader.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "idleInterval", "activeInterval", "idleMaxInterval" -> interval;
                    default -> method.invoke(fast, args);
                });
    }

    private ShardReader reader(ShardBuffer buffer, String after) {
        return reader(buffer, new ShardFetcher(streams, STREAM_ARN, SHARD_ID, after, 100));
    }

    private Thread start(ShardReader reader) {
        Thread t = Thread.ofVirtual().name("reader-" + SHARD_ID).start(reader::run);
        threads.add(t);
        return t;
    }

    private static Position attached(ShardBuffer buffer, Join join, String resumePoint) {
        Position p = new Position(resumePoint);
        buffer.attach(p, join, 1);
        return p;
    }

    /**
     * A cursor: takes and acknowledges until it has {@code count} records, within 2 s. (It does not skip records it
     * already had: after a re-read the test sees exactly what the buffer hands out.)
     */
    private static List<String> take(ShardBuffer buffer, Position p, int count) {
        return Async.start(() -> {
            List<String> got = new ArrayList<>();
            while (got.size() < count) {
                Batch batch = buffer.take(p, count - got.size(), 1, PAST);
                if (batch == null || batch.endOfShard()) {
                    throw new AssertionError("got " + got + ", then " + (batch == null ? "stop" : "end of shard"));
                }
                List<String> seqs = sequenceNumbers(batch.records());
                got.addAll(seqs);
                p.resumeAfter(seqs.get(seqs.size() - 1));
                buffer.advance(p, batch, seqs.size());
            }
            return got;
        }).result();
    }

    /** A cursor taking everything up to the end of the closed shard; fails when the end does not come. */
    private static List<String> takeToEnd(ShardBuffer buffer, Position p) {
        return Async.start(() -> {
            List<String> got = new ArrayList<>();
            while (true) {
                Batch batch = buffer.take(p, 10, 1, PAST);
                if (batch == null) {
                    throw new AssertionError("stopped after " + got + " before the end of the shard");
                }
                if (batch.endOfShard()) {
                    return got;
                }
                List<String> seqs = sequenceNumbers(batch.records());
                got.addAll(seqs);
                p.resumeAfter(seqs.get(seqs.size() - 1));
                buffer.advance(p, batch, seqs.size());
            }
        }).result();
    }

    private static void awaitParked(Thread t) {
        eventually().until(() -> t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TERMINATED);
    }

    private List<String> opened() {
        return streams.iteratorRequests.stream().map(ShardReaderTest::describe).toList();
    }

    private static String describe(GetShardIteratorRequest r) {
        return r.shardIteratorType() == ShardIteratorType.AFTER_SEQUENCE_NUMBER ? "AFTER " + r.sequenceNumber()
                : r.shardIteratorType().toString();
    }

    private double throttles() {
        Counter counter = meters.find("dynamo_stream_aws_throttles").tags("table", TABLE, "operation", "GetRecords")
                .counter();
        return counter == null ? 0 : counter.count();
    }

    // ---------------------------------------------------------------- the state table

    private static final Map<State, Set<State>> ALLOWED = Map.of(
            State.OPENING, EnumSet.of(State.OPENING, State.READING, State.WAITING_FOR_ROOM, State.STOPPED,
                    State.FAILED),
            State.READING, EnumSet.of(State.OPENING, State.WAITING_FOR_ROOM, State.ENDED, State.STOPPED,
                    State.FAILED),
            State.WAITING_FOR_ROOM, EnumSet.of(State.READING, State.OPENING, State.STOPPED, State.FAILED),
            State.ENDED, EnumSet.of(State.OPENING, State.STOPPED),
            State.STOPPED, EnumSet.noneOf(State.class),
            State.FAILED, EnumSet.noneOf(State.class));

    @Test
    void givenEveryPairOfStates_whenAskedCanMoveTo_thenOnlyTheDocumentedTransitionsAreAllowed() {
        List<String> wrong = new ArrayList<>();
        for (State from : State.values()) {
            for (State to : State.values()) {
                boolean expected = ALLOWED.get(from).contains(to);
                if (from.canMoveTo(to) != expected) {
                    wrong.add(from + " -> " + to + (expected ? " refused" : " allowed"));
                }
            }
        }
        assertEquals(List.of(), wrong);
    }

    @Test
    void givenAnEndedShard_whenMoving_thenOnlyARewindOrAStopLeavesEnded() {
        assertTrue(State.ENDED.canMoveTo(State.OPENING));
        assertTrue(State.ENDED.canMoveTo(State.STOPPED));
        assertFalse(State.ENDED.canMoveTo(State.READING), "reading again needs a new iterator first");
        assertFalse(State.OPENING.canMoveTo(State.ENDED), "the end is only known from a page");
        assertFalse(State.WAITING_FOR_ROOM.canMoveTo(State.ENDED));
    }

    @Test
    void givenFinalStates_whenMoving_thenNothingIsAllowedNotEvenTheSameState() {
        for (State to : State.values()) {
            assertFalse(State.STOPPED.canMoveTo(to), "STOPPED -> " + to);
            assertFalse(State.FAILED.canMoveTo(to), "FAILED -> " + to);
        }
    }

    @Test
    void givenAnyLiveState_whenStoppingOrFailing_thenAllowedButEndedCannotFail() {
        for (State from : EnumSet.of(State.OPENING, State.READING, State.WAITING_FOR_ROOM, State.ENDED)) {
            assertTrue(from.canMoveTo(State.STOPPED), from + " -> STOPPED");
        }
        for (State from : EnumSet.of(State.OPENING, State.READING, State.WAITING_FOR_ROOM)) {
            assertTrue(from.canMoveTo(State.FAILED), from + " -> FAILED");
        }
        assertFalse(State.ENDED.canMoveTo(State.FAILED), "an ENDED reader makes no AWS call that could fail");
    }

    // ---------------------------------------------------------------- the loop

    @Test
    void givenOpenShard_whenReading_thenTheCursorGetsEveryRecordOnceInOrder() {
        streams.page("1", "2").page("3").page().page("4", "5");
        ShardBuffer buffer = buffer(100, null, false);
        Position cursor = attached(buffer, Join.TRIM_HORIZON, null);
        ShardReader reader = reader(buffer, (String) null);

        start(reader);

        assertEquals(List.of("1", "2", "3", "4", "5"), take(buffer, cursor, 5));
        eventually().until(() -> streams.getRecordsCalls() > 4); // idle at the tip, polling on
        assertEquals(State.READING, reader.state());
        assertEquals(List.of("TRIM_HORIZON"), opened(), "opened once, then next iterators");
        assertEquals(0, events.ended.get());
        assertEquals(List.of(), events.failures);
    }

    @Test
    void givenClosedShard_whenReadToItsEnd_thenEndedIsReportedOnceAndTheReaderStopsCalling() {
        streams.page("1", "2").lastPage("3");
        ShardBuffer buffer = buffer(100, null, false);
        Position cursor = attached(buffer, Join.TRIM_HORIZON, null);
        ShardReader reader = reader(buffer, (String) null);

        Thread thread = start(reader);

        assertEquals(List.of("1", "2", "3"), takeToEnd(buffer, cursor));
        eventually().until(() -> events.ended.get() == 1);
        awaitParked(thread);
        assertEquals(State.ENDED, reader.state());
        assertEquals(2, streams.getRecordsCalls(), "no GetRecords after the end (no hot loop)");
        assertEquals(1, events.ended.get());
        assertEquals(List.of(), events.failures);
    }

    @Test
    void givenEndedShard_whenACursorNeedsOlderRecords_thenTheShardIsReadAgainAfterItsResumePoint() {
        streams.page("1", "2").lastPage("3", "4");
        ShardBuffer buffer = buffer(100, null, false);
        Position first = attached(buffer, Join.TRIM_HORIZON, null);
        ShardReader reader = reader(buffer, (String) null);
        Thread thread = start(reader);
        assertEquals(List.of("1", "2", "3", "4"), takeToEnd(buffer, first));
        eventually().until(() -> events.ended.get() == 1);
        awaitParked(thread);
        streams.lastPage("2", "3", "4");

        Position late = attached(buffer, Join.AFTER, "1");

        // the re-read starts before the cursor takes (see ShardBufferTest for a cursor that takes before it)
        eventually().until(() -> opened().size() == 2);
        assertEquals(List.of("TRIM_HORIZON", "AFTER 1"), opened());
        assertEquals(List.of("2", "3", "4"), takeToEnd(buffer, late));
        eventually().until(() -> events.ended.get() == 2);
        assertEquals(State.ENDED, reader.state());
        assertEquals(List.of(), events.failures);
    }

    /**
     * At the end of a closed shard the last page may leave the buffer full (it is appended without a room check).
     * When a cursor then joins needing older records, the loop wakes from its ENDED wait, finds the buffer full and
     * moves ENDED -> WAITING_FOR_ROOM, which {@code canMoveTo} refuses: the IllegalStateException ends the reader as
     * FAILED ("internal error") and the table fails every subscription, instead of re-reading the shard.
     */
    @Test
    void givenEndedShardWithAFullBuffer_whenACursorNeedsOlderRecords_thenTheShardIsReadAgainNotFailed() {
        streams.page("1", "2").lastPage("3", "4");
        ShardBuffer buffer = buffer(2, null, false);
        Position slow = attached(buffer, Join.TRIM_HORIZON, null);
        ShardReader reader = reader(buffer, (String) null);
        Thread thread = start(reader);
        assertEquals(List.of("1", "2"), take(buffer, slow, 2)); // room for the last page: 3 and 4 fill the buffer
        eventually().until(() -> events.ended.get() == 1);
        awaitParked(thread);
        assertTrue(buffer.isFull());
        streams.lastPage("2", "3", "4");

        Position late = attached(buffer, Join.AFTER, "1");

        eventually().until(() -> opened().size() == 2 || !events.failures.isEmpty());
        assertEquals(List.of(), events.failures);
        assertEquals(List.of("TRIM_HORIZON", "AFTER 1"), opened());
        assertEquals(List.of("2", "3", "4"), takeToEnd(buffer, late));
        eventually().until(() -> events.ended.get() == 2);
    }

    @Test
    void givenStreamGone_whenReading_thenFailedNotFoundIsReportedAndTheLoopEnds() {
        streams.page("1").fail(FakeStreams.notFound());
        ShardBuffer buffer = buffer(100, null, false);
        Position cursor = attached(buffer, Join.TRIM_HORIZON, null);
        ShardReader reader = reader(buffer, (String) null);

        Thread thread = start(reader);

        eventually().until(() -> thread.getState() == Thread.State.TERMINATED);
        assertEquals(State.FAILED, reader.state());
        assertEquals(1, events.failures.size());
        assertTrue(events.failures.get(0).startsWith("NOT_FOUND "), events.failures.toString());
        assertTrue(events.failures.get(0).contains("not found"), events.failures.toString());
        assertEquals(0, events.ended.get());
        assertEquals(2, streams.getRecordsCalls(), "a terminal error is not retried");
        assertEquals(List.of("1"), take(buffer, cursor, 1), "what was read before is still handed out");
    }

    @Test
    void givenAccessDenied_whenReading_thenFailedFatal() {
        streams.fail(FakeStreams.accessDenied());
        ShardBuffer buffer = buffer(100, null, false);
        attached(buffer, Join.TRIM_HORIZON, null);
        ShardReader reader = reader(buffer, (String) null);

        Thread thread = start(reader);

        eventually().until(() -> thread.getState() == Thread.State.TERMINATED);
        assertEquals(State.FAILED, reader.state());
        assertEquals(1, events.failures.size());
        assertTrue(events.failures.get(0).startsWith("FATAL AccessDeniedException"), events.failures.toString());
    }

    @Test
    void givenTransientErrors_whenReading_thenRetriedWithoutLosingOrRepeatingARecordAndThrottlingCounted() {
        streams.page("1");
        for (int i = 0; i < 10; i++) {
            streams.fail(FakeStreams.throttled()).fail(FakeStreams.networkError()).fail(FakeStreams.serverError());
        }
        streams.lastPage("2", "3");
        ShardBuffer buffer = buffer(100, null, false);
        Position cursor = attached(buffer, Join.TRIM_HORIZON, null);
        ShardReader reader = reader(buffer, (String) null);

        start(reader);

        assertEquals(List.of("1", "2", "3"), takeToEnd(buffer, cursor));
        eventually().until(() -> events.ended.get() == 1);
        assertEquals(List.of(), events.failures, "transient errors never end the reader (I7)");
        assertEquals(State.ENDED, reader.state());
        assertEquals(10.0, throttles(), "only the throttling errors count as throttles");
        assertEquals("AFTER 1", opened().get(opened().size() - 1), "re-opened where it stopped");
    }

    @Test
    void givenExpiredIterator_whenReading_thenReopenedAfterTheLastRecordReadAndNothingIsReadTwice() {
        streams.page("1", "2").fail(FakeStreams.expired()).lastPage("3");
        ShardBuffer buffer = buffer(100, null, false);
        Position cursor = attached(buffer, Join.TRIM_HORIZON, null);
        ShardReader reader = reader(buffer, (String) null);

        start(reader);

        assertEquals(List.of("1", "2", "3"), takeToEnd(buffer, cursor));
        assertEquals(List.of("TRIM_HORIZON", "AFTER 2"), opened());
        assertFalse(buffer.gapPending(cursor), "an expired iterator loses nothing");
    }

    @Test
    void givenLatestIteratorExpiredBeforeAnyRecord_whenReading_thenReReadFromTrimHorizonWithoutAGap() {
        streams.page().fail(FakeStreams.expired()).page("1", "2");
        ShardBuffer buffer = buffer(100, null, true);
        ShardFetcher fetcher = new ShardFetcher(streams, STREAM_ARN, SHARD_ID, null, 100);
        fetcher.openLatest(); // as the table does, before the reader thread starts
        Position cursor = new Position(null);
        buffer.attach(cursor, Join.LATEST, 1);
        ShardReader reader = reader(buffer, fetcher);

        start(reader);

        assertEquals(List.of("1", "2"), take(buffer, cursor, 2));
        assertEquals(List.of("LATEST", "TRIM_HORIZON"), opened(), "LATEST again would skip what came meanwhile");
        assertFalse(buffer.gapPending(cursor));
    }

    @Test
    void givenForwardPositionTrimmed_whenReading_thenReReadFromTrimHorizonAndEveryPositionReportsAGap() {
        streams.trimmedAfter("100").page("300", "301");
        ShardBuffer buffer = buffer(100, "100", false);
        Position a = attached(buffer, Join.AFTER, "100");
        Position b = attached(buffer, Join.AFTER, "150");
        ShardReader reader = reader(buffer, "100");

        start(reader);

        assertEquals(List.of("300", "301"), take(buffer, a, 2));
        assertEquals(List.of("AFTER 100", "TRIM_HORIZON"), opened());
        assertTrue(buffer.gapPending(a), "records after 100 and before 300 are lost: reported, never silent");
        assertTrue(buffer.gapPending(b));
        assertEquals(List.of(), events.failures, "a trim does not end the reader");
    }

    @Test
    void givenRewindHitsTheTrim_whenReading_thenOnlyThePositionWhoseRecordsAreGoneReportsAGap() {
        streams.page("1", "2").page("3", "4");
        ShardBuffer buffer = buffer(100, null, false);
        Position upToDate = attached(buffer, Join.TRIM_HORIZON, null);
        ShardReader reader = reader(buffer, (String) null);
        start(reader);
        assertEquals(List.of("1", "2", "3", "4"), take(buffer, upToDate, 4));
        streams.trimmedAfter("2"); // a day later: 1 and 2 fell out of the retention

        Position behind = attached(buffer, Join.AFTER, "2"); // e.g. a paused subscription resumed

        eventually().until(() -> opened().size() >= 4);
        assertEquals(List.of("TRIM_HORIZON", "AFTER 2", "AFTER 2", "TRIM_HORIZON"), opened(),
                "rewind after 2: trimmed; is anything after 2 retained? no; so TRIM_HORIZON");
        streams.page("3", "4");
        assertEquals(List.of("3", "4"), take(buffer, behind, 2));
        assertTrue(buffer.gapPending(behind), "records after 2 were trimmed before this cursor got them");
        assertFalse(buffer.gapPending(upToDate), "this cursor had every record read so far: nothing lost");
        assertEquals(List.of(), events.failures);
    }

    @Test
    void givenSlowCursor_whenTheBufferIsFull_thenTheReaderWaitsForRoomInsteadOfReadingAhead() {
        streams.page("1", "2").page("3", "4").page("5");
        ShardBuffer buffer = buffer(2, null, false);
        Position slow = attached(buffer, Join.TRIM_HORIZON, null);
        ShardReader reader = reader(buffer, (String) null);

        Thread thread = start(reader);

        eventually().until(() -> reader.state() == State.WAITING_FOR_ROOM);
        awaitParked(thread);
        assertEquals(1, streams.getRecordsCalls(), "no GetRecords while full");
        assertEquals(2, buffer.size(), "memory stays bounded (I6)");

        assertEquals(List.of("1", "2", "3", "4", "5"), take(buffer, slow, 5));
        assertEquals(List.of(), events.failures);
    }

    @Test
    void givenReaderAtTheTip_whenStopped_thenStoppedAndAWaitingCursorIsReleased() {
        ShardBuffer buffer = buffer(100, null, false);
        Position cursor = attached(buffer, Join.TRIM_HORIZON, null);
        ShardReader reader = reader(buffer, (String) null);
        Thread thread = start(reader);
        eventually().until(() -> streams.getRecordsCalls() > 0);
        Async<Batch> waiting = Async.start(() -> buffer.take(cursor, 10, 1, PAST)).awaitBlocked();

        reader.stop();

        assertNull(waiting.result());
        eventually().until(() -> thread.getState() == Thread.State.TERMINATED);
        assertEquals(State.STOPPED, reader.state());
        assertEquals(List.of(), events.failures, "a stop is not a failure");
    }

    @Test
    void givenReaderWaitingForRoom_whenStopped_thenStopped() {
        streams.page("1", "2");
        ShardBuffer buffer = buffer(2, null, false);
        attached(buffer, Join.TRIM_HORIZON, null);
        ShardReader reader = reader(buffer, (String) null);
        Thread thread = start(reader);
        eventually().until(() -> reader.state() == State.WAITING_FOR_ROOM);

        reader.stop();

        eventually().until(() -> thread.getState() == Thread.State.TERMINATED);
        assertEquals(State.STOPPED, reader.state());
    }

    @Test
    void givenEndedReader_whenStopped_thenStopped() {
        streams.lastPage("1");
        ShardBuffer buffer = buffer(100, null, false);
        attached(buffer, Join.TRIM_HORIZON, null);
        ShardReader reader = reader(buffer, (String) null);
        Thread thread = start(reader);
        eventually().until(() -> events.ended.get() == 1);

        reader.stop();

        eventually().until(() -> thread.getState() == Thread.State.TERMINATED);
        assertEquals(State.STOPPED, reader.state());
        assertEquals(1, streams.getRecordsCalls());
    }

    @Test
    void givenReaderRetryingTransientErrors_whenStopped_thenStoppedNotFailed() {
        RuntimeException error = FakeStreams.serverError();
        for (int i = 0; i < 10_000; i++) {
            streams.fail(error);
        }
        ShardBuffer buffer = buffer(100, null, false);
        attached(buffer, Join.TRIM_HORIZON, null);
        ShardReader reader = reader(buffer, (String) null);
        Thread thread = start(reader);
        eventually().until(() -> streams.getRecordsCalls() >= 3);

        reader.stop();

        eventually().until(() -> thread.getState() == Thread.State.TERMINATED);
        assertEquals(State.STOPPED, reader.state());
        assertEquals(List.of(), events.failures);
    }

    // ---------------------------------------------------------------- quiet intervals with no thread (issue 13)

    @Test
    void givenAQuietShard_whenParking_thenNoThreadWaitsBetweenPollsAndRecordsStillArrive() throws Exception {
        ShardBuffer buffer = buffer(100, null, false);
        Position cursor = attached(buffer, Join.TRIM_HORIZON, null);
        ShardReader reader = parkingReader(buffer, FakeStreams.fastReaderSettings());

        Thread first = start(reader);

        eventually().until(() -> relaunched.size() >= 5);
        assertTrue(first.join(Duration.ofSeconds(2)), "the first thread ends at the first quiet interval");
        // one poll per thread: each one before the last two has ended (those may still be returning or polling)
        eventually().until(() -> {
            List<Thread> seen = List.copyOf(relaunched);
            return seen.subList(0, seen.size() - 2).stream().noneMatch(Thread::isAlive);
        });
        assertEquals(State.READING, reader.state());
        streams.page("1", "2");
        assertEquals(List.of("1", "2"), take(buffer, cursor, 2));
        assertEquals(List.of(), events.failures);
    }

    @Test
    void givenAReaderParkedForAQuietInterval_whenStopped_thenItStopsAtOnceWithNoMorePolls() {
        ShardBuffer buffer = buffer(100, null, false);
        attached(buffer, Join.TRIM_HORIZON, null);
        ShardReader reader = parkingReader(buffer, pollingEvery(Duration.ofSeconds(30)));
        Thread first = start(reader);
        eventually().until(() -> streams.getRecordsCalls() == 1 && !first.isAlive());
        assertEquals(State.READING, reader.state(), "parked, not stopped");

        reader.stop();

        eventually().until(() -> reader.state() == State.STOPPED);
        assertEquals(1, streams.getRecordsCalls(), "no poll after the stop");
        assertEquals(1, relaunched.size(), "run once more, to see the stop");
    }

    @Test
    void givenAReaderParkedForAQuietInterval_whenACursorNeedsOlderRecords_thenTheShardIsReadAgainAtOnce() {
        streams.page("1", "2");
        ShardBuffer buffer = buffer(100, null, false);
        Position first = attached(buffer, Join.TRIM_HORIZON, null);
        ShardReader reader = parkingReader(buffer, pollingEvery(Duration.ofSeconds(30)));
        Thread thread = start(reader);
        assertEquals(List.of("1", "2"), take(buffer, first, 2));
        eventually().until(() -> streams.getRecordsCalls() == 2 && !thread.isAlive()); // parked for 30 s
        streams.page("2");

        Position late = attached(buffer, Join.AFTER, "1");

        // within the 2 s of eventually(), not after the 30 s interval
        eventually().until(() -> opened().size() == 2);
        assertEquals(List.of("TRIM_HORIZON", "AFTER 1"), opened());
        assertEquals(List.of("2"), take(buffer, late, 1));
        assertEquals(List.of(), events.failures);
    }
}
