package io.dynamostream.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.dynamostream.AwsLocal;
import io.dynamostream.subscription.Subscription;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.StreamRecord;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/**
 * Records per second into ElasticMQ and kinesalite through the SQS and Kinesis destinations (batches of 100 records,
 * one message per record, as a subscription sends them) next to a bare SDK loop writing the same record bodies with
 * the same batch calls in the same run (two rounds each, alternating; the second is reported). Not part of the suite (no *Test name): run it with
 * {@code ./mvnw -o test -Dtest=DestinationThroughput -Dsurefire.failIfNoSpecifiedTests=false}; it prints one line per
 * destination.
 */
class DestinationThroughput {

    private static final int RECORDS = Integer.getInteger("throughput.records", 5000);
    private static final int BATCH = 100;

    private static List<List<Record>> batches() {
        List<List<Record>> batches = new ArrayList<>();
        for (int b = 0; b < RECORDS / BATCH; b++) {
            List<Record> batch = new ArrayList<>();
            for (int i = 0; i < BATCH; i++) {
                int n = b * BATCH + i;
                batch.add(Record.builder().eventID("ev-" + n).eventName("INSERT").awsRegion("us-east-1")
                        .dynamodb(StreamRecord.builder().sequenceNumber(Integer.toString(1000 + n))
                                .approximateCreationDateTime(Instant.now()).sizeBytes(60L)
                                .keys(Map.of("pk", AttributeValue.fromS("user#" + (n % 500))))
                                .newImage(Map.of("pk", AttributeValue.fromS("user#" + (n % 500)),
                                        "n", AttributeValue.fromN(Integer.toString(n)),
                                        "name", AttributeValue.fromS("someone " + n))).build())
                        .build());
            }
            batches.add(batch);
        }
        return batches;
    }

    /** Runs both twice, alternating (the first round warms up the JIT for both); the second round's times. */
    private static long[] rounds(Runnable destination, Runnable bareLoop) {
        long[] nanos = new long[2];
        for (int round = 0; round < 2; round++) {
            long started = System.nanoTime();
            destination.run();
            nanos[0] = System.nanoTime() - started;
            started = System.nanoTime();
            bareLoop.run();
            nanos[1] = System.nanoTime() - started;
        }
        return nanos;
    }

    private static double perSecond(long nanos) {
        return RECORDS / (nanos / 1e9);
    }

    @Test
    void sqs() throws Exception {
        try (ElasticMq sqs = new ElasticMq(); AwsDestinations aws = new AwsDestinations()) {
            String arn = sqs.create("throughput");
            sqs.create("throughput-bare");
            Subscription s = AwsDestinations.subscription("{\"table_name\": \"People\", \"url\": \"" + arn
                    + "\", \"endpoint_url\": \"" + sqs.endpoint() + "\"}");
            List<List<Record>> batches = batches();
            List<Destination.Message> messages = batches.stream().map(b -> AwsDestinations.batch(s, b)).toList();
            Destination destination = aws.destinations.of(s);
            try (SqsClient bare = SqsClient.builder().endpointOverride(sqs.endpoint()).region(Region.US_EAST_1)
                    .httpClient(UrlConnectionHttpClient.create())
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "x")))
                    .build()) {
                String url = bare.getQueueUrl(r -> r.queueName("throughput-bare")).queueUrl();
                List<List<byte[]>> bodies = messages.stream().map(m -> RecordEntries.records(m.body()).stream()
                        .map(RecordEntries.Entry::body).toList()).toList();
                long[] nanos = rounds(() -> messages.forEach(m -> assertTrue(destination.send(m).isSuccess())), () -> {
                    for (List<byte[]> batch : bodies) {
                        for (int i = 0; i < batch.size(); i += 10) {
                            List<SendMessageBatchRequestEntry> entries = new ArrayList<>();
                            for (int j = i; j < Math.min(i + 10, batch.size()); j++) {
                                entries.add(SendMessageBatchRequestEntry.builder().id(Integer.toString(j - i))
                                        .messageBody(new String(batch.get(j), StandardCharsets.UTF_8)).build());
                            }
                            assertEquals(0, bare.sendMessageBatch(r -> r.queueUrl(url).entries(entries)).failed()
                                    .size());
                        }
                    }
                });
                System.out.printf("DestinationThroughput sqs: %d records, destination %.0f records/s, bare SDK loop "
                        + "%.0f records/s (ElasticMQ, one message per record, 10 per call)%n", RECORDS,
                        perSecond(nanos[0]), perSecond(nanos[1]));
            }
        }
    }

    @Test
    void kinesis() throws Exception {
        System.setProperty("aws.cborEnabled", "false");
        try (AwsLocal kinesalite = AwsLocal.kinesalite(); AwsDestinations aws = new AwsDestinations();
                KinesisClient bare = KinesisClient.builder().endpointOverride(kinesalite.endpoint())
                        .region(Region.US_EAST_1).httpClient(UrlConnectionHttpClient.create())
                        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "x")))
                        .build()) {
            for (String name : List.of("throughput", "throughput-bare")) {
                bare.createStream(r -> r.streamName(name).shardCount(2));
                org.awaitility.Awaitility.await().until(() -> bare.describeStream(r -> r.streamName(name))
                        .streamDescription().streamStatusAsString().equals("ACTIVE"));
            }
            Subscription s = AwsDestinations.subscription("{\"table_name\": \"People\", \"url\": \"arn:aws:kinesis:"
                    + "us-east-1:123456789012:stream/throughput\", \"endpoint_url\": \"" + kinesalite.endpoint() + "\"}");
            List<Destination.Message> messages = batches().stream().map(b -> AwsDestinations.batch(s, b)).toList();
            Destination destination = aws.destinations.of(s);
            long[] nanos = rounds(() -> messages.forEach(m -> assertTrue(destination.send(m).isSuccess())), () -> {
                for (Destination.Message m : messages) {
                    List<PutRecordsRequestEntry> entries = RecordEntries.records(m.body()).stream()
                            .map(e -> PutRecordsRequestEntry.builder().data(SdkBytes.fromByteArray(e.body()))
                                    .partitionKey(e.orderKey()).build()).toList();
                    assertEquals(0, bare.putRecords(r -> r.streamName("throughput-bare").records(entries))
                            .failedRecordCount());
                }
            });
            System.out.printf("DestinationThroughput kinesis: %d records, destination %.0f records/s, bare SDK loop "
                    + "%.0f records/s (kinesalite, 2 shards, one Kinesis record per record)%n", RECORDS,
                    perSecond(nanos[0]), perSecond(nanos[1]));
        } finally {
            System.clearProperty("aws.cborEnabled");
        }
    }
}
