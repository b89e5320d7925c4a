package io.dynamostream.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.dynamostream.state.CheckpointStore.Checkpoint;

/**
 * The embedded store against {@code kill -9}: a child JVM ({@link StateStoreCrashChild}) writes in a tight loop from
 * several threads and prints every value a call returned for; it is killed at a random moment, again and again, and
 * after each kill the store must open, hold every value the child saw returned, and no checkpoint may have gone
 * backwards.
 */
class EmbeddedStateStoreCrashTest {

    /** Kills per run; raise it for a soak: -Dstate.crash.kills=100. */
    private static final int KILLS = Integer.getInteger("state.crash.kills", 12);

    @TempDir
    Path dir;

    @Test
    void givenWriterKilledAtRandomMoments_whenReopened_thenEveryReturnedWriteIsThereAndNothingWentBack()
            throws Exception {
        Map<String, BigInteger> lastCheckpoints = new HashMap<>();
        Set<String> deadLetters = new HashSet<>();
        Set<String> deletedDeadLetters = new HashSet<>();
        Set<String> subscriptions = new HashSet<>();
        List<String> figures = new ArrayList<>();
        for (int round = 1; round <= KILLS; round++) {
            Path stdout = dir.resolve("child-" + round + ".out");
            Process child = ChildJvm.start(stdout, StateStoreCrashChild.class, "write", dir.resolve("data")
                    .toString());
            try {
                ChildJvm.awaitReady(child, stdout);
                // the random moment: somewhere between the writers starting and running at full speed
                assertFalse(child.waitFor(ThreadLocalRandom.current().nextLong(200, 1200), TimeUnit.MILLISECONDS),
                        "child exited by itself");
                child.destroyForcibly();
                assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            } finally {
                child.destroyForcibly();
            }
            List<String> lines = Files.readAllLines(stdout, StandardCharsets.UTF_8);

            Map<String, BigInteger> acknowledged = new HashMap<>();
            Set<String> deleting = new HashSet<>();
            int writes = 0;
            for (String line : lines) {
                String[] f = line.split(" ");
                if (f.length < 2 || !f[f.length - 1].equals(".")) {
                    // READY, or a line cut by the kill: never reported as returned
                    continue;
                }
                writes++;
                switch (f[0]) {
                    case "C" -> acknowledged.merge(f[1], new BigInteger(f[2]), BigInteger::max);
                    case "D" -> deadLetters.add(f[1]);
                    case "x" -> deleting.add(f[1]);
                    case "X" -> {
                        deleting.remove(f[1]);
                        deadLetters.remove(f[1]);
                        deletedDeadLetters.add(f[1]);
                    }
                    case "S" -> subscriptions.add(f[1]);
                    default -> throw new AssertionError("unexpected line " + line);
                }
            }

            long opened = System.nanoTime();
            try (EmbeddedStateStore store = EmbeddedStateStore.open(dir.resolve("data"))) {
                double openMs = (System.nanoTime() - opened) / 1e6;
                Map<String, Checkpoint> stored = store.checkpoints(StateStoreCrashChild.SUBSCRIPTION);
                for (var e : acknowledged.entrySet()) {
                    Checkpoint c = stored.get(e.getKey());
                    assertNotNull(c, "round " + round + ": checkpoint of " + e.getKey() + " lost");
                    assertTrue(new BigInteger(c.sequenceNumber()).compareTo(e.getValue()) >= 0, "round " + round
                            + ": " + e.getKey() + " at " + c.sequenceNumber() + ", child saw " + e.getValue()
                            + " returned");
                }
                for (var e : stored.entrySet()) {
                    BigInteger now = new BigInteger(e.getValue().sequenceNumber());
                    BigInteger before = lastCheckpoints.put(e.getKey(), now);
                    assertTrue(before == null || now.compareTo(before) >= 0,
                            "round " + round + ": " + e.getKey() + " went back from " + before + " to " + now);
                }
                Set<String> storedDeadLetters = store.deadLetters(StateStoreCrashChild.SUBSCRIPTION).keySet();
                for (String id : deadLetters) {
                    assertTrue(storedDeadLetters.contains(id) || deleting.contains(id),
                            "round " + round + ": dead letter " + id + " lost");
                }
                for (String id : deletedDeadLetters) {
                    assertFalse(storedDeadLetters.contains(id), "round " + round + ": deleted " + id + " is back");
                }
                // a delete that was cut by the kill may or may not have happened; settle it for the next rounds
                deleting.forEach(id -> {
                    if (!storedDeadLetters.contains(id)) {
                        deadLetters.remove(id);
                        deletedDeadLetters.add(id);
                    }
                });
                assertTrue(store.subscriptions().keySet().containsAll(subscriptions),
                        "round " + round + ": subscription lost");
                figures.add(String.format("round %2d: %6d writes returned before the kill, reopened in %5.1f ms",
                        round, writes, openMs));
            }
        }
        figures.forEach(System.out::println);
        assertEquals(StateStoreCrashChild.THREADS, lastCheckpoints.size(), "every writer thread checkpointed");
    }
}
