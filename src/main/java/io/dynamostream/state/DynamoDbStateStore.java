package io.dynamostream.state;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import io.dynamostream.state.CheckpointStore.Checkpoint;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DeleteRequest;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * A DynamoDB table ({@code dynamo-stream.state.store=dynamodb}, table {@code dynamo-stream.state.table}), for
 * deployments without a persistent disk and, later, for several instances sharing state. Created on first use when
 * missing (on-demand billing), then waited for until ACTIVE.
 *
 * <p>Items, all under partition key {@code pk} = subscription id and sort key {@code sk}:
 * <pre>
 * sk = "subscription"            doc (S) | docz (B, gzip of doc when large)
 * sk = "checkpoint#" + shard id  seq (S, as given), cp (S, seq zero-padded to 48 digits), inflight (S), finished (BOOL)
 * sk = "deadletter#" + id        doc (S) | docz (B)
 * sk = "notification"            doc (S): the stop notification and its fate
 * sk = "window#" + shard id      doc (S) | docz (B): the shard's tumbling window and its state
 * </pre>
 * Checkpoints move forward in the table itself: {@code checkpoint} is an UpdateItem conditioned on
 * {@code attribute_not_exists(cp) OR cp < :cp}; zero-padded numbers of equal width compare as strings the way the
 * numbers compare, so concurrent writers (threads or instances) can never move one backwards. Durable on return: a
 * write that DynamoDB acknowledged is stored. Reads are strongly consistent. Thread-safe (the SDK client is).
 *
 * <p>Documents above {@value #COMPRESS_ABOVE} bytes are stored gzip-compressed, to stay below DynamoDB's 400 KB item
 * limit; one that is still too large after compression is refused with an {@link IllegalArgumentException}.
 */
final class DynamoDbStateStore implements StateStore {

    static final String PK = "pk";
    static final String SK = "sk";
    static final String SUBSCRIPTION = "subscription";
    static final String CHECKPOINT_PREFIX = "checkpoint#";
    static final String DEAD_LETTER_PREFIX = "deadletter#";
    static final String NOTIFICATION = "notification";
    static final String WINDOW_PREFIX = "window#";
    static final int COMPRESS_ABOVE = 100_000;
    private static final int MAX_ITEM_BYTES = 390_000;
    private static final Duration CREATE_TIMEOUT = Duration.ofMinutes(5);

    private final DynamoDbClient client;
    private final String table;

    private DynamoDbStateStore(DynamoDbClient client, String table) {
        this.client = client;
        this.table = table;
    }

    /**
     * Uses {@code table}, creating it when missing and waiting until it is ACTIVE.
     *
     * @param client not closed by this store (it belongs to the caller)
     * @throws IllegalStateException naming the table when it cannot be described or created, or has another key
     *         schema
     */
    public static DynamoDbStateStore open(DynamoDbClient client, String table) {
        DynamoDbStateStore store = new DynamoDbStateStore(client, table);
        store.ensureTable();
        return store;
    }

    @Override
    public SortedMap<String, String> subscriptions() {
        return scan(SUBSCRIPTION);
    }

    @Override
    public void putSubscription(String id, String document) {
        put(Checkpoints.requireId("subscription", id), SUBSCRIPTION, document);
    }

    /** BatchWriteItem, 25 documents per call (one PutItem each made registering a large subscription file slow). */
    @Override
    public void putSubscriptions(Map<String, String> documents) {
        List<WriteRequest> puts = new ArrayList<>();
        documents.forEach((id, document) -> puts.add(WriteRequest.builder().putRequest(PutRequest.builder()
                .item(item(Checkpoints.requireId("subscription", id), SUBSCRIPTION, document)).build()).build()));
        for (int i = 0; i < puts.size(); i += 25) {
            batchWrite(puts.subList(i, Math.min(i + 25, puts.size())));
        }
    }

    @Override
    public void deleteSubscription(String id) {
        Checkpoints.requireId("subscription", id);
        // the document first: should this stop half-way, the subscription is gone and only unreachable items remain
        client.deleteItem(r -> r.tableName(table).key(key(id, SUBSCRIPTION)));
        List<WriteRequest> deletes = new ArrayList<>();
        client.queryPaginator(r -> r.tableName(table).consistentRead(true)
                .keyConditionExpression("#pk = :pk")
                .projectionExpression("#pk, #sk")
                .expressionAttributeNames(Map.of("#pk", PK, "#sk", SK))
                .expressionAttributeValues(Map.of(":pk", s(id))))
                .items().forEach(item -> deletes.add(WriteRequest.builder()
                        .deleteRequest(DeleteRequest.builder().key(item).build()).build()));
        for (int i = 0; i < deletes.size(); i += 25) {
            batchWrite(deletes.subList(i, Math.min(i + 25, deletes.size())));
        }
    }

    @Override
    public Map<String, Checkpoint> checkpoints(String subscriptionId) {
        SortedMap<String, Checkpoint> out = new TreeMap<>();
        query(subscriptionId, CHECKPOINT_PREFIX, item -> {
            AttributeValue finished = item.get("finished");
            out.put(item.get(SK).s().substring(CHECKPOINT_PREFIX.length()), Checkpoints.visible(new Checkpoint(
                    string(item, "seq"), string(item, "inflight"), finished != null && finished.bool())));
        });
        return Collections.unmodifiableSortedMap(out);
    }

    @Override
    public boolean checkpoint(String subscriptionId, String shardId, String sequenceNumber) {
        String padded = Checkpoints.padded(sequenceNumber);
        try {
            client.updateItem(r -> r.tableName(table).key(checkpointKey(subscriptionId, shardId))
                    .updateExpression("SET #seq = :seq, #cp = :cp")
                    .conditionExpression("attribute_not_exists(#cp) OR #cp < :cp")
                    .expressionAttributeNames(Map.of("#seq", "seq", "#cp", "cp"))
                    .expressionAttributeValues(Map.of(":seq", s(sequenceNumber), ":cp", s(padded))));
            // the in-flight mark is not removed here: reads hide one at or before the checkpoint
            // (Checkpoints.visible), which saves a second write per acknowledged batch
            return true;
        } catch (ConditionalCheckFailedException notForward) {
            return false;
        }
    }

    @Override
    public void inFlight(String subscriptionId, String shardId, String lastSequenceNumber) {
        Checkpoints.requireSequenceNumber(lastSequenceNumber);
        client.updateItem(r -> r.tableName(table).key(checkpointKey(subscriptionId, shardId))
                .updateExpression("SET #if = :if")
                .expressionAttributeNames(Map.of("#if", "inflight"))
                .expressionAttributeValues(Map.of(":if", s(lastSequenceNumber))));
    }

    @Override
    public void checkpointAndInFlight(String subscriptionId, String shardId, String sequenceNumber,
            String nextLastSequenceNumber) {
        String padded = Checkpoints.padded(sequenceNumber);
        Checkpoints.requireSequenceNumber(nextLastSequenceNumber);
        try {
            client.updateItem(r -> r.tableName(table).key(checkpointKey(subscriptionId, shardId))
                    .updateExpression("SET #seq = :seq, #cp = :cp, #if = :if")
                    .conditionExpression("attribute_not_exists(#cp) OR #cp < :cp")
                    .expressionAttributeNames(Map.of("#seq", "seq", "#cp", "cp", "#if", "inflight"))
                    .expressionAttributeValues(Map.of(":seq", s(sequenceNumber), ":cp", s(padded),
                            ":if", s(nextLastSequenceNumber))));
        } catch (ConditionalCheckFailedException notForward) {
            inFlight(subscriptionId, shardId, nextLastSequenceNumber);
        }
    }

    @Override
    public void finish(String subscriptionId, String shardId) {
        client.updateItem(r -> r.tableName(table).key(checkpointKey(subscriptionId, shardId))
                .updateExpression("SET #fin = :fin REMOVE #if")
                .expressionAttributeNames(Map.of("#fin", "finished", "#if", "inflight"))
                .expressionAttributeValues(Map.of(":fin", AttributeValue.fromBool(true))));
    }

    @Override
    public SortedMap<String, String> deadLetters(String subscriptionId) {
        SortedMap<String, String> out = new TreeMap<>();
        query(subscriptionId, DEAD_LETTER_PREFIX,
                item -> out.put(item.get(SK).s().substring(DEAD_LETTER_PREFIX.length()), document(item)));
        return Collections.unmodifiableSortedMap(out);
    }

    @Override
    public void putDeadLetter(String subscriptionId, String deadLetterId, String document) {
        put(Checkpoints.requireId("subscription", subscriptionId),
                DEAD_LETTER_PREFIX + Checkpoints.requireId("dead letter", deadLetterId), document);
    }

    @Override
    public boolean deleteDeadLetter(String subscriptionId, String deadLetterId) {
        Map<String, AttributeValue> key = key(Checkpoints.requireId("subscription", subscriptionId),
                DEAD_LETTER_PREFIX + Checkpoints.requireId("dead letter", deadLetterId));
        return client.deleteItem(r -> r.tableName(table).key(key).returnValues(ReturnValue.ALL_OLD)).hasAttributes();
    }

    @Override
    public SortedMap<String, String> notifications() {
        return scan(NOTIFICATION);
    }

    @Override
    public void putNotification(String subscriptionId, String document) {
        put(Checkpoints.requireId("subscription", subscriptionId), NOTIFICATION, document);
    }

    @Override
    public String window(String subscriptionId, String shardId) {
        Map<String, AttributeValue> item = client.getItem(r -> r.tableName(table).consistentRead(true)
                .key(key(Checkpoints.requireId("subscription", subscriptionId),
                        WINDOW_PREFIX + Checkpoints.requireId("shard", shardId)))).item();
        return item == null || item.isEmpty() ? null : document(item);
    }

    @Override
    public void putWindow(String subscriptionId, String shardId, String document) {
        put(Checkpoints.requireId("subscription", subscriptionId),
                WINDOW_PREFIX + Checkpoints.requireId("shard", shardId), document);
    }

    @Override
    public String describe() {
        var cfg = client.serviceClientConfiguration();
        return "DynamoDB table " + table + " (region " + cfg.region()
                + cfg.endpointOverride().map(e -> ", endpoint " + e).orElse("") + ")";
    }

    /** Nothing to release: the client belongs to the caller. */
    @Override
    public void close() {
        // the client is a shared bean, closed by its producer
    }

    private void ensureTable() {
        try {
            TableDescription description;
            try {
                description = client.describeTable(r -> r.tableName(table)).table();
            } catch (ResourceNotFoundException missing) {
                description = create();
            }
            checkKeySchema(description);
            if (description.tableStatus() == TableStatus.CREATING) {
                awaitActive();
            }
        } catch (SdkException e) {
            // service errors (access denied...) and client errors (endpoint unreachable, no credentials) alike
            throw new IllegalStateException("Cannot use the state table " + table + " (" + e.getMessage() + "); it "
                    + "needs dynamodb:DescribeTable, CreateTable (unless created beforehand), PutItem, "
                    + "UpdateItem, DeleteItem, Query, Scan and BatchWriteItem", e);
        }
    }

    private TableDescription create() {
        try {
            return client.createTable(r -> r.tableName(table)
                    .billingMode(BillingMode.PAY_PER_REQUEST)
                    .attributeDefinitions(
                            AttributeDefinition.builder().attributeName(PK).attributeType(ScalarAttributeType.S)
                                    .build(),
                            AttributeDefinition.builder().attributeName(SK).attributeType(ScalarAttributeType.S)
                                    .build())
                    .keySchema(KeySchemaElement.builder().attributeName(PK).keyType(KeyType.HASH).build(),
                            KeySchemaElement.builder().attributeName(SK).keyType(KeyType.RANGE).build()))
                    .tableDescription();
        } catch (ResourceInUseException createdMeanwhile) {
            // another instance created it between our DescribeTable and CreateTable
            return client.describeTable(r -> r.tableName(table)).table();
        }
    }

    private void checkKeySchema(TableDescription description) {
        List<KeySchemaElement> expected = List.of(
                KeySchemaElement.builder().attributeName(PK).keyType(KeyType.HASH).build(),
                KeySchemaElement.builder().attributeName(SK).keyType(KeyType.RANGE).build());
        boolean stringKeys = description.attributeDefinitions().stream()
                .filter(d -> d.attributeName().equals(PK) || d.attributeName().equals(SK))
                .allMatch(d -> d.attributeType() == ScalarAttributeType.S);
        if (!description.keySchema().equals(expected) || !stringKeys) {
            throw new IllegalStateException("The state table " + table + " exists with another key schema ("
                    + description.keySchema() + "); it needs partition key pk (S) and sort key sk (S). Choose "
                    + "another name with dynamo-stream.state.table (DYNAMO_STREAM_STATE_TABLE)");
        }
    }

    private void awaitActive() {
        long deadline = System.nanoTime() + CREATE_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            TableStatus status = client.describeTable(r -> r.tableName(table)).table().tableStatus();
            if (status != TableStatus.CREATING) {
                return;
            }
            sleep(Duration.ofSeconds(1));
        }
        throw new IllegalStateException("The state table " + table + " is still being created after "
                + CREATE_TIMEOUT.toMinutes() + " minutes");
    }

    private void put(String pk, String sk, String document) {
        Map<String, AttributeValue> item = item(pk, sk, document);
        client.putItem(r -> r.tableName(table).item(item));
    }

    /** The item of a document: the key, and the document as text or, when large, gzipped. */
    private static Map<String, AttributeValue> item(String pk, String sk, String document) {
        Map<String, AttributeValue> item = new HashMap<>(key(pk, sk));
        byte[] utf8 = MemoryStateStore.requireDocument(document).getBytes(StandardCharsets.UTF_8);
        if (utf8.length <= COMPRESS_ABOVE) {
            item.put("doc", s(document));
        } else {
            byte[] gzip = gzip(utf8);
            if (gzip.length > MAX_ITEM_BYTES) {
                throw new IllegalArgumentException("document of " + pk + "/" + sk + " is " + utf8.length
                        + " bytes, " + gzip.length + " compressed: above DynamoDB's 400 KB item limit");
            }
            item.put("docz", AttributeValue.fromB(SdkBytes.fromByteArray(gzip)));
        }
        return item;
    }

    /** Every item whose sort key is {@code sk}: partition key (subscription id) → document. */
    private SortedMap<String, String> scan(String sk) {
        SortedMap<String, String> out = new TreeMap<>();
        client.scanPaginator(r -> r.tableName(table).consistentRead(true)
                .filterExpression("#sk = :sk")
                .expressionAttributeNames(Map.of("#sk", SK))
                .expressionAttributeValues(Map.of(":sk", s(sk))))
                .items().forEach(item -> out.put(item.get(PK).s(), document(item)));
        return Collections.unmodifiableSortedMap(out);
    }

    private void query(String subscriptionId, String prefix, Consumer<Map<String, AttributeValue>> each) {
        QueryRequest request = QueryRequest.builder().tableName(table).consistentRead(true)
                .keyConditionExpression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expressionAttributeNames(Map.of("#pk", PK, "#sk", SK))
                .expressionAttributeValues(Map.of(":pk", s(Checkpoints.requireId("subscription", subscriptionId)),
                        ":prefix", s(prefix)))
                .build();
        client.queryPaginator(request).items().forEach(each);
    }

    /** BatchWriteItem, re-sending the items DynamoDB left unprocessed (throttling) with a growing pause. */
    private void batchWrite(List<WriteRequest> requests) {
        Map<String, List<WriteRequest>> pending = Map.of(table, requests);
        for (int attempt = 0; !pending.isEmpty(); attempt++) {
            if (attempt == 10) {
                throw new IllegalStateException("DynamoDB left " + pending.get(table).size() + " writes of table "
                        + table + " unprocessed after " + attempt + " attempts");
            }
            if (attempt > 0) {
                sleep(Duration.ofMillis(Math.min(1000, 50L << attempt)));
            }
            Map<String, List<WriteRequest>> items = pending;
            BatchWriteItemResponse response = client.batchWriteItem(r -> r.requestItems(items));
            pending = response.hasUnprocessedItems() ? response.unprocessedItems() : Map.of();
        }
    }

    private Map<String, AttributeValue> checkpointKey(String subscriptionId, String shardId) {
        return key(Checkpoints.requireId("subscription", subscriptionId),
                CHECKPOINT_PREFIX + Checkpoints.requireId("shard", shardId));
    }

    private static Map<String, AttributeValue> key(String pk, String sk) {
        return Map.of(PK, s(pk), SK, s(sk));
    }

    private static AttributeValue s(String value) {
        return AttributeValue.fromS(value);
    }

    private static String string(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        return v == null ? null : v.s();
    }

    private static String document(Map<String, AttributeValue> item) {
        AttributeValue doc = item.get("doc");
        if (doc != null) {
            return doc.s();
        }
        return new String(gunzip(item.get("docz").b().asByteArray()), StandardCharsets.UTF_8);
    }

    private static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 4);
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static byte[] gunzip(byte[] bytes) {
        try (GZIPInputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(bytes))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for DynamoDB", e);
        }
    }
}
