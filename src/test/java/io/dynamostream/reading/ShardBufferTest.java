package io.dynamostream.reading;

import static io.dynamostream.reading.FakeStreams.records;
import static io.dynamostream.reading.FakeStreams.sequenceNumbers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.dynamostream.reading.FakeStreams.Async;
import io.dynamostream.reading.ShardBuffer.Batch;
import io.dynamostream.reading.ShardBuffer.Join;
import io.dynamostream.reading.ShardBuffer.Position;

/**
 * The shared read-ahead buffer, driven from the test thread as the reader and the cursors would drive it. A call that
 * must wait runs on a virtual thread; nothing sleeps.
 */
class ShardBufferTest {

    private static final int BATCH = 10;
    /** A batching deadline that has passed: take returns whatever is there. */
    private static final long PAST = Long.MIN_VALUE / 2;

    private final List<ShardBuffer> buffers = new ArrayList<>();

    @AfterEach
    void stopBuffers() {
        buffers.forEach(ShardBuffer::stop); // releases any call a failed test left waiting
    }

    private ShardBuffer buffer(int capacity, String after, boolean latest) {
        ShardBuffer buffer = new ShardBuffer(capacity, after, latest);
        buffers.add(buffer);
        return buffer;
    }

    private static Position attached(ShardBuffer buffer, Join join, String resumePoint) {
        Position p = new Position(resumePoint);
        buffer.attach(p, join, 1);
        return p;
    }

    private static long farDeadline() {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    }

    /** A cursor taking at most {@code max} records that are there now (the buffer must hold some). */
    private static Batch takeNow(ShardBuffer buffer, Position p, int max) throws InterruptedException {
        return buffer.take(p, max, 1, PAST);
    }

    /** A cursor delivering up to {@code max} records: takes, acknowledges (resume point) and advances. */
    private static List<String> deliver(ShardBuffer buffer, Position p, int max) throws InterruptedException {
        Batch batch = takeNow(buffer, p, max);
        List<String> seqs = sequenceNumbers(batch.records());
        p.resumeAfter(seqs.get(seqs.size() - 1));
        buffer.advance(p, batch, seqs.size());
        return seqs;
    }

    // ---------------------------------------------------------------- capacity

    @Test
    void givenFullBuffer_whenReaderAwaitsRoom_thenItWaitsUntilTheCursorFreesSome() throws Exception {
        ShardBuffer buffer = buffer(3, null, false);
        Position p = attached(buffer, Join.TRIM_HORIZON, null);
        buffer.append(records("1", "2", "3"), false);
        assertTrue(buffer.isFull());

        Async<Boolean> reader = Async.start(buffer::awaitRoom).awaitBlocked();
        deliver(buffer, p, 1);

        assertTrue(reader.result(), "room, not stopped");
        assertFalse(buffer.isFull());
        assertEquals(2, buffer.size());
    }

    @Test
    void givenRoom_whenReaderAwaitsRoom_thenReturnsAtOnce() throws Exception {
        ShardBuffer buffer = buffer(3, null, false);
        attached(buffer, Join.TRIM_HORIZON, null);
        buffer.append(records("1", "2"), false);

        assertFalse(buffer.isFull());
        assertTrue(Async.start(buffer::awaitRoom).result());
    }

    @Test
    void givenTwoPositions_whenOnlyOneHasPassedTheRecords_thenTheyStayUntilTheOtherPassesThem() throws Exception {
        ShardBuffer buffer = buffer(3, null, false);
        Position fast = attached(buffer, Join.TRIM_HORIZON, null);
        Position slow = attached(buffer, Join.TRIM_HORIZON, null);
        buffer.append(records("1", "2", "3"), false);

        deliver(buffer, fast, BATCH);

        assertEquals(3, buffer.size(), "the slow cursor still needs them");
        assertTrue(buffer.isFull(), "the slow cursor holds the reader back (bounded memory)");

        deliver(buffer, slow, 1);
        assertEquals(2, buffer.size());
        deliver(buffer, slow, BATCH);
        assertEquals(0, buffer.size());
    }

    @Test
    void givenSlowPosition_whenDetached_thenTheRecordsOnlyItNeededLeave() throws Exception {
        ShardBuffer buffer = buffer(3, null, false);
        Position fast = attached(buffer, Join.TRIM_HORIZON, null);
        Position slow = attached(buffer, Join.TRIM_HORIZON, null);
        buffer.append(records("1", "2", "3"), false);
        deliver(buffer, fast, BATCH);

        assertFalse(buffer.detach(slow), "one cursor is left");

        assertEquals(0, buffer.size());
        assertFalse(buffer.isFull());
        assertTrue(buffer.detach(fast));
    }

    @Test
    void givenBatchSizeLargerThanCapacity_whenAttached_thenTheBufferHoldsAFullBatch() {
        ShardBuffer buffer = buffer(2, null, false);
        buffer.attach(new Position(null), Join.TRIM_HORIZON, 5);

        buffer.append(records("1", "2", "3", "4"), false);

        assertFalse(buffer.isFull(), "a cursor with batch size 5 must be able to get 5 records");
        buffer.append(records("5"), false);
        assertTrue(buffer.isFull());
    }

    // ---------------------------------------------------------------- consuming

    @Test
    void givenTwoPositions_whenTheyConsumeAtTheirOwnPace_thenEachGetsEveryRecordOnceInOrder() throws Exception {
        ShardBuffer buffer = buffer(100, null, false);
        Position one = attached(buffer, Join.TRIM_HORIZON, null);
        Position three = attached(buffer, Join.TRIM_HORIZON, null);
        List<String> gotOne = new ArrayList<>();
        List<String> gotThree = new ArrayList<>();

        buffer.append(records("1", "2", "3", "4"), false);
        gotOne.addAll(deliver(buffer, one, 1));
        gotThree.addAll(deliver(buffer, three, 3));
        buffer.append(records("5", "6"), false);
        gotThree.addAll(deliver(buffer, three, 3));
        while (gotOne.size() < 6) {
            gotOne.addAll(deliver(buffer, one, 1));
        }

        List<String> all = List.of("1", "2", "3", "4", "5", "6");
        assertEquals(all, gotOne);
        assertEquals(all, gotThree);
        assertEquals(0, buffer.size());
    }

    @Test
    void givenMoreRecordsThanMax_whenTaken_thenAtMostMaxAndTheSameBatchAgainUntilAdvanced() throws Exception {
        ShardBuffer buffer = buffer(100, null, false);
        Position p = attached(buffer, Join.TRIM_HORIZON, null);
        buffer.append(records("1", "2", "3", "4", "5"), false);

        Batch first = takeNow(buffer, p, 2);
        Batch again = takeNow(buffer, p, 2);

        assertEquals(List.of("1", "2"), sequenceNumbers(first.records()));
        assertEquals(first.records(), again.records(), "a batch not delivered yet is taken again, not skipped");

        buffer.advance(p, first, 2);
        assertEquals(List.of("3", "4", "5"), sequenceNumbers(takeNow(buffer, p, BATCH).records()));
    }

    @Test
    void givenFewerThanMin_whenDeadlinePassed_thenTakesWhatIsThere() throws Exception {
        ShardBuffer buffer = buffer(100, null, false);
        Position p = attached(buffer, Join.TRIM_HORIZON, null);
        buffer.append(records("1", "2"), false);

        Batch batch = buffer.take(p, BATCH, 5, PAST);

        assertEquals(List.of("1", "2"), sequenceNumbers(batch.records()));
        assertFalse(batch.endOfShard());
    }

    @Test
    void givenFewerThanMin_whenDeadlineAhead_thenWaitsUntilMinRecordsAreThere() throws Exception {
        ShardBuffer buffer = buffer(100, null, false);
        Position p = attached(buffer, Join.TRIM_HORIZON, null);
        buffer.append(records("1", "2"), false);
        long deadline = farDeadline();

        Async<Batch> cursor = Async.start(() -> buffer.take(p, BATCH, 3, deadline)).awaitBlocked();
        buffer.append(records("3"), false);

        assertEquals(List.of("1", "2", "3"), sequenceNumbers(cursor.result().records()),
                "the batching window collects a full batch instead of sending two");
    }

    @Test
    void givenMinReached_whenTaken_thenReturnsAtOnceBeforeTheDeadline() throws Exception {
        ShardBuffer buffer = buffer(100, null, false);
        Position p = attached(buffer, Join.TRIM_HORIZON, null);
        buffer.append(records("1", "2", "3"), false);
        long deadline = farDeadline();

        Batch batch = Async.start(() -> buffer.take(p, 2, 2, deadline)).result();

        assertEquals(List.of("1", "2"), sequenceNumbers(batch.records()));
    }

    @Test
    void givenNothingBuffered_whenTaking_thenWaitsForTheNextPage() throws Exception {
        ShardBuffer buffer = buffer(100, null, false);
        Position p = attached(buffer, Join.TRIM_HORIZON, null);

        Async<Batch> cursor = Async.start(() -> buffer.take(p, BATCH, 1, PAST)).awaitBlocked();
        buffer.append(records("1"), false);

        assertEquals(List.of("1"), sequenceNumbers(cursor.result().records()));
    }

    @Test
    void givenFewerThanMin_whenPolled_thenNullAndNothingIsConsumed() {
        ShardBuffer buffer = buffer(100, null, false);
        Position p = attached(buffer, Join.TRIM_HORIZON, null);

        assertNull(buffer.poll(p, BATCH, 1), "empty: null at once, no wait");
        buffer.append(records("1", "2"), false);
        assertNull(buffer.poll(p, BATCH, 3));

        Batch batch = buffer.poll(p, BATCH, 2);
        assertNotNull(batch);
        assertEquals(List.of("1", "2"), sequenceNumbers(batch.records()));
        assertEquals(List.of("1", "2"), sequenceNumbers(buffer.poll(p, BATCH, 1).records()),
                "polling does not move the position");
    }

    // ---------------------------------------------------------------- joining

    @Test
    void givenRecordsRead_whenJoiningAtLatest_thenFloorIsTheLastAppendedAndOnlyLaterRecordsCome() throws Exception {
        ShardBuffer buffer = buffer(100, null, false);
        attached(buffer, Join.TRIM_HORIZON, null); // keeps 1 and 2 buffered
        buffer.append(records("1", "2"), false);

        Position latest = new Position(null);
        String floor = buffer.attach(latest, Join.LATEST, 1);
        buffer.append(records("3"), false);

        assertEquals("2", floor);
        assertEquals(List.of("3"), sequenceNumbers(takeNow(buffer, latest, BATCH).records()));
        assertNull(buffer.takeRewind(), "a LATEST join never re-reads");
    }

    @Test
    void givenLatestBufferWithNothingRead_whenJoiningAtLatest_thenNoFloorAndNoRewind() {
        ShardBuffer buffer = buffer(100, null, true);

        assertNull(buffer.attach(new Position(null), Join.LATEST, 1));
        assertNull(buffer.takeRewind());
    }

    @Test
    void givenResumePointStillBuffered_whenJoiningAfterIt_thenNoRewindAndItGetsTheRecordsAfter() throws Exception {
        ShardBuffer buffer = buffer(100, null, false);
        Position first = attached(buffer, Join.TRIM_HORIZON, null);
        buffer.append(records("1", "2", "3"), false);
        deliver(buffer, first, 2); // 1 and 2 leave: the buffer covers what comes after 2

        Position joining = attached(buffer, Join.AFTER, "2");

        assertNull(buffer.takeRewind());
        assertEquals(List.of("3"), sequenceNumbers(takeNow(buffer, joining, BATCH).records()));
    }

    @Test
    void givenBufferStartingAfterACheckpoint_whenJoiningAtOrAfterIt_thenNoRewind() {
        ShardBuffer buffer = buffer(100, "100", false);

        attached(buffer, Join.AFTER, "100");
        attached(buffer, Join.AFTER, "150");

        assertNull(buffer.takeRewind());
    }

    @Test
    void givenBufferStartingAfterACheckpoint_whenJoiningBeforeIt_thenRewindAfterTheEarlierPoint() {
        ShardBuffer buffer = buffer(100, "100", false);
        attached(buffer, Join.AFTER, "100");

        attached(buffer, Join.AFTER, "50");

        assertEquals(new ShardBuffer.Rewind("50"), buffer.takeRewind());
        assertNull(buffer.takeRewind(), "taken once");
    }

    @Test
    void givenRecordsEvicted_whenJoiningAtTrimHorizon_thenRewindToTrimHorizon() throws Exception {
        ShardBuffer buffer = buffer(100, null, false);
        Position first = attached(buffer, Join.TRIM_HORIZON, null);
        buffer.append(records("1", "2"), false);
        deliver(buffer, first, BATCH);

        attached(buffer, Join.TRIM_HORIZON, null);

        assertEquals(new ShardBuffer.Rewind(null), buffer.takeRewind());
    }

    @Test
    void givenLatestBuffer_whenJoiningAfterAnOlderCheckpoint_thenRewindBecauseWhatCameBeforeIsUnknown() {
        ShardBuffer buffer = buffer(100, null, true);
        buffer.attach(new Position(null), Join.LATEST, 1);
        buffer.append(records("20"), false);

        attached(buffer, Join.AFTER, "20");
        assertNull(buffer.takeRewind(), "after the last record read: still to be read");

        attached(buffer, Join.AFTER, "5");
        assertNotNull(buffer.takeRewind(), "records between 5 and the LATEST start were never read");
    }

    @Test
    void givenSeveralResumePoints_whenRewindTaken_thenAfterTheNumericallyEarliest() {
        ShardBuffer buffer = buffer(100, "100", false);
        attached(buffer, Join.AFTER, "70");
        attached(buffer, Join.AFTER, "10");
        attached(buffer, Join.AFTER, "9"); // "9" < "10" as numbers, not as strings

        assertEquals(new ShardBuffer.Rewind("9"), buffer.takeRewind());
    }

    @Test
    void givenOnePositionWithoutResumePoint_whenRewindTaken_thenTrimHorizon() {
        ShardBuffer buffer = buffer(100, "100", false);
        attached(buffer, Join.AFTER, "50");
        attached(buffer, Join.TRIM_HORIZON, null);
        attached(buffer, Join.AFTER, "70");

        assertEquals(new ShardBuffer.Rewind(null), buffer.takeRewind());
    }

    @Test
    void givenRewindPending_whenAPageArrives_thenItIsDroppedAndNoCursorSeesIt() throws Exception {
        ShardBuffer buffer = buffer(100, "100", false);
        Position reading = attached(buffer, Join.AFTER, "100");
        attached(buffer, Join.AFTER, "50");

        assertFalse(buffer.append(records("101", "102"), false));
        assertFalse(buffer.append(List.of(), true));

        assertEquals(0, buffer.size());
        assertNull(buffer.poll(reading, BATCH, 1));
        assertFalse(buffer.isEnded(), "a dropped last page does not end the shard");
    }

    @Test
    void givenRewind_whenTaken_thenEveryPositionStartsAtTheNewHeadAndStaleAdvancesAreIgnored() throws Exception {
        ShardBuffer buffer = buffer(100, "100", false);
        Position ahead = attached(buffer, Join.AFTER, "100");
        buffer.append(records("101", "102", "103"), false);
        Batch inFlight = takeNow(buffer, ahead, BATCH);
        Position behind = attached(buffer, Join.AFTER, "50");

        assertEquals(new ShardBuffer.Rewind("50"), buffer.takeRewind());
        buffer.append(records("51", "52"), false);
        buffer.advance(ahead, inFlight, inFlight.records().size()); // acknowledged after the rewind

        Batch aheadNext = takeNow(buffer, ahead, BATCH);
        Batch behindNext = takeNow(buffer, behind, BATCH);
        assertTrue(aheadNext.epoch() > inFlight.epoch());
        assertEquals(List.of("51", "52"), sequenceNumbers(aheadNext.records()),
                "the stale advance must not skip records of the new epoch");
        assertEquals(List.of("51", "52"), sequenceNumbers(behindNext.records()));
        assertEquals(2, buffer.size());
    }

    /**
     * While a rewind is pending (the reader has not applied it yet: it may be inside a GetRecords call), the
     * position that needs it is placed at the head of the current epoch. If the current epoch holds records after a
     * gap in front of the cursor, it can take and deliver them at once; its resume point then moves past the gap and
     * the rewind (after the earliest resume point) and the cursor's skip-by-sequence-number drop the records in the
     * gap for that subscription, silently.
     */
    @Test
    void givenRewindPending_whenTheJoiningPositionTakes_thenItGetsNoRecordPastItsGap() throws Exception {
        ShardBuffer buffer = buffer(100, null, false);
        Position first = attached(buffer, Join.TRIM_HORIZON, null);
        buffer.append(records("1", "2", "3"), false);
        deliver(buffer, first, 2); // 1 and 2 leave the buffer; 3 stays

        Position joining = attached(buffer, Join.AFTER, "1"); // needs 2: a rewind is requested

        assertNull(buffer.poll(joining, BATCH, 1), "record 3 served before the missing record 2");
    }

    /** The same bug as above, at the end of a closed shard: the joining cursor is told the shard has ended. */
    @Test
    void givenEndedShardAndRewindPending_whenTheJoiningPositionTakes_thenNoEndOfShardBeforeTheReRead()
            throws Exception {
        ShardBuffer buffer = buffer(100, null, false);
        Position first = attached(buffer, Join.TRIM_HORIZON, null);
        buffer.append(records("1", "2"), true);
        deliver(buffer, first, BATCH);

        Position joining = attached(buffer, Join.AFTER, "1"); // needs 2 again: a rewind is requested

        // the cursor takes before the reader applies the rewind; it must wait, not be told the shard has ended
        Async<Batch> cursor = Async.start(() -> buffer.take(joining, BATCH, 1, PAST)).awaitSettled();
        buffer.takeRewind();
        buffer.append(records("2"), true);
        Batch batch = cursor.result();
        assertFalse(batch.endOfShard(), "end of shard before record 2 was handed out");
        assertEquals(List.of("2"), sequenceNumbers(batch.records()));
    }

    // ---------------------------------------------------------------- end of shard

    @Test
    void givenClosedShardReadToItsEnd_whenTaken_thenRemainingRecordsAtOnceThenAnEndBatch() throws Exception {
        ShardBuffer buffer = buffer(100, null, false);
        Position p = attached(buffer, Join.TRIM_HORIZON, null);
        buffer.append(records("1", "2"), true);
        long deadline = farDeadline();

        Batch last = Async.start(() -> buffer.take(p, BATCH, BATCH, deadline)).result();
        buffer.advance(p, last, last.records().size());
        Batch end = Async.start(() -> buffer.take(p, BATCH, BATCH, deadline)).result();

        assertEquals(List.of("1", "2"), sequenceNumbers(last.records()), "no batching wait at the end");
        assertFalse(last.endOfShard());
        assertTrue(end.endOfShard());
        assertTrue(end.records().isEmpty());
        assertTrue(buffer.isEnded());
    }

    @Test
    void givenEndedShard_whenRewound_thenNotEndedUntilReadToItsEndAgain() throws Exception {
        ShardBuffer buffer = buffer(100, "100", false);
        Position p = attached(buffer, Join.AFTER, "100");
        buffer.append(records("101"), true);
        attached(buffer, Join.AFTER, "50");

        buffer.takeRewind();

        assertFalse(buffer.isEnded());
        assertNull(buffer.poll(p, BATCH, 1));
    }

    // ---------------------------------------------------------------- trims and gaps

    @Test
    void givenTrim_whenRestartedAtTrimHorizon_thenOnlyTheGivenAttachedPositionsHaveAGapPending() throws Exception {
        ShardBuffer buffer = buffer(100, "100", false);
        Position lost = attached(buffer, Join.AFTER, "100");
        Position kept = attached(buffer, Join.AFTER, "100");
        Position detached = new Position("100");

        buffer.restartAtTrimHorizon(Set.of(lost, detached));
        buffer.append(records("500"), false);

        assertTrue(buffer.gapPending(lost));
        assertTrue(buffer.gapPending(lost), "gapPending does not clear the mark");
        assertFalse(buffer.gapPending(kept));
        assertFalse(buffer.gapPending(detached));
        assertTrue(buffer.takeGap(lost));
        assertFalse(buffer.takeGap(lost), "a gap is reported once");
        assertEquals(List.of("500"), sequenceNumbers(takeNow(buffer, lost, BATCH).records()));
        assertEquals(List.of("500"), sequenceNumbers(takeNow(buffer, kept, BATCH).records()));
    }

    @Test
    void givenForwardPositionTrimmedBeforeAnyRecord_whenAskedWhoLost_thenEveryone() {
        ShardBuffer buffer = buffer(100, "100", false);
        Position a = attached(buffer, Join.AFTER, "100");
        Position b = attached(buffer, Join.AFTER, "200");
        List<String> asked = new CopyOnWriteArrayList<>();

        Set<Position> lost = buffer.lostOnTrim(s -> {
            asked.add(s);
            return true;
        });

        assertEquals(Set.of(a, b), lost);
        assertEquals(List.of(), asked, "the reader's own position was trimmed: no check needed");
    }

    @Test
    void givenForwardPositionTrimmedAfterRecords_whenAskedWhoLost_thenEveryone() throws Exception {
        ShardBuffer buffer = buffer(100, null, false);
        Position done = attached(buffer, Join.TRIM_HORIZON, null);
        Position behind = attached(buffer, Join.TRIM_HORIZON, null);
        buffer.append(records("1", "2", "3"), false);
        deliver(buffer, done, BATCH);
        deliver(buffer, behind, 1);

        assertEquals(Set.of(done, behind), buffer.lostOnTrim(s -> true));
    }

    @Test
    void givenRewindHitTheTrim_whenAskedWhoLost_thenOnlyPositionsBehindWhoseRecordsAreNotRetained() throws Exception {
        ShardBuffer buffer = buffer(100, null, false);
        Position upToDate = attached(buffer, Join.TRIM_HORIZON, null);
        buffer.append(records("1", "2", "3", "4", "5", "6"), false);
        deliver(buffer, upToDate, BATCH); // resume point 6: everything read so far
        Position trimmedBehind = attached(buffer, Join.AFTER, "2");
        Position retainedBehind = attached(buffer, Join.AFTER, "4");
        assertEquals(new ShardBuffer.Rewind("2"), buffer.takeRewind());
        Position noResumePoint = new Position(null);
        buffer.attach(noResumePoint, Join.LATEST, 1);
        List<String> asked = new CopyOnWriteArrayList<>();

        Set<Position> lost = buffer.lostOnTrim(s -> {
            asked.add(s);
            return !s.equals("2"); // after 2 is gone, after 4 is still there
        });

        assertEquals(Set.of(trimmedBehind, noResumePoint), lost);
        assertEquals(Set.of("2", "4"), Set.copyOf(asked), "asked for each position behind, never for 6");
        assertEquals(2, asked.size());
    }

    @Test
    void givenRewindHitTheTrim_whenTheRetentionCheckRuns_thenTheBufferIsNotLockedMeanwhile() throws Exception {
        ShardBuffer buffer = buffer(100, null, false);
        Position upToDate = attached(buffer, Join.TRIM_HORIZON, null);
        buffer.append(records("1", "2", "3"), false);
        deliver(buffer, upToDate, BATCH);
        Position behind = attached(buffer, Join.AFTER, "1");
        buffer.takeRewind();
        List<Integer> seenFromOtherThread = new CopyOnWriteArrayList<>();

        Set<Position> lost;
        try (var other = Executors.newVirtualThreadPerTaskExecutor()) {
            lost = buffer.lostOnTrim(s -> {
                // the check is a GetShardIterator call: cursors must not stall on the buffer while it runs
                Future<Integer> size = other.submit(buffer::size);
                try {
                    seenFromOtherThread.add(size.get(1, TimeUnit.SECONDS));
                } catch (Exception e) {
                    throw new AssertionError("the buffer stayed locked during the retention check", e);
                }
                return false;
            });
        }

        assertEquals(Set.of(behind), lost);
        assertEquals(List.of(0), seenFromOtherThread);
    }

    // ---------------------------------------------------------------- stop and reader waits

    @Test
    void givenCursorWaitingForRecords_whenStopped_thenTakeReturnsNull() throws Exception {
        ShardBuffer buffer = buffer(100, null, false);
        Position p = attached(buffer, Join.TRIM_HORIZON, null);
        Async<Batch> cursor = Async.start(() -> buffer.take(p, BATCH, 1, PAST)).awaitBlocked();

        buffer.stop();

        assertNull(cursor.result());
        assertTrue(buffer.isStopped());
        buffer.append(records("1"), false);
        assertNull(buffer.poll(p, BATCH, 1), "nothing is handed out once stopped");
    }

    @Test
    void givenReaderWaitingForRoomOrAfterTheEnd_whenStopped_thenBothWaitsEndWithFalse() throws Exception {
        ShardBuffer full = buffer(1, null, false);
        attached(full, Join.TRIM_HORIZON, null);
        full.append(records("1"), false);
        ShardBuffer ended = buffer(100, null, false);
        ended.append(records("1"), true);
        Async<Boolean> room = Async.start(full::awaitRoom).awaitBlocked();
        Async<Boolean> afterEnd = Async.start(ended::awaitRewindAfterEnd).awaitBlocked();

        full.stop();
        ended.stop();

        assertFalse(room.result());
        assertFalse(afterEnd.result());
    }

    @Test
    void givenFullBuffer_whenACursorJoinsNeedingARewind_thenTheReaderStopsWaitingForRoom() throws Exception {
        ShardBuffer buffer = buffer(2, "100", false);
        attached(buffer, Join.AFTER, "100");
        buffer.append(records("101", "102"), false);
        Async<Boolean> reader = Async.start(buffer::awaitRoom).awaitBlocked();

        attached(buffer, Join.AFTER, "50");

        assertTrue(reader.result(), "the reader must apply the rewind, not wait for the slow cursor");
        assertEquals(new ShardBuffer.Rewind("50"), buffer.takeRewind());
        assertFalse(buffer.isFull(), "a rewind empties the buffer");
    }

    @Test
    void givenEndedShard_whenACursorJoinsNeedingARewind_thenTheReaderWakesUp() throws Exception {
        ShardBuffer buffer = buffer(100, "100", false);
        attached(buffer, Join.AFTER, "100");
        buffer.append(records("101"), true);
        Async<Boolean> reader = Async.start(buffer::awaitRewindAfterEnd).awaitBlocked();

        attached(buffer, Join.AFTER, "50");

        assertTrue(reader.result());
    }

    @Test
    void givenReaderPausing_whenARewindIsRequested_thenThePauseEndsEarly() throws Exception {
        ShardBuffer buffer = buffer(100, "100", false);
        attached(buffer, Join.AFTER, "100");
        Async<Void> reader = Async.<Void>start(() -> {
            buffer.pause(Duration.ofSeconds(30));
            return null;
        }).awaitBlocked();

        attached(buffer, Join.AFTER, "50");

        reader.result(); // within 2 s, not 30
    }

    @Test
    void givenStoppedBuffer_whenReaderPauses_thenReturnsAtOnce() throws Exception {
        ShardBuffer buffer = buffer(100, null, false);
        buffer.stop();

        Async.start(() -> {
            buffer.pause(Duration.ofSeconds(30));
            return null;
        }).result();
    }
}
