package io.dynamostream.reading;

import java.time.Duration;

/**
 * How long a shard's reader waits after an empty GetRecords page: adaptive polling, in three steps.
 * <ol>
 * <li>Active: for {@link #ACTIVE_FOR} after a page with records the wait is {@code activeInterval} (100 ms by
 * default: a shard that is being written to has its next record read within 100 ms, half the idle wait).</li>
 * <li>Idle: then, while the shard had a record (or its reader started) within {@code slowDownAfter}, the wait is
 * {@code idleInterval} (200 ms, 5 polls/s).</li>
 * <li>Quiet: after that, each empty page doubles the wait up to {@code maxInterval} (one poll every 2 s by
 * default), so a quiet shard costs a tenth of the idle rate's calls.</li>
 * </ol>
 * The first page with records brings it back to the active rate at once. {@code activeInterval = idleInterval =
 * maxInterval} gives a constant rate (the behaviour before adaptive polling).
 *
 * <p>Each interval runs from the start of one GetRecords call to the start of the next ({@link #empty(long, long)}
 * takes off the time the empty call took), so a record written to a quiet shard is read at most one interval plus
 * one call after it was written, however slow the endpoint answers.
 *
 * <p>Pure: times are {@link System#nanoTime()}-style values passed in, so the rule is unit-tested without waiting. Not
 * thread-safe: owned by one reader loop.
 */
final class PollPacing {

    /** How long after a page with records the shard is polled at the active rate. */
    static final Duration ACTIVE_FOR = Duration.ofSeconds(10);

    private final long activeNanos;
    private final long idleNanos;
    private final long maxNanos;
    private final long slowDownAfterNanos;
    private long lastRecordsNanos;
    private boolean hadRecords;
    private long currentNanos;

    /** @param startNanos when reading started: the shard counts as idle (not quiet) for {@code slowDownAfter} */
    PollPacing(Duration activeInterval, Duration idleInterval, Duration maxInterval, Duration slowDownAfter,
            long startNanos) {
        this.idleNanos = idleInterval.toNanos();
        this.activeNanos = Math.min(idleNanos, activeInterval.toNanos());
        this.maxNanos = Math.max(idleNanos, maxInterval.toNanos());
        this.slowDownAfterNanos = slowDownAfter.toNanos();
        this.lastRecordsNanos = startNanos;
        this.currentNanos = idleNanos;
    }

    /** A page with records arrived at {@code nowNanos}: the shard is active, back to the fast rate. */
    void records(long nowNanos) {
        lastRecordsNanos = nowNanos;
        hadRecords = true;
        currentNanos = idleNanos;
    }

    /**
     * An empty page, asked for at {@code calledNanos}, arrived at {@code nowNanos}: how long to wait before the next
     * GetRecords, so that it starts one interval after the call that returned the empty page (never negative).
     */
    Duration empty(long calledNanos, long nowNanos) {
        Duration interval = empty(nowNanos);
        long took = Math.max(0, nowNanos - calledNanos);
        return took >= interval.toNanos() ? Duration.ZERO : interval.minusNanos(took);
    }

    /** An empty page arrived at {@code nowNanos}: the interval before the next GetRecords (start to start). */
    Duration empty(long nowNanos) {
        long sinceRecords = nowNanos - lastRecordsNanos;
        if (hadRecords && sinceRecords < ACTIVE_FOR.toNanos()) {
            return Duration.ofNanos(activeNanos);
        }
        if (sinceRecords >= slowDownAfterNanos) {
            currentNanos = Math.min(maxNanos, currentNanos * 2);
        }
        return Duration.ofNanos(currentNanos);
    }
}
