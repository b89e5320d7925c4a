package io.dynamostream.metrics;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.dynamostream.dev.LocalDynamoDbServer;
import io.dynamostream.e2e.Dynamo;
import io.dynamostream.e2e.ServiceProcess;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * Measures the packaged service's memory with idle subscriptions against the bundled local server (issue 13.6): RSS,
 * live heap (after the full GC of {@code jcmd GC.class_histogram}, written to {@code target/footprint/}) and the
 * {@code /q/metrics} size, series and render time, at each count of {@code -Dfootprint.subscriptions} (ascending,
 * comma-separated) spread over {@code -Dfootprint.tables} tables. JVM options of the service:
 * {@code -Dfootprint.jvmArgs}; {@code -Dfootprint.app} another quarkus-run.jar; {@code -Dfootprint.nmt=true} also writes
 * {@code jcmd VM.native_memory summary} (with {@code -XX:NativeMemoryTracking=summary} in the JVM options).
 *
 * <pre>
 * ./mvnw -q test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java \
 *     -Dexec.mainClass=io.dynamostream.metrics.IdleFootprint -Dexec.classpathScope=test \
 *     -Dfootprint.subscriptions=1000,2000 -Dfootprint.jvmArgs="-XX:+UseSerialGC"
 * </pre>
 */
public final class IdleFootprint {

    private IdleFootprint() {
    }

    public static void main(String[] args) throws Exception {
        Path project = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        Path jar = Path.of(System.getProperty("footprint.app",
                project.resolve("target/quarkus-app/quarkus-run.jar").toString()));
        int[] counts = Arrays.stream(System.getProperty("footprint.subscriptions", "1000,2000").split(","))
                .mapToInt(s -> Integer.parseInt(s.trim())).toArray();
        int tables = Integer.getInteger("footprint.tables", 20);
        int settle = Integer.getInteger("footprint.settleSeconds", 20);
        String jvm = System.getProperty("footprint.jvmArgs", "").trim();
        List<String> jvmArgs = jvm.isEmpty() ? List.of() : List.of(jvm.split("\\s+"));
        if (System.getProperty(LocalDynamoDbServer.DIR_PROPERTY) == null) {
            System.setProperty(LocalDynamoDbServer.DIR_PROPERTY, project.resolve("src/localdb").toString());
        }
        Path out = Files.createDirectories(project.resolve("target/footprint"));
        Path state = Files.createTempDirectory("footprint-state");
        String tag = System.getProperty("footprint.tag", "run");
        System.out.printf(Locale.ROOT, "jvmArgs: %s; %d tables%n", jvmArgs, tables);

        try (LocalDynamoDbServer local = LocalDynamoDbServer.start()) {
            Dynamo dynamo = new Dynamo(local.endpoint());
            List<String> names = new ArrayList<>();
            for (int t = 0; t < tables; t++) {
                names.add(dynamo.createTable("fp_" + t, StreamViewType.NEW_IMAGE));
            }
            Path log = out.resolve(tag + "-service.log");
            Files.deleteIfExists(log);
            try (ServiceProcess service = ServiceProcess.start(jar, jvmArgs, Map.of("DYNAMODB_ENDPOINT_URL",
                    local.endpoint().toString(), "AWS_REGION", "us-east-1", "AWS_ACCESS_KEY_ID", "x",
                    "AWS_SECRET_ACCESS_KEY", "x", "DYNAMO_STREAM_STATE_DIR", state.toString(),
                    "DYNAMO_STREAM_LIMITS_MAX_SUBSCRIPTIONS", "100000"), log, Duration.ofSeconds(60))) {
                URI base = URI.create("http://127.0.0.1:" + port(service) + "/");
                report(service, base, 0, out, tag);
                int registered = 0;
                ExecutorService pool = Executors.newFixedThreadPool(4);
                try {
                    for (int target : counts) {
                        List<Future<String>> done = new ArrayList<>();
                        for (int i = registered; i < target; i++) {
                            String table = names.get(i % tables);
                            done.add(pool.submit(() -> service.subscribe(table,
                                    URI.create("http://127.0.0.1:9/idle"), "LATEST")));
                        }
                        for (Future<String> f : done) {
                            f.get();
                        }
                        registered = target;
                        Thread.sleep(settle * 1000L);
                        report(service, base, registered, out, tag);
                    }
                } finally {
                    pool.shutdownNow();
                }
            }
        }
    }

    private static int port(ServiceProcess service) throws Exception {
        var f = ServiceProcess.class.getDeclaredField("base");
        f.setAccessible(true);
        return ((URI) f.get(service)).getPort();
    }

    private static void report(ServiceProcess service, URI base, int subscriptions, Path out, String tag)
            throws Exception {
        long rss = service.procStatusKb("VmRSS");
        String hist = jcmd(service.pid(), "GC.class_histogram");
        Files.writeString(out.resolve(tag + "-histo-" + subscriptions + ".txt"), hist);
        long live = 0;
        for (String line : hist.split("\n")) {
            if (line.startsWith("Total")) {
                live = Long.parseLong(line.trim().split("\\s+")[2]);
            }
        }
        String heap = jcmd(service.pid(), "GC.heap_info").replace('\n', ' ').replaceAll("\\s+", " ");
        if (Boolean.getBoolean("footprint.nmt")) { // needs -XX:NativeMemoryTracking=summary in footprint.jvmArgs
            Files.writeString(out.resolve(tag + "-nmt-" + subscriptions + ".txt"),
                    jcmd(service.pid(), "VM.native_memory", "summary"));
        }
        long rssAfterGc = service.procStatusKb("VmRSS");
        HttpClient http = HttpClient.newHttpClient();
        String text = "";
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            long t = System.nanoTime();
            text = http.send(HttpRequest.newBuilder(base.resolve("/q/metrics")).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            best = Math.min(best, System.nanoTime() - t);
        }
        long series = text.lines().filter(l -> !l.isEmpty() && !l.startsWith("#")).count();
        long ours = text.lines().filter(l -> l.startsWith("dynamo_stream_")).count();
        System.out.printf(Locale.ROOT,
                "%6d subscriptions: RSS %4d MB (after full GC %4d MB), live heap %5.1f MB, /q/metrics %7.1f kB in "
                        + "%4d ms, %6d series (%6d dynamo_stream_)%n    %s%n",
                subscriptions, rss / 1024, rssAfterGc / 1024, live / 1048576.0, text.length() / 1024.0,
                best / 1_000_000, series, ours, heap);
    }

    /** What {@code jcmd <pid> <command...>} (the JDK running this JVM) prints, standard error included. */
    public static String jcmd(long pid, String... command) throws Exception {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        List<String> cmd = new ArrayList<>(List.of(jcmd.toString(), Long.toString(pid)));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return text;
    }
}
