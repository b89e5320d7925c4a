package io.dynamostream.reading;

import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.jboss.logging.Logger;

import io.dynamostream.config.DynamoStreamConfig;
import io.dynamostream.metrics.StreamMetrics;
import software.amazon.awssdk.services.dynamodb.model.GetRecordsResponse;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;
import io.dynamostream.aws.SequenceNumbers;
import io.dynamostream.aws.StreamErrors;

/**
 * The one GetRecords reader of a shard (I9), shared by every subscription of the table. It reads ahead into a bounded
 * buffer; each subscription's {@link ShardCursor} consumes the buffer at its own pace, and a record leaves the buffer
 * once every attached cursor has passed it (memory stays bounded, I6).
 *
 * <p>States of the reader thread:
 * <pre>
 *   OPENING ──iterator──▶ READING ──(buffer full)──▶ WAITING_FOR_ROOM ──▶ READING
 *      ▲                     │  └──(closed shard, no next iterator)──▶ ENDED
 *      └──(expired iterator / trimmed / rewind)──┘
 * </pre>
 * A rewind (a cursor needs records the buffer no longer has) re-opens the shard after the earliest position any
 * attached cursor still needs (its checkpoint), or at TRIM_HORIZON when one needs the whole shard; every cursor then
 * restarts at the new buffer's head and skips what it already delivered, by sequence number. A trimmed position
 * (records older than 24 h are gone) re-opens at TRIM_HORIZON and marks the new epoch as following a gap, which each
 * cursor reports with its own sequence range.
 *
 * <p>Thread-safety: all buffer state is guarded by {@link #lock}; the reader runs on its own virtual thread.
 */
final class ShardReader {

    private static final Logger LOG = Logger.getLogger(ShardReader.class);

    /** Callback into the owning {@link TableStream}. */
    interface Listener {
        /** The shard was read to its end (closed shard, no next iterator). */
        void shardEnded(ShardReader reader);

        /** The stream or shard is gone, or AWS refused the read for good. */
        void readerFailed(ShardReader reader, StreamErrors kind, String message);
    }

    /** What {@link #take} returns: records from the cursor's position, or the end of the shard. */
    record Batch(List<Record> records, long epoch, boolean endOfShard) {
    }

    /**
     * Where a cursor starts: the whole shard ({@code TRIM_HORIZON}), after a checkpoint
     * ({@code AFTER_SEQUENCE_NUMBER}, with {@code after}), or at the reader's current end ({@code LATEST}).
     */
    record Start(ShardIteratorType type, String after) {
        static final Start TRIM_HORIZON = new Start(ShardIteratorType.TRIM_HORIZON, null);
        static final Start LATEST = new Start(ShardIteratorType.LATEST, null);

        static Start after(String sequenceNumber) {
            return new Start(ShardIteratorType.AFTER_SEQUENCE_NUMBER, sequenceNumber);
        }
    }

    private final String streamArn;
    private final String shardId;
    private final DynamoDbStreamsClient streams;
    private final DynamoStreamConfig.Reader settings;
    private final Listener listener;
    private final StreamMetrics metrics;
    private final String tableName;

    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled for cursors: records appended, end reached, epoch changed, stopped. */
    private final Condition changed = lock.newCondition();
    /** Signalled for the reader thread only: stop, rewind, room in a full buffer. */
    private final Condition readerWake = lock.newCondition();
    private final ArrayList<Record> buffer = new ArrayList<>();
    private final Set<ShardCursor> cursors = new HashSet<>();
    /** Absolute index (within the epoch) of {@code buffer.get(0)}. */
    private long base;
    private long epoch;
    /**
     * Every record after this sequence number is in the buffer or still to be read in this epoch; null with
     * {@link #latestEpoch} false means every record of the shard.
     */
    private BigInteger coveredAfter;
    /** The epoch began at LATEST: what came before its first record is unknown. */
    private boolean latestEpoch;
    /** The highest sequence number ever read from this shard, across epochs; null before the first record. */
    private BigInteger highestRead;
    /** Records at most in the buffer: the configured size, or the largest batch size of the attached cursors. */
    private int capacity;
    private boolean ended;
    private boolean stopped;
    private boolean rewindRequested;
    private ShardIteratorType startType;
    private String lastReadSequenceNumber;
    private Thread thread;

    ShardReader(String tableName, String streamArn, String shardId, Start start,
            DynamoDbStreamsClient streams, DynamoStreamConfig.Reader settings, Listener listener, StreamMetrics metrics) {
        this.tableName = tableName;
        this.metrics = metrics;
        this.streamArn = streamArn;
        this.shardId = shardId;
        this.streams = streams;
        this.settings = settings;
        this.listener = listener;
        this.capacity = settings.bufferRecords();
        if (start.type() == ShardIteratorType.LATEST) {
            this.startType = ShardIteratorType.LATEST;
            this.latestEpoch = true;
        } else {
            this.startType = ShardIteratorType.TRIM_HORIZON;
            this.lastReadSequenceNumber = start.after();
            this.coveredAfter = start.after() == null ? null : SequenceNumbers.parse(start.after());
        }
    }

    String shardId() {
        return shardId;
    }

    /**
     * Starts reading on a virtual thread. A LATEST position is fixed in the caller's thread before this returns (so
     * records written after a registration are read); other positions are opened by the reader thread, where a
     * trimmed or failing position is handled like any later error.
     */
    void start() {
        String iterator = startType() == ShardIteratorType.LATEST ? openIterator() : null;
        thread = Thread.ofVirtual().name("reader-" + shardId).start(() -> run(iterator));
    }

    /** Stops reading; cursors waiting in {@link #take} return. */
    void stop() {
        lock.lock();
        try {
            stopped = true;
            changed.signalAll();
            readerWake.signalAll();
        } finally {
            lock.unlock();
        }
        if (thread != null) {
            thread.interrupt();
        }
    }

    boolean isEnded() {
        lock.lock();
        try {
            return ended;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Attaches a cursor. {@code TRIM_HORIZON}: the cursor needs every record of the shard; {@code AFTER}: every record
     * after its checkpoint (the cursor already knows it and skips up to it). When the buffer no longer covers that,
     * the reader rewinds. {@code LATEST}: the cursor starts at the current end of the buffer and gets the sequence
     * number of the last record read so far as its floor.
     */
    void attach(ShardCursor cursor, Start start, int batchSize) {
        lock.lock();
        try {
            cursors.add(cursor);
            capacity = Math.max(capacity, batchSize);
            if (start.type() == ShardIteratorType.LATEST) {
                cursor.position(epoch, base + buffer.size());
                cursor.floor(lastReadSequenceNumber);
                return;
            }
            if (!covers(start.after() == null ? null : SequenceNumbers.parse(start.after()))) {
                rewindRequested = true;
                readerWake.signalAll();
            }
            cursor.position(epoch, base);
        } finally {
            lock.unlock();
        }
    }

    /** Whether every record after {@code after} (null: every record of the shard) is buffered or still to be read. */
    private boolean covers(BigInteger after) {
        if (!latestEpoch && coveredAfter == null) {
            return true;
        }
        if (after == null) {
            return false;
        }
        if (coveredAfter != null && after.compareTo(coveredAfter) >= 0) {
            return true;
        }
        return lastReadSequenceNumber != null && after.compareTo(SequenceNumbers.parse(lastReadSequenceNumber)) >= 0;
    }

    /** Detaches a cursor; records only it still needed leave the buffer. Returns whether no cursor is left. */
    boolean detach(ShardCursor cursor) {
        lock.lock();
        try {
            cursors.remove(cursor);
            evict();
            return cursors.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Blocks until records are available at the cursor's position, the shard ended, or the reader stopped (then
     * null). Returns up to {@code max} records as soon as {@code min} are there, or whatever is there (at least one)
     * once {@code deadlineNanos} ({@link System#nanoTime()}) has passed or the shard has ended: the batching window.
     */
    Batch take(ShardCursor cursor, int max, int min, long deadlineNanos) throws InterruptedException {
        lock.lock();
        try {
            while (!stopped) {
                if (cursor.epoch() != epoch) {
                    cursor.position(epoch, base);
                }
                long available = base + buffer.size() - cursor.next();
                long left = deadlineNanos - System.nanoTime();
                if (available >= min || available > 0 && (left <= 0 || ended)) {
                    int from = (int) (cursor.next() - base);
                    int n = (int) Math.min(max, available);
                    return new Batch(List.copyOf(buffer.subList(from, from + n)), epoch, false);
                }
                if (ended && available == 0) {
                    return new Batch(List.of(), epoch, true);
                }
                if (available > 0) {
                    changed.awaitNanos(left);
                } else {
                    changed.await();
                }
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The batch {@link #take} would return at once (at least {@code min} records at the cursor's position), or null
     * when it would wait: for records, for the end of the shard, or because the reader re-opened the shard.
     */
    Batch poll(ShardCursor cursor, int max, int min) {
        lock.lock();
        try {
            if (stopped || cursor.epoch() != epoch) {
                return null;
            }
            long available = base + buffer.size() - cursor.next();
            if (available < Math.max(1, min)) {
                return null;
            }
            int from = (int) (cursor.next() - base);
            int n = (int) Math.min(max, available);
            return new Batch(List.copyOf(buffer.subList(from, from + n)), epoch, false);
        } finally {
            lock.unlock();
        }
    }

    /** The cursor delivered (or skipped) {@code count} records of the batch it took in {@code batchEpoch}. */
    void advance(ShardCursor cursor, long batchEpoch, int count) {
        lock.lock();
        try {
            if (batchEpoch == epoch && cursor.epoch() == epoch) {
                cursor.position(epoch, cursor.next() + count);
                evict();
            }
        } finally {
            lock.unlock();
        }
    }

    private void evict() {
        long min = base + buffer.size();
        for (ShardCursor c : cursors) {
            if (c.epoch() == epoch) {
                min = Math.min(min, c.next());
            }
        }
        int drop = (int) (min - base);
        if (drop > 0) {
            boolean wasFull = buffer.size() >= capacity;
            BigInteger lastEvicted = sequenceOf(buffer.get(drop - 1));
            if (coveredAfter == null || lastEvicted.compareTo(coveredAfter) > 0) {
                coveredAfter = lastEvicted;
            }
            buffer.subList(0, drop).clear();
            base = min;
            if (wasFull) {
                readerWake.signalAll();
            }
        }
    }

    private void run(String firstIterator) {
        String iterator = firstIterator;
        Duration backoff = settings.initialBackoff();
        while (true) {
            try {
                if (!awaitRoom()) {
                    return;
                }
                if (consumeRewind() || iterator == null) {
                    iterator = openIterator();
                }
                String current = iterator;
                GetRecordsResponse response = streams.getRecords(
                        r -> r.shardIterator(current).limit(settings.limit()));
                backoff = settings.initialBackoff();
                iterator = response.nextShardIterator();
                boolean idle = response.records().isEmpty();
                if (!append(response.records(), iterator == null)) {
                    iterator = null; // rewind requested while the call was in flight: drop its result
                    continue;
                }
                if (iterator == null) {
                    LOG.debugf("Shard %s of %s read to its end", shardId, streamArn);
                    listener.shardEnded(this);
                    if (!awaitRewindAfterEnd()) {
                        return;
                    }
                    continue;
                }
                if (idle) {
                    pause(settings.idleInterval());
                }
            } catch (InterruptedException e) {
                if (isStopped()) {
                    return;
                }
            } catch (RuntimeException e) {
                if (isStopped()) {
                    return;
                }
                StreamErrors kind = StreamErrors.classify(e);
                switch (kind) {
                    case TRANSIENT -> {
                        if (StreamErrors.isThrottling(e)) {
                            metrics.throttled(tableName, "GetRecords");
                        }
                        LOG.warnf("Transient error reading shard %s of %s, retrying in %s: %s", shardId, streamArn,
                                backoff, StreamErrors.describe(e));
                        if (!sleepQuietly(backoff)) {
                            return;
                        }
                        backoff = next(backoff);
                    }
                    case EXPIRED_ITERATOR -> {
                        if (lastReadSequenceNumber() == null && startType() == ShardIteratorType.LATEST) {
                            // a LATEST position cannot be re-opened: LATEST now would skip what was written
                            // meanwhile. Re-read the shard; cursors skip records older than their subscription.
                            LOG.infof("LATEST iterator of %s expired before any record was read; re-reading it "
                                    + "from TRIM_HORIZON", shardId);
                            restartAtTrimHorizon(Set.of());
                        } else {
                            LOG.infof("Shard iterator of %s expired; re-opening after %s", shardId,
                                    lastReadSequenceNumber());
                        }
                        iterator = reopenQuietly();
                    }
                    case TRIMMED -> {
                        // each cursor reports its own gap (log, metric, notification) when it sees the new epoch
                        LOG.warnf("Shard %s of %s: records after sequence number %s were trimmed (older than 24 h) "
                                + "before they were read; continuing at TRIM_HORIZON", shardId, streamArn,
                                lastReadSequenceNumber());
                        Set<ShardCursor> lost = cursorsPastTrimHorizon();
                        restartAtTrimHorizon(lost);
                        iterator = reopenQuietly();
                    }
                    case NOT_FOUND, FATAL -> {
                        listener.readerFailed(this, kind, StreamErrors.describe(e));
                        return;
                    }
                }
            }
        }
    }

    private String reopenQuietly() {
        try {
            return openIterator();
        } catch (RuntimeException e) {
            return null; // re-opened at the top of the loop, where its error is classified
        }
    }

    private Duration next(Duration backoff) {
        Duration doubled = backoff.multipliedBy(2);
        return doubled.compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : doubled;
    }

    private String openIterator() {
        String after = lastReadSequenceNumber();
        if (after != null) {
            return streams.getShardIterator(r -> r.streamArn(streamArn).shardId(shardId)
                    .shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER).sequenceNumber(after))
                    .shardIterator();
        }
        ShardIteratorType type = startType();
        return streams.getShardIterator(r -> r.streamArn(streamArn).shardId(shardId).shardIteratorType(type))
                .shardIterator();
    }

    private ShardIteratorType startType() {
        lock.lock();
        try {
            return startType;
        } finally {
            lock.unlock();
        }
    }

    private String lastReadSequenceNumber() {
        lock.lock();
        try {
            return lastReadSequenceNumber;
        } finally {
            lock.unlock();
        }
    }

    /** Appends a page; false when a rewind was requested meanwhile (the page is dropped). */
    private boolean append(List<Record> records, boolean endOfShard) {
        lock.lock();
        try {
            if (rewindRequested) {
                return false;
            }
            if (!records.isEmpty()) {
                buffer.addAll(records);
                lastReadSequenceNumber = records.get(records.size() - 1).dynamodb().sequenceNumber();
                BigInteger last = SequenceNumbers.parse(lastReadSequenceNumber);
                if (highestRead == null || last.compareTo(highestRead) > 0) {
                    highestRead = last;
                }
            }
            if (endOfShard) {
                ended = true;
            }
            changed.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Waits while the buffer is full; false when stopped. */
    private boolean awaitRoom() throws InterruptedException {
        lock.lock();
        try {
            while (!stopped && !rewindRequested && buffer.size() >= capacity) {
                readerWake.await();
            }
            return !stopped;
        } finally {
            lock.unlock();
        }
    }

    /** After the end of a closed shard: waits for a rewind (true) or a stop (false). */
    private boolean awaitRewindAfterEnd() throws InterruptedException {
        lock.lock();
        try {
            while (!stopped && !rewindRequested) {
                readerWake.await();
            }
            return !stopped;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Applies a pending rewind: new epoch, empty buffer, re-opened after the earliest checkpoint of the attached
     * cursors, or at TRIM_HORIZON when one of them needs the whole shard.
     */
    private boolean consumeRewind() {
        lock.lock();
        try {
            if (!rewindRequested) {
                return false;
            }
            rewindRequested = false;
            String after = null;
            BigInteger earliest = null;
            for (ShardCursor c : cursors) {
                String point = c.resumePoint();
                if (point == null) {
                    earliest = null;
                    after = null;
                    break;
                }
                BigInteger n = SequenceNumbers.parse(point);
                if (earliest == null || n.compareTo(earliest) < 0) {
                    earliest = n;
                    after = point;
                }
            }
            resetTo(after);
            LOG.infof("Shard %s of %s: re-reading from %s for a subscription that needs older records", shardId,
                    streamArn, after == null ? "TRIM_HORIZON" : "after " + after);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Re-reads the shard from TRIM_HORIZON; {@code lost}: the cursors whose position was trimmed report a gap. */
    private void restartAtTrimHorizon(Set<ShardCursor> lost) {
        lock.lock();
        try {
            resetTo(null);
            for (ShardCursor c : lost) {
                if (cursors.contains(c)) {
                    c.epochChanged(true);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The position the reader asked for was trimmed; which cursors lost records?
     * <ul>
     * <li>When the reader's own forward position was trimmed (it fell more than 24 h behind), every cursor did.</li>
     * <li>When a rewind for a lagging cursor hit the trim, a cursor that already has every record the reader ever
     * read lost nothing (what was trimmed, it had delivered); one behind lost records only if its own checkpoint is
     * trimmed too (GetShardIterator AFTER it fails).</li>
     * <li>A cursor with no checkpoint, or one that cannot be checked, counts as having lost some: a gap reported
     * once too often is better than a silent one.</li>
     * </ul>
     */
    private Set<ShardCursor> cursorsPastTrimHorizon() {
        List<ShardCursor> attached;
        BigInteger readThrough;
        boolean forward;
        lock.lock();
        try {
            attached = List.copyOf(cursors);
            readThrough = highestRead;
            forward = readThrough == null || lastReadSequenceNumber != null
                    && SequenceNumbers.parse(lastReadSequenceNumber).compareTo(readThrough) >= 0;
        } finally {
            lock.unlock();
        }
        Set<ShardCursor> lost = new HashSet<>();
        for (ShardCursor c : attached) {
            String after = c.resumePoint();
            if (after == null || forward) {
                lost.add(c);
                continue;
            }
            if (SequenceNumbers.parse(after).compareTo(readThrough) >= 0) {
                continue;
            }
            try {
                streams.getShardIterator(r -> r.streamArn(streamArn).shardId(shardId)
                        .shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER).sequenceNumber(after));
            } catch (RuntimeException e) {
                lost.add(c);
            }
        }
        return lost;
    }

    /** New epoch, empty buffer, reading after {@code after} (null: TRIM_HORIZON). */
    private void resetTo(String after) {
        epoch++;
        buffer.clear();
        base = 0;
        ended = false;
        lastReadSequenceNumber = after;
        coveredAfter = after == null ? null : SequenceNumbers.parse(after);
        latestEpoch = false;
        startType = ShardIteratorType.TRIM_HORIZON;
        // every cursor moves to the new epoch now, so none of them is left behind records evicted meanwhile
        for (ShardCursor c : cursors) {
            c.position(epoch, 0);
        }
        changed.signalAll();
    }

    private void pause(Duration duration) throws InterruptedException {
        lock.lock();
        try {
            if (!stopped && !rewindRequested) {
                readerWake.await(duration.toNanos(), TimeUnit.NANOSECONDS);
            }
        } finally {
            lock.unlock();
        }
    }

    private boolean sleepQuietly(Duration duration) {
        try {
            pause(duration);
            return !isStopped();
        } catch (InterruptedException e) {
            return !isStopped();
        }
    }

    private boolean isStopped() {
        lock.lock();
        try {
            return stopped;
        } finally {
            lock.unlock();
        }
    }

    /** Parses a record's sequence number (helper for cursors). */
    static BigInteger sequenceOf(Record record) {
        return SequenceNumbers.parse(record.dynamodb().sequenceNumber());
    }
}
