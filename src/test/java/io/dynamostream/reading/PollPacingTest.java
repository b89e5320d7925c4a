package io.dynamostream.reading;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Adaptive polling: how long a reader waits after an empty page, as the shard goes quiet and wakes up again. */
class PollPacingTest {

    private static final long SECOND = 1_000_000_000L;

    private static PollPacing defaults() {
        return new PollPacing(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofSeconds(30), 0);
    }

    @Test
    void givenARecentRecord_whenPagesAreEmpty_thenActiveRateForTenSecondsThenTheIdleInterval() {
        PollPacing pacing = defaults();
        pacing.records(10 * SECOND);
        for (long t = 10; t < 20; t++) {
            assertEquals(Duration.ofMillis(100), pacing.empty(t * SECOND), "at " + t + " s");
        }
        for (long t = 20; t < 40; t++) {
            assertEquals(Duration.ofMillis(200), pacing.empty(t * SECOND), "at " + t + " s");
        }
        assertEquals(Duration.ofMillis(400), pacing.empty(40 * SECOND));
    }

    @Test
    void givenANewReaderThatHasReadNothing_thenItNeverPollsAtTheActiveRate() {
        PollPacing pacing = defaults();
        assertEquals(Duration.ofMillis(200), pacing.empty(0));
        assertEquals(Duration.ofMillis(200), pacing.empty(SECOND));
    }

    @Test
    void givenNoRecordForLongerThanSlowDownAfter_whenPagesStayEmpty_thenTheWaitDoublesStepByStepToTheFloor() {
        PollPacing pacing = defaults();
        List<Duration> waits = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            waits.add(pacing.empty(30 * SECOND + i));
        }
        assertEquals(List.of(Duration.ofMillis(400), Duration.ofMillis(800), Duration.ofSeconds(1),
                Duration.ofSeconds(1), Duration.ofSeconds(1)), waits);
    }

    @Test
    void givenASlowedDownShard_whenARecordArrives_thenTheNextEmptyPageWaitsOnlyTheIdleIntervalAgain() {
        PollPacing pacing = defaults();
        for (int i = 0; i < 5; i++) {
            pacing.empty(100 * SECOND);
        }
        pacing.records(101 * SECOND);
        assertEquals(Duration.ofMillis(100), pacing.empty(101 * SECOND));
        assertEquals(Duration.ofMillis(200), pacing.empty(111 * SECOND), "no record for 10 s: the idle interval");
        assertEquals(Duration.ofMillis(200), pacing.empty(130 * SECOND), "still within 30 s of the record");
        assertEquals(Duration.ofMillis(400), pacing.empty(131 * SECOND));
    }

    @Test
    void givenAMaxIntervalNotAboveTheIdleInterval_thenTheRateIsConstant() {
        PollPacing pacing = new PollPacing(Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(200),
                Duration.ofSeconds(30), 0);
        pacing.records(3 * SECOND);
        for (long t = 0; t < 1000; t += 7) {
            assertEquals(Duration.ofMillis(200), pacing.empty(t * SECOND));
        }
    }

    @Test
    void givenANewReader_thenItStartsAtTheFastRateForSlowDownAfter() {
        PollPacing pacing = new PollPacing(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofSeconds(30),
                5 * SECOND);
        assertEquals(Duration.ofMillis(200), pacing.empty(34 * SECOND));
        assertEquals(Duration.ofMillis(400), pacing.empty(35 * SECOND));
    }

    @Test
    void givenAnEmptyCall_whenItTookTime_thenTheNextStartsOneIntervalAfterItStarted() {
        PollPacing pacing = defaults();
        long called = 5 * SECOND;
        assertEquals(Duration.ofMillis(170), pacing.empty(called, called + 30_000_000L),
                "a 30 ms call: 170 ms more, so the next call starts 200 ms after this one");
        assertEquals(Duration.ZERO, pacing.empty(called, called + SECOND),
                "a call that took longer than the interval: the next one at once");
        assertEquals(Duration.ofMillis(200), pacing.empty(called, called), "an instant answer: the whole interval");
    }

    @Test
    void givenAQuietShard_whenCallsTakeTime_thenPollsStartExactlyOneFloorApart() {
        PollPacing pacing = defaults();
        long now = 60 * SECOND; // quiet for a minute: at the floor (1 s here) after a few doublings
        for (int i = 0; i < 5; i++) {
            now += pacing.empty(now, now).toNanos();
        }
        long starts = now;
        for (int i = 0; i < 10; i++) {
            long answered = now + 120_000_000L; // each call takes 120 ms
            now = answered + pacing.empty(now, answered).toNanos();
        }
        assertEquals(10 * SECOND, now - starts, "10 polls, each starting 1 s after the previous one started");
    }
}
