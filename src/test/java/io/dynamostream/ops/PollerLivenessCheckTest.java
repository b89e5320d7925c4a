package io.dynamostream.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.eclipse.microprofile.health.HealthCheckResponse.Status;
import org.junit.jupiter.api.Test;

class PollerLivenessCheckTest {

    private static final Instant START = Instant.parse("2026-03-30T12:00:00Z");
    private static final Duration STALE_AFTER = Duration.ofSeconds(30);

    @Test
    void givenNoTickYet_whenJustStarted_thenUp() {
        var r = PollerLivenessCheck.evaluate(START.plusSeconds(5), START, Optional.empty(), STALE_AFTER);
        assertEquals(Status.UP, r.getStatus());
        assertEquals("none yet", r.getData().orElseThrow().get("last_tick"));
    }

    @Test
    void givenNoTickEver_whenStartedLongerAgoThanTheLimit_thenDown() {
        var r = PollerLivenessCheck.evaluate(START.plusSeconds(31), START, Optional.empty(), STALE_AFTER);
        assertEquals(Status.DOWN, r.getStatus());
    }

    @Test
    void givenRecentTick_thenUpWithItsTime() {
        Instant tick = START.plusSeconds(100);
        var r = PollerLivenessCheck.evaluate(tick.plusSeconds(30), START, Optional.of(tick), STALE_AFTER);
        assertEquals(Status.UP, r.getStatus());
        assertEquals(tick.toString(), r.getData().orElseThrow().get("last_tick"));
        assertEquals(30L, r.getData().orElseThrow().get("seconds_since_last_tick"));
    }

    @Test
    void givenTickOlderThanTheLimit_thenDown() {
        Instant tick = START.plusSeconds(100);
        var r = PollerLivenessCheck.evaluate(tick.plusSeconds(31), START, Optional.of(tick), STALE_AFTER);
        assertEquals(Status.DOWN, r.getStatus());
        assertEquals(30L, r.getData().orElseThrow().get("stale_after_seconds"));
    }

    @Test
    void givenNoSetting_thenLimitIsThreeDiscoveryIntervalsButAtLeast30Seconds() {
        assertEquals(Duration.ofSeconds(30), PollerLivenessCheck.staleAfter(Optional.empty(), Duration.ofSeconds(5)));
        assertEquals(Duration.ofSeconds(60), PollerLivenessCheck.staleAfter(Optional.empty(), Duration.ofSeconds(20)));
        assertEquals(Duration.ofSeconds(7),
                PollerLivenessCheck.staleAfter(Optional.of(Duration.ofSeconds(7)), Duration.ofSeconds(5)));
    }
}
