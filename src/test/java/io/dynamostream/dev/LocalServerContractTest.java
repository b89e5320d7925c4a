package io.dynamostream.dev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.CreateTableResponse;
import software.amazon.awssdk.services.dynamodb.model.DescribeStreamResponse;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.ExpiredIteratorException;
import software.amazon.awssdk.services.dynamodb.model.GetRecordsResponse;
import software.amazon.awssdk.services.dynamodb.model.InternalServerErrorException;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.LimitExceededException;
import software.amazon.awssdk.services.dynamodb.model.OperationType;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.DeleteRequest;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.Shard;
import software.amazon.awssdk.services.dynamodb.model.ShardFilterType;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.model.StreamStatus;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.TimeToLiveStatus;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.dynamodb.model.TrimmedDataAccessException;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * Pins the behaviour of the bundled local DynamoDB + Streams server ({@code src/localdb}) through the AWS SDK v2, so
 * that the rest of the test suite and the benchmark can rely on it behaving like the real service.
 */
class LocalServerContractTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger TABLES = new AtomicInteger();

    private static LocalDynamoDbServer server;
    private static DynamoDbClient dynamo;
    private static DynamoDbStreamsClient streams;
    private static DynamoDbStreamsClient streamsNoRetry;
    private static HttpClient http;

    @BeforeAll
    static void startServer() {
        server = LocalDynamoDbServer.start();
        var creds = StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "x"));
        dynamo = DynamoDbClient.builder().endpointOverride(server.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(creds).httpClient(UrlConnectionHttpClient.create()).build();
        streams = DynamoDbStreamsClient.builder().endpointOverride(server.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(creds).httpClient(UrlConnectionHttpClient.create()).build();
        streamsNoRetry = DynamoDbStreamsClient.builder().endpointOverride(server.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(creds).httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry())).build();
        http = HttpClient.newHttpClient();
    }

    @AfterAll
    static void stopServer() {
        if (dynamo != null) {
            dynamo.close();
            streams.close();
            streamsNoRetry.close();
        }
        if (http != null) {
            http.close();
        }
        if (server != null) {
            server.close();
            assertFalse(server.isAlive());
        }
    }

    @AfterEach
    void resetHooks() {
        hook("DELETE", "/_local/faults", null);
        hook("POST", "/_local/iterator-expiry", "{\"millis\": 900000}");
    }

    // -----------------------------------------------------------------------------------------------------------
    // tables and stream metadata

    @Test
    void givenStreamSpecification_whenCreatingAndDescribingTable_thenStreamArnAndLabelAreReturned() {
        String table = newTableName();
        CreateTableResponse created = createTable(table, StreamViewType.NEW_AND_OLD_IMAGES, false);

        TableDescription desc = dynamo.describeTable(b -> b.tableName(table)).table();

        String arn = created.tableDescription().latestStreamArn();
        assertNotNull(arn);
        assertTrue(arn.startsWith("arn:aws:dynamodb:us-east-1:000000000000:table/" + table + "/stream/"), arn);
        assertEquals(arn, desc.latestStreamArn());
        assertEquals(created.tableDescription().latestStreamLabel(), desc.latestStreamLabel());
        assertTrue(arn.endsWith("/stream/" + desc.latestStreamLabel()));
        assertTrue(desc.streamSpecification().streamEnabled());
        assertEquals(StreamViewType.NEW_AND_OLD_IMAGES, desc.streamSpecification().streamViewType());
        var listed = streams.listStreams(b -> b.tableName(table)).streams();
        assertEquals(1, listed.size());
        assertEquals(arn, listed.get(0).streamArn());
        var d = streams.describeStream(b -> b.streamArn(arn)).streamDescription();
        assertEquals(StreamStatus.ENABLED, d.streamStatus());
        assertEquals(table, d.tableName());
        assertEquals("pk", d.keySchema().get(0).attributeName());
        assertEquals(1, d.shards().size());
    }

    @Test
    void givenEnabledStream_whenDisabledAndReEnabled_thenNewArnAndOldStreamIsDisabledButReadable() {
        String table = newTableName();
        String first = createTable(table, StreamViewType.NEW_IMAGE, false).tableDescription().latestStreamArn();
        put(table, "a", 1);

        dynamo.updateTable(b -> b.tableName(table).streamSpecification(s -> s.streamEnabled(false)));
        TableDescription disabled = dynamo.describeTable(b -> b.tableName(table)).table();
        put(table, "b", 1); // not recorded anywhere
        String second = dynamo.updateTable(b -> b.tableName(table)
                .streamSpecification(s -> s.streamEnabled(true).streamViewType(StreamViewType.KEYS_ONLY)))
                .tableDescription().latestStreamArn();
        put(table, "c", 1);

        assertTrue(disabled.streamSpecification() == null || !disabled.streamSpecification().streamEnabled());
        assertNotEquals(first, second);
        var old = streams.describeStream(b -> b.streamArn(first)).streamDescription();
        assertEquals(StreamStatus.DISABLED, old.streamStatus());
        assertTrue(old.shards().stream().allMatch(s -> s.sequenceNumberRange().endingSequenceNumber() != null));
        assertEquals(List.of("a"), pks(readAll(first)));
        assertEquals(List.of("c"), pks(readAll(second)));
        assertEquals(StreamViewType.KEYS_ONLY,
                streams.describeStream(b -> b.streamArn(second)).streamDescription().streamViewType());
        assertEquals(2, streams.listStreams(b -> b.tableName(table)).streams().size());
    }

    @Test
    void givenStream_whenTableDeleted_thenStreamIsDisabledAndReadableAndTableIsGone() {
        String table = newTableName();
        String arn = createTable(table, StreamViewType.NEW_IMAGE, false).tableDescription().latestStreamArn();
        put(table, "a", 1);

        dynamo.deleteTable(b -> b.tableName(table));

        assertThrows(software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException.class,
                () -> dynamo.describeTable(b -> b.tableName(table)));
        var d = streams.describeStream(b -> b.streamArn(arn)).streamDescription();
        assertEquals(StreamStatus.DISABLED, d.streamStatus());
        assertEquals(List.of("a"), pks(readAll(arn)));
    }

    // -----------------------------------------------------------------------------------------------------------
    // records

    @Test
    void givenEachStreamViewType_whenInsertModifyRemove_thenRecordsCarryTheMatchingImages() {
        for (StreamViewType vt : List.of(StreamViewType.KEYS_ONLY, StreamViewType.NEW_IMAGE, StreamViewType.OLD_IMAGE,
                StreamViewType.NEW_AND_OLD_IMAGES)) {
            String table = newTableName();
            String arn = createTable(table, vt, true).tableDescription().latestStreamArn();
            Map<String, AttributeValue> key = Map.of("pk", s("k"), "sk", n(1));

            dynamo.putItem(b -> b.tableName(table).item(Map.of("pk", s("k"), "sk", n(1), "v", s("one"))));
            var updated = dynamo.updateItem(b -> b.tableName(table).key(key).updateExpression("SET v = :v")
                    .expressionAttributeValues(Map.of(":v", s("two"))).returnValues(ReturnValue.UPDATED_OLD));
            dynamo.deleteItem(b -> b.tableName(table).key(key));

            assertEquals("one", updated.attributes().get("v").s(), "client sees the normal ReturnValues");
            List<Record> records = readAll(arn);
            assertEquals(List.of(OperationType.INSERT, OperationType.MODIFY, OperationType.REMOVE),
                    records.stream().map(Record::eventName).toList(), vt.toString());
            boolean news = vt == StreamViewType.NEW_IMAGE || vt == StreamViewType.NEW_AND_OLD_IMAGES;
            boolean olds = vt == StreamViewType.OLD_IMAGE || vt == StreamViewType.NEW_AND_OLD_IMAGES;
            for (Record r : records) {
                assertEquals("aws:dynamodb", r.eventSource());
                assertEquals("1.1", r.eventVersion());
                assertEquals("us-east-1", r.awsRegion());
                assertNotNull(r.eventID());
                assertEquals(key, r.dynamodb().keys());
                assertEquals(vt, r.dynamodb().streamViewType());
                assertNotNull(r.dynamodb().approximateCreationDateTime());
                assertTrue(r.dynamodb().sizeBytes() > 0);
            }
            Record insert = records.get(0), modify = records.get(1), remove = records.get(2);
            assertEquals(news ? "one" : null, image(insert.dynamodb().newImage(), "v"));
            assertFalse(insert.dynamodb().hasOldImage());
            assertEquals(news ? "two" : null, image(modify.dynamodb().newImage(), "v"));
            assertEquals(olds ? "one" : null, image(modify.dynamodb().oldImage(), "v"));
            assertFalse(remove.dynamodb().hasNewImage());
            assertEquals(olds ? "two" : null, image(remove.dynamodb().oldImage(), "v"));
        }
    }

    @Test
    void givenExistingItem_whenNoOpPutOrFailedCondition_thenNoRecord() {
        String table = newTableName();
        String arn = createTable(table, StreamViewType.NEW_AND_OLD_IMAGES, false).tableDescription().latestStreamArn();
        put(table, "a", 1);

        put(table, "a", 1); // same image
        assertThrows(ConditionalCheckFailedException.class, () -> dynamo.putItem(b -> b.tableName(table)
                .item(Map.of("pk", s("a"), "v", n(2))).conditionExpression("attribute_not_exists(pk)")));
        dynamo.deleteItem(b -> b.tableName(table).key(Map.of("pk", s("missing"))));

        List<Record> records = readAll(arn);
        assertEquals(1, records.size());
        assertEquals(OperationType.INSERT, records.get(0).eventName());
    }

    @Test
    void givenBinaryAttribute_whenRecordRead_thenBytesRoundTrip() {
        String table = newTableName();
        String arn = createTable(table, StreamViewType.NEW_IMAGE, false).tableDescription().latestStreamArn();
        byte[] bytes = { 0, 1, 2, (byte) 0xff, (byte) 0xfe, 42 };

        dynamo.putItem(b -> b.tableName(table).item(Map.of("pk", s("bin"),
                "b", AttributeValue.fromB(SdkBytes.fromByteArray(bytes)),
                "bs", AttributeValue.fromBs(List.of(SdkBytes.fromByteArray(bytes))))));

        var image = readAll(arn).get(0).dynamodb().newImage();
        assertEquals(SdkBytes.fromByteArray(bytes), image.get("b").b());
        assertEquals(List.of(SdkBytes.fromByteArray(bytes)), image.get("bs").bs());
    }

    @Test
    void givenBatchWriteItem_whenWritingSeveralItems_thenOneRecordPerItem() {
        String table = newTableName();
        String arn = createTable(table, StreamViewType.NEW_AND_OLD_IMAGES, false).tableDescription().latestStreamArn();
        put(table, "gone", 1);

        dynamo.batchWriteItem(b -> b.requestItems(Map.of(table, List.of(
                WriteRequest.builder().putRequest(PutRequest.builder().item(Map.of("pk", s("x"))).build()).build(),
                WriteRequest.builder().putRequest(PutRequest.builder().item(Map.of("pk", s("y"))).build()).build(),
                WriteRequest.builder().deleteRequest(DeleteRequest.builder().key(Map.of("pk", s("gone"))).build())
                        .build()))));

        List<Record> records = readAll(arn);
        assertEquals(4, records.size());
        assertEquals(Set.of("x:INSERT", "y:INSERT", "gone:REMOVE"), new HashSet<>(records.subList(1, 4).stream()
                .map(r -> r.dynamodb().keys().get("pk").s() + ":" + r.eventName()).toList()));
    }

    @Test
    void givenTransactWriteItems_whenCommittedOrCancelled_thenRecordsOnlyForTheCommittedOne() {
        String table = newTableName();
        String arn = createTable(table, StreamViewType.NEW_IMAGE, false).tableDescription().latestStreamArn();

        dynamo.transactWriteItems(b -> b.transactItems(txPut(table, "t1", null), txPut(table, "t2", null)));
        assertThrows(TransactionCanceledException.class, () -> dynamo.transactWriteItems(b -> b.transactItems(
                txPut(table, "t3", null), txPut(table, "t1", "attribute_not_exists(pk)"))));

        assertEquals(List.of("t1", "t2"), pks(readAll(arn)).stream().sorted().toList());
        assertNull(dynamo.getItem(b -> b.tableName(table).key(Map.of("pk", s("t3")))).item().get("pk"),
                "cancelled transaction is undone");
    }

    @Test
    void givenManyWritesAndASequenceJump_whenReading_thenSequenceNumbersHave21PlusDigitsAndStrictlyIncrease() {
        String table = newTableName();
        String arn = createTable(table, StreamViewType.KEYS_ONLY, false).tableDescription().latestStreamArn();
        for (int i = 0; i < 5; i++) {
            put(table, "k" + i, i);
        }
        JsonNode shards = hook("GET", "/_local/shards?table=" + table, null);
        BigInteger next = new BigInteger(shards.get("shards").get(0).get("startingSequenceNumber").asText())
                .add(BigInteger.valueOf(1_000_000)).max(BigInteger.TEN.pow(21));
        hook("POST", "/_local/sequence-jump", "{\"to\": \"" + next + "\"}");
        for (int i = 5; i < 10; i++) {
            put(table, "k" + i, i);
        }

        List<BigInteger> seqs = readAll(arn).stream().map(r -> new BigInteger(r.dynamodb().sequenceNumber())).toList();
        assertEquals(10, seqs.size());
        for (int i = 0; i < seqs.size(); i++) {
            assertTrue(seqs.get(i).toString().length() >= 21, seqs.get(i).toString());
            if (i > 0) {
                assertTrue(seqs.get(i).compareTo(seqs.get(i - 1)) > 0, seqs.toString());
            }
        }
        assertTrue(seqs.get(9).toString().length() > seqs.get(0).toString().length(), "length changed after jump");
        assertEquals(next, seqs.get(5));
    }

    // -----------------------------------------------------------------------------------------------------------
    // iterators

    @Test
    void givenRecords_whenUsingEachIteratorType_thenReadingStartsAtTheRightPlace() {
        String table = newTableName();
        String arn = createTable(table, StreamViewType.KEYS_ONLY, false).tableDescription().latestStreamArn();
        for (int i = 0; i < 3; i++) {
            put(table, "k" + i, i);
        }
        String shard = shards(arn).get(0).shardId();
        List<Record> all = readAll(arn);
        String second = all.get(1).dynamodb().sequenceNumber();

        assertEquals(List.of("k0", "k1", "k2"), pks(records(iterator(arn, shard, ShardIteratorType.TRIM_HORIZON, null))));
        assertEquals(List.of("k1", "k2"), pks(records(iterator(arn, shard, ShardIteratorType.AT_SEQUENCE_NUMBER, second))));
        assertEquals(List.of("k2"), pks(records(iterator(arn, shard, ShardIteratorType.AFTER_SEQUENCE_NUMBER, second))));
        String latest = iterator(arn, shard, ShardIteratorType.LATEST, null);
        assertEquals(List.of(), pks(records(latest)));
        put(table, "k3", 3);
        assertEquals(List.of("k3"), pks(records(latest)));
    }

    @Test
    void givenOpenShardWithoutNewRecords_whenGettingRecords_thenZeroRecordsAndANextIterator() {
        String table = newTableName();
        String arn = createTable(table, StreamViewType.KEYS_ONLY, false).tableDescription().latestStreamArn();
        put(table, "a", 1);
        String shard = shards(arn).get(0).shardId();

        GetRecordsResponse first = streams.getRecords(b -> b.shardIterator(
                iterator(arn, shard, ShardIteratorType.TRIM_HORIZON, null)));
        GetRecordsResponse second = streams.getRecords(b -> b.shardIterator(first.nextShardIterator()));

        assertEquals(1, first.records().size());
        assertEquals(0, second.records().size());
        assertNotNull(second.nextShardIterator());
        put(table, "b", 1);
        assertEquals(List.of("b"), pks(streams.getRecords(b -> b.shardIterator(second.nextShardIterator())).records()));
    }

    @Test
    void givenUnknownStreamOrShard_whenGettingIterator_thenResourceNotFound() {
        String table = newTableName();
        String arn = createTable(table, StreamViewType.KEYS_ONLY, false).tableDescription().latestStreamArn();

        assertThrows(ResourceNotFoundException.class,
                () -> iterator(arn + "x", "shardId-00000001700000000000-abcdef12", ShardIteratorType.LATEST, null));
        assertThrows(ResourceNotFoundException.class,
                () -> iterator(arn, "shardId-00000001700000000000-abcdef12", ShardIteratorType.LATEST, null));
        assertThrows(ResourceNotFoundException.class,
                () -> streams.describeStream(b -> b.streamArn(arn.replace(table, table + "zz"))));
    }

    @Test
    void givenShortIteratorExpiry_whenIteratorUsedLate_thenExpiredIteratorException() throws InterruptedException {
        String table = newTableName();
        String arn = createTable(table, StreamViewType.KEYS_ONLY, false).tableDescription().latestStreamArn();
        hook("POST", "/_local/iterator-expiry", "{\"millis\": 50}");
        String it = iterator(arn, shards(arn).get(0).shardId(), ShardIteratorType.TRIM_HORIZON, null);

        Thread.sleep(120);

        assertThrows(ExpiredIteratorException.class, () -> streams.getRecords(b -> b.shardIterator(it)));
    }

    // -----------------------------------------------------------------------------------------------------------
    // shard lineage

    @Test
    void givenRecords_whenRollover_thenParentClosedAndChildContinues() {
        String table = newTableName();
        String arn = createTable(table, StreamViewType.KEYS_ONLY, false).tableDescription().latestStreamArn();
        put(table, "before", 1);
        String parent = shards(arn).get(0).shardId();

        JsonNode rolled = hook("POST", "/_local/rollover", "{\"table\": \"" + table + "\"}");
        put(table, "after", 1);

        String child = rolled.get("shards").get(0).asText();
        List<Shard> all = shards(arn);
        assertEquals(2, all.size());
        Shard p = all.stream().filter(s -> s.shardId().equals(parent)).findFirst().orElseThrow();
        Shard c = all.stream().filter(s -> s.shardId().equals(child)).findFirst().orElseThrow();
        assertNotNull(p.sequenceNumberRange().endingSequenceNumber());
        assertEquals(parent, c.parentShardId());
        assertNull(c.sequenceNumberRange().endingSequenceNumber());
        var children = streams.describeStream(b -> b.streamArn(arn)
                .shardFilter(f -> f.type(ShardFilterType.CHILD_SHARDS).shardId(parent))).streamDescription().shards();
        assertEquals(List.of(child), children.stream().map(Shard::shardId).toList());
        GetRecordsResponse parentRead = streams.getRecords(b -> b.shardIterator(
                iterator(arn, parent, ShardIteratorType.TRIM_HORIZON, null)));
        assertEquals(List.of("before"), pks(parentRead.records()));
        assertNull(parentRead.nextShardIterator(), "closed shard read to its end has no next iterator");
        assertEquals(parentRead.records().get(0).dynamodb().sequenceNumber(),
                p.sequenceNumberRange().endingSequenceNumber());
        assertEquals(List.of("after"), pks(records(iterator(arn, child, ShardIteratorType.TRIM_HORIZON, null))));
    }

    @Test
    void givenOpenShard_whenSplit_thenTwoChildrenShareTheWrites() {
        String table = newTableName();
        String arn = createTable(table, StreamViewType.KEYS_ONLY, false).tableDescription().latestStreamArn();
        String parent = shards(arn).get(0).shardId();

        JsonNode split = hook("POST", "/_local/split", "{\"table\": \"" + table + "\"}");
        for (int i = 0; i < 40; i++) {
            put(table, "k" + i, i);
        }

        assertEquals(2, split.get("shards").size());
        List<Shard> children = streams.describeStream(b -> b.streamArn(arn)
                .shardFilter(f -> f.type(ShardFilterType.CHILD_SHARDS).shardId(parent))).streamDescription().shards();
        assertEquals(2, children.size());
        int total = 0;
        for (Shard c : children) {
            int n = records(iterator(arn, c.shardId(), ShardIteratorType.TRIM_HORIZON, null)).size();
            assertTrue(n > 0, "both children get writes");
            total += n;
        }
        assertEquals(40, total);
    }

    @Test
    void givenMoreThan100Shards_whenDescribingStream_thenPagesCoverEveryShardOnce() {
        String table = newTableName();
        String arn = createTable(table, StreamViewType.KEYS_ONLY, false).tableDescription().latestStreamArn();

        hook("POST", "/_local/split", "{\"table\": \"" + table + "\", \"shards\": 64}");

        DescribeStreamResponse firstPage = streams.describeStream(b -> b.streamArn(arn));
        assertEquals(100, firstPage.streamDescription().shards().size());
        assertNotNull(firstPage.streamDescription().lastEvaluatedShardId());
        List<Shard> all = shards(arn);
        assertEquals(127, all.size());
        assertEquals(127, all.stream().map(Shard::shardId).distinct().count());
        assertEquals(64, all.stream().filter(s -> s.sequenceNumberRange().endingSequenceNumber() == null).count());
        List<String> small = new ArrayList<>();
        String start = null;
        do {
            String from = start;
            var d = streams.describeStream(b -> b.streamArn(arn).limit(7).exclusiveStartShardId(from))
                    .streamDescription();
            d.shards().forEach(s -> small.add(s.shardId()));
            start = d.lastEvaluatedShardId();
        } while (start != null);
        assertEquals(all.stream().map(Shard::shardId).toList(), small);
    }

    // -----------------------------------------------------------------------------------------------------------
    // hooks

    @Test
    void givenTrimmedRecords_whenReadingBeforeTheTrimHorizon_thenTrimmedDataAccessException() {
        String table = newTableName();
        String arn = createTable(table, StreamViewType.KEYS_ONLY, false).tableDescription().latestStreamArn();
        put(table, "a", 1);
        put(table, "b", 1);
        String shard = shards(arn).get(0).shardId();
        String oldIterator = iterator(arn, shard, ShardIteratorType.AT_SEQUENCE_NUMBER,
                readAll(arn).get(0).dynamodb().sequenceNumber());
        String firstSeq = readAll(arn).get(0).dynamodb().sequenceNumber();

        hook("POST", "/_local/trim", "{\"table\": \"" + table + "\", \"count\": 1}");

        assertThrows(TrimmedDataAccessException.class, () -> streams.getRecords(b -> b.shardIterator(oldIterator)));
        assertThrows(TrimmedDataAccessException.class,
                () -> iterator(arn, shard, ShardIteratorType.AT_SEQUENCE_NUMBER, firstSeq));
        assertEquals(List.of("b"), pks(records(iterator(arn, shard, ShardIteratorType.TRIM_HORIZON, null))));
    }

    @Test
    void givenInjectedFaults_whenCallingStreamsApi_thenSdkRaisesTheMatchingExceptions() {
        String table = newTableName();
        String arn = createTable(table, StreamViewType.KEYS_ONLY, false).tableDescription().latestStreamArn();
        String shard = shards(arn).get(0).shardId();
        String it = iterator(arn, shard, ShardIteratorType.TRIM_HORIZON, null);

        hook("POST", "/_local/faults", "{\"operation\": \"GetRecords\", \"error\": \"throttle\", \"count\": 1}");
        assertThrows(LimitExceededException.class, () -> streamsNoRetry.getRecords(b -> b.shardIterator(it)));
        hook("POST", "/_local/faults", "{\"operation\": \"DescribeStream\", \"error\": \"internal\", \"count\": 1}");
        DynamoDbException internal = assertThrows(DynamoDbException.class,
                () -> streamsNoRetry.describeStream(b -> b.streamArn(arn)));
        assertEquals(500, internal.statusCode());
        assertTrue(internal instanceof InternalServerErrorException, internal.getClass().getName());
        hook("POST", "/_local/faults", "{\"operation\": \"GetRecords\", \"error\": \"expired\", \"count\": 1}");
        assertThrows(ExpiredIteratorException.class, () -> streamsNoRetry.getRecords(b -> b.shardIterator(it)));
        hook("POST", "/_local/faults", "{\"operation\": \"*\", \"error\": \"trimmed\", \"count\": 1}");
        assertThrows(TrimmedDataAccessException.class, () -> streamsNoRetry.getRecords(b -> b.shardIterator(it)));

        assertNotNull(streamsNoRetry.getRecords(b -> b.shardIterator(it)).nextShardIterator(), "faults are used up");
        // worth knowing for the poller: the SDK's default retry strategy retries a 500 but not LimitExceededException
        hook("POST", "/_local/faults", "{\"operation\": \"ListStreams\", \"error\": \"internal\", \"count\": 1}");
        assertNotNull(streams.listStreams(b -> b.limit(1)).streams());
        hook("POST", "/_local/faults", "{\"operation\": \"ListStreams\", \"error\": \"throttle\", \"count\": 1}");
        assertThrows(LimitExceededException.class, () -> streams.listStreams(b -> b.limit(1)));
    }

    @Test
    void givenCountsReset_whenPolling_thenGetRecordsCallsAreCountedPerShard() {
        String table = newTableName();
        String arn = createTable(table, StreamViewType.KEYS_ONLY, false).tableDescription().latestStreamArn();
        String shard = shards(arn).get(0).shardId();
        hook("POST", "/_local/counts/reset", null);

        String it = iterator(arn, shard, ShardIteratorType.TRIM_HORIZON, null);
        for (int i = 0; i < 3; i++) {
            String current = it;
            it = streams.getRecords(b -> b.shardIterator(current)).nextShardIterator();
        }
        streams.describeStream(b -> b.streamArn(arn));

        JsonNode counts = hook("GET", "/_local/counts", null);
        assertEquals(3, counts.get("GetRecords").get(shard).asInt());
        assertEquals(1, counts.get("GetShardIterator").get(shard).asInt());
        assertEquals(1, counts.get("DescribeStream").asInt());
        assertEquals(0, counts.get("ListStreams").asInt());
    }

    @Test
    void givenGenerateHook_whenReadingEveryShard_thenExactlyTheGeneratedRecordsArrive() {
        String table = newTableName();
        String arn = createTable(table, StreamViewType.NEW_IMAGE, true).tableDescription().latestStreamArn();
        hook("POST", "/_local/split", "{\"table\": \"" + table + "\", \"shards\": 4}");

        hook("POST", "/_local/generate", "{\"table\": \"" + table + "\", \"count\": 5000, \"payloadBytes\": 50}");

        List<Record> records = readAll(arn);
        assertEquals(5000, records.size());
        assertEquals(5000, records.stream().map(r -> r.dynamodb().keys()).distinct().count());
        Record r = records.get(0);
        assertEquals(OperationType.INSERT, r.eventName());
        assertNotNull(r.dynamodb().keys().get("sk").n());
        assertEquals(50, r.dynamodb().newImage().get("payload").s().length());
    }

    // -----------------------------------------------------------------------------------------------------------
    // time to live

    @Test
    void givenTable_whenTimeToLiveEnabledAndDisabled_thenDescribedAsDynamoDbDoes() {
        String table = newTableName();
        createTable(table, StreamViewType.KEYS_ONLY, false);
        assertEquals(TimeToLiveStatus.DISABLED, dynamo.describeTimeToLive(b -> b.tableName(table))
                .timeToLiveDescription().timeToLiveStatus());

        var enabled = dynamo.updateTimeToLive(b -> b.tableName(table)
                .timeToLiveSpecification(t -> t.enabled(true).attributeName("expiresAt")));

        assertEquals("expiresAt", enabled.timeToLiveSpecification().attributeName());
        assertTrue(enabled.timeToLiveSpecification().enabled());
        var described = dynamo.describeTimeToLive(b -> b.tableName(table)).timeToLiveDescription();
        assertEquals(TimeToLiveStatus.ENABLED, described.timeToLiveStatus());
        assertEquals("expiresAt", described.attributeName());
        DynamoDbException twice = assertThrows(DynamoDbException.class, () -> dynamo.updateTimeToLive(b -> b
                .tableName(table).timeToLiveSpecification(t -> t.enabled(true).attributeName("expiresAt"))));
        assertEquals("ValidationException", twice.awsErrorDetails().errorCode());
        assertTrue(twice.getMessage().contains("TimeToLive is already enabled"), twice.getMessage());

        dynamo.updateTimeToLive(b -> b.tableName(table)
                .timeToLiveSpecification(t -> t.enabled(false).attributeName("expiresAt")));
        var off = dynamo.describeTimeToLive(b -> b.tableName(table)).timeToLiveDescription();
        assertEquals(TimeToLiveStatus.DISABLED, off.timeToLiveStatus());
        assertNull(off.attributeName());
        assertThrows(ResourceNotFoundException.class, () -> dynamo.describeTimeToLive(b -> b.tableName("no-such")));
        assertThrows(ResourceNotFoundException.class, () -> dynamo.updateTimeToLive(b -> b.tableName("no-such")
                .timeToLiveSpecification(t -> t.enabled(true).attributeName("expiresAt"))));
    }

    @Test
    void givenTimeToLive_whenItemsExpire_thenTheSweepDeletesOnlyExpiredOnesWithARemoveRecordByDynamoDb() {
        String table = newTableName();
        String arn = createTable(table, StreamViewType.NEW_AND_OLD_IMAGES, false).tableDescription()
                .latestStreamArn();
        dynamo.updateTimeToLive(b -> b.tableName(table)
                .timeToLiveSpecification(t -> t.enabled(true).attributeName("expiresAt")));
        long now = System.currentTimeMillis() / 1000;
        putExpiring(table, "expired", AttributeValue.fromN(Long.toString(now - 60)));
        putExpiring(table, "later", AttributeValue.fromN(Long.toString(now + 3600)));
        putExpiring(table, "not-a-number", AttributeValue.fromS(Long.toString(now - 60)));
        putExpiring(table, "six-years-ago", AttributeValue.fromN(Long.toString(now - 6L * 365 * 24 * 3600)));
        put(table, "no-ttl", 1);
        dynamo.deleteItem(b -> b.tableName(table).key(Map.of("pk", s("no-ttl")))); // a user's delete

        hook("POST", "/_local/ttl-sweep", "{}");

        assertTrue(dynamo.getItem(b -> b.tableName(table).key(Map.of("pk", s("expired"))).consistentRead(true))
                .item().isEmpty(), "the expired item is deleted");
        for (String kept : List.of("later", "not-a-number", "six-years-ago")) {
            assertFalse(dynamo.getItem(b -> b.tableName(table).key(Map.of("pk", s(kept))).consistentRead(true))
                    .item().isEmpty(), kept + " must stay");
        }
        List<Record> removes = readAll(arn).stream().filter(r -> r.eventName() == OperationType.REMOVE).toList();
        // the server's own sweep (every second) may delete the expired item before the user's delete: any order
        assertEquals(Set.of("no-ttl", "expired"), Set.copyOf(pks(removes)), () -> pks(removes).toString());
        assertEquals(2, removes.size(), () -> pks(removes).toString());
        Record user = removes.get(pks(removes).indexOf("no-ttl"));
        assertNull(user.userIdentity(), "a user's delete carries no userIdentity");
        Record ttl = removes.get(pks(removes).indexOf("expired"));
        assertEquals("Service", ttl.userIdentity().type());
        assertEquals("dynamodb.amazonaws.com", ttl.userIdentity().principalId());
        assertEquals(Long.toString(now - 60), ttl.dynamodb().oldImage().get("expiresAt").n());
        assertTrue(ttl.dynamodb().newImage() == null || ttl.dynamodb().newImage().isEmpty());
    }

    @Test
    void givenSweepIntervalSet_whenAnItemExpires_thenItIsDeletedWithoutBeingAsked() {
        String table = newTableName();
        String arn = createTable(table, StreamViewType.KEYS_ONLY, false).tableDescription().latestStreamArn();
        dynamo.updateTimeToLive(b -> b.tableName(table)
                .timeToLiveSpecification(t -> t.enabled(true).attributeName("ttl")));
        try {
            assertEquals(100, hook("POST", "/_local/ttl-sweep", "{\"intervalMillis\": 100}")
                    .get("intervalMillis").asInt());
            putExpiring(table, "soon", "ttl", AttributeValue.fromN(Long.toString(System.currentTimeMillis() / 1000 + 1)));

            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> readAll(arn).stream().anyMatch(r -> r.eventName() == OperationType.REMOVE));
            assertTrue(dynamo.getItem(b -> b.tableName(table).key(Map.of("pk", s("soon"))).consistentRead(true))
                    .item().isEmpty());
        } finally {
            hook("POST", "/_local/ttl-sweep", "{\"intervalMillis\": 1000}");
        }
    }

    // -----------------------------------------------------------------------------------------------------------
    // helpers

    private static String newTableName() {
        return "contract-" + TABLES.incrementAndGet();
    }

    private static CreateTableResponse createTable(String table, StreamViewType viewType, boolean withSortKey) {
        return dynamo.createTable(b -> {
            b.tableName(table).billingMode(BillingMode.PAY_PER_REQUEST)
                    .streamSpecification(s -> s.streamEnabled(true).streamViewType(viewType));
            if (withSortKey) {
                b.keySchema(KeySchemaElement.builder().attributeName("pk").keyType(KeyType.HASH).build(),
                        KeySchemaElement.builder().attributeName("sk").keyType(KeyType.RANGE).build())
                        .attributeDefinitions(
                                AttributeDefinition.builder().attributeName("pk").attributeType(ScalarAttributeType.S)
                                        .build(),
                                AttributeDefinition.builder().attributeName("sk").attributeType(ScalarAttributeType.N)
                                        .build());
            } else {
                b.keySchema(KeySchemaElement.builder().attributeName("pk").keyType(KeyType.HASH).build())
                        .attributeDefinitions(AttributeDefinition.builder().attributeName("pk")
                                .attributeType(ScalarAttributeType.S).build());
            }
        });
    }

    private static void put(String table, String pk, int v) {
        dynamo.putItem(b -> b.tableName(table).item(Map.of("pk", s(pk), "v", n(v))));
    }

    private static void putExpiring(String table, String pk, AttributeValue expiresAt) {
        putExpiring(table, pk, "expiresAt", expiresAt);
    }

    private static void putExpiring(String table, String pk, String attribute, AttributeValue expiresAt) {
        dynamo.putItem(b -> b.tableName(table).item(Map.of("pk", s(pk), attribute, expiresAt)));
    }

    private static TransactWriteItem txPut(String table, String pk, String condition) {
        return TransactWriteItem.builder()
                .put(Put.builder().tableName(table).item(Map.of("pk", s(pk))).conditionExpression(condition).build())
                .build();
    }

    private static AttributeValue s(String v) {
        return AttributeValue.fromS(v);
    }

    private static AttributeValue n(int v) {
        return AttributeValue.fromN(Integer.toString(v));
    }

    private static String image(Map<String, AttributeValue> image, String attr) {
        return image == null || image.isEmpty() || !image.containsKey(attr) ? null : image.get(attr).s();
    }

    private static List<String> pks(List<Record> records) {
        return records.stream().map(r -> r.dynamodb().keys().get("pk").s()).toList();
    }

    private static List<Shard> shards(String arn) {
        List<Shard> all = new ArrayList<>();
        String start = null;
        do {
            String from = start;
            var d = streams.describeStream(b -> b.streamArn(arn).exclusiveStartShardId(from)).streamDescription();
            all.addAll(d.shards());
            start = d.lastEvaluatedShardId();
        } while (start != null);
        return all;
    }

    private static String iterator(String arn, String shard, ShardIteratorType type, String seq) {
        return streams.getShardIterator(b -> b.streamArn(arn).shardId(shard).shardIteratorType(type)
                .sequenceNumber(seq)).shardIterator();
    }

    /** Reads a shard from the iterator until it is drained (closed: no next iterator; open: an empty page). */
    private static List<Record> records(String iterator) {
        List<Record> out = new ArrayList<>();
        String it = iterator;
        while (it != null) {
            String current = it;
            GetRecordsResponse r = streams.getRecords(b -> b.shardIterator(current));
            out.addAll(r.records());
            if (r.records().isEmpty()) {
                break;
            }
            it = r.nextShardIterator();
        }
        return out;
    }

    /** Every record of the stream, parents before children, in sequence-number order within each shard. */
    private static List<Record> readAll(String arn) {
        List<Record> out = new ArrayList<>();
        for (Shard shard : shards(arn)) {
            out.addAll(records(iterator(arn, shard.shardId(), ShardIteratorType.TRIM_HORIZON, null)));
        }
        return out;
    }

    private static JsonNode hook(String method, String path, String body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.endpoint() + path));
            if ("GET".equals(method)) {
                b.GET();
            } else {
                b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
            }
            HttpResponse<String> res = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, res.statusCode(), method + " " + path + ": " + res.body());
            return JSON.readTree(res.body());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
