package io.dynamostream.aws;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicLong;

import io.dynamostream.dev.LocalDynamoDbServer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * Not a test: the measurement behind the choice of the Streams client's HTTP client (issue 13.5). N pollers (virtual
 * threads, like the readers) each loop GetRecords on an idle shard with the reader's 200 ms idle wait, through a
 * Streams client on the given HTTP client, against the bundled local server behind a counting TCP proxy (a separate
 * node process, so its CPU is not ours). Prints calls, new connections per call, CPU per call, RSS and the live
 * {@code ScheduledFutureTask} count.
 *
 * <p>Run: {@code java -cp target/test-classes:target/classes:<deps> io.dynamostream.aws.StreamsHttpClientBench
 * apache5|url|apache|crt pollers seconds [sdk-timer|own-timer [interval-ms]]}: apache5 is the service's, url the
 * DynamoDB client's; the apache (4) and crt clients are looked up by name, so this compiles without them. The
 * interval is the wait between two polls of a poller (200 ms unless given; 2000 is a quiet shard at the floor).
 */
public final class StreamsHttpClientBench {

    private static final String PROXY = """
            const net = require('net'); let n = 0; const target = +process.argv[2];
            net.createServer((c) => { n++; process.stdout.write('C ' + n + '\\n');
              const s = net.connect(target, '127.0.0.1'); c.pipe(s); s.pipe(c);
              const end = () => { c.destroy(); s.destroy(); };
              c.on('error', end); s.on('error', end); c.on('close', end); s.on('close', end);
            }).listen(0, '127.0.0.1', function () { process.stdout.write('LISTENING ' + this.address().port + '\\n'); });
            process.stdin.on('end', () => process.exit(0)); process.stdin.resume();
            """;

    private StreamsHttpClientBench() {
    }

    public static void main(String[] args) throws Exception {
        String type = args[0];
        int pollers = Integer.parseInt(args[1]);
        Duration run = Duration.ofSeconds(Long.parseLong(args[2]));
        boolean ownTimer = args.length > 3 && args[3].equals("own-timer");
        long intervalMs = args.length > 4 ? Long.parseLong(args[4]) : 200;
        try (LocalDynamoDbServer db = LocalDynamoDbServer.start()) {
            Path script = Files.createTempFile("count-proxy", ".js");
            Files.writeString(script, PROXY);
            Process proxy = new ProcessBuilder("node", script.toString(),
                    Integer.toString(db.endpoint().getPort())).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            AtomicLong connections = new AtomicLong();
            BufferedReader out = new BufferedReader(new InputStreamReader(proxy.getInputStream(),
                    StandardCharsets.UTF_8));
            int port = Integer.parseInt(out.readLine().substring("LISTENING ".length()));
            Thread.ofPlatform().daemon().start(() -> out.lines()
                    .forEach(l -> connections.set(Long.parseLong(l.substring(2)))));
            try {
                measure(type, pollers, run, ownTimer, intervalMs, URI.create("http://127.0.0.1:" + port),
                        connections);
            } finally {
                proxy.getOutputStream().close();
                proxy.destroy();
            }
        }
    }

    private static void measure(String type, int pollers, Duration run, boolean ownTimer, long intervalMs,
            URI endpoint, AtomicLong connections) throws Exception {
        var credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"));
        String streamArn;
        try (DynamoDbClient dynamo = DynamoDbClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
                .credentialsProvider(credentials).httpClient(UrlConnectionHttpClient.create()).build()) {
            dynamo.createTable(r -> r.tableName("bench").billingMode(BillingMode.PAY_PER_REQUEST)
                    .attributeDefinitions(a -> a.attributeName("pk").attributeType(ScalarAttributeType.S))
                    .keySchema(k -> k.attributeName("pk").keyType(KeyType.HASH))
                    .streamSpecification(s -> s.streamEnabled(true).streamViewType(StreamViewType.NEW_IMAGE)));
            streamArn = dynamo.describeTable(r -> r.tableName("bench")).table().latestStreamArn();
        }
        var overrides = ClientOverrideConfiguration.builder().apiCallAttemptTimeout(Duration.ofSeconds(10));
        ScheduledThreadPoolExecutor timer = null;
        if (ownTimer) {
            timer = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().daemon().name("streams-timeouts")
                    .factory());
            timer.setRemoveOnCancelPolicy(true);
            overrides.scheduledExecutorService(timer);
        }
        try (DynamoDbStreamsClient streams = DynamoDbStreamsClient.builder().endpointOverride(endpoint)
                .region(Region.US_EAST_1).credentialsProvider(credentials).httpClient(httpClient(type, pollers))
                .overrideConfiguration(overrides.build()).build()) {
            String shard = streams.describeStream(r -> r.streamArn(streamArn)).streamDescription().shards().get(0)
                    .shardId();
            AtomicLong calls = new AtomicLong();
            AtomicLong errors = new AtomicLong();
            AtomicLong nanos = new AtomicLong();
            // warm-up: at least 5 s, and 10 polls of each poller (the JIT has compiled the call path by then)
            long warmupEnd = System.nanoTime() + Math.max(Duration.ofSeconds(5).toNanos(),
                    Duration.ofMillis(intervalMs * 10).toNanos());
            long end = warmupEnd + run.toNanos();
            CountDownLatch done = new CountDownLatch(pollers);
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < pollers; i++) {
                threads.add(Thread.ofVirtual().name("reader-" + i).start(() -> {
                    try {
                        String iterator = streams.getShardIterator(r -> r.streamArn(streamArn).shardId(shard)
                                .shardIteratorType(ShardIteratorType.LATEST)).shardIterator();
                        while (System.nanoTime() < end) {
                            long t0 = System.nanoTime();
                            try {
                                String it = iterator;
                                iterator = streams.getRecords(r -> r.shardIterator(it)).nextShardIterator();
                                if (t0 > warmupEnd) {
                                    calls.incrementAndGet();
                                    nanos.addAndGet(System.nanoTime() - t0);
                                }
                            } catch (RuntimeException e) {
                                if (t0 > warmupEnd) {
                                    errors.incrementAndGet();
                                }
                            }
                            Thread.sleep(intervalMs);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        done.countDown();
                    }
                }));
            }
            while (System.nanoTime() < warmupEnd) {
                Thread.sleep(50);
            }
            long conn0 = connections.get();
            long cpu0 = processCpuNanos();
            done.await();
            long cpu = processCpuNanos() - cpu0;
            long conn = connections.get() - conn0;
            long rss = rssKb();
            long tasks = liveScheduledFutureTasks();
            long n = calls.get();
            System.out.printf("RESULT type=%s timer=%s pollers=%d seconds=%d calls=%d calls/s=%.0f errors=%d "
                    + "newConn=%d newConn/call=%.3f totalConn=%d cpuMsPerCall=%.3f cpuCores=%.2f avgMs=%.1f "
                    + "rssMB=%d liveScheduledFutureTask=%d%n", type, ownTimer ? "own" : "sdk", pollers,
                    run.toSeconds(), n, n / (double) run.toSeconds(), errors.get(), conn,
                    n == 0 ? 0 : conn / (double) n, connections.get(), n == 0 ? 0 : cpu / 1e6 / n,
                    cpu / (double) run.toNanos(), n == 0 ? 0 : nanos.get() / 1e6 / n, rss / 1024, tasks);
        } finally {
            if (timer != null) {
                timer.shutdownNow();
            }
        }
    }

    private static SdkHttpClient httpClient(String type, int pollers) throws Exception {
        return switch (type) {
            case "url" -> UrlConnectionHttpClient.create();
            case "apache5" -> Apache5HttpClient.builder().maxConnections(pollers).build();
            case "apache" -> build("software.amazon.awssdk.http.apache.ApacheHttpClient", "maxConnections",
                    pollers);
            case "crt" -> build("software.amazon.awssdk.http.crt.AwsCrtHttpClient", "maxConcurrency", pollers);
            default -> throw new IllegalArgumentException(type);
        };
    }

    private static SdkHttpClient build(String className, String sizeMethod, int size) throws Exception {
        Object builder = Class.forName(className).getMethod("builder").invoke(null);
        Class<?> type = Class.forName(className + "$Builder");
        type.getMethod(sizeMethod, Integer.class).invoke(builder, size);
        return (SdkHttpClient) SdkHttpClient.Builder.class.getMethod("build").invoke(builder);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }

    /** Live ScheduledFutureTask objects after a full GC (the GC.class_histogram diagnostic command, in-process). */
    static long liveScheduledFutureTasks() throws Exception {
        String histogram = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                new Object[] {null}, new String[] {String[].class.getName()});
        return histogram.lines()
                .filter(l -> l.contains("java.util.concurrent.ScheduledThreadPoolExecutor$ScheduledFutureTask "))
                .mapToLong(l -> Long.parseLong(l.trim().split("\\s+")[1])).findFirst().orElse(0);
    }
}
