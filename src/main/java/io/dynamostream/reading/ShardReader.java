package io.dynamostream.reading;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;

import org.jboss.logging.Logger;

import io.dynamostream.aws.StreamErrors;
import io.dynamostream.config.DynamoStreamConfig;
import io.dynamostream.metrics.StreamMetrics;

/**
 * The one GetRecords reader of a shard (I9), shared by every subscription of the table: a loop on its own thread that
 * moves pages from the {@link ShardFetcher} (iterator lifecycle) into the {@link ShardBuffer} (read-ahead, cursor
 * positions), which the subscriptions' {@link ShardCursor}s consume.
 *
 * <p>Its states ({@link State}):
 * <pre>
 *   OPENING ──page──▶ READING ──(buffer full)──▶ WAITING_FOR_ROOM ──(room, page)──▶ READING
 *      ▲                │  │
 *      │                │  └──(closed shard, last page)──▶ ENDED ──(rewind)──▶ OPENING
 *      └─(expired iterator, trimmed, rewind: from READING, WAITING_FOR_ROOM or OPENING)─┘
 *   any ──stop()──▶ STOPPED          any ──(stream or shard gone, access refused)──▶ FAILED
 * </pre>
 * After an empty page the loop waits as {@link PollPacing} says (adaptive polling: {@code reader.idle-interval} while
 * the shard had records lately, slowing step by step to {@code reader.idle-max-interval} when it is quiet).
 * Transient errors (throttling, 5xx, network) keep the state and back off exponentially
 * ({@code dynamo-stream.reader.initial-backoff} to {@code max-backoff}); they never end the reader (I7).
 *
 * <p>Thread-safety: {@link #state} is volatile (read by tests and status); everything else is the loop's own or
 * lives in the thread-safe buffer.
 */
final class ShardReader {

    private static final Logger LOG = Logger.getLogger(ShardReader.class);

    /** Where the reader loop is; each state lists the states it may move to. */
    enum State {
        /** Opening (or re-opening) the iterator; no page read since. */
        OPENING,
        /** Reading pages. */
        READING,
        /** The buffer is full: waiting until the slowest cursor frees room. */
        WAITING_FOR_ROOM,
        /** The closed shard was read to its end; waits for a rewind or a stop. */
        ENDED,
        /** Stopped by its table (no subscription needs the shard, or the service stops). Final. */
        STOPPED,
        /** The stream or shard is gone, or the read was refused for good; reported to the table. Final. */
        FAILED;

        /** Whether the reader may move from this state to {@code next}. */
        boolean canMoveTo(State next) {
            return switch (this) {
                case OPENING -> next != ENDED;
                case READING -> next != READING;
                case WAITING_FOR_ROOM -> next == READING || next == OPENING || next == STOPPED || next == FAILED;
                case ENDED -> next == OPENING || next == STOPPED;
                case STOPPED, FAILED -> false;
            };
        }
    }

    /** Callback into the owning {@link TableStream}; called on the reader's thread. */
    interface Listener {
        /** The shard was read to its end (closed shard, no next iterator). */
        void shardEnded(ShardReader reader);

        /** The stream or shard is gone, or AWS refused the read for good. */
        void readerFailed(ShardReader reader, StreamErrors kind, String message);
    }

    private final String tableName;
    private final String shardId;
    private final ShardFetcher fetcher;
    private final ShardBuffer buffer;
    private final DynamoStreamConfig.Reader settings;
    private final Listener listener;
    private final StreamMetrics metrics;
    private final PollPacing pacing;
    private volatile State state = State.OPENING;
    /** Where a quiet shard's poll interval is waited out with no thread ({@link #parkWith}); null: on the thread. */
    private ScheduledExecutorService quietTimer;
    private Runnable relaunch;

    ShardReader(String tableName, String shardId, ShardFetcher fetcher, ShardBuffer buffer,
            DynamoStreamConfig.Reader settings, Listener listener, StreamMetrics metrics) {
        this.tableName = tableName;
        this.shardId = shardId;
        this.fetcher = fetcher;
        this.buffer = buffer;
        this.settings = settings;
        this.listener = listener;
        this.metrics = metrics;
        this.pacing = new PollPacing(settings.activeInterval(), settings.idleInterval(), settings.idleMaxInterval(),
                settings.slowDownAfter(), System.nanoTime());
    }

    String shardId() {
        return shardId;
    }

    ShardBuffer buffer() {
        return buffer;
    }

    State state() {
        return state;
    }

    /**
     * Waits out a quiet shard's poll interval with no thread: the loop ends its thread after an empty page, and
     * {@code relaunch} runs {@link #run} again on a new one when the interval has passed, or sooner on a stop or a
     * rewind ({@link ShardBuffer#parkReader}). Set before the first {@link #run}.
     */
    void parkWith(ScheduledExecutorService timer, Runnable relaunch) {
        this.quietTimer = timer;
        this.relaunch = relaunch;
    }

    /** The reader could not be run again (the service is stopping): it is stopped. */
    void notRun() {
        if (state != State.FAILED) {
            state = State.STOPPED;
        }
    }

    /** Stops reading; cursors waiting on the buffer return. */
    void stop() {
        buffer.stop();
    }

    private void moveTo(State next) {
        State current = state;
        if (current == next && next != State.OPENING) {
            return;
        }
        if (!current.canMoveTo(next)) {
            throw new IllegalStateException("reader of " + shardId + ": " + current + " -> " + next);
        }
        state = next;
    }

    /**
     * The reader loop; runs on the thread the table's executor gives it, until stopped or failed, or until it parks
     * for a quiet shard's poll interval ({@link #parkWith}), after which it runs again on a new thread.
     */
    void run() {
        Duration backoff = settings.initialBackoff();
        boolean parked = false;
        try {
            while (true) {
                // a rewind first: it empties the buffer (and is how an ENDED reader starts again)
                applyRewind();
                if (buffer.isFull()) {
                    moveTo(State.WAITING_FOR_ROOM);
                }
                if (!buffer.awaitRoom()) {
                    return;
                }
                applyRewind(); // requested while waiting for room
                long calledNanos = System.nanoTime();
                switch (fetcher.fetch()) {
                    case ShardFetcher.Fetch.Page page -> {
                        backoff = settings.initialBackoff();
                        if (!buffer.append(page.records(), page.endOfShard())) {
                            continue; // a rewind was requested while the call was in flight: its page is dropped
                        }
                        moveTo(State.READING);
                        if (page.endOfShard()) {
                            LOG.debugf("Shard %s of table %s read to its end", shardId, tableName);
                            moveTo(State.ENDED);
                            listener.shardEnded(this);
                            if (!buffer.awaitRewindAfterEnd()) {
                                return;
                            }
                        } else if (page.records().isEmpty()) {
                            Duration wait = pacing.empty(calledNanos, System.nanoTime()); // adaptive polling
                            if (quietTimer != null && buffer.parkReader(wait, quietTimer, relaunch)) {
                                parked = true; // from here on another thread may run the loop: touch nothing
                                return;
                            }
                            buffer.pause(wait);
                        } else {
                            pacing.records(System.nanoTime());
                        }
                    }
                    case ShardFetcher.Fetch.Expired expired -> {
                        if (expired.positionLost()) {
                            // a LATEST position cannot be re-opened: LATEST now would skip what was written
                            // meanwhile. Re-read the shard; cursors skip records older than their subscription.
                            LOG.infof("LATEST iterator of %s expired before any record was read; re-reading it "
                                    + "from TRIM_HORIZON", shardId);
                            buffer.restartAtTrimHorizon(Set.of());
                            fetcher.restartAfter(null);
                        } else {
                            LOG.infof("Shard iterator of %s expired; re-opening after %s", shardId,
                                    fetcher.lastRead());
                        }
                        moveTo(State.OPENING);
                    }
                    case ShardFetcher.Fetch.Trimmed trimmed -> {
                        // each cursor reports its own gap (log, metric, notification) when it sees the new epoch
                        LOG.warnf("Shard %s of table %s: records after sequence number %s were trimmed (older than "
                                + "24 h) before they were read; continuing at TRIM_HORIZON", shardId, tableName,
                                fetcher.lastRead());
                        buffer.restartAtTrimHorizon(buffer.lostOnTrim(fetcher::retainedAfter));
                        fetcher.restartAfter(null);
                        moveTo(State.OPENING);
                    }
                    case ShardFetcher.Fetch.Transient failure -> {
                        if (buffer.isStopped()) {
                            return;
                        }
                        if (StreamErrors.isThrottling(failure.error())) {
                            metrics.throttled(tableName, "GetRecords");
                        }
                        LOG.warnf("Transient error reading shard %s of table %s, retrying in %s: %s", shardId,
                                tableName, backoff, StreamErrors.describe(failure.error()));
                        buffer.pause(backoff);
                        backoff = nextBackoff(backoff, settings);
                    }
                    case ShardFetcher.Fetch.Failed failed -> {
                        if (buffer.isStopped()) {
                            return;
                        }
                        moveTo(State.FAILED);
                        listener.readerFailed(this, failed.kind(), failed.message());
                        return;
                    }
                }
            }
        } catch (InterruptedException e) {
            // stopped
        } catch (RuntimeException e) {
            if (!buffer.isStopped()) {
                LOG.errorf(e, "Shard %s of table %s: unexpected error in the reader", shardId, tableName);
                state = State.FAILED;
                listener.readerFailed(this, StreamErrors.FATAL, "internal error: " + e);
            }
        } finally {
            if (!parked && state != State.FAILED) {
                state = State.STOPPED;
            }
        }
    }

    /** Applies a rewind that a joining cursor requested: a new epoch, the iterator re-opened where it needs. */
    private void applyRewind() {
        ShardBuffer.Rewind rewind = buffer.takeRewind();
        if (rewind != null) {
            LOG.infof("Shard %s of table %s: re-reading from %s for a subscription that needs older records", shardId,
                    tableName, rewind.after() == null ? "TRIM_HORIZON" : "after " + rewind.after());
            fetcher.restartAfter(rewind.after());
            moveTo(State.OPENING);
        }
    }

    /** The wait after one more transient error: doubled, up to {@code reader.max-backoff} (the catch-up reader too). */
    static Duration nextBackoff(Duration backoff, DynamoStreamConfig.Reader settings) {
        Duration doubled = backoff.multipliedBy(2);
        return doubled.compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : doubled;
    }
}
