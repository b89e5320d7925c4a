package io.dynamostream.stream;

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
 * A rewind (a cursor needs records the buffer no longer has) re-opens the shard at TRIM_HORIZON; every cursor then
 * restarts at the new buffer's head and skips what it already delivered, by sequence number.
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
    private boolean epochFromTrimHorizon;
    private boolean ended;
    private boolean stopped;
    private boolean rewindRequested;
    private ShardIteratorType startType;
    private String lastReadSequenceNumber;
    private Thread thread;

    ShardReader(String tableName, String streamArn, String shardId, ShardIteratorType startType,
            DynamoDbStreamsClient streams, DynamoStreamConfig.Reader settings, Listener listener, StreamMetrics metrics) {
        this.tableName = tableName;
        this.metrics = metrics;
        this.streamArn = streamArn;
        this.shardId = shardId;
        this.startType = startType;
        this.epochFromTrimHorizon = startType == ShardIteratorType.TRIM_HORIZON;
        this.streams = streams;
        this.settings = settings;
        this.listener = listener;
    }

    String shardId() {
        return shardId;
    }

    /**
     * Opens the first iterator in the caller's thread (so a LATEST position is fixed when this returns), then starts
     * reading on a virtual thread.
     */
    void start() {
        String iterator = openIterator();
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
     * Attaches a cursor. {@code fromStart}: the cursor needs every record of the shard (TRIM_HORIZON); if the buffer
     * no longer holds them, the reader rewinds. Otherwise the cursor starts at the current end of the buffer (LATEST)
     * and gets the sequence number of the last record read so far as its floor.
     */
    void attach(ShardCursor cursor, boolean fromStart) {
        lock.lock();
        try {
            cursors.add(cursor);
            if (fromStart) {
                if (!epochFromTrimHorizon || base > 0) {
                    rewindRequested = true;
                    readerWake.signalAll();
                }
                cursor.position(epoch, 0);
            } else {
                cursor.position(epoch, base + buffer.size());
                cursor.floor(lastReadSequenceNumber);
            }
        } finally {
            lock.unlock();
        }
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
     * Blocks until records are available at the cursor's position (up to {@code max}), the shard ended, or the reader
     * stopped (then null).
     */
    Batch take(ShardCursor cursor, int max) throws InterruptedException {
        lock.lock();
        try {
            while (!stopped) {
                if (cursor.epoch() != epoch) {
                    cursor.position(epoch, 0);
                }
                long available = base + buffer.size() - cursor.next();
                if (available > 0) {
                    int from = (int) (cursor.next() - base);
                    int n = (int) Math.min(max, available);
                    return new Batch(List.copyOf(buffer.subList(from, from + n)), epoch, false);
                }
                if (ended) {
                    return new Batch(List.of(), epoch, true);
                }
                changed.await();
            }
            return null;
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
            boolean wasFull = buffer.size() >= settings.bufferRecords();
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
                            restartAtTrimHorizon();
                        } else {
                            LOG.infof("Shard iterator of %s expired; re-opening after %s", shardId,
                                    lastReadSequenceNumber());
                        }
                        iterator = reopenQuietly();
                    }
                    case TRIMMED -> {
                        metrics.gap(tableName);
                        LOG.errorf("Gap: records of shard %s of %s after sequence number %s were trimmed (older "
                                + "than 24 h) before they were read; continuing at TRIM_HORIZON", shardId, streamArn,
                                lastReadSequenceNumber());
                        restartAtTrimHorizon();
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
            while (!stopped && !rewindRequested && buffer.size() >= settings.bufferRecords()) {
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

    /** Applies a pending rewind: new epoch, empty buffer, TRIM_HORIZON. */
    private boolean consumeRewind() {
        lock.lock();
        try {
            if (!rewindRequested) {
                return false;
            }
            rewindRequested = false;
            resetToTrimHorizon();
            LOG.infof("Shard %s of %s: re-reading from TRIM_HORIZON for a subscription that needs older records",
                    shardId, streamArn);
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void restartAtTrimHorizon() {
        lock.lock();
        try {
            resetToTrimHorizon();
        } finally {
            lock.unlock();
        }
    }

    private void resetToTrimHorizon() {
        epoch++;
        buffer.clear();
        base = 0;
        ended = false;
        lastReadSequenceNumber = null;
        startType = ShardIteratorType.TRIM_HORIZON;
        epochFromTrimHorizon = true;
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
