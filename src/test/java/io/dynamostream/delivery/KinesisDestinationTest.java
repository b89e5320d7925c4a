package io.dynamostream.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.dynamostream.AwsLocal;
import io.dynamostream.subscription.Subscription;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.StreamRecord;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/** The Kinesis destination against a real Kinesis server (kinesalite from npm). */
class KinesisDestinationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static AwsLocal kinesalite;
    private static KinesisClient kinesis;
    private final AwsDestinations aws = new AwsDestinations();

    @BeforeAll
    static void start() {
        // kinesalite stores the data of a CBOR PutRecords as a Node Buffer object: the SDK must speak JSON to it, as
        // the README tells users (CBOR_ENABLED=false, the SDK's variable for this property)
        System.setProperty("aws.cborEnabled", "false");
        kinesalite = AwsLocal.kinesalite();
        kinesis = KinesisClient.builder().endpointOverride(kinesalite.endpoint()).region(Region.US_EAST_1)
                .httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "x"))).build();
    }

    @AfterAll
    static void stop() {
        kinesis.close();
        kinesalite.close();
        System.clearProperty("aws.cborEnabled");
    }

    @AfterEach
    void close() {
        aws.close();
    }

    private static String stream(String name, int shards) {
        kinesis.createStream(r -> r.streamName(name).shardCount(shards));
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> kinesis.describeStream(r -> r.streamName(name))
                .streamDescription().streamStatus() == StreamStatus.ACTIVE);
        return "arn:aws:kinesis:us-east-1:123456789012:stream/" + name;
    }

    /** Every record in the stream, shard by shard, as (partition key, data). */
    private static List<String[]> read(String name) {
        List<String[]> out = new ArrayList<>();
        for (Shard shard : kinesis.listShards(r -> r.streamName(name)).shards()) {
            String iterator = kinesis.getShardIterator(r -> r.streamName(name).shardId(shard.shardId())
                    .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
            kinesis.getRecords(r -> r.shardIterator(iterator)).records().forEach(rec -> out.add(new String[] {
                    rec.partitionKey(), rec.data().asUtf8String()}));
        }
        return out;
    }

    private static Record record(long sequence, String key) {
        return Record.builder().eventID("ev-" + sequence).eventName("INSERT").dynamodb(StreamRecord.builder()
                .sequenceNumber(Long.toString(sequence)).approximateCreationDateTime(Instant.parse("2026-12-01T10:00:00Z"))
                .keys(Map.of("id", AttributeValue.fromS(key))).newImage(Map.of("id", AttributeValue.fromS(key),
                        "n", AttributeValue.fromN(Long.toString(sequence))))
                .build()).build();
    }

    /** Issue 12: at registration the stream's existence is asked; only Kinesis's own "not found" refuses it. */
    @Test
    void givenAStreamThatDoesNotExist_whenChecked_thenMissingNamesIt_andAnExistingOneOrAnUnreachableEndpointIsNot() {
        DestinationCheck check = new DestinationCheck(aws.clients);
        String existing = stream("checked-stream", 1);
        java.net.URI endpoint = kinesalite.endpoint();

        assertEquals(java.util.Optional.empty(), check.missing(java.net.URI.create(existing), endpoint));
        String missing = check.missing(java.net.URI.create("arn:aws:kinesis:us-east-1:123456789012:stream/nope"),
                endpoint).orElseThrow();
        assertTrue(missing.startsWith("the Kinesis stream nope does not exist at "), missing);
        assertTrue(missing.contains("ResourceNotFoundException"), missing);
        // nobody listens there: the first delivery will tell, registration does not wait for it
        assertEquals(java.util.Optional.empty(), check.missing(java.net.URI.create(
                "arn:aws:kinesis:us-east-1:123456789012:stream/nope"), java.net.URI.create("http://127.0.0.1:9")));
    }

    @Test
    void givenAStream_whenABatchIsDelivered_thenEachRecordIsAKinesisRecordKeyedByTheItemInStreamOrder()
            throws Exception {
        String arn = stream("people-changes", 2);
        Subscription s = AwsDestinations.subscription("{\"table_name\": \"People\", \"url\": \"" + arn
                + "\", \"endpoint_url\": \"" + kinesalite.endpoint() + "\"}");
        List<Record> records = List.of(record(1, "a"), record(2, "b"), record(3, "a"), record(4, "c"), record(5, "a"));

        BatchDelivery.Outcome outcome = aws.delivery(s).deliver(records, new AwsDestinations.Listener());

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome);
        List<String[]> got = read("people-changes");
        assertEquals(5, got.size());
        List<String> itemA = new ArrayList<>();
        for (String[] r : got) {
            String eventId = JSON.readTree(r[1]).get("eventID").asText();
            String key = JSON.readTree(r[1]).path("dynamodb").path("Keys").toString();
            assertEquals(key, r[0], "partition key: the item's canonical Keys");
            if (r[0].equals("{\"id\":{\"S\":\"a\"}}")) {
                itemA.add(eventId);
            }
        }
        assertEquals(List.of("ev-1", "ev-3", "ev-5"), itemA, "one item's records on one shard, in stream order");
    }

    @Test
    void givenMessageFormatBatch_whenDelivered_thenOneKinesisRecordHoldsTheWholeBatchKeyedByTheShard() {
        String arn = stream("people-batches", 1);
        Subscription s = AwsDestinations.subscription("{\"table_name\": \"People\", \"url\": \"" + arn
                + "\", \"endpoint_url\": \"" + kinesalite.endpoint() + "\", \"message_format\": \"batch\"}");
        Destination.Message m = AwsDestinations.batch(s, List.of(record(1, "a"), record(2, "b")));

        assertTrue(aws.destinations.of(s).send(m).isSuccess());

        List<String[]> got = read("people-batches");
        assertEquals(1, got.size());
        assertEquals("shardId-0001", got.get(0)[0]);
        assertEquals(new String(m.body(), StandardCharsets.UTF_8), got.get(0)[1]);
    }

    @Test
    void givenAStreamThatDoesNotExist_whenDelivering_thenTheSubscriptionEndsInErrorWithKinesissText()
            throws Exception {
        Subscription s = AwsDestinations.subscription("{\"table_name\": \"People\", \"url\": "
                + "\"arn:aws:kinesis:us-east-1:123456789012:stream/missing\", \"endpoint_url\": \""
                + kinesalite.endpoint() + "\"}");

        BatchDelivery.Outcome outcome = aws.delivery(s).deliver(List.of(record(1, "a")),
                new AwsDestinations.Listener());

        BatchDelivery.Outcome.Failed failed = assertInstanceOf(BatchDelivery.Outcome.Failed.class, outcome);
        assertTrue(failed.message().contains("ResourceNotFoundException"), failed.message());
    }
}
