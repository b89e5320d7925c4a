package io.dynamostream.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * Invariant I6 end to end: a slow or silent receiver delays only its own subscription, even once it is far more than
 * the read-ahead buffer ({@code buffer-records}, 2,000) behind; the others of the table keep their pace, and every
 * subscription still gets every record in stream order.
 *
 * <p>Settings from {@link LocalDynamoDbTestResource}: attempt timeout 2 s, so a receiver that answers after 8 s (or
 * never) fails every attempt; these subscriptions retry without limit.
 */
@QuarkusTest
@WithTestResource(value = LocalDynamoDbTestResource.class, scope = TestResourceScope.GLOBAL)
class IsolationTest {

    private static final AtomicInteger TABLES = new AtomicInteger();

    private final Dynamo dynamo = Dynamo.local();
    private final TestCleanup cleanup = new TestCleanup();

    @AfterEach
    void cleanUp() {
        cleanup.close();
    }

    private String table() {
        return dynamo.createTable("isolation-" + TABLES.incrementAndGet() + "-" + System.nanoTime() % 100000,
                StreamViewType.NEW_AND_OLD_IMAGES);
    }

    private String subscribe(String table, Receiver receiver, int batchSize) {
        return cleanup.subscription(Api.subscribeWith("{\"table_name\": \"" + table + "\", \"url\": \""
                + receiver.url() + "\", \"starting_position\": \"LATEST\", \"batch_size\": " + batchSize
                + ", \"maximum_retry_attempts\": -1}"));
    }

    /** Writes items k-from .. k-(to-1), 25 per BatchWriteItem, as fast as the server takes them. */
    private void write(String table, int from, int to) {
        for (int i = from; i < to; i += 25) {
            List<WriteRequest> batch = new ArrayList<>();
            for (int j = i; j < Math.min(to, i + 25); j++) {
                String key = String.format("k-%05d", j);
                batch.add(WriteRequest.builder().putRequest(r -> r.item(Map.of("pk", AttributeValue.fromS(key))))
                        .build());
            }
            dynamo.db.batchWriteItem(r -> r.requestItems(Map.of(table, batch)));
        }
    }

    private static List<String> keys(int from, int to) {
        List<String> keys = new ArrayList<>();
        for (int i = from; i < to; i++) {
            keys.add(String.format("k-%05d", i));
        }
        return keys;
    }

    private static List<String> keys(Receiver.Request batch) {
        List<String> keys = new ArrayList<>();
        batch.json().get("Records").forEach(r -> keys.add(r.at("/dynamodb/Keys/pk/S").asText()));
        return keys;
    }

    /** Keys in the order they first arrived, each once (a retried batch arrives again). */
    private static List<String> distinctKeys(Receiver receiver) {
        LinkedHashSet<String> seen = new LinkedHashSet<>();
        for (JsonNode r : receiver.records()) {
            seen.add(r.at("/dynamodb/Keys/pk/S").asText());
        }
        return List.copyOf(seen);
    }

    @Test
    void givenAReceiverThatNeverAnswers_whenThreeBuffersOfRecordsArriveAtOnce_thenTheOtherSubscriptionGetsThemAllAndKeepsUp() {
        String table = table();
        Receiver silent = cleanup.receiver().delaying(Duration.ofHours(1));
        Receiver fast = cleanup.receiver();
        String silentId = subscribe(table, silent, 100);
        subscribe(table, fast, 100);

        write(table, 0, 6000);
        await().atMost(Duration.ofSeconds(30)).until(() -> distinctKeys(fast).size() >= 6000);
        assertEquals(keys(0, 6000), distinctKeys(fast), "every record, once, in stream order");

        // and it keeps up with new writes while the silent one is still stuck on its first batch
        write(table, 6000, 6100);
        await().atMost(Duration.ofSeconds(10)).until(() -> distinctKeys(fast).size() >= 6100);
        assertEquals(keys(0, 6100), distinctKeys(fast));
        List<String> first = keys(silent.batches().get(0));
        for (Receiver.Request attempt : silent.batches()) {
            assertEquals(first, keys(attempt), "the silent receiver only ever got its first batch, again and again");
        }
        assertEquals("RETRYING", Api.status(silentId));
    }

    @Test
    void givenFiveSlowReceiversAtDifferentSpeeds_whenABacklogArrives_thenTheFastOneIsNotHeldBackAndEveryoneGetsEverythingInOrder() {
        String table = table();
        List<Receiver> slow = new ArrayList<>();
        for (long millis : new long[] {100, 300, 600, 1000, 8000}) {
            Receiver r = cleanup.receiver().delaying(Duration.ofMillis(millis));
            slow.add(r);
            subscribe(table, r, 1000);
        }
        Receiver fast = cleanup.receiver();
        subscribe(table, fast, 1000);

        write(table, 0, 6000);
        await().atMost(Duration.ofSeconds(30)).until(() -> distinctKeys(fast).size() >= 6000);
        assertEquals(keys(0, 6000), distinctKeys(fast));

        slow.get(4).delaying(Duration.ZERO); // the 8 s one (every attempt timed out) recovers
        await().atMost(Duration.ofSeconds(60)).until(() -> slow.stream().allMatch(r -> distinctKeys(r).size() >= 6000));
        for (Receiver r : slow) {
            assertEquals(keys(0, 6000), distinctKeys(r), "every slow subscription gets every record in order");
        }
    }
}
