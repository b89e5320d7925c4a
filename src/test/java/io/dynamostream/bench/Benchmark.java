package io.dynamostream.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;

import io.dynamostream.e2e.Dynamo;
import io.dynamostream.metrics.IdleFootprint;
import io.dynamostream.e2e.ServiceProcess;
import io.dynamostream.dev.LocalDynamoDbServer;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * The dynamo-stream benchmark: a command that prints numbers, not a test. Starts the bundled local DynamoDB + Streams
 * server and the packaged service ({@code target/quarkus-app/quarkus-run.jar}, build it first with
 * {@code ./mvnw -q package -DskipTests}) as child processes, runs
 * <ul>
 * <li>P1 latency: single PutItems paced at a random ~20/s (open loop), time from PutItem returned to the POST
 * carrying that key received;</li>
 * <li>P2 drain: 100,000 pre-generated records on 8 shards, time from registering a TRIM_HORIZON subscription to the
 * receiver having all of them, against a bare SDK loop doing the same reads and POSTs (in its own JVM, like the
 * service); warm-up rounds, then the median of the measured rounds; peak RSS of the service;</li>
 * <li>P3 isolation (I6): 6,000 records written at once to a table with one fast subscription, alone and then next to
 * five slow ones (answers after 0.2 s, 0.5 s, 1 s, 2 s and 8 s): the fast one's time to get them all, then its P1-style
 * latency on paced writes while the slow ones are still far behind; each against the same run without slow
 * subscriptions, as a ratio.</li>
 * <li>P2 lanes ({@code parallelization_factor}, issue 11): 20,000 records on 2 shards drained by a subscription with
 * {@code batch_size} 10 to a receiver that takes 20 ms per POST, with factor 1 and with factor 10 (a warm-up, then
 * the median of the rounds, the two factors alternating first): records/s of each and their ratio. Part of P2;
 * {@code -Dbench.only=p2lanes} runs it alone.</li>
 * </ul>
 * prints a table, and stops every process it started (also on failure or Ctrl-C).
 *
 * <p>{@code -Dbench.only=destinations} runs only the P2 drain into ElasticMQ (SQS) and kinesalite (Kinesis) next to a
 * bare SDK loop ({@link DestinationDrain}, issue 12; not part of a full run).
 *
 * <p>{@code -Dbench.only=scale} runs only the scale mode ({@link Scale}, issue 13; not part of a full run: it takes
 * minutes: about 2 on 2 cores for 100 and 1,000, and with 10,000 most of the time goes to its two startups): for each
 * N of {@code bench.scale.subscriptions} (default {@code 100,1000,10000}), N idle subscriptions over {@code
 * bench.scale.tables} tables (default N/10) with {@code bench.scale.shards} open shards in all (default N/4, spread
 * evenly: 10,000 over 1,000 tables / 2,500 shards), in a new service with its own state directory ({@code
 * target/bench/scale-N/}): a first start registers them from a {@code CONFIG_PATH} file, a restart without the file
 * loads them stored. Prints, per N: time from launch to HTTP answering, to {@code /q/health/ready} UP and to every
 * subscription RUNNING with its table's shards (first start and restart); then, after {@code
 * bench.scale.settleSeconds} (10), over an idle window of {@code bench.scale.idleSeconds} (60): the service's CPU-s
 * per minute, RSS (end and max), GetRecords/s per shard (mean, min/p50/max), new TCP connections/s accepted by the
 * local server (and per GetRecords), DescribeStream/s and GetShardIterator/s, the {@code /q/health/live} answers
 * (every 2 s: from the restart's HTTP answer to the idle window, and during it), thread count and the local server's
 * CPU; then {@code /q/metrics} size and time of three calls, and the state directory's size. N above 1,000 adds
 * {@code -Ddynamo-stream.limits.max-subscriptions=N}. Every wait is bounded by {@code bench.scale.timeoutSeconds}
 * (600; a startup that does not answer in time ends that N, the next one runs); the column of 10,000 is shown next to
 * the goals for it.
 *
 * <p>Run from the project directory:
 * <pre>
 * ./mvnw -q package -DskipTests
 * ./mvnw -q test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java \
 *     -Dexec.mainClass=io.dynamostream.bench.Benchmark -Dexec.classpathScope=test
 * </pre>
 * Knobs (system properties, all optional): {@code bench.p1.writes} (1000), {@code bench.p1.warmup} (100),
 * {@code bench.p1.rate} (writes/s, 20; 0 = closed loop: next write after the previous POST arrived),
 * {@code bench.p2.records} (100000), {@code bench.p2.shards} (8), {@code bench.p2.warmups} (3),
 * {@code bench.p2.rounds} (5),
 * {@code bench.service.jvmArgs} (extra JVM args for the service, space-separated, e.g.
 * {@code -Ddynamo-stream.reader.idle-interval=50ms}), {@code bench.bare.jvmArgs} (the same for the bare loop),
 * {@code bench.p3.records} (6000), {@code bench.p3.writes} (200), {@code bench.p2.lanes.records} (20000),
 * {@code bench.p2.lanes.shards} (2), {@code bench.p2.lanes.batchSize} (10), {@code bench.p2.lanes.delayMs} (20),
 * {@code bench.p2.lanes.rounds} (3), {@code bench.only} (p1, p2, p2lanes, p3 or scale).
 */
public final class Benchmark {

    private static final double P50_TARGET_MS = 150;
    private static final double P99_TARGET_MS = 400;
    private static final double DRAIN_TARGET = 20_000;
    private static final double RATIO_TARGET = 0.80;

    private final List<AutoCloseable> resources = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final List<String[]> rows = new ArrayList<>();

    private Dynamo dynamo;
    private URI localEndpoint;
    private Path out;
    private long duplicates;
    private BenchReceiver receiver;
    private ServiceProcess service;

    public static void main(String[] args) throws Exception {
        new Benchmark().run();
    }

    private void run() throws Exception {
        Thread hook = new Thread(this::closeAll, "bench-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            Path project = Path.of(System.getProperty("user.dir")).toAbsolutePath();
            Path jar = project.resolve("target/quarkus-app/quarkus-run.jar");
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException(jar + " not found: run ./mvnw -q package -DskipTests first");
            }
            if (System.getProperty(LocalDynamoDbServer.DIR_PROPERTY) == null) {
                System.setProperty(LocalDynamoDbServer.DIR_PROPERTY, project.resolve("src/localdb").toString());
            }
            out = Files.createDirectories(project.resolve("target/bench"));
            Path log = out.resolve("service.log");
            List<String> jvmArgs = splitArgs(System.getProperty("bench.service.jvmArgs", ""));

            printMachine(jvmArgs);

            LocalDynamoDbServer local = LocalDynamoDbServer.start();
            resources.add(local);
            localEndpoint = local.endpoint();
            dynamo = new Dynamo(localEndpoint);
            resources.add(dynamo.db);
            resources.add(dynamo.streams);
            receiver = new BenchReceiver();
            resources.add(receiver);
            String only = System.getProperty("bench.only", "");
            Map<String, String> env = Map.of("DYNAMODB_ENDPOINT_URL", localEndpoint.toString(), "AWS_REGION",
                    "us-east-1", "AWS_ACCESS_KEY_ID", "x", "AWS_SECRET_ACCESS_KEY", "x");
            if (only.equals("scale")) {
                // minutes, not seconds: only when asked for, with services of its own
                Scale scale = new Scale(dynamo, receiver, jar, out, jvmArgs, env, resources::add);
                try {
                    scale.run();
                } finally {
                    scale.printTable();
                }
                return;
            }
            if (only.equals("destinations")) {
                // issue 12: the drain into ElasticMQ and kinesalite, next to a bare SDK loop; servers of its own
                DestinationDrain drain = new DestinationDrain(dynamo, jar, out, jvmArgs, env, resources::add);
                try {
                    drain.run();
                } finally {
                    drain.printTable();
                }
                return;
            }
            long startNanos = System.nanoTime();
            Files.deleteIfExists(log);
            ServiceProcess started = ServiceProcess.start(jar, jvmArgs, env, log, Duration.ofSeconds(60));
            service = started;
            resources.add(() -> started.stop(Duration.ofSeconds(10))); // SIGTERM: a profiler agent writes its file
            System.out.printf(Locale.ROOT, "service pid %d started in %.1f s (log: %s)%n%n", service.pid(),
                    (System.nanoTime() - startNanos) / 1e9, project.relativize(log));

            if (only.isEmpty() || only.equals("p1")) {
                latency();
            }
            if (only.isEmpty() || only.equals("p2")) {
                drain();
            }
            if (only.isEmpty() || only.equals("p2") || only.equals("p2lanes")) {
                drainLanes();
            }
            if (only.isEmpty() || only.equals("p3")) {
                isolation();
            }
            long failedPosts;
            try (var lines = Files.lines(log)) {
                failedPosts = lines.filter(l -> l.contains("; retrying in ")).count();
            }
            System.out.printf(Locale.ROOT, "service log: %d failed POST attempts (retried)%n%n", failedPosts);
            printTable();
        } finally {
            closeAll();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
    }

    // ---------------------------------------------------------------- P1

    private void latency() throws Exception {
        int writes = Integer.getInteger("bench.p1.writes", 1000);
        int warmup = Integer.getInteger("bench.p1.warmup", 100);
        double rate = Double.parseDouble(System.getProperty("bench.p1.rate", "20"));
        String table = dynamo.createTable("bench_latency", StreamViewType.NEW_AND_OLD_IMAGES);
        BenchReceiver.KeyArrivals arrivals = new BenchReceiver.KeyArrivals();
        URI url = receiver.register("/latency", arrivals);
        String id = service.subscribe(table, url, "LATEST");
        String mode = rate > 0
                ? String.format(Locale.ROOT, "open loop, paced at %.0f writes/s (random gaps %.0f..%.0f ms)", rate,
                        500 / rate, 1500 / rate)
                : "closed loop (next write after the previous POST arrived)";
        System.out.printf(Locale.ROOT, "P1 latency: %d warm-up + %d measured single PutItems, %s ...%n", warmup,
                writes, mode);

        writeAndMeasure(table, "warm-", warmup, rate, arrivals);
        long t = System.nanoTime();
        double[] ms = writeAndMeasure(table, "k-", writes, rate, arrivals);
        double seconds = (System.nanoTime() - t) / 1e9;
        service.unsubscribe(id);

        int lost = (int) Arrays.stream(ms).filter(Double::isNaN).count();
        double[] got = Arrays.stream(ms).filter(d -> !Double.isNaN(d)).sorted().toArray();
        if (got.length == 0) {
            throw new IllegalStateException("P1: no write arrived");
        }
        System.out.printf(Locale.ROOT, "    %d writes in %.1f s, %d POSTs, %d never arrived%n%n", writes, seconds,
                arrivals.posts(), lost);
        String n = "n=" + got.length + (lost > 0 ? ", LOST " + lost : "");
        rows.add(new String[] {"P1 latency p50", ms(pct(got, 0.50)), "<= 150 ms", ok(pct(got, 0.50) <= P50_TARGET_MS), n});
        rows.add(new String[] {"P1 latency p90", ms(pct(got, 0.90)), "", "", ""});
        rows.add(new String[] {"P1 latency p99", ms(pct(got, 0.99)), "<= 400 ms", ok(pct(got, 0.99) <= P99_TARGET_MS), ""});
        rows.add(new String[] {"P1 latency max", ms(got[got.length - 1]), "", "", ""});
    }

    // ---------------------------------------------------------------- P3

    private void isolation() throws Exception {
        int records = Integer.getInteger("bench.p3.records", 6000);
        int writes = Integer.getInteger("bench.p3.writes", 200);
        long[] slowMillis = {200, 500, 1000, 2000, 8000};
        System.out.printf(Locale.ROOT, "P3 isolation: %,d records at once, then %d paced writes at 20/s; the fast "
                + "subscription alone, then next to %d slow ones (%s ms per POST) ...%n", records, writes,
                slowMillis.length, Arrays.toString(slowMillis));
        double[] alone = isolationRun("bench_iso_alone", records, writes, new long[0]);
        double[] shared = isolationRun("bench_iso_shared", records, writes, slowMillis);
        rows.add(new String[] {"P3 fast drain, alone", String.format(Locale.ROOT, "%.2f s", alone[0]), "", "", ""});
        rows.add(new String[] {"P3 fast drain, 5 slow", String.format(Locale.ROOT, "%.2f s", shared[0]), "", "",
                String.format(Locale.ROOT, "ratio %.2f", shared[0] / alone[0])});
        rows.add(new String[] {"P3 fast p50, alone / 5 slow", ms(alone[1]) + " / " + ms(shared[1]), "", "",
                String.format(Locale.ROOT, "ratio %.2f", shared[1] / alone[1])});
        rows.add(new String[] {"P3 fast p99, alone / 5 slow", ms(alone[2]) + " / " + ms(shared[2]), "", "",
                String.format(Locale.ROOT, "ratio %.2f", shared[2] / alone[2])});
    }

    /**
     * One P3 run on a new table: a fast subscription and one per entry of {@code slowMillis}, {@code records} written
     * at once, then {@code writes} paced ones. Returns {seconds until the fast one had the backlog, p50 ms, p99 ms}.
     */
    private double[] isolationRun(String table, int records, int writes, long[] slowMillis) throws Exception {
        dynamo.createTable(table, StreamViewType.NEW_AND_OLD_IMAGES);
        BenchReceiver.Counter backlog = new BenchReceiver.Counter(records);
        BenchReceiver.KeyArrivals arrivals = new BenchReceiver.KeyArrivals();
        List<String> ids = new ArrayList<>();
        ids.add(service.subscribe(table, receiver.register("/" + table + "/fast", (body, at) -> {
            backlog.accept(body, at);
            arrivals.accept(body, at);
        }), "LATEST"));
        List<BenchReceiver.Counter> slow = new ArrayList<>();
        for (long millis : slowMillis) {
            BenchReceiver.Counter c = new BenchReceiver.Counter(records + writes);
            slow.add(c);
            ids.add(service.subscribe(table, receiver.register("/" + table + "/slow-" + millis, (body, at) -> {
                c.accept(body, at);
                try {
                    Thread.sleep(millis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }), "LATEST"));
        }
        String payload = "x".repeat(100);
        long start = System.nanoTime();
        for (int i = 0; i < records; i += 25) {
            List<software.amazon.awssdk.services.dynamodb.model.WriteRequest> batch = new ArrayList<>();
            for (int j = i; j < Math.min(records, i + 25); j++) {
                String key = "b-" + j;
                batch.add(software.amazon.awssdk.services.dynamodb.model.WriteRequest.builder()
                        .putRequest(r -> r.item(Map.of("pk", AttributeValue.fromS(key), "payload",
                                AttributeValue.fromS(payload))))
                        .build());
            }
            dynamo.db.batchWriteItem(r -> r.requestItems(Map.of(table, batch)));
        }
        double drained;
        try {
            drained = (backlog.done().get(120, TimeUnit.SECONDS) - start) / 1e9;
        } catch (TimeoutException e) {
            drained = Double.NaN;
            System.out.printf(Locale.ROOT, "    the fast subscription had only %,d of %,d after 120 s%n",
                    backlog.distinct(), records);
        }
        double[] ms = writeAndMeasure(table, "p-", writes, 20, arrivals);
        double[] got = Arrays.stream(ms).filter(d -> !Double.isNaN(d)).sorted().toArray();
        StringBuilder behind = new StringBuilder();
        for (int i = 0; i < slow.size(); i++) {
            behind.append(i == 0 ? "" : ", ").append(slowMillis[i]).append(" ms: ").append(slow.get(i).distinct());
        }
        System.out.printf(Locale.ROOT, "    %s: fast had the backlog after %.2f s, %d of %d paced writes arrived%s%n",
                table, drained, got.length, writes, slow.isEmpty() ? "" : "; slow ones had " + behind);
        for (String id : ids) {
            service.unsubscribe(id);
        }
        if (got.length == 0) {
            return new double[] {drained, Double.NaN, Double.NaN};
        }
        return new double[] {drained, pct(got, 0.50), pct(got, 0.99)};
    }

    /** Writes count items; returns each one's latency in ms (NaN when it did not arrive within 10 s). */
    private double[] writeAndMeasure(String table, String prefix, int count, double rate,
            BenchReceiver.KeyArrivals arrivals) throws Exception {
        String payload = "x".repeat(100);
        String[] keys = new String[count];
        long[] acked = new long[count];
        long periodNanos = rate > 0 ? (long) (1e9 / rate) : 0;
        long next = System.nanoTime();
        for (int i = 0; i < count; i++) {
            String key = prefix + i;
            keys[i] = key;
            dynamo.db.putItem(r -> r.tableName(table).item(Map.of("pk", AttributeValue.fromS(key),
                    "n", AttributeValue.fromN(Integer.toString(key.hashCode())), "payload", AttributeValue.fromS(payload))));
            acked[i] = System.nanoTime();
            if (rate > 0) {
                next += (long) (periodNanos * ThreadLocalRandom.current().nextDouble(0.5, 1.5));
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
            } else {
                awaitArrival(arrivals, key, acked[i] + TimeUnit.SECONDS.toNanos(10));
            }
        }
        double[] ms = new double[count];
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (int i = 0; i < count; i++) {
            Long at = awaitArrival(arrivals, keys[i], deadline);
            ms[i] = at == null ? Double.NaN : Math.max(0, at - acked[i]) / 1e6;
        }
        return ms;
    }

    private static Long awaitArrival(BenchReceiver.KeyArrivals arrivals, String key, long deadline)
            throws InterruptedException {
        Long at;
        while ((at = arrivals.arrival(key)) == null && System.nanoTime() < deadline) {
            Thread.sleep(0, 200_000);
        }
        return at;
    }

    // ---------------------------------------------------------------- P2

    private void drain() throws Exception {
        long records = Long.getLong("bench.p2.records", 100_000);
        int shards = Integer.getInteger("bench.p2.shards", 8);
        int warmups = Integer.getInteger("bench.p2.warmups", 3);
        int rounds = Integer.getInteger("bench.p2.rounds", 5);
        System.out.printf(Locale.ROOT, "P2 drain: %,d pre-generated records on %d shards, TRIM_HORIZON; "
                + "%d warm-up + %d measured rounds, each the service (new subscription) and the bare loop ...%n",
                records, shards, warmups, rounds);
        String table = "bench_drain";
        String arn = prepare(table, shards, records);
        BareLoopProcess bare = BareLoopProcess.start(localEndpoint,
                splitArgs(System.getProperty("bench.bare.jvmArgs", "")), out.resolve("bare-loop.log"));
        resources.add(bare);

        // the service's memory, sampled every 100 ms over every round
        AtomicLong peakRss = new AtomicLong(service.procStatusKb("VmRSS"));
        AtomicBoolean sampling = new AtomicBoolean(true);
        Thread sampler = Thread.ofPlatform().daemon().name("rss-sampler").start(() -> {
            while (sampling.get()) {
                peakRss.accumulateAndGet(service.procStatusKb("VmRSS"), Math::max);
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        double[] serviceRates = new double[rounds];
        double[] bareRates = new double[rounds];
        try {
            // both JVMs keep compiling for a long time on 2 cores (rates rise over the first rounds): warm-ups first
            for (int round = 1 - warmups; round <= rounds; round++) {
                // which one goes first alternates, so neither always meets a fresher local server
                boolean serviceFirst = Math.floorMod(round, 2) == 0;
                Drain s = null;
                Drain b = null;
                for (int i = 0; i < 2; i++) {
                    if (serviceFirst == (i == 0)) {
                        s = serviceDrain(table, records, "/drain-service-" + round);
                    } else {
                        b = bareDrain(bare, arn, records, "/drain-bare-" + round);
                    }
                }
                System.out.printf(Locale.ROOT, "    %-9s service %,7.0f rec/s, %.2f CPU-s (%,d POSTs, %d GetRecords, "
                        + "%,d duplicate records, %s)   bare loop %,7.0f rec/s, %.2f CPU-s (%d GetRecords)%n",
                        round <= 0 ? "warm-up" : "round " + round, s.rate, s.cpuSeconds, s.posts, s.getRecords,
                        s.duplicates, s.status, b.rate, b.cpuSeconds, b.getRecords);
                if (round > 0) {
                    serviceRates[round - 1] = s.rate;
                    bareRates[round - 1] = b.rate;
                    duplicates += s.duplicates;
                }
            }
        } finally {
            sampling.set(false);
            sampler.interrupt();
            sampler.join();
        }
        long hwm = service.procStatusKb("VmHWM");
        double serviceRate = median(serviceRates);
        double bareRate = median(bareRates);
        // The machine's speed drifts by tens of percent from one round to the next (shared host): each round's two
        // drains run back to back, so their ratio cancels the drift, and its median is the figure compared with the
        // target. The ratio of the two medians is printed too; both must reach the target.
        double[] ratios = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            ratios[i] = serviceRates[i] / bareRates[i];
        }
        double ratio = median(ratios);
        double ratioOfMedians = serviceRate / bareRate;
        System.out.printf(Locale.ROOT, "    median of %d rounds: service %,.0f rec/s, bare loop %,.0f rec/s (ratio %.0f %%); "
                + "service / bare loop per round %s, median %.0f %%; service RSS sampled max %,.0f MB, VmHWM %,.0f MB%n%n",
                rounds, serviceRate, bareRate, ratioOfMedians * 100, percents(ratios), ratio * 100,
                peakRss.get() / 1024.0, hwm / 1024.0);

        String median = String.format(Locale.ROOT, "median of %d rounds", rounds);
        rows.add(new String[] {"P2 drain, service", rate(serviceRate), ">= 20,000 rec/s", ok(serviceRate >= DRAIN_TARGET),
                String.format(Locale.ROOT, "%,d records, %d shards, %s%s", records, shards, median,
                        duplicates > 0 ? String.format(Locale.ROOT, ", %,d DUPLICATES", duplicates) : "")});
        rows.add(new String[] {"P2 drain, bare SDK loop", rate(bareRate), "", "", "practical limit, " + median});
        rows.add(new String[] {"P2 service / bare loop", String.format(Locale.ROOT, "%.0f %%", ratio * 100),
                ">= 80 %", ok(ratio >= RATIO_TARGET && ratioOfMedians >= RATIO_TARGET),
                String.format(Locale.ROOT, "median per round; of the medians %.0f %%", ratioOfMedians * 100)});
        rows.add(new String[] {"P2 service peak RSS", String.format(Locale.ROOT, "%,.0f MB", peakRss.get() / 1024.0),
                "", "", String.format(Locale.ROOT, "VmRSS max during P2; VmHWM %,.0f MB", hwm / 1024.0)});
    }

    /**
     * P2 lanes: the same drain with a slow receiver (20 ms per POST) and small batches, once with
     * {@code parallelization_factor} 1 and once with 10: what concurrent batches per shard buy on a hot shard.
     */
    private void drainLanes() throws Exception {
        long records = Long.getLong("bench.p2.lanes.records", 20_000);
        int shards = Integer.getInteger("bench.p2.lanes.shards", 2);
        int batchSize = Integer.getInteger("bench.p2.lanes.batchSize", 10);
        long delayMs = Long.getLong("bench.p2.lanes.delayMs", 20);
        int rounds = Integer.getInteger("bench.p2.lanes.rounds", 3);
        int[] factors = {1, 10};
        System.out.printf(Locale.ROOT, "P2 lanes: %,d pre-generated records on %d shards, TRIM_HORIZON, batch_size %d, "
                + "receiver taking %d ms per POST; parallelization_factor %d and %d; 1 warm-up + %d measured rounds "
                + "...%n", records, shards, batchSize, delayMs, factors[0], factors[1], rounds);
        String table = "bench_lanes";
        prepare(table, shards, records);
        double[][] rates = new double[factors.length][rounds];
        for (int round = 0; round <= rounds; round++) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "    %-9s",
                    round == 0 ? "warm-up" : "round " + round));
            for (int i = 0; i < factors.length; i++) {
                int f = factors[(i + round) % factors.length];
                Drain d = lanesDrain(table, records, batchSize, f, delayMs, "/lanes-" + f + "-" + round);
                line.append(String.format(Locale.ROOT, " factor %2d %,7.0f rec/s (%,d POSTs, %,d duplicate records, "
                        + "%s, %.2f CPU-s)", f, d.rate, d.posts, d.duplicates, d.status, d.cpuSeconds));
                if (round > 0) {
                    rates[(i + round) % factors.length][round - 1] = d.rate;
                }
            }
            System.out.println(line);
        }
        double one = median(rates[0]);
        double ten = median(rates[1]);
        System.out.printf(Locale.ROOT, "    median of %d rounds: factor 1 %,.0f rec/s, factor 10 %,.0f rec/s "
                + "(x %.1f)%n%n", rounds, one, ten, ten / one);
        String what = String.format(Locale.ROOT, "%,d records, %d shards, batch_size %d, %d ms per POST, median of %d",
                records, shards, batchSize, delayMs, rounds);
        rows.add(new String[] {"P2 lanes, factor 1", rate(one), "", "", what});
        rows.add(new String[] {"P2 lanes, factor 10", rate(ten), "", "", String.format(Locale.ROOT,
                "x %.1f of factor 1", ten / one)});
    }

    /** A TRIM_HORIZON subscription with {@code batch_size} and {@code parallelization_factor}; waits for all. */
    private Drain lanesDrain(String table, long count, int batchSize, int factor, long delayMs, String path)
            throws Exception {
        BenchReceiver.Counter counter = new BenchReceiver.Counter(count);
        URI url = receiver.register(path, BenchReceiver.slow(counter, Duration.ofMillis(delayMs)));
        double cpu0 = cpuSeconds(service.handle());
        long t0 = System.nanoTime();
        String id = subscribe(Map.of("table_name", table, "url", url.toString(), "starting_position", "TRIM_HORIZON",
                "batch_size", batchSize, "parallelization_factor", factor));
        long t1;
        try {
            t1 = counter.done().get(10, TimeUnit.MINUTES);
        } catch (TimeoutException e) {
            throw new IllegalStateException(String.format("%s: only %d of %d records after 10 minutes; "
                    + "subscription: %s", table, counter.records(), count, service.subscription(id)));
        }
        double cpu = cpuSeconds(service.handle()) - cpu0;
        Thread.sleep(300); // anything extra (duplicates) would show up now
        String status = service.subscription(id).path("status").asText();
        service.unsubscribe(id);
        return new Drain(count / ((t1 - t0) / 1e9), counter.posts(), 0, counter.records() - counter.distinct(),
                status, cpu);
    }

    /** {@code POST /} with these fields; the new subscription's id. */
    private String subscribe(Map<String, Object> fields) throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var http = java.net.http.HttpClient.newHttpClient();
        var r = http.send(java.net.http.HttpRequest.newBuilder(service.base())
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(json.writeValueAsString(fields))).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new IllegalStateException("subscribe failed: HTTP " + r.statusCode() + " " + r.body());
        }
        return json.readTree(r.body()).get("id").asText();
    }

    /** One drain: records/s from start to the last distinct record received, and what it took. */
    private record Drain(double rate, long posts, long getRecords, long duplicates, String status, double cpuSeconds) {
    }

    /** CPU time (user + system) a process has used so far, in seconds. */
    static double cpuSeconds(ProcessHandle process) {
        return process.info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
    }

    /**
     * CPU seconds the process's garbage collector threads have used (the JVM's {@code sun.threads.total_gc_cpu_time}
     * counter, JDK 23 and later, read with {@code jcmd PerfCounter.print}); NaN when it cannot be read.
     */
    static double gcCpuSeconds(ProcessHandle process) {
        try {
            return IdleFootprint.jcmd(process.pid(), "PerfCounter.print").lines()
                    .filter(l -> l.startsWith("sun.threads.total_gc_cpu_time=")).findFirst()
                    .map(l -> Long.parseLong(l.substring(l.indexOf('=') + 1).strip()) / 1e9).orElse(Double.NaN);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Double.NaN;
        } catch (Exception e) {
            return Double.NaN;
        }
    }

    /** Creates a table with a stream, splits it to {@code shards} open shards and generates records; the stream ARN. */
    private String prepare(String table, int shards, long count) {
        dynamo.createTable(table, StreamViewType.NEW_AND_OLD_IMAGES);
        dynamo.hook("split", Map.of("table", table, "shards", shards));
        dynamo.hook("generate", Map.of("table", table, "count", count));
        return dynamo.get("shards?table=" + table).get("streamArn").asText();
    }

    /** Subscribes at TRIM_HORIZON, waits for every record, unsubscribes. */
    private Drain serviceDrain(String table, long count, String path) throws Exception {
        BenchReceiver.Counter counter = new BenchReceiver.Counter(count);
        URI url = receiver.register(path, counter);
        dynamo.hook("counts/reset", Map.of());
        double cpu0 = cpuSeconds(service.handle());
        long t0 = System.nanoTime();
        String id = service.subscribe(table, url, "TRIM_HORIZON");
        long t1;
        try {
            t1 = counter.done().get(5, TimeUnit.MINUTES);
        } catch (TimeoutException e) {
            throw new IllegalStateException(String.format("%s: only %d of %d records after 5 minutes; subscription: %s",
                    table, counter.records(), count, service.subscription(id)));
        }
        double cpu = cpuSeconds(service.handle()) - cpu0;
        long getRecords = sum(dynamo.get("counts").get("GetRecords"));
        Thread.sleep(300); // anything extra (duplicates) would show up now
        String status = service.subscription(id).path("status").asText();
        service.unsubscribe(id);
        return new Drain(count / ((t1 - t0) / 1e9), counter.posts(), getRecords,
                counter.records() - counter.distinct(), status, cpu);
    }

    private Drain bareDrain(BareLoopProcess bare, String arn, long count, String path) throws Exception {
        BenchReceiver.Counter counter = new BenchReceiver.Counter(count);
        URI url = receiver.register(path, counter);
        dynamo.hook("counts/reset", Map.of());
        double cpu0 = cpuSeconds(bare.handle());
        long t0 = System.nanoTime();
        bare.run(arn, count, url);
        long t1 = counter.done().get(1, TimeUnit.MINUTES);
        double cpu = cpuSeconds(bare.handle()) - cpu0;
        long getRecords = sum(dynamo.get("counts").get("GetRecords"));
        return new Drain(count / ((t1 - t0) / 1e9), counter.posts(), getRecords,
                counter.records() - counter.distinct(), "-", cpu);
    }

    private static String percents(double[] ratios) {
        StringBuilder out = new StringBuilder();
        for (double r : ratios) {
            out.append(out.isEmpty() ? "" : " ").append(String.format(Locale.ROOT, "%.0f%%", r * 100));
        }
        return out.toString();
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static long sum(JsonNode perShard) {
        long n = 0;
        for (JsonNode v : perShard) {
            n += v.asLong();
        }
        return n;
    }

    // ---------------------------------------------------------------- output

    private static void printMachine(List<String> jvmArgs) {
        String cpu = "?";
        String mem = "?";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
            mem = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                    .findFirst().map(l -> String.format(Locale.ROOT, "%,.1f GB",
                            Long.parseLong(l.replaceAll("\\D", "")) / 1024.0 / 1024.0))
                    .orElse("?");
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        System.out.println();
        System.out.println("dynamo-stream benchmark");
        System.out.printf(Locale.ROOT, "machine: %d CPUs (nproc), %s, %s RAM, %s %s%n",
                Runtime.getRuntime().availableProcessors(), cpu, mem, System.getProperty("os.name"),
                System.getProperty("os.arch"));
        System.out.printf(Locale.ROOT, "java:    %s %s (%s), node %s%n", System.getProperty("java.vm.name"),
                System.getProperty("java.runtime.version"), System.getProperty("java.vendor"), nodeVersion());
        System.out.printf("service: target/quarkus-app/quarkus-run.jar, default settings%s%n",
                jvmArgs.isEmpty() ? "" : " + " + String.join(" ", jvmArgs));
        System.out.println();
    }

    private static String nodeVersion() {
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            String v = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor(5, TimeUnit.SECONDS);
            return v;
        } catch (IOException | InterruptedException e) {
            return "?";
        }
    }

    private void printTable() {
        String[] head = {"measure", "result", "target", "", "notes"};
        int[] w = new int[head.length];
        Arrays.fill(w, 1); // "%-0s" is not a format: a column that is empty in every row (P3 alone) still has width 1
        for (String[] r : concat(head)) {
            for (int i = 0; i < r.length; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        StringBuilder fmt = new StringBuilder();
        for (int i = 0; i < w.length; i++) {
            fmt.append(i == 1 ? "%" : "%-").append(w[i]).append("s").append(i < w.length - 1 ? "  " : "%n");
        }
        String line = "-".repeat(Arrays.stream(w).sum() + 2 * (w.length - 1));
        System.out.println(line);
        System.out.printf(fmt.toString(), (Object[]) head);
        System.out.println(line);
        for (String[] r : rows) {
            System.out.printf(fmt.toString(), (Object[]) r);
        }
        System.out.println(line);
    }

    private List<String[]> concat(String[] head) {
        List<String[]> all = new ArrayList<>(rows);
        all.add(head);
        return all;
    }

    private static double pct(double[] sorted, double p) {
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static String ms(double v) {
        return String.format(Locale.ROOT, "%.1f ms", v);
    }

    private static String rate(double v) {
        return String.format(Locale.ROOT, "%,.0f rec/s", v);
    }

    private static String ok(boolean met) {
        return met ? "ok" : "MISSED";
    }

    private static List<String> splitArgs(String s) {
        return s.isBlank() ? List.of() : List.of(s.trim().split("\\s+"));
    }

    // ---------------------------------------------------------------- cleanup

    private void closeAll() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // newest first: the service before the server it reads from
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                System.err.println("cleanup: " + e);
            }
        }
    }
}
