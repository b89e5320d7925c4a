package io.dynamostream.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.dynamostream.e2e.Dynamo;
import io.dynamostream.e2e.ServiceProcess;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * The benchmark's {@code scale} mode (issue 13): for each N of {@code bench.scale.subscriptions}, N idle subscriptions
 * over N/10 tables and N/4 open shards (10,000 over 1,000 tables / 2,500 shards), in a service of their own with its
 * own state directory. The subscriptions are written to a {@code CONFIG_PATH} file and registered by a first start
 * (timed too); the service is then stopped and started again without the file, so it loads the N stored
 * subscriptions, and the restart is timed (HTTP answers, readiness UP, every subscription RUNNING with its table's
 * shards). After a settle period, an idle window measures the service's CPU and RSS, the calls the local server
 * received (GetRecords per shard, DescribeStream, GetShardIterator, new TCP connections), liveness answers, and then
 * {@code /q/metrics} is fetched three times (size, render time). Nothing is written to the tables: every poll is
 * an idle poll.
 */
final class Scale {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The goals for 10,000 subscriptions on 2 cores, shown next to that column only. */
    private static final int TARGET_N = 10_000;

    private final Dynamo dynamo;
    private final BenchReceiver receiver;
    private final Path jar;
    private final Path out;
    private final List<String> jvmArgs;
    private final Map<String, String> env;
    private final Consumer<AutoCloseable> resources;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final int idleSeconds = Integer.getInteger("bench.scale.idleSeconds", 60);
    private final int settleSeconds = Integer.getInteger("bench.scale.settleSeconds", 40);
    private final Duration timeout = Duration.ofSeconds(Integer.getInteger("bench.scale.timeoutSeconds", 600));

    /** One column of the table per N. */
    private final List<Map<String, String>> columns = new ArrayList<>();
    private final List<Integer> ns = new ArrayList<>();

    Scale(Dynamo dynamo, BenchReceiver receiver, Path jar, Path out, List<String> jvmArgs, Map<String, String> env,
            Consumer<AutoCloseable> resources) {
        this.dynamo = dynamo;
        this.receiver = receiver;
        this.jar = jar;
        this.out = out;
        this.jvmArgs = jvmArgs;
        this.env = env;
        this.resources = resources;
    }

    /**
     * The default JVM options of the {@code ./dynamo-stream} launcher (its {@code DYNAMO_STREAM_DEFAULT_JAVA_OPTS}
     * line), so the service is measured as users run it; {@code -Dbench.scale.launcherOpts=false} leaves them out.
     */
    static List<String> launcherJavaOpts() throws java.io.IOException {
        if (!Boolean.parseBoolean(System.getProperty("bench.scale.launcherOpts", "true"))) {
            return List.of();
        }
        for (String line : Files.readAllLines(Path.of("dynamo-stream"))) {
            if (line.startsWith("DYNAMO_STREAM_DEFAULT_JAVA_OPTS=")) {
                String value = line.substring(line.indexOf('=') + 1).replace("\"", "").strip();
                return List.of(value.split("\\s+"));
            }
        }
        throw new IllegalStateException("no DYNAMO_STREAM_DEFAULT_JAVA_OPTS line in ./dynamo-stream");
    }

    /**
     * The launcher's class data sharing options (README "Startup time"), with the archive at {@code archive} instead
     * of next to the jar: the first start of a size writes it when it is stopped, the restart maps it, as a user's
     * second run does. None when the launcher has none or with {@code -Dbench.scale.launcherOpts=false}.
     */
    static List<String> launcherCdsOpts(Path archive) throws java.io.IOException {
        if (!Boolean.parseBoolean(System.getProperty("bench.scale.launcherOpts", "true"))
                || !Files.readString(Path.of("dynamo-stream")).contains("-XX:+AutoCreateSharedArchive")) {
            return List.of();
        }
        return List.of("-XX:SharedArchiveFile=" + archive, "-XX:+AutoCreateSharedArchive",
                "-Xlog:cds=off,cds+dynamic=off");
    }

    void run() throws Exception {
        List<Integer> sizes = Arrays.stream(System.getProperty("bench.scale.subscriptions", "100,1000,10000")
                .split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(Integer::parseInt).toList();
        System.out.printf(Locale.ROOT, "Scale: idle subscriptions %s; each N in a new service (JVM options %s%s): "
                + "first start with the N entries in CONFIG_PATH, restart without it (N stored), %d s settle, %d s "
                + "idle window, /q/metrics x3; bound per wait %d s ...%n", sizes, launcherJavaOpts(),
                launcherCdsOpts(Path.of("<dir>")).isEmpty() ? "" : ", the launcher's class data sharing archive",
                settleSeconds, idleSeconds, timeout.toSeconds());
        for (int n : sizes) {
            Map<String, String> column = new LinkedHashMap<>();
            ns.add(n);
            columns.add(column);
            long t = System.nanoTime();
            try {
                measure(n, column);
            } catch (Exception e) {
                System.out.printf(Locale.ROOT, "    N=%,d FAILED: %s%n", n, e);
                column.putIfAbsent("error", "failed (see above)");
            }
            System.out.printf(Locale.ROOT, "    N=%,d done in %.0f s%n%n", n, (System.nanoTime() - t) / 1e9);
        }
    }

    private void measure(int n, Map<String, String> column) throws Exception {
        int tables = Math.max(1, Math.min(n, Integer.getInteger("bench.scale.tables", Math.max(1, n / 10))));
        int shards = Math.max(tables, Integer.getInteger("bench.scale.shards", Math.max(1, n / 4)));
        Path dir = out.resolve("scale-" + n);
        deleteTree(dir);
        Files.createDirectories(dir);
        Path log = dir.resolve("service.log");

        // tables, split so that `shards` open shards are spread evenly (2 or 3 each for 10,000 / 1,000 / 2,500)
        long t = System.nanoTime();
        String prefix = "scale" + n + "-";
        Map<String, Integer> openPerTable = new HashMap<>();
        Set<String> openShards = java.util.concurrent.ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < tables; i++) {
                String table = prefix + i;
                int want = shards / tables + (i < shards % tables ? 1 : 0);
                openPerTable.put(table, want);
                futures.add(pool.submit(() -> {
                    dynamo.createTable(table, StreamViewType.NEW_AND_OLD_IMAGES);
                    if (want > 1) {
                        dynamo.hook("split", Map.of("table", table, "shards", want));
                    }
                    for (JsonNode sh : dynamo.get("shards?table=" + table).get("shards")) {
                        if (sh.get("open").asBoolean()) {
                            openShards.add(sh.get("shardId").asText());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.printf(Locale.ROOT, "    N=%,d: %,d tables, %,d open shards created in %.1f s%n", n, tables,
                openShards.size(), (System.nanoTime() - t) / 1e9);

        // the subscriptions, as a CONFIG_PATH file: table i % tables, one URL each (table and URL identify an entry)
        AtomicLong posts = new AtomicLong();
        AtomicLong firstPostNanos = new AtomicLong();
        URI url = receiver.register("/scale-" + n, (body, at) -> {
            firstPostNanos.compareAndSet(0, System.nanoTime());
            posts.incrementAndGet();
        });
        Path file = dir.resolve("subscriptions.yaml");
        StringBuilder yaml = new StringBuilder("entries:\n");
        for (int j = 0; j < n; j++) {
            yaml.append("  - table_name: ").append(prefix).append(j % tables).append('\n')
                    .append("    url: ").append(url).append("?s=").append(j).append('\n');
        }
        Files.writeString(file, yaml);

        // the launcher's class data sharing and the heap policy it and the images use (README "Startup time",
        // "Memory"), then the benchmark's own arguments
        List<String> args = new ArrayList<>(launcherCdsOpts(dir.resolve("dynamo-stream.jsa")));
        args.addAll(launcherJavaOpts());
        args.addAll(jvmArgs);
        if (n > 10_000) { // the default dynamo-stream.limits.max-subscriptions
            args.add("-Ddynamo-stream.limits.max-subscriptions=" + n);
        }
        Map<String, String> environment = new HashMap<>(env);
        environment.put("DYNAMO_STREAM_STATE_DIR", dir.resolve("state").toString());

        // first start: registers the file's entries (and stores them)
        Map<String, String> seedEnv = new HashMap<>(environment);
        seedEnv.put("CONFIG_PATH", file.toString());
        t = System.nanoTime();
        ServiceProcess seed = ServiceProcess.launch(jar, args, seedEnv, log);
        resources.accept(seed);
        try {
            try {
                awaitAnswering(seed, log, t, "first start");
            } catch (IllegalStateException notInTime) {
                column.put("first start (CONFIG_PATH): HTTP answers", "> " + timeout.toSeconds() + " s");
                throw notInTime;
            }
            double firstStart = (System.nanoTime() - t) / 1e9;
            column.put("first start (CONFIG_PATH): HTTP answers", seconds(firstStart));
            System.out.printf(Locale.ROOT, "    N=%,d: first start with %,d entries in CONFIG_PATH answered after "
                    + "%.1f s; stopping it%n", n, n, firstStart);
        } finally {
            seed.stop(Duration.ofSeconds(30));
        }

        // restart: the N stored subscriptions, no CONFIG_PATH
        Sampler live = new Sampler();
        t = System.nanoTime();
        ServiceProcess service = ServiceProcess.launch(jar, args, environment, log);
        resources.accept(service);
        try {
            try {
                awaitAnswering(service, log, t, "restart");
            } catch (IllegalStateException notInTime) {
                column.put("restart: HTTP answers", "> " + timeout.toSeconds() + " s");
                throw notInTime;
            }
            double answered = (System.nanoTime() - t) / 1e9;
            live.start(service);
            column.put("restart: HTTP answers", seconds(answered));
            double ready = Double.NaN;
            double running = Double.NaN;
            long deadline = t + timeout.toNanos();
            long nextProgress = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            int runningCount = 0;
            while (System.nanoTime() < deadline && service.isAlive()) {
                Health h = ready(service, openPerTable);
                if (h != null) {
                    runningCount = h.running;
                    if (h.up && Double.isNaN(ready)) {
                        ready = (System.nanoTime() - t) / 1e9;
                    }
                    if (h.up && h.running >= n) {
                        running = (System.nanoTime() - t) / 1e9;
                        break;
                    }
                }
                if (System.nanoTime() > nextProgress) {
                    nextProgress += TimeUnit.SECONDS.toNanos(15);
                    System.out.printf(Locale.ROOT, "    ... %.0f s after restart: ready %s, %,d of %,d RUNNING with "
                            + "their shards%n", (System.nanoTime() - t) / 1e9, Double.isNaN(ready) ? "no" : "yes",
                            runningCount, n);
                }
                Thread.sleep(n >= 5000 ? 1000 : 200);
            }
            column.put("restart: ready (health UP)", Double.isNaN(ready) ? "> " + timeout.toSeconds() + " s"
                    : seconds(ready));
            column.put("restart: all RUNNING with shards", Double.isNaN(running)
                    ? String.format(Locale.ROOT, "%,d/%,d after %d s", runningCount, n, timeout.toSeconds())
                    : seconds(running));
            System.out.printf(Locale.ROOT, "    N=%,d: restart answered after %.1f s, ready after %s, every "
                    + "subscription RUNNING after %s; settling %d s%n", n, answered, column.get(
                            "restart: ready (health UP)"), column.get("restart: all RUNNING with shards"),
                    settleSeconds);
            Thread.sleep(TimeUnit.SECONDS.toMillis(settleSeconds));

            // idle window
            column.put("liveness, restart to idle window", live.summary());
            live.reset();
            AtomicLong maxRss = new AtomicLong(service.procStatusKb("VmRSS"));
            AtomicBoolean sampling = new AtomicBoolean(true);
            Thread rss = Thread.ofPlatform().daemon().name("scale-rss").start(() -> {
                while (sampling.get()) {
                    maxRss.accumulateAndGet(service.procStatusKb("VmRSS"), Math::max);
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            dynamo.hook("counts/reset", Map.of());
            JsonNode node0 = dynamo.get("process");
            double cpu0 = Benchmark.cpuSeconds(service.handle());
            double gc0 = Benchmark.gcCpuSeconds(service.handle());
            long w0 = System.nanoTime();
            System.out.printf(Locale.ROOT, "    N=%,d: idle window of %d s ...%n", n, idleSeconds);
            Thread.sleep(TimeUnit.SECONDS.toMillis(idleSeconds));
            double cpu1 = Benchmark.cpuSeconds(service.handle());
            double gc1 = Benchmark.gcCpuSeconds(service.handle());
            JsonNode counts = dynamo.get("counts");
            JsonNode node1 = dynamo.get("process");
            double window = (System.nanoTime() - w0) / 1e9;
            sampling.set(false);
            rss.interrupt();
            rss.join();
            long rssEnd = service.procStatusKb("VmRSS");
            maxRss.accumulateAndGet(rssEnd, Math::max);
            long threads = service.procStatusKb("Threads");

            double cpuPerMinute = (cpu1 - cpu0) / window * 60;
            double nodeCpu = ((node1.get("cpuUserMicros").asLong() + node1.get("cpuSystemMicros").asLong())
                    - (node0.get("cpuUserMicros").asLong() + node0.get("cpuSystemMicros").asLong())) / 1e6;
            double[] perShard = new double[openShards.size()];
            long getRecords = 0;
            int i = 0;
            for (String shard : openShards) {
                long c = counts.path("GetRecords").path(shard).asLong();
                getRecords += c;
                perShard[i++] = c / window;
            }
            Arrays.sort(perShard);
            long connections = counts.path("Connections").asLong();
            double rate = getRecords / window / Math.max(1, openShards.size());
            column.put("service CPU-s per minute (idle)", String.format(Locale.ROOT, "%.1f (%.2f cores)",
                    cpuPerMinute, cpuPerMinute / 60));
            column.put("  of which garbage collection", Double.isNaN(gc1 - gc0) ? "-"
                    : String.format(Locale.ROOT, "%.1f", (gc1 - gc0) / window * 60));
            column.put("service RSS end / max", String.format(Locale.ROOT, "%,.0f / %,.0f MB", rssEnd / 1024.0,
                    maxRss.get() / 1024.0));
            column.put("GetRecords/s per shard mean", String.format(Locale.ROOT, "%.2f", rate));
            column.put("GetRecords/s per shard min/p50/max", perShard.length == 0 ? "-"
                    : String.format(Locale.ROOT, "%.2f / %.2f / %.2f", perShard[0], perShard[perShard.length / 2],
                            perShard[perShard.length - 1]));
            column.put("new TCP connections/s", String.format(Locale.ROOT, "%.1f (%.2f per GetRecords)",
                    connections / window, getRecords == 0 ? 0.0 : (double) connections / getRecords));
            column.put("DescribeStream/s, GetShardIterator/s", String.format(Locale.ROOT, "%.1f, %.1f",
                    counts.path("DescribeStream").asLong() / window, sum(counts.path("GetShardIterator")) / window));
            column.put("liveness during idle window", live.summary());
            column.put("service threads", String.format(Locale.ROOT, "%,d", threads));
            column.put("local server CPU-s per minute", String.format(Locale.ROOT, "%.1f", nodeCpu / window * 60));
            System.out.printf(Locale.ROOT, "    N=%,d: %.1f CPU-s/min, RSS %,.0f MB (max %,.0f), %.2f GetRecords/s per "
                    + "shard, %.1f new connections/s, liveness %s, %,d POSTs received%n", n, cpuPerMinute,
                    rssEnd / 1024.0, maxRss.get() / 1024.0, rate, connections / window, live.summary(), posts.get());

            // /q/metrics, three times
            long[] bytes = new long[3];
            double[] ms = new double[3];
            for (int k = 0; k < 3; k++) {
                long m0 = System.nanoTime();
                HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(service.base().resolve("/q/metrics"))
                        .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
                ms[k] = (System.nanoTime() - m0) / 1e6;
                bytes[k] = r.body().length;
            }
            column.put("/q/metrics size", String.format(Locale.ROOT, "%,.0f kB", bytes[2] / 1024.0));
            column.put("/q/metrics time, 3 calls", String.format(Locale.ROOT, "%.0f / %.0f / %.0f ms", ms[0], ms[1],
                    ms[2]));
            column.put("state directory", String.format(Locale.ROOT, "%,.1f MB", treeSize(dir.resolve("state"))
                    / 1024.0 / 1024.0));
            System.out.printf(Locale.ROOT, "    N=%,d: /q/metrics %,d bytes in %s%n", n, bytes[2],
                    column.get("/q/metrics time, 3 calls"));

            // the first record on a long-quiet shard: written to table 0 after the idle window, timed to its POST
            firstPostNanos.set(0);
            long written = System.nanoTime();
            dynamo.put(prefix + "0", "wake-up", 1);
            long bound = written + TimeUnit.SECONDS.toNanos(30);
            while (firstPostNanos.get() == 0 && System.nanoTime() < bound) {
                Thread.sleep(5);
            }
            String wake = firstPostNanos.get() == 0 ? "not within 30 s" : String.format(Locale.ROOT, "%.0f ms",
                    (firstPostNanos.get() - written) / 1e6);
            column.put("first record on a quiet shard", wake);
            System.out.printf(Locale.ROOT, "    N=%,d: first record on a quiet shard arrived after %s%n", n, wake);
        } finally {
            live.stop();
            service.stop(Duration.ofSeconds(30));
        }
    }

    /** Waits for {@code GET /} within the bound, printing progress every 15 s. */
    private void awaitAnswering(ServiceProcess s, Path log, long t0, String what) throws Exception {
        Thread progress = Thread.ofPlatform().daemon().name("scale-progress").start(() -> {
            try {
                while (true) {
                    Thread.sleep(15_000);
                    System.out.printf(Locale.ROOT, "    ... %s: %.0f s, HTTP not answering yet, service at %.0f "
                            + "CPU-s, %,.0f MB RSS%n", what, (System.nanoTime() - t0) / 1e9,
                            Benchmark.cpuSeconds(s.handle()), s.procStatusKb("VmRSS") / 1024.0);
                }
            } catch (InterruptedException stop) {
                // answered
            }
        });
        try {
            s.answering(timeout.minusNanos(System.nanoTime() - t0), log);
        } finally {
            progress.interrupt();
        }
    }

    private record Health(boolean up, int running) {
    }

    /**
     * {@code GET /q/health/ready}: UP or not, and how many subscriptions are RUNNING with at least their table's open
     * shards known (its {@code running} count since subscriptions show STARTING until then; before that, counted from
     * the per-subscription entries); null when it did not answer within 10 s.
     */
    private Health ready(ServiceProcess s, Map<String, Integer> openPerTable) {
        try {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(s.base().resolve("/q/health/ready"))
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            JsonNode body = JSON.readTree(r.body());
            int running = 0;
            for (JsonNode check : body.path("checks")) {
                JsonNode data = check.path("data");
                if (!data.has("initialised")) {
                    continue;
                }
                if (data.has("running") && data.has("starting")) {
                    // counts per status (the per-subscription entries are capped); RUNNING means the shards are known
                    running += data.path("running").asInt();
                    continue;
                }
                Iterator<Map.Entry<String, JsonNode>> fields = data.fields();
                Map<String, String> status = new HashMap<>();
                Map<String, Integer> shards = new HashMap<>();
                Map<String, String> table = new HashMap<>();
                while (fields.hasNext()) {
                    Map.Entry<String, JsonNode> f = fields.next();
                    int dot = f.getKey().lastIndexOf('.');
                    if (dot < 0) {
                        continue;
                    }
                    String id = f.getKey().substring(0, dot);
                    switch (f.getKey().substring(dot + 1)) {
                        case "status" -> status.put(id, f.getValue().asText());
                        case "shards" -> shards.put(id, f.getValue().asInt());
                        case "table" -> table.put(id, f.getValue().asText());
                        default -> { }
                    }
                }
                for (Map.Entry<String, String> e : status.entrySet()) {
                    if ("RUNNING".equals(e.getValue()) && shards.getOrDefault(e.getKey(), 0)
                            >= openPerTable.getOrDefault(table.get(e.getKey()), 1)) {
                        running++;
                    }
                }
            }
            return new Health(r.statusCode() == 200 && "UP".equals(body.path("status").asText()), running);
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** {@code GET /q/health/live} every 2 s (5 s timeout) on a thread of its own: answers by status. */
    private final class Sampler {
        private final Map<String, AtomicInteger> answers = new java.util.concurrent.ConcurrentSkipListMap<>();
        private volatile Thread thread;

        void start(ServiceProcess s) {
            thread = Thread.ofPlatform().daemon().name("scale-liveness").start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    String answer;
                    try {
                        answer = Integer.toString(http.send(HttpRequest.newBuilder(s.base().resolve("/q/health/live"))
                                .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.discarding())
                                .statusCode());
                    } catch (java.net.http.HttpTimeoutException e) {
                        answer = "timeout";
                    } catch (IOException e) {
                        answer = "error";
                    } catch (InterruptedException e) {
                        return;
                    }
                    answers.computeIfAbsent(answer, k -> new AtomicInteger()).incrementAndGet();
                    try {
                        Thread.sleep(2000);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        void reset() {
            answers.clear();
        }

        String summary() {
            StringBuilder b = new StringBuilder();
            answers.forEach((k, v) -> b.append(b.isEmpty() ? "" : ", ").append(v.get()).append("x ").append(k));
            return b.isEmpty() ? "none" : b.toString();
        }

        void stop() throws InterruptedException {
            Thread t = thread;
            if (t != null) {
                t.interrupt();
                t.join(10_000);
            }
        }
    }

    // ---------------------------------------------------------------- output

    /** Prints one row per measure, one column per N, and the goal for 10,000 subscriptions. */
    void printTable() {
        List<String> measures = new ArrayList<>();
        for (Map<String, String> c : columns) {
            for (String k : c.keySet()) {
                if (!measures.contains(k)) {
                    measures.add(k);
                }
            }
        }
        Map<String, String> targets = Map.of(
                "restart: HTTP answers", "<= 5 s",
                "restart: ready (health UP)", "<= 5 s",
                "service CPU-s per minute (idle)", "<= 30 (0.5 core)",
                "service RSS end / max", "<= 512 MB",
                "new TCP connections/s", "0 per poll",
                "liveness during idle window", "always 200",
                "liveness, restart to idle window", "always 200",
                "/q/metrics time, 3 calls", "< 500 ms",
                "first record on a quiet shard", "<= floor + 200 ms");
        boolean showTargets = ns.contains(TARGET_N);
        List<String[]> rows = new ArrayList<>();
        List<String> head = new ArrayList<>();
        head.add("scale (idle subscriptions)");
        for (int n : ns) {
            head.add(String.format(Locale.ROOT, "N=%,d", n));
        }
        if (showTargets) {
            head.add("goal at N=10,000 (issue 13)");
        }
        rows.add(head.toArray(String[]::new));
        List<String> shape = new ArrayList<>();
        shape.add("tables / open shards");
        for (int n : ns) {
            int tables = Math.max(1, Math.min(n, Integer.getInteger("bench.scale.tables", Math.max(1, n / 10))));
            shape.add(String.format(Locale.ROOT, "%,d / %,d", tables,
                    Math.max(tables, Integer.getInteger("bench.scale.shards", Math.max(1, n / 4)))));
        }
        if (showTargets) {
            shape.add("");
        }
        rows.add(shape.toArray(String[]::new));
        for (String m : measures) {
            List<String> row = new ArrayList<>();
            row.add(m);
            for (Map<String, String> c : columns) {
                row.add(c.getOrDefault(m, "-"));
            }
            if (showTargets) {
                row.add(targets.getOrDefault(m, ""));
            }
            rows.add(row.toArray(String[]::new));
        }
        int[] w = new int[head.size()];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        StringBuilder fmt = new StringBuilder();
        for (int i = 0; i < w.length; i++) {
            fmt.append(i == 0 || i == w.length - 1 && showTargets ? "%-" : "%").append(w[i]).append("s")
                    .append(i < w.length - 1 ? "  " : "%n");
        }
        String line = "-".repeat(Arrays.stream(w).sum() + 2 * (w.length - 1));
        System.out.println(line);
        System.out.printf(fmt.toString(), (Object[]) rows.get(0));
        System.out.println(line);
        for (String[] r : rows.subList(1, rows.size())) {
            System.out.printf(fmt.toString(), (Object[]) r);
        }
        System.out.println(line);
    }

    // ---------------------------------------------------------------- helpers

    private static String seconds(double s) {
        return String.format(Locale.ROOT, "%.1f s", s);
    }

    private static long sum(JsonNode perShard) {
        long n = 0;
        for (JsonNode v : perShard) {
            n += v.asLong();
        }
        return n;
    }

    private static long treeSize(Path dir) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException e) {
            return 0;
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
