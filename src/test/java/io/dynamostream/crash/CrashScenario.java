package io.dynamostream.crash;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

import com.fasterxml.jackson.databind.JsonNode;

import io.dynamostream.e2e.Dynamo;
import io.dynamostream.e2e.ServiceProcess;
import io.dynamostream.dev.LocalDynamoDbServer;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * One run of the crash tests: the bundled local DynamoDB + Streams server with a stream-enabled table split into
 * several shards, a {@link RecordingReceiver}, the packaged service (restarted after every stop, always on the same
 * state directory) with ONE subscription registered on its first start, a writer putting unique keys (one INSERT
 * each) and a thread forcing rollovers and splits. Everything started is stopped by {@link #close()}, and by a JVM
 * shutdown hook if the test JVM is interrupted.
 *
 * <p>Tunable through system properties: {@code crash.write-pause-ms} (pause between two writes, default 5),
 * {@code crash.reshard-ms} (interval of rollovers/splits, default 5000), {@code crash.catch-up-seconds} (how long the
 * last start may take to deliver everything, default 90). Logs go to {@code target/crash-it/<name>/}: the service's
 * output of every start, one line per received POST, the validator's report.
 */
final class CrashScenario implements AutoCloseable {

    static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar");
    /** {@code quarkus.shutdown.timeout} of the packaged application. */
    static final Duration SHUTDOWN_TIMEOUT = shutdownTimeout();

    private static final String TABLE = "CrashTest";
    private static final int INITIAL_SHARDS = 4;
    private static final int MAX_OPEN_SHARDS = 6;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

    private final String name;
    private final Path stateDir;
    private final Path outDir;
    private final Path serviceLog;
    private final LocalDynamoDbServer db;
    private final Dynamo dynamo;
    private final DeliveryValidator validator = new DeliveryValidator();
    private final RecordingReceiver receiver;
    private final List<String> written = new ArrayList<>();
    private final AtomicBoolean traffic = new AtomicBoolean();
    private final AtomicInteger reshards = new AtomicInteger();
    private final AtomicInteger failedWrites = new AtomicInteger();
    private final Thread cleanup = new Thread(this::stopProcesses, "crash-scenario-cleanup");
    private final List<Thread> threads = new ArrayList<>();
    private volatile ServiceProcess service;
    private String subscriptionId;
    private int starts;

    CrashScenario(String name, Path stateDir) throws Exception {
        this.name = name;
        this.stateDir = stateDir;
        this.outDir = Path.of("target", "crash-it", name);
        deleteRecursively(outDir);
        Files.createDirectories(outDir);
        this.serviceLog = outDir.resolve("service.log");
        LocalDynamoDbServer started = LocalDynamoDbServer.start();
        RecordingReceiver r = null;
        try {
            dynamo = new Dynamo(started.endpoint());
            dynamo.createTable(TABLE, StreamViewType.NEW_AND_OLD_IMAGES);
            dynamo.hook("split", Map.of("table", TABLE, "shards", INITIAL_SHARDS));
            r = new RecordingReceiver(validator);
        } catch (Exception | Error e) {
            started.close();
            throw e;
        }
        this.db = started;
        this.receiver = r;
        Runtime.getRuntime().addShutdownHook(cleanup);
    }

    /**
     * Starts the service and waits until it answers. The first start registers the subscription (TRIM_HORIZON);
     * every later one checks that the subscription survived.
     */
    void startService() throws Exception {
        starts++;
        mark("start " + starts);
        service = ServiceProcess.start(JAR, List.of("-XX:TieredStopAtLevel=1"), Map.of(
                "DYNAMODB_ENDPOINT_URL", db.endpoint().toString(),
                "AWS_REGION", "us-east-1",
                "AWS_ACCESS_KEY_ID", "test",
                "AWS_SECRET_ACCESS_KEY", "test",
                "DYNAMO_STREAM_STATE_STORE", "embedded",
                "DYNAMO_STREAM_STATE_DIR", stateDir.toString()), serviceLog, READY_TIMEOUT);
        if (subscriptionId == null) {
            subscriptionId = service.subscribe(TABLE, receiver.url(), "TRIM_HORIZON");
        } else if (!service.subscriptionIds().contains(subscriptionId)) {
            throw new AssertionError("subscription " + subscriptionId + " did not survive restart " + (starts - 1)
                    + ": GET / answers " + service.subscriptionsText() + " (state dir " + stateDir + ")");
        }
    }

    /** SIGKILLs the running service; returns its exit status. */
    int killService() throws InterruptedException, IOException {
        mark("SIGKILL");
        int status = service.kill();
        mark("exit status " + status);
        return status;
    }

    /** SIGTERMs the running service; its exit status, or empty when it outlived the shutdown timeout (+5 s). */
    OptionalInt stopService() throws InterruptedException, IOException {
        mark("SIGTERM");
        OptionalInt status = service.stop(SHUTDOWN_TIMEOUT.plusSeconds(5));
        mark(status.isPresent() ? "exit status " + status.getAsInt() : "no exit in time: SIGKILL");
        return status;
    }

    /** A line in the service log, to line it up with the receive times in posts.txt. */
    private void mark(String event) throws IOException {
        Files.writeString(serviceLog, "===== " + event + " at " + Instant.now() + " =====\n", StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }

    /** Starts the writer and the resharding thread. */
    void startTraffic() {
        traffic.set(true);
        long pause = Long.getLong("crash.write-pause-ms", 5);
        long reshardEvery = Long.getLong("crash.reshard-ms", 5000);
        threads.add(Thread.ofPlatform().name("crash-writer").start(() -> {
            for (int i = 1; traffic.get(); i++) {
                String key = "k-%07d".formatted(i);
                try {
                    dynamo.put(TABLE, Map.of("pk", AttributeValue.fromS(key), "n", AttributeValue.fromN("" + i)));
                    synchronized (written) {
                        written.add(key);
                    }
                } catch (RuntimeException e) {
                    // the reply was lost or the write failed: the key may or may not be in the stream
                    failedWrites.incrementAndGet();
                }
                pauseFor(pause);
            }
        }));
        threads.add(Thread.ofPlatform().name("crash-resharder").start(() -> {
            int open = INITIAL_SHARDS;
            while (traffic.get()) {
                pauseFor(reshardEvery);
                if (!traffic.get()) {
                    break;
                }
                try {
                    if (open < MAX_OPEN_SHARDS && reshards.get() % 2 == 1) {
                        dynamo.hook("split", Map.of("table", TABLE, "shards", ++open));
                    } else {
                        dynamo.hook("rollover", Map.of("table", TABLE));
                    }
                    reshards.incrementAndGet();
                } catch (RuntimeException e) {
                    System.err.println(name + ": resharding failed: " + e);
                }
            }
        }));
    }

    /** Stops writing and resharding and waits for both threads. */
    void stopTraffic() throws InterruptedException {
        traffic.set(false);
        for (Thread t : threads) {
            t.join(Duration.ofSeconds(30));
        }
        threads.clear();
    }

    private List<String> written() {
        synchronized (written) {
            return List.copyOf(written);
        }
    }

    /** Waits until every written key reached the receiver; false when {@code crash.catch-up-seconds} passed first. */
    boolean awaitAllDelivered() {
        List<String> keys = written();
        try {
            Awaitility.await().atMost(Duration.ofSeconds(Long.getLong("crash.catch-up-seconds", 90)))
                    .pollInterval(Duration.ofMillis(250)).until(() -> validator.deliveredAll(keys));
            return true;
        } catch (ConditionTimeoutException e) {
            System.err.printf("%s: only %d of %d written keys delivered in time%n", name,
                    validator.deliveredKeyCount(), keys.size());
            return false;
        }
    }

    /** Validates what the receiver got; also writes the POST log and the report under target/crash-it. */
    DeliveryValidator.Report validate(int kills) throws IOException {
        Map<String, String> parentOfShard = new HashMap<>();
        for (JsonNode shard : dynamo.get("shards?table=" + TABLE).path("shards")) {
            if (shard.hasNonNull("parentShardId")) {
                parentOfShard.put(shard.get("shardId").asText(), shard.get("parentShardId").asText());
            }
        }
        var layout = new DeliveryValidator.StreamLayout(dynamo.shardOfEachSequenceNumber(TABLE), parentOfShard);
        DeliveryValidator.Report report = validator.validate(Set.of(subscriptionId), written(), kills, layout);
        validator.writeLog(outDir.resolve("posts.txt"));
        Files.writeString(outDir.resolve("report.txt"), report + "\n");
        return report;
    }

    /** Figures of the run besides the validator's. */
    String trafficFigures() {
        return "starts=" + starts + " reshards=" + reshards.get() + " failedWrites=" + failedWrites.get()
                + " shards=" + dynamo.get("shards?table=" + TABLE).path("shards").size();
    }

    Path outDir() {
        return outDir;
    }

    private static void pauseFor(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void stopProcesses() {
        ServiceProcess s = service;
        if (s != null) {
            s.close();
        }
        db.close();
    }

    @Override
    public void close() throws InterruptedException {
        try {
            stopTraffic();
        } finally {
            receiver.close();
            stopProcesses();
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
    }

    private static Duration shutdownTimeout() {
        Properties properties = new Properties();
        try (InputStream in = CrashScenario.class.getResourceAsStream("/application.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String value = properties.getProperty("quarkus.shutdown.timeout", "10s").trim().toLowerCase(Locale.ROOT);
        return value.endsWith("ms") ? Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2)))
                : Duration.parse("PT" + value);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
