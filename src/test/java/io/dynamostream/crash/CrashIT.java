package io.dynamostream.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.dynamostream.e2e.ServiceProcess;

/**
 * Issue 3's proof against the packaged jar: the service is SIGKILLed at random moments while a writer fills a
 * resharding stream, and restarted on the same state directory each time; at the end every written record must have
 * arrived (I1), in order per shard (I2), with only in-flight batches repeated byte for byte, at most one per shard
 * and kill (I3), and no child shard before its parent's last record (I4).
 *
 * <p>Default: 20 kills (about 2 to 3 minutes). Long variant:
 * {@code ./mvnw verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=CrashIT -Dcrash.kills=60}.
 * {@code -Dcrash.seed=N} replays the kill schedule of a printed seed; {@code -Dcrash.max-uptime-ms} (default 4000)
 * bounds the random uptime before each kill; {@code -Dcrash.kills=0} is a baseline run without crashes. See {@link CrashScenario} for the other knobs and the logs it leaves.
 */
class CrashIT {

    @TempDir
    Path stateDir;

    @Test
    void givenRandomSigkillsWhileWritingAndResharding_whenRestartedEachTime_thenNoLossOrderKeptAndOnlyInFlightBatchesRepeated()
            throws Exception {
        int kills = Integer.getInteger("crash.kills", 20);
        long seed = Long.getLong("crash.seed", System.nanoTime());
        long maxUptime = Long.getLong("crash.max-uptime-ms", 4000);
        Random random = new Random(seed);
        long started = System.nanoTime();
        System.out.printf("CrashIT: %d kills, seed %d%n", kills, seed);

        try (CrashScenario scenario = new CrashScenario("CrashIT", stateDir)) {
            scenario.startService();
            scenario.startTraffic();
            for (int k = 1; k <= kills; k++) {
                Thread.sleep(500 + random.nextLong(Math.max(1, maxUptime - 500)));
                assertEquals(ServiceProcess.SIGKILLED, scenario.killService(),
                        "kill " + k + ": destroyForcibly() must end the service with SIGKILL");
                if (k == kills) {
                    scenario.stopTraffic();
                }
                scenario.startService();
            }
            if (kills == 0) {
                // baseline without crashes: the same traffic for one uptime
                Thread.sleep(maxUptime);
                scenario.stopTraffic();
            }
            boolean complete = scenario.awaitAllDelivered();
            scenario.stopService();
            DeliveryValidator.Report report = scenario.validate(kills);
            double seconds = (System.nanoTime() - started) / 1e9;
            System.out.printf("CrashIT: %s %s time=%.0fs seed=%d (logs in %s)%n", report.figures(),
                    scenario.trafficFigures(), seconds, seed, scenario.outDir());
            assertTrue(report.passed() && complete, "seed " + seed + ": " + report);
        }
    }
}
