package io.dynamostream.reading;

import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

import io.dynamostream.aws.SequenceNumbers;
import software.amazon.awssdk.services.dynamodb.model.Record;

/**
 * The read-ahead buffer of one shard, shared by every subscription of the table (I9): the reader appends pages, each
 * subscription's cursor consumes at its own {@link Position}, and a record leaves once every attached cursor has
 * passed it, so memory stays bounded (I6: the reader appends a page only while there is room, so at most the capacity
 * plus one GetRecords page less one record). It has no thread of its own: the reader thread and the cursor threads
 * call it, and wait on its conditions.
 *
 * <p>Lagging cursors: when a cursor waits for records while the buffer is full, the cursors at its head are a whole
 * buffer behind it and hold everyone back; they leave for the shard's {@link CatchUpReader} (I6), which serves them on
 * their own until {@link #rejoin} finds the buffer covers their position again. While a cursor is there, the cursor
 * side methods below delegate to it.
 *
 * <p>Epochs: when the buffer must be re-filled from an earlier position (a cursor joined that needs records already
 * evicted: a <em>rewind</em>; or the reader's position was trimmed), it starts a new epoch: empty, every position at
 * its head. Each cursor then skips by sequence number what it already delivered. A rewind starts after the earliest
 * resume point of the attached cursors, or at TRIM_HORIZON when one needs the whole shard. After a trim the cursors
 * that lost records are marked so each reports its own gap.
 *
 * <p>Thread-safety: every method takes the buffer's lock; {@link Position#resumePoint()} is volatile (the cursor moves
 * it, a rewind reads it).
 */
final class ShardBuffer {

    /** One cursor's place in the buffer. Created by the cursor, moved by the buffer. */
    static final class Position {
        /** Guarded by the buffer's lock. */
        private long epoch;
        /** Absolute index (within the epoch) of the next record for this cursor; guarded by the buffer's lock. */
        private long next;
        /** The reader re-read the shard after a trim that took records of this cursor; guarded by the lock. */
        private boolean gapPending;
        /**
         * Joined needing records the buffer no longer has: served nothing until the re-read it asked for begins
         * (records of the current epoch would come after a gap). Guarded by the lock.
         */
        private boolean awaitingRewind;
        /** Batch size of the cursor (set when it attaches); guarded by the lock. */
        private int batchSize = 1;
        /**
         * Set while the cursor is served by the shard's {@link CatchUpReader} instead of this buffer (it fell more
         * than the buffer behind). Written under the buffer's lock; volatile for the catch-up reader's log lines.
         */
        private volatile boolean catchingUp;
        private volatile String resumePoint;
        private final String owner;
        /**
         * How to start the cursor again after it parked (gave up its thread while waiting for records); null: the
         * cursor blocks in {@link #take} instead (unit tests that drive a cursor by hand).
         */
        private volatile Runnable wake;
        /** Set while parked; whoever clears it first (new records, a stop) starts the cursor again. */
        private final java.util.concurrent.atomic.AtomicBoolean parked = new java.util.concurrent.atomic.AtomicBoolean();

        /**
         * @param resumePoint the last sequence number this cursor acknowledged; null when none
         * @param owner who the cursor reads for (the subscription id), for log lines
         */
        Position(String resumePoint, String owner) {
            this.resumePoint = resumePoint;
            this.owner = owner;
        }

        /** @param resumePoint the last sequence number this cursor acknowledged; null when none */
        Position(String resumePoint) {
            this(resumePoint, "cursor");
        }

        /** Lets the cursor park instead of blocking while there is nothing to read; {@code wake} restarts it. */
        void parkable(Runnable wake) {
            this.wake = wake;
        }

        /** Starts a parked cursor again; false when it was not parked (running, or already woken). */
        boolean unpark() {
            if (parked.compareAndSet(true, false)) {
                wake.run();
                return true;
            }
            return false;
        }

        /** Who the cursor reads for, for log lines. */
        String owner() {
            return owner;
        }

        int batchSize() {
            return batchSize;
        }

        /** Whether the cursor is served by the catch-up reader now. */
        boolean catchingUp() {
            return catchingUp;
        }

        /** Where a rewind must re-read for this cursor: after this sequence number, or (null) the whole shard. */
        String resumePoint() {
            return resumePoint;
        }

        /** The cursor acknowledged (or skipped) everything up to {@code sequenceNumber}. */
        void resumeAfter(String sequenceNumber) {
            this.resumePoint = sequenceNumber;
        }
    }

    /**
     * What {@link #take} returns: records from the cursor's position, or the end of the shard. {@code lane} is the
     * catch-up lane the batch came from, null when it came from this buffer ({@link #advance} needs to know).
     */
    record Batch(List<Record> records, long epoch, boolean endOfShard, CatchUpReader.Lane lane) {
        Batch(List<Record> records, long epoch, boolean endOfShard) {
            this(records, epoch, endOfShard, null);
        }
    }

    /** Where a cursor joins: the whole shard, after its checkpoint, or at the buffer's current end (LATEST). */
    enum Join {
        /** Needs every record of the shard. */
        TRIM_HORIZON,
        /** Needs every record after its resume point. */
        AFTER,
        /** Starts at the end of what was read so far. */
        LATEST
    }

    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled for cursors: records appended, end reached, epoch changed, stopped. */
    private final Condition changed = lock.newCondition();
    /** Signalled for the reader: stop, rewind, room in a full buffer. */
    private final Condition readerWake = lock.newCondition();
    /**
     * While the reader waits out a quiet shard's poll interval with no thread ({@link #parkReader}): what runs it
     * again, and the timer task that will.
     */
    private Runnable parkedReader;
    private ScheduledFuture<?> parkedReaderTimer;
    private final ArrayList<Record> records = new ArrayList<>();
    private final Set<Position> positions = new HashSet<>();
    /** Cursors parked on this buffer (no thread) until something changes for them. */
    private final List<Position> parkedPositions = new ArrayList<>();
    /** Absolute index (within the epoch) of {@code records.get(0)}. */
    private long base;
    private long epoch;
    /**
     * Every record after this sequence number is in the buffer or still to be read in this epoch; null with
     * {@link #latestEpoch} false means every record of the shard.
     */
    private BigInteger coveredAfter;
    /** The epoch began at LATEST: what came before its first record is unknown. */
    private boolean latestEpoch;
    /** The last sequence number appended in this epoch (or where it started); null when none. */
    private String lastAppended;
    /** The highest sequence number ever appended, across epochs; null before the first record. */
    private BigInteger highestAppended;
    /** Records at most: the configured size, or the largest batch size of the attached cursors. */
    private int capacity;
    private boolean ended;
    private boolean stopped;
    private boolean rewindRequested;
    /** Serves the cursors that fell more than the buffer behind; null: they hold the buffer (tests). */
    private CatchUpReader catchUp;

    /**
     * @param after the first epoch starts after this sequence number; null: at TRIM_HORIZON (or LATEST, see
     *        {@code latest})
     * @param latest the first epoch starts at LATEST
     */
    ShardBuffer(int capacity, String after, boolean latest) {
        this.capacity = capacity;
        this.latestEpoch = latest;
        this.lastAppended = latest ? null : after;
        this.coveredAfter = after == null || latest ? null : SequenceNumbers.parse(after);
    }

    /**
     * Lets cursors that hold a full buffer while another cursor waits for records leave it for {@code reader} (I6: a
     * slow subscription delays only itself). Set once, before any cursor attaches.
     */
    void catchUpWith(CatchUpReader reader) {
        lock.lock();
        try {
            this.catchUp = reader;
        } finally {
            lock.unlock();
        }
    }

    // ---- cursor side

    /**
     * Attaches a cursor. {@link Join#TRIM_HORIZON} or {@link Join#AFTER} its resume point: when the buffer no longer
     * covers that, the cursor starts on the catch-up reader (the others are not disturbed); without one, a rewind is
     * requested and the cursor is served nothing until it begins (what is buffered now would come after a gap). {@link Join#LATEST}: the cursor starts at the current end.
     *
     * @return for a LATEST join the sequence number of the last record read so far (the cursor's floor, may be
     *         null); null otherwise
     */
    String attach(Position p, Join join, int batchSize) {
        lock.lock();
        try {
            p.batchSize = batchSize;
            capacity = Math.max(capacity, batchSize);
            String after = join == Join.AFTER ? p.resumePoint() : null;
            if (join != Join.LATEST && catchUp != null && !stopped
                    && !covers(after == null ? null : SequenceNumbers.parse(after))) {
                // it needs records this buffer no longer has: it reads them on its own, and the others go on
                p.catchingUp = true;
                catchUp.adopt(p, false, "needs records the shared reader has passed");
                return null;
            }
            positions.add(p);
            if (join == Join.LATEST) {
                p.epoch = epoch;
                p.next = base + records.size();
                return lastAppended;
            }
            if (!covers(after == null ? null : SequenceNumbers.parse(after))) {
                rewindRequested = true;
                p.awaitingRewind = true;
                readerWake.signalAll();
                unparkReader();
            }
            p.epoch = epoch;
            p.next = base;
            return null;
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
        return lastAppended != null && after.compareTo(SequenceNumbers.parse(lastAppended)) >= 0;
    }

    /** Detaches a cursor; records only it still needed leave. Returns whether no cursor is left. */
    boolean detach(Position p) {
        lock.lock();
        try {
            positions.remove(p);
            parkedPositions.remove(p);
            if (p.catchingUp) {
                p.catchingUp = false;
                catchUp.drop(p);
            }
            evict();
            return positions.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Blocks until records are available at the cursor's position, the shard ended, or the buffer stopped (then
     * null). Returns up to {@code max} records as soon as {@code min} are there, or whatever is there (at least one)
     * once {@code deadlineNanos} ({@link System#nanoTime()}) has passed or the shard has ended: the batching window.
     */
    Batch take(Position p, int max, int min, long deadlineNanos) throws InterruptedException {
        return take(p, max, min, deadlineNanos, false);
    }

    /**
     * {@link #take}, except that a cursor made {@link Position#parkable parkable} does not block while the buffer has
     * nothing for it: it gets {@link #PARKED} and must end its thread; the buffer starts it again (its wake) as soon
     * as records arrive, the shard ends, the epoch changes or the buffer stops. An idle shard's cursors then hold no
     * thread (a parked virtual thread keeps its stack: about 2.5 KB each, 25,000 cursors at 10,000 subscriptions).
     */
    Batch takeOrPark(Position p, int max, int min, long deadlineNanos) throws InterruptedException {
        return take(p, max, min, deadlineNanos, true);
    }

    /** What {@link #takeOrPark} returns when the cursor parked. */
    static final Batch PARKED = new Batch(List.of(), -2, false);

    private Batch take(Position p, int max, int min, long deadlineNanos, boolean mayPark)
            throws InterruptedException {
        while (true) {
            lock.lock();
            try {
                Batch b = takeHere(p, max, min, deadlineNanos, mayPark && p.wake != null);
                if (b != CatchUpReader.MOVED) {
                    return b;
                }
            } finally {
                lock.unlock();
            }
            // served by the catch-up reader: wait there, without this buffer's lock
            Batch b = catchUp.take(p, max, min, deadlineNanos);
            if (b != CatchUpReader.MOVED) {
                return b;
            }
            // it caught up and is back here
        }
    }

    /** {@link #take} on this buffer; {@link CatchUpReader#MOVED} when the cursor is served by the catch-up reader. */
    private Batch takeHere(Position p, int max, int min, long deadlineNanos, boolean mayPark)
            throws InterruptedException {
        while (!stopped) {
            if (p.catchingUp) {
                return CatchUpReader.MOVED;
            }
            if (p.awaitingRewind) {
                changed.await();
                continue;
            }
            if (p.epoch != epoch) {
                p.epoch = epoch;
                p.next = base;
            }
            long available = base + records.size() - p.next;
            long left = deadlineNanos - System.nanoTime();
            if (available >= min || available > 0 && (left <= 0 || ended)) {
                return batch(p, max, available);
            }
            if (ended && available == 0) {
                return new Batch(List.of(), epoch, true);
            }
            // this cursor waits: if the buffer is full, the cursors holding its head leave for the catch-up reader
            releaseLaggards();
            if (available > 0) {
                changed.awaitNanos(left);
            } else if (mayPark) {
                p.parked.set(true);
                parkedPositions.add(p);
                return PARKED;
            } else {
                changed.await();
            }
        }
        return null;
    }

    /**
     * The batch {@link #take} would return at once (at least {@code min} records at the cursor's position), or null
     * when it would wait: for records, for the end of the shard, or because a new epoch began.
     */
    Batch poll(Position p, int max, int min) {
        lock.lock();
        try {
            if (p.catchingUp) {
                return stopped ? null : catchUp.poll(p, max, min);
            }
            if (stopped || p.awaitingRewind || p.epoch != epoch) {
                return null;
            }
            long available = base + records.size() - p.next;
            return available < Math.max(1, min) ? null : batch(p, max, available);
        } finally {
            lock.unlock();
        }
    }

    private Batch batch(Position p, int max, long available) {
        int from = (int) (p.next - base);
        int n = (int) Math.min(max, available);
        return new Batch(List.copyOf(records.subList(from, from + n)), epoch, false);
    }

    /** The cursor delivered (or skipped) {@code count} records of {@code batch}. */
    void advance(Position p, Batch batch, int count) {
        if (batch.lane() != null) {
            catchUp.advance(batch.lane(), batch.epoch(), count);
            return;
        }
        lock.lock();
        try {
            if (batch.epoch() == epoch && p.epoch == epoch && !p.awaitingRewind && !p.catchingUp) {
                p.next += count;
                evict();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Whether the cursor must report a gap (records it had not delivered were trimmed); clears the mark. */
    boolean takeGap(Position p) {
        lock.lock();
        try {
            if (p.catchingUp) {
                return catchUp.takeGap(p);
            }
            boolean gap = p.gapPending;
            p.gapPending = false;
            return gap;
        } finally {
            lock.unlock();
        }
    }

    /** Whether a gap report is pending for the cursor (without clearing it). */
    boolean gapPending(Position p) {
        lock.lock();
        try {
            return p.catchingUp ? catchUp.gapPending(p) : p.gapPending;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A cursor waits for records while the buffer is full: the cursors at its head hold everyone back (they are a
     * whole buffer behind the waiting one), so they leave for the catch-up reader, and the buffer drops what only
     * they needed. Under the lock.
     */
    private void releaseLaggards() {
        if (catchUp == null || records.size() < capacity) {
            return;
        }
        List<Position> holders = new ArrayList<>();
        int active = 0;
        for (Position p : positions) {
            if (p.epoch == epoch && !p.awaitingRewind) {
                active++;
                if (p.next == base) {
                    holders.add(p);
                }
            }
        }
        if (holders.isEmpty() || holders.size() == active) {
            return;
        }
        for (Position p : holders) {
            positions.remove(p);
            p.catchingUp = true;
            catchUp.adopt(p, p.gapPending, "is a whole read-ahead buffer behind the others");
            p.gapPending = false;
        }
        evict();
    }

    /**
     * The catch-up reader asks whether its cursor may come back: yes when this buffer has (or will read) every
     * record after the cursor's resume point and has room, so that the cursor does not hold a full buffer at once.
     * The cursor then continues here, skipping by sequence number what it already delivered.
     */
    boolean rejoin(Position p) {
        lock.lock();
        try {
            if (stopped || !p.catchingUp || records.size() >= capacity) {
                return false;
            }
            String after = p.resumePoint();
            if (!covers(after == null ? null : SequenceNumbers.parse(after))) {
                return false;
            }
            catchUp.drop(p);
            p.catchingUp = false;
            p.awaitingRewind = false;
            p.epoch = epoch;
            p.next = base;
            positions.add(p);
            signalChanged();
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void evict() {
        long min = base + records.size();
        for (Position p : positions) {
            if (p.epoch == epoch && !p.awaitingRewind) {
                min = Math.min(min, p.next);
            }
        }
        int drop = (int) (min - base);
        if (drop > 0) {
            boolean wasFull = records.size() >= capacity;
            BigInteger lastEvicted = SequenceNumbers.of(records.get(drop - 1));
            if (coveredAfter == null || lastEvicted.compareTo(coveredAfter) > 0) {
                coveredAfter = lastEvicted;
            }
            records.subList(0, drop).clear();
            base = min;
            if (wasFull) {
                readerWake.signalAll();
            }
        }
    }

    // ---- reader side

    /** Waits while the buffer is full; false when stopped. A pending rewind ends the wait. */
    boolean awaitRoom() throws InterruptedException {
        lock.lock();
        try {
            while (!stopped && !rewindRequested && records.size() >= capacity) {
                readerWake.await();
            }
            return !stopped;
        } finally {
            lock.unlock();
        }
    }

    /** Whether the buffer is full (the reader waits for room). */
    boolean isFull() {
        lock.lock();
        try {
            return records.size() >= capacity;
        } finally {
            lock.unlock();
        }
    }

    /** Appends a page; false when a rewind was requested meanwhile (the page is dropped). */
    boolean append(List<Record> page, boolean endOfShard) {
        lock.lock();
        try {
            if (rewindRequested) {
                return false;
            }
            if (!page.isEmpty()) {
                records.addAll(page);
                lastAppended = page.get(page.size() - 1).dynamodb().sequenceNumber();
                BigInteger last = SequenceNumbers.parse(lastAppended);
                if (highestAppended == null || last.compareTo(highestAppended) > 0) {
                    highestAppended = last;
                }
            }
            if (endOfShard) {
                ended = true;
            }
            if (!page.isEmpty() || endOfShard) {
                // an empty page changes nothing a cursor waits for: no wake-up (an idle shard's cursors stay parked)
                signalChanged();
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Applies a pending rewind: a new epoch, re-read after the earliest resume point of the attached cursors, or at
     * TRIM_HORIZON when one of them needs the whole shard.
     *
     * @return where reading must restart (null inside: TRIM_HORIZON), or null when no rewind is pending
     */
    Rewind takeRewind() {
        lock.lock();
        try {
            if (!rewindRequested) {
                return null;
            }
            rewindRequested = false;
            String after = null;
            BigInteger earliest = null;
            for (Position p : positions) {
                String point = p.resumePoint();
                if (point == null) {
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
            return new Rewind(after);
        } finally {
            lock.unlock();
        }
    }

    /** Where a rewind re-reads: after {@code after}, or TRIM_HORIZON when it is null. */
    record Rewind(String after) {
    }

    /**
     * A new epoch from TRIM_HORIZON (the reader's position was trimmed, or a LATEST iterator expired before any
     * record); the cursors in {@code lost} report a gap when they see its first records.
     */
    void restartAtTrimHorizon(Collection<Position> lost) {
        lock.lock();
        try {
            resetTo(null);
            for (Position p : lost) {
                if (positions.contains(p)) {
                    p.gapPending = true;
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
     * read lost nothing (what was trimmed, it had delivered); one behind lost records only if the records after its
     * own resume point are not retained ({@code retainedAfter}, called without the lock: it may do I/O).</li>
     * <li>A cursor with no resume point counts as having lost some: a gap reported once too often is better than a
     * silent one.</li>
     * </ul>
     */
    Set<Position> lostOnTrim(Predicate<String> retainedAfter) {
        List<Position> attached;
        BigInteger readThrough;
        boolean forward;
        lock.lock();
        try {
            attached = List.copyOf(positions);
            readThrough = highestAppended;
            forward = readThrough == null || lastAppended != null
                    && SequenceNumbers.parse(lastAppended).compareTo(readThrough) >= 0;
        } finally {
            lock.unlock();
        }
        Set<Position> lost = new HashSet<>();
        for (Position p : attached) {
            String after = p.resumePoint();
            if (after == null || forward) {
                lost.add(p);
            } else if (SequenceNumbers.parse(after).compareTo(readThrough) < 0 && !retainedAfter.test(after)) {
                lost.add(p);
            }
        }
        return lost;
    }

    /** New epoch, empty, reading after {@code after} (null: TRIM_HORIZON). */
    private void resetTo(String after) {
        epoch++;
        records.clear();
        base = 0;
        ended = false;
        lastAppended = after;
        coveredAfter = after == null ? null : SequenceNumbers.parse(after);
        latestEpoch = false;
        // every cursor moves to the new epoch now, so none of them is left behind records evicted meanwhile
        for (Position p : positions) {
            p.epoch = epoch;
            p.next = 0;
            p.awaitingRewind = false;
        }
        signalChanged();
    }

    /** After the end of a closed shard: waits for a rewind (true) or a stop (false). */
    boolean awaitRewindAfterEnd() throws InterruptedException {
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

    /** Waits {@code duration} (the idle poll interval or a backoff) unless a rewind or a stop comes first. */
    void pause(Duration duration) throws InterruptedException {
        lock.lock();
        try {
            if (!stopped && !rewindRequested) {
                readerWake.await(duration.toNanos(), TimeUnit.NANOSECONDS);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Like {@link #pause}, but with no thread waiting: the reader ends its thread, and {@code relaunch} runs once,
     * from {@code timer} when {@code duration} has passed or sooner when the buffer is stopped or a rewind is
     * requested (what ends a {@link #pause} early). A virtual thread parked for a quiet shard's 2 s keeps its stack,
     * which outlives young collections and is promoted (half of the tenured promotions at 2,500 idle shards, issue 13).
     *
     * @return false, with nothing scheduled, when stopped or a rewind is pending: the reader goes on at once
     */
    boolean parkReader(Duration duration, ScheduledExecutorService timer, Runnable relaunch) {
        lock.lock();
        try {
            if (stopped || rewindRequested) {
                return false;
            }
            parkedReader = relaunch;
            parkedReaderTimer = timer.schedule(this::unparkReader, duration.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Runs a reader parked by {@link #parkReader} again, once; nothing when none is parked. */
    private void unparkReader() {
        Runnable relaunch;
        lock.lock();
        try {
            relaunch = parkedReader;
            parkedReader = null;
            if (parkedReaderTimer != null) {
                parkedReaderTimer.cancel(false);
                parkedReaderTimer = null;
            }
        } finally {
            lock.unlock();
        }
        if (relaunch != null) {
            relaunch.run();
        }
    }

    /** Wakes the cursors waiting in {@link #take} and starts the parked ones again. Under the lock. */
    private void signalChanged() {
        changed.signalAll();
        if (!parkedPositions.isEmpty()) {
            List<Position> woken = List.copyOf(parkedPositions);
            parkedPositions.clear();
            woken.forEach(Position::unpark);
        }
    }

    /** Stops: cursors waiting in {@link #take} return null, the reader's waits end. */
    void stop() {
        lock.lock();
        try {
            stopped = true;
            signalChanged();
            readerWake.signalAll();
            unparkReader();
            if (catchUp != null) {
                catchUp.stop();
            }
        } finally {
            lock.unlock();
        }
    }

    boolean isStopped() {
        lock.lock();
        try {
            return stopped;
        } finally {
            lock.unlock();
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

    /** The current epoch: how many times the buffer was re-filled from an earlier position (for tests). */
    long epoch() {
        lock.lock();
        try {
            return epoch;
        } finally {
            lock.unlock();
        }
    }

    /** Records held now (for tests and the memory bound). */
    int size() {
        lock.lock();
        try {
            return records.size();
        } finally {
            lock.unlock();
        }
    }
}
