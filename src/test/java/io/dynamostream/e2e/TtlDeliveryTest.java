package io.dynamostream.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.amazonaws.services.lambda.runtime.events.DynamodbEvent;
import com.amazonaws.services.lambda.runtime.serialization.events.LambdaEventSerializers;
import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * A TTL delete, as DynamoDB makes it (a REMOVE attributed to the service), reaches the subscriber in Lambda's shape
 * with its {@code userIdentity}, so handlers that tell expiries from user deletes can be tried against the bundled
 * local server.
 */
@QuarkusTest
@WithTestResource(value = LocalDynamoDbTestResource.class, scope = TestResourceScope.GLOBAL)
class TtlDeliveryTest {

    private static final AtomicInteger TABLES = new AtomicInteger();

    private final Dynamo dynamo = Dynamo.local();
    private final TestCleanup cleanup = new TestCleanup();

    @AfterEach
    void cleanUp() {
        cleanup.close();
    }

    @Test
    void givenTimeToLiveOnTheTable_whenAnItemExpires_thenItsRemoveIsDeliveredWithUserIdentityAndAUsersDeleteIsNot() {
        String table = dynamo.createTable("Ttl-" + TABLES.incrementAndGet() + "-" + System.nanoTime() % 100000,
                StreamViewType.NEW_AND_OLD_IMAGES);
        dynamo.db.updateTimeToLive(b -> b.tableName(table)
                .timeToLiveSpecification(t -> t.enabled(true).attributeName("expiresAt")));
        Receiver receiver = cleanup.receiver();
        cleanup.subscription(Api.subscribe(table, receiver.url(), "TRIM_HORIZON"));
        long past = System.currentTimeMillis() / 1000 - 60;
        dynamo.put(table, Map.of("pk", AttributeValue.fromS("session-1"),
                "expiresAt", AttributeValue.fromN(Long.toString(past))));
        dynamo.put(table, "user-deleted", 1);
        dynamo.db.deleteItem(b -> b.tableName(table).key(Map.of("pk", AttributeValue.fromS("user-deleted"))));

        dynamo.hook("ttl-sweep", Map.of());

        await().atMost(Duration.ofSeconds(30)).until(() -> removes(receiver).size() == 2);
        List<JsonNode> removes = removes(receiver);
        // the local server's own sweep (every second) may delete the expired item before the user's delete: any order
        List<String> keys = removes.stream().map(r -> r.at("/dynamodb/Keys/pk/S").asText()).toList();
        assertEquals(Set.of("user-deleted", "session-1"), Set.copyOf(keys), keys::toString);
        JsonNode deleted = removes.get(keys.indexOf("user-deleted"));
        assertFalse(deleted.has("userIdentity"), "a user's delete has no userIdentity: " + deleted);
        JsonNode expired = removes.get(keys.indexOf("session-1"));
        assertEquals("Service", expired.at("/userIdentity/type").asText());
        assertEquals("dynamodb.amazonaws.com", expired.at("/userIdentity/principalId").asText());
        assertEquals(Long.toString(past), expired.at("/dynamodb/OldImage/expiresAt/N").asText());

        // and Lambda's own deserializer reads it as a TTL delete
        Receiver.Request batch = receiver.batches().stream()
                .filter(r -> r.json().toString().contains("dynamodb.amazonaws.com")).findFirst().orElseThrow();
        DynamodbEvent event = LambdaEventSerializers.serializerFor(DynamodbEvent.class,
                TtlDeliveryTest.class.getClassLoader()).fromJson(new String(batch.body(),
                java.nio.charset.StandardCharsets.UTF_8));
        var record = event.getRecords().stream().filter(r -> r.getUserIdentity() != null).findFirst().orElseThrow();
        assertEquals("Service", record.getUserIdentity().getType());
        assertEquals("dynamodb.amazonaws.com", record.getUserIdentity().getPrincipalId());
    }

    private static List<JsonNode> removes(Receiver receiver) {
        return receiver.records().stream().filter(r -> "REMOVE".equals(r.path("eventName").asText())).toList();
    }
}
