package io.dynamostream.reading;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

import org.jboss.logging.Logger;

import io.dynamostream.aws.StreamErrors;
import io.dynamostream.config.DynamoStreamConfig;
import io.dynamostream.metrics.StreamMetrics;
import software.amazon.awssdk.services.dynamodb.model.Record;

/**
 * The second reader of a shard (AWS allows two GetRecords readers per shard; I9 keeps it at that): it serves the
 * cursors that fell more than the shared {@link ShardBuffer} behind, so that a slow or stuck subscription delays only
 * itself (I6) while the others go on at the tip.
 *
 * <p>Each such cursor gets a {@link Lane}: its own iterator ({@link ShardFetcher}, opened after the cursor's resume
 * point) and a small queue. One thread, started while there are lanes, makes one GetRecords call at a time for the
 * lanes whose queue holds less than a batch, in turn, so a lane whose receiver never answers costs no reads and holds
 * at most a batch plus a page. Before reading for a lane it asks the shared buffer whether the cursor may go back
 * ({@link ShardBuffer#rejoin}): once the buffer covers everything after the cursor's resume point, the lane ends and
 * the cursor continues on the shared buffer, skipping by sequence number what it already has.
 *
 * <pre>
 *   shared buffer ──full, another cursor waits──▶ lane (catch-up reader) ──buffer covers its position──▶ shared buffer
 * </pre>
 *
 * <p>Per lane, errors are handled as the shared reader handles them: an expired iterator is re-opened after the last
 * record read; a trimmed position re-reads the shard from TRIM_HORIZON and the cursor reports its gap; throttling,
 * 5xx and network errors back off ({@code reader.initial-backoff} to {@code max-backoff}); a terminal error backs off
 * too, since the shared reader reports it for the table.
 *
 * <p>Thread-safety: everything is guarded by {@link #lock}. Lock order: the buffer's lock, then this one; the
 * catch-up thread calls the buffer only while it holds no lock.
 */
final class CatchUpReader {

    private static final Logger LOG = Logger.getLogger(CatchUpReader.class);

    /** What {@link #take} returns when the cursor is not (or no longer) served here. */
    static final ShardBuffer.Batch MOVED = new ShardBuffer.Batch(List.of(), -1, false);

    /** One cursor's private read-ahead while it catches up. Guarded by the reader's lock. */
    final class Lane {
        private final ShardBuffer.Position position;
        private final ShardFetcher fetcher;
        private final ArrayDeque<Record> records = new ArrayDeque<>();
        private long epoch;
        private boolean ended;
        private boolean gapPending;
        /** {@link System#nanoTime()} before which no read is made for this lane (idle tip, backoff). */
        private long notBefore;
        private Duration backoff = settings.initialBackoff();

        private Lane(ShardBuffer.Position position, ShardFetcher fetcher, boolean gapPending) {
            this.position = position;
            this.fetcher = fetcher;
            this.gapPending = gapPending;
        }

        private boolean due(long now) {
            return !ended && records.size() < position.batchSize() && now - notBefore >= 0;
        }
    }

    private final String tableName;
    private final String shardId;
    private final ShardBuffer buffer;
    /** Opens a fetcher reading after the given sequence number (null: TRIM_HORIZON). */
    private final Function<String, ShardFetcher> fetchers;
    private final DynamoStreamConfig.Reader settings;
    private final StreamMetrics metrics;
    private final Executor executor;

    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled for cursors: records, end of shard, lane gone, stopped. */
    private final Condition changed = lock.newCondition();
    /** Signalled for the catch-up thread: a lane added or consumed, stopped. */
    private final Condition wake = lock.newCondition();
    private final Map<ShardBuffer.Position, Lane> lanes = new LinkedHashMap<>();
    /** Lanes in the order they are served next (round robin). */
    private final ArrayDeque<Lane> turn = new ArrayDeque<>();
    private boolean running;
    private boolean stopped;

    CatchUpReader(String tableName, String shardId, ShardBuffer buffer, Function<String, ShardFetcher> fetchers,
            DynamoStreamConfig.Reader settings, StreamMetrics metrics, Executor executor) {
        this.tableName = tableName;
        this.shardId = shardId;
        this.buffer = buffer;
        this.fetchers = fetchers;
        this.settings = settings;
        this.metrics = metrics;
        this.executor = executor;
    }

    // ---- called by the buffer, under its lock

    /**
     * The cursor left (or could not join) the shared buffer: it is read on its own from its resume point on.
     * {@code why} completes the log line ("Subscription X ...").
     */
    void adopt(ShardBuffer.Position p, boolean gapPending, String why) {
        lock.lock();
        try {
            if (stopped || lanes.containsKey(p)) {
                return;
            }
            Lane lane = new Lane(p, fetchers.apply(p.resumePoint()), gapPending);
            lanes.put(p, lane);
            turn.addLast(lane);
            LOG.infof("Subscription %s %s on shard %s of table %s; reading it on its own (catch-up reader) until "
                    + "it catches up", p.owner(), why, shardId, tableName);
            wake.signalAll();
            if (!running) {
                running = true;
                try {
                    executor.execute(this::run);
                } catch (RejectedExecutionException e) {
                    running = false; // the service is stopping
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** The cursor went back to the shared buffer, or detached: its lane ends. */
    void drop(ShardBuffer.Position p) {
        lock.lock();
        try {
            Lane lane = lanes.remove(p);
            if (lane != null) {
                turn.remove(lane);
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    void stop() {
        lock.lock();
        try {
            stopped = true;
            changed.signalAll();
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---- cursor side (same contract as the buffer's methods of the same name)

    /**
     * Blocks until the cursor's lane has records (see {@link ShardBuffer#take}); {@link #MOVED} when the cursor has
     * no lane (it went back to the shared buffer), null when stopped.
     */
    ShardBuffer.Batch take(ShardBuffer.Position p, int max, int min, long deadlineNanos) throws InterruptedException {
        lock.lock();
        try {
            while (!stopped) {
                Lane lane = lanes.get(p);
                if (lane == null) {
                    return MOVED;
                }
                int available = lane.records.size();
                long left = deadlineNanos - System.nanoTime();
                if (available >= min || available > 0 && (left <= 0 || lane.ended)) {
                    return batch(lane, max);
                }
                if (lane.ended) {
                    return new ShardBuffer.Batch(List.of(), lane.epoch, true, lane);
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

    /** The batch {@link #take} would return at once, or null. Called under the buffer's lock. */
    ShardBuffer.Batch poll(ShardBuffer.Position p, int max, int min) {
        lock.lock();
        try {
            Lane lane = lanes.get(p);
            return lane == null || lane.records.size() < Math.max(1, min) ? null : batch(lane, max);
        } finally {
            lock.unlock();
        }
    }

    private ShardBuffer.Batch batch(Lane lane, int max) {
        int n = Math.min(max, lane.records.size());
        List<Record> out = new ArrayList<>(n);
        Iterator<Record> it = lane.records.iterator();
        for (int i = 0; i < n; i++) {
            out.add(it.next());
        }
        return new ShardBuffer.Batch(List.copyOf(out), lane.epoch, false, lane);
    }

    /** The cursor delivered (or skipped) {@code count} records of a batch taken from {@code lane} in {@code epoch}. */
    void advance(Lane lane, long epoch, int count) {
        lock.lock();
        try {
            if (lane.epoch == epoch) {
                for (int i = 0; i < count && !lane.records.isEmpty(); i++) {
                    lane.records.removeFirst();
                }
                wake.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    boolean takeGap(ShardBuffer.Position p) {
        lock.lock();
        try {
            Lane lane = lanes.get(p);
            if (lane == null) {
                return false;
            }
            boolean gap = lane.gapPending;
            lane.gapPending = false;
            return gap;
        } finally {
            lock.unlock();
        }
    }

    boolean gapPending(ShardBuffer.Position p) {
        lock.lock();
        try {
            Lane lane = lanes.get(p);
            return lane != null && lane.gapPending;
        } finally {
            lock.unlock();
        }
    }

    /** Cursors served here now (for tests and status). */
    int lanes() {
        lock.lock();
        try {
            return lanes.size();
        } finally {
            lock.unlock();
        }
    }

    /** Records held in all lanes now (for tests: the memory bound). */
    int held() {
        lock.lock();
        try {
            return lanes.values().stream().mapToInt(l -> l.records.size()).sum();
        } finally {
            lock.unlock();
        }
    }

    // ---- the catch-up thread

    private void run() {
        Thread.currentThread().setName("catch-up-" + shardId);
        try {
            while (true) {
                Lane lane = nextLane();
                if (lane == null) {
                    return;
                }
                try {
                    if (buffer.rejoin(lane.position)) {
                        LOG.infof("Subscription %s caught up on shard %s of table %s; back on the shared reader",
                                lane.position.owner(), shardId, tableName);
                        continue;
                    }
                    // one GetRecords at a time, without the lock: cursors keep taking from their lanes meanwhile
                    apply(lane, lane.fetcher.fetch());
                } catch (RuntimeException e) {
                    LOG.errorf(e, "Shard %s of table %s: unexpected error in the catch-up reader for %s; retrying",
                            shardId, tableName, lane.position.owner());
                    lock.lock();
                    try {
                        backOff(lane, System.nanoTime());
                    } finally {
                        lock.unlock();
                    }
                }
            }
        } catch (InterruptedException e) {
            lock.lock();
            try {
                running = false;
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * The next lane to read for, in turn; waits while none is due. Null (and the thread ends) once there is no lane
     * or the reader stopped: the next {@link #adopt} starts a new thread.
     */
    private Lane nextLane() throws InterruptedException {
        lock.lock();
        try {
            while (true) {
                if (stopped || lanes.isEmpty()) {
                    running = false;
                    return null;
                }
                long now = System.nanoTime();
                Long wait = null;
                for (int i = 0; i < turn.size(); i++) {
                    Lane lane = turn.pollFirst();
                    turn.addLast(lane);
                    if (lane.due(now)) {
                        return lane;
                    }
                    if (!lane.ended && lane.records.size() < lane.position.batchSize()) {
                        long until = lane.notBefore - now;
                        wait = wait == null ? until : Math.min(wait, until);
                    }
                }
                if (wait == null) {
                    wake.await();
                } else {
                    wake.awaitNanos(wait);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void apply(Lane lane, ShardFetcher.Fetch fetch) {
        lock.lock();
        try {
            if (lanes.get(lane.position) != lane) {
                return; // dropped or rejoined during the call
            }
            long now = System.nanoTime();
            switch (fetch) {
                case ShardFetcher.Fetch.Page page -> {
                    lane.backoff = settings.initialBackoff();
                    lane.records.addAll(page.records());
                    lane.ended = page.endOfShard();
                    if (page.records().isEmpty() && !page.endOfShard()) {
                        lane.notBefore = now + settings.idleInterval().toNanos();
                    }
                    changed.signalAll();
                }
                case ShardFetcher.Fetch.Expired expired -> {
                    if (expired.positionLost()) {
                        lane.fetcher.restartAfter(null);
                    }
                }
                case ShardFetcher.Fetch.Trimmed trimmed -> {
                    LOG.warnf("Shard %s of table %s: records subscription %s still needed were trimmed (older than "
                            + "24 h) before it read them; continuing at TRIM_HORIZON", shardId, tableName,
                            lane.position.owner());
                    lane.records.clear();
                    lane.epoch++;
                    lane.gapPending = true;
                    lane.fetcher.restartAfter(null);
                    changed.signalAll();
                }
                case ShardFetcher.Fetch.Transient failure -> {
                    if (StreamErrors.isThrottling(failure.error())) {
                        metrics.throttled(tableName, "GetRecords");
                    }
                    LOG.warnf("Transient error reading shard %s of table %s for subscription %s (catch-up), retrying "
                            + "in %s: %s", shardId, tableName, lane.position.owner(), lane.backoff,
                            StreamErrors.describe(failure.error()));
                    backOff(lane, now);
                }
                case ShardFetcher.Fetch.Failed failed -> {
                    // the shared reader meets the same error and reports it for the table
                    LOG.debugf("Shard %s of table %s: catch-up read for %s failed (%s); retrying in %s", shardId,
                            tableName, lane.position.owner(), failed.message(), lane.backoff);
                    backOff(lane, now);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void backOff(Lane lane, long now) {
        lane.notBefore = now + lane.backoff.toNanos();
        lane.backoff = ShardReader.nextBackoff(lane.backoff, settings);
    }
}
