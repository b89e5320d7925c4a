package io.dynamostream.bench;

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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.dynamostream.AwsLocal;
import io.dynamostream.delivery.ElasticMq;
import io.dynamostream.e2e.Dynamo;
import io.dynamostream.e2e.ServiceProcess;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.Shard;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/**
 * The benchmark's {@code destinations} mode (issue 12): the P2 drain into real AWS-compatible servers, ElasticMQ
 * (SQS) and kinesalite (Kinesis). For each, rounds of: the service drains {@code bench.dest.records} pre-generated
 * records on {@code bench.dest.shards} shards (a new TRIM_HORIZON subscription whose url is the queue's or stream's
 * ARN, one message per record), timed from the registration to the last record acknowledged (the subscription's
 * {@code dynamo_stream_records_delivered_total}); and a bare SDK loop that writes the same records' JSON with the same
 * calls (SendMessageBatch of 10, PutRecords of {@code batch_size} 100), one thread per shard as the service has one
 * cursor per shard, timed alike. The two alternate; the medians and the median ratio are printed.
 */
final class DestinationDrain {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Dynamo dynamo;
    private final Path jar;
    private final Path out;
    private final List<String> jvmArgs;
    private final Map<String, String> env;
    private final Consumer<AutoCloseable> resources;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final int records = Integer.getInteger("bench.dest.records", 20_000);
    private final int shards = Integer.getInteger("bench.dest.shards", 4);
    private final int rounds = Integer.getInteger("bench.dest.rounds", 3);
    private final int warmups = Integer.getInteger("bench.dest.warmups", 1);
    private final List<String[]> rows = new ArrayList<>();

    DestinationDrain(Dynamo dynamo, Path jar, Path out, List<String> jvmArgs, Map<String, String> env,
            Consumer<AutoCloseable> resources) {
        this.dynamo = dynamo;
        this.jar = jar;
        this.out = out;
        this.jvmArgs = jvmArgs;
        this.env = env;
        this.resources = resources;
    }

    /** One destination under test: how to make a fresh target and the bare loop's writes to it. */
    private interface Target {
        String name();

        /** A new, empty queue or stream for one drain; its ARN. */
        String create(String suffix) throws Exception;

        /** Writes the bodies of one shard's records as the service would (same batch calls), on this thread. */
        void write(String arn, List<String> bodies, List<String> keys);

        /** How many messages the target holds now. */
        long count(String arn);
    }

    void run() throws Exception {
        ElasticMq sqsServer = new ElasticMq();
        resources.accept(sqsServer);
        // kinesalite stores CBOR record data wrongly: the SDK speaks JSON to it (the README's advice)
        System.setProperty("aws.cborEnabled", "false");
        AwsLocal kinesalite = AwsLocal.kinesalite();
        resources.accept(kinesalite);
        StaticCredentialsProvider creds = StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "x"));
        SqsClient sqs = SqsClient.builder().endpointOverride(sqsServer.endpoint()).region(Region.US_EAST_1)
                .httpClient(UrlConnectionHttpClient.create()).credentialsProvider(creds).build();
        KinesisClient kinesis = KinesisClient.builder().endpointOverride(kinesalite.endpoint())
                .region(Region.US_EAST_1).httpClient(UrlConnectionHttpClient.create()).credentialsProvider(creds)
                .build();
        resources.accept(sqs);
        resources.accept(kinesis);

        Map<String, String> serviceEnv = new HashMap<>(env);
        serviceEnv.put("CBOR_ENABLED", "false");
        Path log = out.resolve("service-destinations.log");
        Files.deleteIfExists(log);
        ServiceProcess service = ServiceProcess.start(jar, jvmArgs, serviceEnv, log, Duration.ofSeconds(60));
        resources.accept(() -> service.stop(Duration.ofSeconds(10)));

        String table = "bench_destinations";
        dynamo.createTable(table, StreamViewType.NEW_AND_OLD_IMAGES);
        dynamo.hook("split", Map.of("table", table, "shards", shards));
        dynamo.hook("generate", Map.of("table", table, "count", records));
        String streamArn = dynamo.get("shards?table=" + table).get("streamArn").asText();
        List<List<Record>> perShard = readAll(streamArn);
        System.out.printf(Locale.ROOT, "P2 per destination: %,d records on %d shards, TRIM_HORIZON, one message per "
                + "record; %d warm-up + %d measured rounds of the service and the bare SDK loop%n", records, shards,
                warmups, rounds);

        Target queue = new Target() {
            public String name() {
                return "SQS (ElasticMQ)";
            }

            public String create(String suffix) {
                sqs.createQueue(r -> r.queueName("drain-" + suffix));
                return "arn:aws:sqs:us-east-1:123456789012:drain-" + suffix;
            }

            public void write(String arn, List<String> bodies, List<String> keys) {
                String url = sqs.getQueueUrl(r -> r.queueName(arn.substring(arn.lastIndexOf(':') + 1))).queueUrl();
                for (int i = 0; i < bodies.size(); i += 10) {
                    List<SendMessageBatchRequestEntry> entries = new ArrayList<>();
                    for (int j = i; j < Math.min(i + 10, bodies.size()); j++) {
                        entries.add(SendMessageBatchRequestEntry.builder().id(Integer.toString(j - i))
                                .messageBody(bodies.get(j)).build());
                    }
                    sqs.sendMessageBatch(r -> r.queueUrl(url).entries(entries));
                }
            }

            public long count(String arn) {
                String url = sqs.getQueueUrl(r -> r.queueName(arn.substring(arn.lastIndexOf(':') + 1))).queueUrl();
                return Long.parseLong(sqs.getQueueAttributes(r -> r.queueUrl(url)
                        .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES)).attributes()
                        .get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES));
            }
        };
        Target stream = new Target() {
            public String name() {
                return "Kinesis (kinesalite)";
            }

            public String create(String suffix) throws Exception {
                String name = "drain-" + suffix;
                // one shard each: kinesalite allows 10 shards in all, and its shards do not limit throughput
                kinesis.createStream(r -> r.streamName(name).shardCount(1));
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (kinesis.describeStream(r -> r.streamName(name)).streamDescription().streamStatus()
                        != StreamStatus.ACTIVE) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException(name + " not ACTIVE after 30 s");
                    }
                    Thread.sleep(50); // kinesalite's creation delay; nothing to wait on but its answer
                }
                return "arn:aws:kinesis:us-east-1:123456789012:stream/" + name;
            }

            public void write(String arn, List<String> bodies, List<String> keys) {
                String name = arn.substring(arn.lastIndexOf('/') + 1);
                for (int i = 0; i < bodies.size(); i += 100) {
                    List<PutRecordsRequestEntry> entries = new ArrayList<>();
                    for (int j = i; j < Math.min(i + 100, bodies.size()); j++) {
                        entries.add(PutRecordsRequestEntry.builder().partitionKey(keys.get(j))
                                .data(SdkBytes.fromUtf8String(bodies.get(j))).build());
                    }
                    kinesis.putRecords(r -> r.streamName(name).records(entries));
                }
            }

            public long count(String arn) {
                return -1; // counted by the service's acknowledgements only (reading kinesalite back is slow)
            }
        };
        for (Target target : List.of(queue, stream)) {
            measure(target, service, table, perShard, streamArn, target == stream ? kinesalite.endpoint()
                    : sqsServer.endpoint());
        }
        System.clearProperty("aws.cborEnabled");
    }

    private void measure(Target target, ServiceProcess service, String table, List<List<Record>> perShard,
            String streamArn, URI endpoint) throws Exception {
        double[] serviceRates = new double[rounds];
        double[] bareRates = new double[rounds];
        for (int round = 1 - warmups; round <= rounds; round++) {
            String suffix = target.name().substring(0, 3).toLowerCase(Locale.ROOT) + "-" + (round + warmups);
            boolean serviceFirst = Math.floorMod(round, 2) == 0;
            double s = 0;
            double b = 0;
            for (int i = 0; i < 2; i++) {
                if (serviceFirst == (i == 0)) {
                    s = serviceDrain(target, service, table, endpoint, suffix);
                } else {
                    b = bareDrain(target, perShard, streamArn, suffix);
                }
            }
            System.out.printf(Locale.ROOT, "    %-22s %-9s service %,7.0f rec/s   bare SDK loop %,7.0f rec/s   %.0f %%%n",
                    target.name(), round <= 0 ? "warm-up" : "round " + round, s, b, 100 * s / b);
            if (round > 0) {
                serviceRates[round - 1] = s;
                bareRates[round - 1] = b;
            }
        }
        double[] ratios = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            ratios[i] = serviceRates[i] / bareRates[i];
        }
        rows.add(new String[] {"P2 into " + target.name() + ", service", rate(median(serviceRates))});
        rows.add(new String[] {"P2 into " + target.name() + ", bare SDK loop", rate(median(bareRates))});
        rows.add(new String[] {"P2 into " + target.name() + ", service / bare loop",
                String.format(Locale.ROOT, "%.0f %% (median per round)", 100 * median(ratios))});
    }

    /** Registers a TRIM_HORIZON subscription to the target and waits until every record is acknowledged. */
    private double serviceDrain(Target target, ServiceProcess service, String table, URI endpoint, String suffix)
            throws Exception {
        String arn = target.create("svc-" + suffix);
        long t0 = System.nanoTime();
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(service.base().resolve("/subscriptions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        JSON.writeValueAsString(Map.of("table_name", table, "url", arn, "endpoint_url",
                                endpoint.toString(), "starting_position", "TRIM_HORIZON")))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (created.statusCode() != 201) {
            throw new IllegalStateException("registration refused: " + created.body());
        }
        String id = JSON.readTree(created.body()).get("id").asText();
        Pattern delivered = Pattern.compile("dynamo_stream_records_delivered_total\\{subscription=\"" + id
                + "\"[^}]*} ([0-9.E]+)");
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (true) {
            String metrics = http.send(HttpRequest.newBuilder(service.base().resolve("/q/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = delivered.matcher(metrics);
            if (m.find() && Double.parseDouble(m.group(1)) >= records) {
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not drained after 5 minutes: " + service.subscription(id));
            }
            Thread.sleep(20); // a scrape every 20 ms: the drain takes seconds
        }
        long t1 = System.nanoTime();
        service.unsubscribe(id);
        long held = target.count(arn);
        if (held >= 0 && held < records) {
            throw new IllegalStateException(target.name() + " holds " + held + " of " + records + " messages");
        }
        return records / ((t1 - t0) / 1e9);
    }

    /** The same records' JSON written by the SDK alone, one thread per shard. */
    private double bareDrain(Target target, List<List<Record>> perShard, String streamArn, String suffix)
            throws Exception {
        String arn = target.create("bare-" + suffix);
        List<List<String>> bodies = new ArrayList<>();
        List<List<String>> keys = new ArrayList<>();
        for (List<Record> shard : perShard) {
            JsonNode batch = JSON.readTree(io.dynamostream.delivery.LambdaPayload.body(shard, streamArn))
                    .get("Records");
            List<String> b = new ArrayList<>();
            List<String> k = new ArrayList<>();
            for (JsonNode r : batch) {
                b.add(r.toString());
                k.add(r.get("dynamodb").get("Keys").toString());
            }
            bodies.add(b);
            keys.add(k);
        }
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(perShard.size())) {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < perShard.size(); i++) {
                int shard = i;
                done.add(pool.submit(() -> target.write(arn, bodies.get(shard), keys.get(shard))));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
        return records / ((System.nanoTime() - t0) / 1e9);
    }

    /** Every record of the stream, per shard, in order. */
    private List<List<Record>> readAll(String streamArn) {
        List<List<Record>> out = new ArrayList<>();
        for (Shard shard : dynamo.streams.describeStream(r -> r.streamArn(streamArn)).streamDescription().shards()) {
            List<Record> records = new ArrayList<>();
            String it = dynamo.streams.getShardIterator(r -> r.streamArn(streamArn).shardId(shard.shardId())
                    .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
            while (it != null) {
                String current = it;
                var page = dynamo.streams.getRecords(r -> r.shardIterator(current).limit(1000));
                if (page.records().isEmpty()) {
                    break;
                }
                records.addAll(page.records());
                it = page.nextShardIterator();
            }
            out.add(records);
        }
        return out;
    }

    void printTable() {
        System.out.println();
        for (String[] row : rows) {
            System.out.printf(Locale.ROOT, "%-52s %s%n", row[0], row[1]);
        }
    }

    private static String rate(double r) {
        return String.format(Locale.ROOT, "%,.0f rec/s", r);
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
