package io.dynamostream.state;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.dynamostream.aws.ReaderClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;

/**
 * The service configured with {@code dynamo-stream.state.store=dynamodb} creates its table at startup, through the
 * same DynamoDB client as the stream readers (here the shared local server of the test suite).
 */
@QuarkusTest
@TestProfile(DynamoDbStateStoreProducerTest.DynamoDb.class)
class DynamoDbStateStoreProducerTest {

    static final String TABLE = "producer-test-state";

    /** DynamoDB store on a table of its own. */
    public static class DynamoDb implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("dynamo-stream.state.store", "dynamodb", "dynamo-stream.state.table", TABLE);
        }
    }

    @Inject
    StateStore store;

    @Inject
    @ReaderClient
    DynamoDbClient dynamoDb;

    @Test
    void givenDynamoDbConfigured_whenTheServiceStarted_thenItsTableExistsAndHoldsTheState() {
        store.putSubscription("producer-test", "{}");

        assertThat(store.describe(), containsString("DynamoDB table " + TABLE));
        assertEquals(TableStatus.ACTIVE, dynamoDb.describeTable(r -> r.tableName(TABLE)).table().tableStatus());
        assertEquals(Map.of("producer-test", "{}"), store.subscriptions());
    }
}
