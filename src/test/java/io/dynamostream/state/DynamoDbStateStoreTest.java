package io.dynamostream.state;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.dynamostream.dev.LocalDynamoDbServer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;

/**
 * The DynamoDB store against the bundled local server: the {@link StateStore} contract, the table it creates, and
 * forward-only checkpoints enforced by the table across store instances.
 */
class DynamoDbStateStoreTest extends StateStoreContract {

    private static final String TABLE = "dynamo-stream-state-test";

    private static LocalDynamoDbServer server;
    private static DynamoDbClient client;
    private static DynamoDbStateStore shared;

    @BeforeAll
    static void startServer() {
        server = LocalDynamoDbServer.start();
        client = client(server);
        shared = DynamoDbStateStore.open(client, TABLE);
    }

    @AfterAll
    static void stopServer() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** An SDK client for the local server. */
    static DynamoDbClient client(LocalDynamoDbServer server) {
        return DynamoDbClient.builder().endpointOverride(server.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "x")))
                .httpClient(UrlConnectionHttpClient.create()).build();
    }

    @Override
    protected StateStore store() {
        return shared;
    }

    @Override
    protected int concurrentCallsPerThread() {
        return 150;
    }

    @Test
    void givenNoTable_whenOpened_thenAnOnDemandTableWithStringKeysIsCreatedAndActive() {
        String table = id("created");

        DynamoDbStateStore.open(client, table);

        TableDescription t = client.describeTable(r -> r.tableName(table)).table();
        assertEquals(TableStatus.ACTIVE, t.tableStatus());
        assertEquals(BillingMode.PAY_PER_REQUEST, t.billingModeSummary().billingMode());
        assertEquals(List.of(KeySchemaElement.builder().attributeName("pk").keyType(KeyType.HASH).build(),
                KeySchemaElement.builder().attributeName("sk").keyType(KeyType.RANGE).build()), t.keySchema());
    }

    @Test
    void givenExistingTable_whenOpenedByASecondInstance_thenItSeesTheSameState() {
        String s = id("s");
        shared.putSubscription(s, "{}");
        shared.checkpoint(s, "sh", SEQ_21);

        DynamoDbStateStore other = DynamoDbStateStore.open(client, TABLE);

        assertEquals("{}", other.subscriptions().get(s));
        assertEquals(SEQ_21, other.checkpoints(s).get("sh").sequenceNumber());
    }

    @Test
    void givenTwoInstances_whenTheSlowerOneCheckpointsAnOlderNumber_thenTheTableRefusesIt() {
        String s = id("s");
        DynamoDbStateStore other = DynamoDbStateStore.open(client, TABLE);

        assertTrue(shared.checkpoint(s, "sh", SEQ_40));
        assertFalse(other.checkpoint(s, "sh", SEQ_21));
        assertFalse(other.checkpoint(s, "sh", "99"));

        assertEquals(SEQ_40, shared.checkpoints(s).get("sh").sequenceNumber());
    }

    @Test
    void givenCheckpoint_whenStored_thenTheItemHasTheDocumentedLayout() {
        String s = id("s");
        shared.checkpoint(s, "shardId-1", "99");

        Map<String, AttributeValue> item = client.getItem(r -> r.tableName(TABLE).consistentRead(true)
                .key(Map.of("pk", AttributeValue.fromS(s), "sk", AttributeValue.fromS("checkpoint#shardId-1"))))
                .item();

        assertEquals("99", item.get("seq").s());
        assertEquals("0".repeat(46) + "99", item.get("cp").s());
    }

    @Test
    void givenTableWithAnotherKeySchema_whenOpened_thenTheErrorNamesTheTable() {
        String table = id("foreign");
        client.createTable(r -> r.tableName(table).billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(AttributeDefinition.builder().attributeName("id")
                        .attributeType(ScalarAttributeType.S).build())
                .keySchema(KeySchemaElement.builder().attributeName("id").keyType(KeyType.HASH).build()));

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> DynamoDbStateStore.open(client, table));

        assertThat(e.getMessage(), containsString("The state table " + table + " exists with another key schema"));
    }

    @Test
    void givenUnreachableEndpoint_whenOpened_thenTheErrorNamesTheTable() {
        try (DynamoDbClient nowhere = DynamoDbClient.builder()
                .endpointOverride(java.net.URI.create("http://127.0.0.1:9")).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "x")))
                .overrideConfiguration(o -> o.retryStrategy(
                        software.amazon.awssdk.awscore.retry.AwsRetryStrategy.doNotRetry()))
                .httpClient(UrlConnectionHttpClient.create()).build()) {

            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> DynamoDbStateStore.open(nowhere, "unreachable"));

            assertThat(e.getMessage(), containsString("Cannot use the state table unreachable"));
        }
    }
}
