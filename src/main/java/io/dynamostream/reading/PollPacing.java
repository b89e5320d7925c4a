package io.dynamostream.reading;

import java.time.Duration;

/**
 * How long a shard's reader waits after an empty GetRecords page: adaptive polling. While the shard had a record in
 * the last {@code slowDownAfter}, the wait is {@code idleInterval} (5 polls/s by default, so a new record is read
 * within 200 ms); after that, each empty page doubles the wait up to {@code maxInterval} (1 poll/s by default), so an
 * idle shard costs a fifth of the calls; the first page with records brings it back to {@code idleInterval} at once.
 * With {@code maxInterval <= idleInterval} the rate is constant (the behaviour before adaptive polling).
 *
 * <p>Pure: times are {@link System#nanoTime()}-style values passed in, so the rule is unit-tested without waiting. Not
 * thread-safe: owned by one reader loop.
 */
final class PollPacing {

    private final long idleNanos;
    private final long maxNanos;
    private final long slowDownAfterNanos;
    private long lastRecordsNanos;
    private long currentNanos;

    /** @param startNanos when reading started: the shard counts as active for {@code slowDownAfter} from then */
    PollPacing(Duration idleInterval, Duration maxInterval, Duration slowDownAfter, long startNanos) {
        this.idleNanos = idleInterval.toNanos();
        this.maxNanos = Math.max(idleNanos, maxInterval.toNanos());
        this.slowDownAfterNanos = slowDownAfter.toNanos();
        this.lastRecordsNanos = startNanos;
        this.currentNanos = idleNanos;
    }

    /** A page with records arrived at {@code nowNanos}: the shard is active, back to the fast rate. */
    void records(long nowNanos) {
        lastRecordsNanos = nowNanos;
        currentNanos = idleNanos;
    }

    /** An empty page arrived at {@code nowNanos}: how long to wait before the next GetRecords. */
    Duration empty(long nowNanos) {
        if (nowNanos - lastRecordsNanos >= slowDownAfterNanos) {
            currentNanos = Math.min(maxNanos, currentNanos * 2);
        }
        return Duration.ofNanos(currentNanos);
    }
}
