package io.dynamostream.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * I11 against the packaged jar: the service is stopped with SIGTERM at random moments while a writer fills a
 * resharding stream, and restarted on the same state directory; each stop must end with exit status 0 within the
 * shutdown timeout, and at the end every record must have arrived exactly once, in order per shard.
 *
 * <p>{@code -Dcrash.stops=N} (default 5), {@code -Dcrash.seed=N} replays a printed schedule.
 */
class GracefulStopIT {

    @TempDir
    Path stateDir;

    @Test
    void givenSigtermsWhileWritingAndResharding_whenRestartedEachTime_thenEachStopExitsZeroAndNothingIsDuplicated()
            throws Exception {
        int stops = Integer.getInteger("crash.stops", 5);
        long seed = Long.getLong("crash.seed", System.nanoTime());
        long maxUptime = Long.getLong("crash.max-uptime-ms", 4000);
        Random random = new Random(seed);
        long started = System.nanoTime();
        System.out.printf("GracefulStopIT: %d stops, seed %d%n", stops, seed);

        try (CrashScenario scenario = new CrashScenario("GracefulStopIT", stateDir)) {
            scenario.startService();
            scenario.startTraffic();
            for (int s = 1; s <= stops; s++) {
                Thread.sleep(500 + random.nextLong(Math.max(1, maxUptime - 500)));
                OptionalInt exit = scenario.stopService();
                assertTrue(exit.isPresent(), "stop " + s + ": the service did not exit within "
                        + CrashScenario.SHUTDOWN_TIMEOUT.plusSeconds(5) + " of SIGTERM");
                assertEquals(0, exit.getAsInt(), "stop " + s + ": exit status after SIGTERM");
                if (s == stops) {
                    scenario.stopTraffic();
                }
                scenario.startService();
            }
            boolean complete = scenario.awaitAllDelivered();
            OptionalInt last = scenario.stopService();
            DeliveryValidator.Report report = scenario.validate(0);
            double seconds = (System.nanoTime() - started) / 1e9;
            System.out.printf("GracefulStopIT: %s stops=%d %s time=%.0fs seed=%d (logs in %s)%n", report.figures(),
                    stops, scenario.trafficFigures(), seconds, seed, scenario.outDir());
            assertTrue(report.passed() && complete, "seed " + seed + ": " + report);
            assertEquals(0, report.duplicates(), "duplicates after graceful stops only");
            assertEquals(OptionalInt.of(0), last, "exit status of the last stop");
        }
    }
}
