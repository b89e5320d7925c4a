package io.dynamostream.reading;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The periodic description schedule: each table at most every interval, at most the rate per second overall. */
class DescribeScheduleTest {

    private static final Instant T0 = Instant.parse("2026-12-01T12:00:00Z");

    private static Map<String, Instant> tables(int n, Instant described) {
        Map<String, Instant> m = new HashMap<>();
        for (int i = 0; i < n; i++) {
            m.put(String.format("t%04d", i), described);
        }
        return m;
    }

    @Test
    void givenFewTables_whenTicking_thenEachIsDescribedOncePerInterval() {
        DescribeSchedule schedule = new DescribeSchedule(Duration.ofSeconds(5), 5, T0);
        Map<String, Instant> last = tables(3, T0);

        assertEquals(List.of(), schedule.due(last, T0.plusSeconds(4)));
        assertEquals(List.of("t0000", "t0001", "t0002"), schedule.due(last, T0.plusSeconds(5)));
    }

    @Test
    void givenAThousandTables_whenTickingTwiceASecondForAMinute_thenAtMostTheRateIsDescribedAndEvenly() {
        DescribeSchedule schedule = new DescribeSchedule(Duration.ofSeconds(5), 5, T0);
        Map<String, Instant> last = tables(1000, T0); // all attached at the start
        int total = 0;
        int maxPerSecond = 0;
        int thisSecond = 0;
        for (int tick = 1; tick <= 120; tick++) {
            Instant now = T0.plusMillis(tick * 500L);
            List<String> due = schedule.due(last, now);
            due.forEach(t -> last.put(t, now));
            total += due.size();
            thisSecond += due.size();
            if (tick % 2 == 0) {
                maxPerSecond = Math.max(maxPerSecond, thisSecond);
                thisSecond = 0;
            }
        }
        // 5/s from second 5 (the first due time) to 60, plus the one-second burst: never a back-to-back round
        assertTrue(total >= 5 * 55 && total <= 5 * 55 + 5, "descriptions in 60 s: " + total);
        assertTrue(maxPerSecond <= 10, "most descriptions in one second: " + maxPerSecond);
        assertEquals(Duration.ofSeconds(200), schedule.round(1000));
        assertEquals(Duration.ofSeconds(5), schedule.round(3));
    }

    @Test
    void givenTablesWaitingDifferentTimes_whenTheBudgetIsShort_thenTheLongestWaitingGoFirst() {
        DescribeSchedule schedule = new DescribeSchedule(Duration.ofSeconds(1), 2, T0);
        Map<String, Instant> last = new HashMap<>();
        last.put("recent", T0.minusSeconds(2));
        last.put("old", T0.minusSeconds(60));
        last.put("never", null);
        last.put("older", T0.minusSeconds(30));

        assertEquals(List.of("never", "old"), schedule.due(last, T0));
        assertEquals(List.of("never"), schedule.due(last, T0.plusMillis(500)));
        // every table gets its turn: after the ones before it were described, the rest follow
        last.put("never", T0.plusMillis(500));
        last.put("old", T0);
        assertEquals(List.of("older", "recent"), schedule.due(last, T0.plusMillis(1500)));
    }

    @Test
    void givenANewTable_whenItWasNeverDescribed_thenItIsDueAtOnce() {
        DescribeSchedule schedule = new DescribeSchedule(Duration.ofMinutes(5), 1, T0);
        Map<String, Instant> last = new HashMap<>(Map.of("a", T0));
        last.put("b", null);

        assertEquals(List.of("b"), schedule.due(last, T0.plusSeconds(1)));
    }

    @Test
    void givenANonPositiveRate_whenCreated_thenTheErrorNamesTheSetting() {
        String zero = assertThrows(IllegalArgumentException.class,
                () -> new DescribeSchedule(Duration.ofSeconds(5), 0, T0)).getMessage();
        assertTrue(zero.contains("dynamo-stream.reader.describe-rate") && zero.contains("above 0"), zero);
        String nan = assertThrows(IllegalArgumentException.class,
                () -> new DescribeSchedule(Duration.ofSeconds(5), Double.NaN, T0)).getMessage();
        assertTrue(nan.contains("describe-rate"), nan);
    }
}
