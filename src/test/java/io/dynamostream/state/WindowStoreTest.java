package io.dynamostream.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.dynamostream.dev.LocalDynamoDbServer;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionRequest;
import io.dynamostream.subscription.SubscriptionStatus;
import io.dynamostream.subscription.SubscriptionStore;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * A shard's tumbling window in each store kind: it survives a restart (embedded file reopened, DynamoDB table read by
 * a new store), a large state fits, writes for a deleted subscription are ignored and the window goes with its
 * subscription.
 */
class WindowStoreTest {

    private static final Instant START = Instant.parse("2026-12-01T12:00:00Z");
    private static final WindowStore.Window OPEN = new WindowStore.Window(START, START.plusSeconds(60),
            "{\"count\":\"3\",\"by\":{\"k1\":2}}", "100000000000000000003", false);

    private static LocalDynamoDbServer server;
    private static DynamoDbClient client;

    @TempDir
    Path dir;

    @BeforeAll
    static void startServer() {
        server = LocalDynamoDbServer.start();
        client = DynamoDbStateStoreTest.client(server);
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

    private static StateStores withSubscription(StateStore raw, String id) {
        StateStores stores = StateStores.over(raw);
        stores.put(new SubscriptionStore.Stored(id, SubscriptionRequest.of("People", "http://127.0.0.1:9/",
                "TRIM_HORIZON"), Subscription.Source.API, START, SubscriptionStatus.RUNNING, null, true));
        return stores;
    }

    @Test
    void givenAnEmbeddedFile_whenReopened_thenTheWindowAndItsStateAreStillThere() {
        Path data = dir.resolve("state");
        try (EmbeddedStateStore first = EmbeddedStateStore.open(data)) {
            assertTrue(withSubscription(first, "01W").putWindow("01W", "shard-1", OPEN));
        }
        try (EmbeddedStateStore second = EmbeddedStateStore.open(data)) {
            assertEquals(Optional.of(OPEN), StateStores.over(second).window("01W", "shard-1"));
            assertEquals(Optional.empty(), StateStores.over(second).window("01W", "shard-2"));
        }
    }

    @Test
    void givenADynamoDbTable_whenANewStoreReadsIt_thenTheWindowIsThereAndALargeStateFits() {
        String id = "01W" + System.nanoTime();
        WindowStore.Window large = new WindowStore.Window(START, START.plusSeconds(900),
                "{\"seen\":\"" + "abc".repeat(200_000) + "\"}", "7", true);
        withSubscription(DynamoDbStateStore.open(client, "window-test"), id).putWindow(id, "shard-1", OPEN);
        withSubscription(DynamoDbStateStore.open(client, "window-test"), id).putWindow(id, "shard-2", large);

        StateStores other = StateStores.over(DynamoDbStateStore.open(client, "window-test"));
        assertEquals(Optional.of(OPEN), other.window(id, "shard-1"));
        assertEquals(Optional.of(large), other.window(id, "shard-2"));
    }

    @Test
    void givenADeletedSubscription_thenItsWindowIsGoneAndLaterWritesAreIgnored() {
        for (StateStore raw : List.of(new MemoryStateStore(), EmbeddedStateStore.open(dir.resolve("deleted")),
                DynamoDbStateStore.open(client, "window-test"))) {
            String id = "01D" + System.nanoTime();
            StateStores stores = withSubscription(raw, id);
            stores.putWindow(id, "shard-1", OPEN);

            stores.delete(id);

            assertEquals(Optional.empty(), stores.window(id, "shard-1"), raw.describe());
            assertFalse(stores.putWindow(id, "shard-1", OPEN), raw.describe());
            assertEquals(Optional.empty(), stores.window(id, "shard-1"), raw.describe());
            raw.close();
        }
    }

    @Test
    void givenTheMemoryStore_thenAWindowIsReadBackAsWritten() {
        StateStores stores = withSubscription(new MemoryStateStore(), "01M");
        WindowStore.Window closed = new WindowStore.Window(START, START.plusSeconds(60), "{}", null, true);

        stores.putWindow("01M", "shard-1", OPEN);
        stores.putWindow("01M", "shard-1", closed);

        assertEquals(Optional.of(closed), stores.window("01M", "shard-1"));
    }
}
