package io.dynamostream.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.test.junit.QuarkusTest;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * Issue 11.4 end to end through the API: with {@code parallelization_factor} the batches of one shard overlap (a POST
 * arrives while another is still being answered, which one batch at a time never allows), and the changes of each
 * item still arrive in the order they were written.
 */
@QuarkusTest
class ParallelLanesE2ETest {

    private static final Duration ANSWER = Duration.ofMillis(300);

    private final Dynamo dynamo = Dynamo.local();
    private final TestCleanup cleanup = new TestCleanup();

    @AfterEach
    void cleanUp() {
        cleanup.close();
    }

    @Test
    void givenFactor4_whenManyItemsChange_thenBatchesOverlapAndEachItemsChangesStayInOrder() {
        String table = dynamo.createTable(TestCleanup.table("Lanes"), StreamViewType.NEW_IMAGE);
        Receiver receiver = cleanup.receiver().delaying(ANSWER);
        String id = cleanup.subscribe("{\"table_name\": \"" + table + "\", \"url\": \"" + receiver.url() + "\", "
                + "\"starting_position\": \"TRIM_HORIZON\", \"batch_size\": 2, \"parallelization_factor\": 4}");

        int items = 12;
        int changes = 3;
        for (int n = 0; n < changes; n++) {
            for (int i = 0; i < items; i++) {
                dynamo.put(table, "item-" + i, n);
            }
        }

        await().atMost(Duration.ofSeconds(60)).until(() -> receiver.records().size() >= items * changes);
        Map<String, List<Integer>> perItem = new LinkedHashMap<>();
        for (JsonNode r : receiver.records()) {
            perItem.computeIfAbsent(r.at("/dynamodb/Keys/pk/S").asText(), k -> new ArrayList<>())
                    .add(r.at("/dynamodb/NewImage/n/N").asInt());
        }
        assertEquals(items, perItem.size());
        perItem.forEach((item, ns) -> assertEquals(List.of(0, 1, 2), ns, item + ": its changes in order, once"));

        // one batch at a time: each POST only after the previous one was answered, at least ANSWER apart
        List<Receiver.Request> batches = receiver.batches();
        long overlapping = 0;
        for (int i = 1; i < batches.size(); i++) {
            if (batches.get(i).receivedNanos() - batches.get(i - 1).receivedNanos() < ANSWER.toNanos() / 2) {
                overlapping++;
            }
        }
        assertTrue(overlapping > 0, "some batches of the shard were in flight at once");
        assertEquals("RUNNING", Api.status(id));
    }
}
