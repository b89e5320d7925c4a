package io.dynamostream.reading;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * When each table's stream is described again, periodically: a table is due once its last description started at
 * least {@code interval} ago, and at most {@code ratePerSecond} tables are described per second (a token bucket with
 * one second of burst), the longest-waiting first. So a few tables are each described every interval, while a
 * thousand tables are spread evenly over a longer round instead of being described back to back, which AWS's
 * DescribeStream limit (about 10 calls per second per account) would throttle.
 *
 * <p>Pure: time comes in as arguments. Thread-safe (one tick at a time in practice).
 */
final class DescribeSchedule {

    private final Duration interval;
    private final double ratePerSecond;
    private final double burst;
    private double tokens;
    private Instant refilled;

    /**
     * @param interval the shortest time between two descriptions of one table
     * @param ratePerSecond descriptions per second at most, above 0
     * @param now the start: the budget starts full
     */
    DescribeSchedule(Duration interval, double ratePerSecond, Instant now) {
        if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
            throw new IllegalArgumentException(
                    "dynamo-stream.reader.describe-rate must be a number above 0 (descriptions per second), not "
                            + ratePerSecond);
        }
        this.interval = interval;
        this.ratePerSecond = ratePerSecond;
        this.burst = Math.max(1, ratePerSecond);
        this.tokens = burst;
        this.refilled = now;
    }

    /**
     * The tables to describe now, in order, and takes their share of the budget.
     *
     * @param lastDescribed per table, when its last description started (null: never)
     */
    synchronized List<String> due(Map<String, Instant> lastDescribed, Instant now) {
        if (now.isAfter(refilled)) {
            double seconds = Duration.between(refilled, now).toNanos() / 1e9;
            tokens = Math.min(burst, tokens + seconds * ratePerSecond);
            refilled = now;
        }
        List<Map.Entry<String, Instant>> candidates = new ArrayList<>();
        for (Map.Entry<String, Instant> e : lastDescribed.entrySet()) {
            Instant last = e.getValue();
            if (last == null || !last.plus(interval).isAfter(now)) {
                candidates.add(e);
            }
        }
        candidates.sort(Comparator.comparing(Map.Entry<String, Instant>::getValue,
                Comparator.nullsFirst(Comparator.naturalOrder())).thenComparing(Map.Entry::getKey));
        int n = (int) Math.min(candidates.size(), Math.floor(tokens));
        tokens -= n;
        List<String> due = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            due.add(candidates.get(i).getKey());
        }
        return due;
    }

    /** How long one round over {@code tables} tables takes at least: the interval, or longer when the rate binds. */
    Duration round(int tables) {
        Duration byRate = Duration.ofNanos((long) (tables / ratePerSecond * 1e9));
        return byRate.compareTo(interval) > 0 ? byRate : interval;
    }
}
