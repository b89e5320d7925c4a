package io.dynamostream.state;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

import io.dynamostream.dev.LocalDynamoDbServer;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * How many {@link StateStore#checkpoint} calls per second the stores take from concurrent cursor threads: a command
 * that prints numbers, not a test. Each thread moves the checkpoint of its own shard forward in a loop (the shape of
 * the real load: one cursor thread per (subscription, shard)), and every call waits for durability as in production.
 *
 * <p>Run from the project directory:
 * <pre>
 * ./mvnw -q test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java \
 *     -Dexec.mainClass=io.dynamostream.state.CheckpointBenchmark -Dexec.classpathScope=test
 * </pre>
 * Knobs (system properties): {@code bench.threads} (8), {@code bench.seconds} (5 per store, after 1 s warm-up),
 * {@code bench.stores} (embedded,dynamodb,memory).
 */
public final class CheckpointBenchmark {

    private CheckpointBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int threads = Integer.getInteger("bench.threads", 8);
        int seconds = Integer.getInteger("bench.seconds", 5);
        List<String> stores = List.of(System.getProperty("bench.stores", "embedded,dynamodb,memory").split(","));
        List<String> rows = new ArrayList<>();
        for (String kind : stores) {
            switch (kind.trim()) {
                case "embedded" -> {
                    Path dir = Files.createTempDirectory("checkpoint-bench");
                    try (EmbeddedStateStore store = EmbeddedStateStore.open(dir)) {
                        long commitsBefore = store.commitCount();
                        long cpuBefore = writerCpuNanos();
                        Result r = run(store, threads, seconds);
                        long commits = store.commitCount() - commitsBefore;
                        // CPU time, unlike calls/s, does not depend on what else runs on the machine
                        rows.add(row("embedded", threads, r) + String.format(Locale.ROOT,
                                "  (%.1f calls per commit, writer thread %.0f us CPU per commit, file %d KB)",
                                (double) r.totalCalls / commits, (writerCpuNanos() - cpuBefore) / 1e3 / commits,
                                Files.size(store.file()) / 1024));
                    }
                }
                case "dynamodb" -> {
                    try (LocalDynamoDbServer server = LocalDynamoDbServer.start();
                            DynamoDbClient client = DynamoDbStateStoreTest.client(server)) {
                        StateStore store = DynamoDbStateStore.open(client, "bench-state");
                        rows.add(row("dynamodb (local server)", threads, run(store, threads, seconds)));
                    }
                }
                case "memory" -> rows.add(row("memory", threads, run(new MemoryStateStore(), threads, seconds)));
                default -> throw new IllegalArgumentException("unknown store " + kind);
            }
        }
        System.out.println();
        System.out.println("checkpoint() calls/s, " + threads + " threads, " + Runtime.getRuntime()
                .availableProcessors() + " CPUs, load average " + ManagementFactory.getOperatingSystemMXBean()
                .getSystemLoadAverage());
        rows.forEach(System.out::println);
    }

    /** CPU time of the embedded store's writer thread so far. */
    private static long writerCpuNanos() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("state-store-writer"))
                .mapToLong(t -> threads.getThreadCpuTime(t.threadId())).sum();
    }

    private static String row(String name, int threads, Result r) {
        return String.format(Locale.ROOT, "%-24s %,10.0f calls/s  mean %6.2f ms/call", name, r.perSecond(),
                threads * r.seconds * 1000 / r.totalCalls);
    }

    private record Result(long totalCalls, double seconds) {
        double perSecond() {
            return totalCalls / seconds;
        }
    }

    private static Result run(StateStore store, int threads, int seconds) throws Exception {
        LongAdder calls = new LongAdder();
        AtomicBoolean counting = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(threads);
        BigInteger base = BigInteger.TEN.pow(20);
        for (int t = 0; t < threads; t++) {
            String shard = "shardId-" + t;
            Thread.ofPlatform().name("bench-" + t).start(() -> {
                try {
                    long n = 0;
                    while (!stop.get()) {
                        n++;
                        store.checkpoint("sub", shard, base.add(BigInteger.valueOf(n)).toString());
                        if (counting.get()) {
                            calls.increment();
                        }
                    }
                } finally {
                    done.countDown();
                }
            });
        }
        Thread.sleep(1000);
        counting.set(true);
        long start = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        counting.set(false);
        double elapsed = (System.nanoTime() - start) / 1e9;
        long total = calls.sum();
        stop.set(true);
        done.await();
        return new Result(total, elapsed);
    }
}
