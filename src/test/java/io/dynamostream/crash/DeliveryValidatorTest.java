package io.dynamostream.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import io.dynamostream.crash.DeliveryValidator.Invariant;
import io.dynamostream.crash.DeliveryValidator.Post;
import io.dynamostream.crash.DeliveryValidator.Report;
import io.dynamostream.crash.DeliveryValidator.StreamLayout;

/** The crash test's validator on synthetic receiver logs: one that holds, and one breaking each invariant. */
class DeliveryValidatorTest {

    private static final String SUB = "01SUBSCRIPTION0000000000AA";
    private static final String OTHER_SUB = "01SUBSCRIPTION0000000000BB";
    private static final String SHARD_A = "shardId-00000000000000000001-aaaaaaaa";
    private static final String SHARD_B = "shardId-00000000000000000002-bbbbbbbb";
    private static final String CHILD = "shardId-00000000000000000003-cccccccc";
    private static final String GRANDCHILD = "shardId-00000000000000000004-dddddddd";

    /** SHARD_A (records 1, 2) → CHILD (no records) → GRANDCHILD (record 3). */
    private static final StreamLayout LINEAGE = new StreamLayout(Map.of("1", SHARD_A, "2", SHARD_A, "3", GRANDCHILD),
            Map.of(CHILD, SHARD_A, GRANDCHILD, CHILD));

    private final DeliveryValidator validator = new DeliveryValidator();

    /** A Lambda-shaped body with one INSERT per "key:sequenceNumber" pair. */
    private static byte[] body(String... records) {
        String list = Stream.of(records).map(r -> {
            String[] kv = r.split(":");
            return "{\"eventID\":\"" + kv[1] + "\",\"eventName\":\"INSERT\",\"dynamodb\":{\"Keys\":{\"pk\":{\"S\":\""
                    + kv[0] + "\"}},\"SequenceNumber\":\"" + kv[1] + "\",\"StreamViewType\":\"NEW_AND_OLD_IMAGES\"}}";
        }).collect(Collectors.joining(","));
        return ("{\"Records\":[" + list + "]}").getBytes(StandardCharsets.UTF_8);
    }

    private static StreamLayout layout(Map<String, String> shardOfSequence) {
        return new StreamLayout(shardOfSequence, Map.of());
    }

    private void post(String subscription, String shard, String webhookId, byte[] body) {
        validator.add(Post.parse(subscription, shard, webhookId, body));
    }

    private void post(String shard, String webhookId, String... records) {
        post(SUB, shard, webhookId, body(records));
    }

    @Test
    void givenKillsWithOnlyTheInFlightBatchRepeatedExactly_whenValidated_thenAllInvariantsHoldAndFiguresAreCounted() {
        post(SHARD_A, "msg_1", "k1:999", "k2:1000");          // 999 < 1000 only as numbers
        post(SHARD_B, "msg_2", "k3:1001");
        post(SHARD_A, "msg_3", "k4:1002", "k5:1003");
        // kill 1: msg_3 got to the receiver but not its 2xx to the service
        post(SHARD_A, "msg_3", "k4:1002", "k5:1003");
        post(SHARD_A, "msg_4", "k6:1004");
        // kill 2: msg_2 was in flight, and again after a kill during the restart
        post(SHARD_B, "msg_2", "k3:1001");
        post(SHARD_B, "msg_2", "k3:1001");
        post(SHARD_B, "msg_5", "k7:10000");

        Report report = validator.validate(Set.of(SUB), List.of("k1", "k2", "k3", "k4", "k5", "k6", "k7"), 2,
                layout(Map.of("999", SHARD_A, "1001", SHARD_B, "10000", SHARD_B)));

        assertTrue(report.passed(), report.toString());
        assertEquals(7, report.written());
        assertEquals(7, report.delivered());
        assertEquals(4, report.duplicates(), "k4, k5 once and k3 twice");
        assertEquals(2, report.resentBatches());
        assertEquals(1, report.maxResentPerShard());
        assertEquals(8, report.posts());
        assertEquals(0, report.unexpected());
    }

    @Test
    void givenWrittenKeyNeverDelivered_whenValidated_thenI1Fails() {
        post(SHARD_A, "msg_1", "k1:1", "k2:2");

        Report report = validator.validate(Set.of(SUB), List.of("k1", "k2", "k3"), 0, StreamLayout.UNKNOWN);

        assertTrue(report.broke(Invariant.I1), report.toString());
        assertTrue(report.toString().contains("[k3]"), report.toString());
    }

    @Test
    void givenKeyDeliveredToOneSubscriptionOnly_whenValidated_thenI1FailsForTheOther() {
        post(SUB, SHARD_A, "msg_1", body("k1:1"));
        post(OTHER_SUB, SHARD_A, "msg_2", body("k1:1"));
        post(SUB, SHARD_A, "msg_3", body("k2:2"));

        Report report = validator.validate(Set.of(SUB, OTHER_SUB), List.of("k1", "k2"), 0, StreamLayout.UNKNOWN);

        assertTrue(report.broke(Invariant.I1), report.toString());
        assertTrue(report.toString().contains("subscription " + OTHER_SUB), report.toString());
        assertFalse(report.broke(Invariant.I3), "the same record for two subscriptions is no duplicate");
    }

    @Test
    void givenExpectedSubscriptionThatGotNothing_whenValidated_thenI1Fails() {
        post(SHARD_A, "msg_1", "k1:1");

        Report report = validator.validate(Set.of(SUB, OTHER_SUB), List.of("k1"), 0, StreamLayout.UNKNOWN);

        assertTrue(report.broke(Invariant.I1), report.toString());
    }

    @Test
    void givenFirstDeliveriesOutOfOrderOnAShard_whenValidated_thenI2Fails() {
        post(SHARD_A, "msg_1", "k1:1000");
        post(SHARD_A, "msg_2", "k2:999");

        Report report = validator.validate(Set.of(SUB), List.of("k1", "k2"), 0, StreamLayout.UNKNOWN);

        assertTrue(report.broke(Invariant.I2), report.toString());
        assertFalse(report.broke(Invariant.I1));
    }

    @Test
    void givenOutOfOrderWithinOneBatch_whenValidated_thenI2Fails() {
        post(SHARD_A, "msg_1", "k1:5", "k2:4");

        Report report = validator.validate(Set.of(SUB), List.of("k1", "k2"), 0, StreamLayout.UNKNOWN);

        assertTrue(report.broke(Invariant.I2), report.toString());
    }

    @Test
    void givenLowerNumbersOnAnotherShard_whenValidated_thenOrderIsPerShardAndHolds() {
        post(SHARD_A, "msg_1", "k1:1000");
        post(SHARD_B, "msg_2", "k2:999");

        Report report = validator.validate(Set.of(SUB), List.of("k1", "k2"), 0, StreamLayout.UNKNOWN);

        assertTrue(report.passed(), report.toString());
    }

    @Test
    void givenDeliveredRecordInANewBatch_whenValidated_thenI3Fails() {
        post(SHARD_A, "msg_1", "k1:1", "k2:2");
        post(SHARD_A, "msg_2", "k2:2", "k3:3");   // restarted one record too early, under a new id

        Report report = validator.validate(Set.of(SUB), List.of("k1", "k2", "k3"), 1, StreamLayout.UNKNOWN);

        assertTrue(report.broke(Invariant.I3), report.toString());
        assertEquals(1, report.duplicates());
    }

    @Test
    void givenSameBodyUnderANewWebhookId_whenValidated_thenI3Fails() {
        post(SHARD_A, "msg_1", "k1:1");
        post(SHARD_A, "msg_2", "k1:1");

        Report report = validator.validate(Set.of(SUB), List.of("k1"), 1, StreamLayout.UNKNOWN);

        assertTrue(report.broke(Invariant.I3), report.toString());
    }

    @Test
    void givenSameWebhookIdWithDifferentBodyBytes_whenValidated_thenI3Fails() {
        post(SUB, SHARD_A, "msg_1", body("k1:1", "k2:2"));
        byte[] reformatted = new String(body("k1:1", "k2:2"), StandardCharsets.UTF_8).replace(",", ", ")
                .getBytes(StandardCharsets.UTF_8);
        post(SUB, SHARD_A, "msg_1", reformatted);   // same records, other bytes: a signature would not match

        Report report = validator.validate(Set.of(SUB), List.of("k1", "k2"), 1, StreamLayout.UNKNOWN);

        assertTrue(report.broke(Invariant.I3), report.toString());
        assertTrue(report.toString().contains("different body"), report.toString());
    }

    @Test
    void givenRepeatAfterGracefulStopsOnly_whenValidated_thenI3Fails() {
        post(SHARD_A, "msg_1", "k1:1");
        post(SHARD_A, "msg_1", "k1:1");

        Report report = validator.validate(Set.of(SUB), List.of("k1"), 0, StreamLayout.UNKNOWN);

        assertTrue(report.broke(Invariant.I3), report.toString());
        assertTrue(report.toString().contains("more than the 0 kills allow"), report.toString());
    }

    @Test
    void givenMoreRepeatedBatchesOnAShardThanKills_whenValidated_thenI3Fails() {
        post(SHARD_A, "msg_1", "k1:1");
        post(SHARD_A, "msg_1", "k1:1");
        post(SHARD_A, "msg_2", "k2:2");
        post(SHARD_A, "msg_2", "k2:2");
        post(SHARD_A, "msg_3", "k3:3");
        post(SHARD_A, "msg_3", "k3:3");

        Report report = validator.validate(Set.of(SUB), List.of("k1", "k2", "k3"), 2, StreamLayout.UNKNOWN);

        assertTrue(report.broke(Invariant.I3), report.toString());
        assertEquals(3, report.maxResentPerShard());
    }

    @Test
    void givenAcknowledgedOlderBatchSentAgain_whenValidated_thenI3Fails() {
        post(SHARD_A, "msg_1", "k1:1");
        post(SHARD_A, "msg_2", "k2:2");
        post(SHARD_A, "msg_1", "k1:1");   // msg_2 was sent, so msg_1 had its 2xx: it was not in flight

        Report report = validator.validate(Set.of(SUB), List.of("k1", "k2"), 1, StreamLayout.UNKNOWN);

        assertTrue(report.broke(Invariant.I3), report.toString());
        assertTrue(report.toString().contains("not the latest"), report.toString());
    }

    @Test
    void givenMissingHeaders_whenValidated_thenContractFails() {
        post(null, null, null, body("k1:1"));

        Report report = validator.validate(Set.of(SUB), List.of("k1"), 0, layout(Map.of("1", SHARD_A)));

        assertTrue(report.broke(Invariant.CONTRACT), report.toString());
        assertTrue(report.toString().contains("dynamo-stream-shard-id"), report.toString());
        assertFalse(report.broke(Invariant.I1), "with one subscription, the POST counts for it");
    }

    @Test
    void givenRecordOfAnotherShardThanTheHeaderSays_whenValidated_thenContractFails() {
        post(SHARD_A, "msg_1", "k1:1", "k2:2");

        Report report = validator.validate(Set.of(SUB), List.of("k1", "k2"), 0,
                layout(Map.of("1", SHARD_A, "2", SHARD_B)));

        assertTrue(report.broke(Invariant.CONTRACT), report.toString());
    }

    @Test
    void givenBodyThatIsNoLambdaEvent_whenValidated_thenContractFails() {
        post(SUB, SHARD_A, "msg_1", "{\"records\":[]}".getBytes(StandardCharsets.UTF_8));
        post(SUB, SHARD_A, "msg_2", "not json".getBytes(StandardCharsets.UTF_8));

        Report report = validator.validate(Set.of(SUB), List.of(), 0, StreamLayout.UNKNOWN);

        assertTrue(report.broke(Invariant.CONTRACT), report.toString());
        assertEquals(2, report.violations().size(), report.toString());
    }

    @Test
    void givenDeliveredKeyThatWasNotInTheWrittenList_whenValidated_thenCountedAsUnexpectedOnly() {
        post(SHARD_A, "msg_1", "k1:1", "k2:2");

        Report report = validator.validate(Set.of(SUB), List.of("k1"), 0, StreamLayout.UNKNOWN);

        assertTrue(report.passed(), report.toString());
        assertEquals(1, report.unexpected());
        assertTrue(validator.deliveredAll(List.of("k1", "k2")));
        assertFalse(validator.deliveredAll(List.of("k3")));
    }

    @Test
    void givenChildShardAfterItsAncestorsLastRecord_whenValidated_thenI4Holds() {
        post(SHARD_A, "msg_1", "k1:1");
        post(SHARD_A, "msg_2", "k2:2");
        post(GRANDCHILD, "msg_3", "k3:3");

        Report report = validator.validate(Set.of(SUB), List.of("k1", "k2", "k3"), 0, LINEAGE);

        assertTrue(report.passed(), report.toString());
    }

    @Test
    void givenChildShardDeliveredBeforeItsAncestorsLastRecord_whenValidated_thenI4Fails() {
        post(SHARD_A, "msg_1", "k1:1");
        post(GRANDCHILD, "msg_2", "k3:3");   // the empty parent does not hide the grandparent's record 2
        post(SHARD_A, "msg_3", "k2:2");

        Report report = validator.validate(Set.of(SUB), List.of("k1", "k2", "k3"), 0, LINEAGE);

        assertTrue(report.broke(Invariant.I4), report.toString());
        assertFalse(report.broke(Invariant.I2), "order is per shard");
    }
}
