package io.dynamostream.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.dynamostream.delivery.LambdaPayload;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.model.GetRecordsResponse;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.Shard;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * The "bare loop": the least a stream-to-HTTP forwarder can do. One platform thread per shard (parents are not
 * waited for), GetShardIterator TRIM_HORIZON, GetRecords limit 1000, and for every 100 records one
 * {@link LambdaPayload#body} POSTed synchronously with java.net.http. No buffering, retries, checkpoints or ordering
 * across shards: its rate is the practical limit of this machine + local server + receiver.
 *
 * <p>It runs in its own JVM ({@link #main}), like the service: the benchmark's JVM only receives, so both are
 * measured in the same setting (forwarder process, receiver process, local server process on the same cores) and
 * both stay warm across rounds.
 */
final class BareLoop {

    private static final int LIMIT = 1000;
    private static final int BATCH = 100;

    private final DynamoDbStreamsClient streams;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    BareLoop(DynamoDbStreamsClient streams) {
        this.streams = streams;
    }

    /**
     * The bare loop as a process: {@code BareLoop <endpoint>}, then one command per line on standard input,
     * {@code <streamArn> <records> <url>}, each answered on standard output with {@code ok} or {@code failed <why>}.
     */
    public static void main(String[] args) throws Exception {
        DynamoDbStreamsClient streams = DynamoDbStreamsClient.builder().endpointOverride(URI.create(args[0]))
                .region(Region.US_EAST_1).httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "x"))).build();
        BareLoop loop = new BareLoop(streams);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        System.out.println("ready");
        for (String line; (line = in.readLine()) != null;) {
            String[] p = line.split(" ");
            try {
                loop.run(p[0], Long.parseLong(p[1]), URI.create(p[2]));
                System.out.println("ok");
            } catch (Exception e) {
                System.out.println("failed " + e);
            }
        }
    }

    /** Reads until {@code total} records were read and POSTed; returns when every thread stopped. */
    void run(String streamArn, long total, URI url) throws Exception {
        List<Shard> shards = new ArrayList<>();
        String last = null;
        do {
            String from = last;
            var d = streams.describeStream(r -> r.streamArn(streamArn).exclusiveStartShardId(from))
                    .streamDescription();
            shards.addAll(d.shards());
            last = d.lastEvaluatedShardId();
        } while (last != null);

        AtomicLong read = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (Shard shard : shards) {
            threads.add(Thread.ofPlatform().name("bare-" + shard.shardId()).start(() -> {
                try {
                    readShard(streamArn, shard.shardId(), total, read, url);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                    read.addAndGet(total); // let the others stop
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("bare loop failed", failure.get());
        }
    }

    private void readShard(String streamArn, String shardId, long total, AtomicLong read, URI url) throws Exception {
        String iterator = streams.getShardIterator(r -> r.streamArn(streamArn).shardId(shardId)
                .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
        while (iterator != null && read.get() < total) {
            String it = iterator;
            GetRecordsResponse response = streams.getRecords(r -> r.shardIterator(it).limit(LIMIT));
            List<Record> records = response.records();
            for (int from = 0; from < records.size(); from += BATCH) {
                byte[] body = LambdaPayload.body(records.subList(from, Math.min(records.size(), from + BATCH)),
                        streamArn);
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(url)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() != 200) {
                    throw new IllegalStateException("receiver answered " + r.statusCode());
                }
            }
            read.addAndGet(records.size());
            iterator = response.nextShardIterator();
            if (records.isEmpty() && iterator != null) {
                Thread.sleep(20); // open shard drained; others may still be reading
            }
        }
    }
}
