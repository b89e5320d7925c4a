package io.dynamostream.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.dynamostream.TestClock;
import io.dynamostream.TestRecords;
import io.dynamostream.metrics.StreamMetrics.AttemptOutcome;
import io.dynamostream.state.StateStores;
import io.dynamostream.subscription.DeliverySettings;
import io.dynamostream.subscription.DeliverySettings.OnFailure;
import io.dynamostream.subscription.MappingOptions;
import io.dynamostream.subscription.StartingPosition;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionRequest;
import io.dynamostream.subscription.SubscriptionStatus;
import io.dynamostream.subscription.SubscriptionStore;
import software.amazon.awssdk.services.dynamodb.model.Record;

/**
 * Seeded random runs of a tumbling window with crashes: a receiver that counts records into its state and fails at
 * random, a cursor that stores the checkpoint of a whole batch late (as {@code ShardCursor} does) and loses it in a
 * crash, and crashes at random moments (the delivery and everything in memory thrown away, the stores kept). Whatever
 * happens, each window's final invoke counts every record of the window exactly once, and windows close in order.
 */
class TumblingWindowCrashPropertyTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOON = Instant.parse("2026-12-01T12:00:00Z");

    @Test
    void givenRandomCrashesAndFailures_thenEveryRecordIsInItsWindowsFinalStateExactlyOnce() throws Exception {
        for (long seed = 1; seed <= 200; seed++) {
            run(seed);
        }
    }

    private void run(long seed) throws Exception {
        Random random = new Random(seed);
        TestClock clock = new TestClock(NOON);
        StateStores stores = StateStores.inMemory();
        DeliverySettings settings = new DeliverySettings(100, Duration.ZERO, -1, null, random.nextBoolean(),
                OnFailure.STOP).withMapping(new MappingOptions(List.of(), random.nextBoolean(), Duration.ofSeconds(10),
                        1));
        Subscription s = new Subscription("01CRASH", "T", URI.create("http://127.0.0.1:9/"),
                StartingPosition.TRIM_HORIZON, Subscription.Source.API, NOON, SubscriptionStatus.RUNNING, null,
                List.of(), Map.of(), List.of(), settings, true);
        stores.put(new SubscriptionStore.Stored(s.id(), SubscriptionRequest.of("T", "http://127.0.0.1:9/",
                "TRIM_HORIZON"), s.source(), s.createdAt(), SubscriptionStatus.RUNNING, null, true));

        // the shard: 60 records over about a minute, so over several 10 s windows
        List<Record> shard = new ArrayList<>();
        int second = 0;
        for (long seq = 1; seq <= 60; seq++) {
            second += random.nextInt(3);
            shard.addAll(TestRecords.records(seq, seq, NOON.plusSeconds(second)));
        }
        Map<Long, Integer> expected = new TreeMap<>();
        for (Record r : shard) {
            expected.merge(r.dynamodb().approximateCreationDateTime().getEpochSecond() / 10 * 10, 1, Integer::sum);
        }

        Map<Long, Integer> finals = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        boolean[] up = {true};
        Destination receiver = m -> {
            if (random.nextInt(12) == 0) {
                up[0] = false; // a crash during this attempt: its answer is lost
                return new Destination.Attempt.Retryable("crashed", null, AttemptOutcome.ERROR, Duration.ZERO);
            }
            if (random.nextInt(5) == 0) {
                return new Destination.Attempt.Retryable("HTTP 503", null, AttemptOutcome.SERVER_ERROR,
                        Duration.ofMillis(1));
            }
            JsonNode event;
            try {
                event = JSON.readTree(m.body());
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
            int count = event.path("state").path("count").asInt(0) + event.path("Records").size();
            long start = Instant.parse(event.path("window").path("start").asText()).getEpochSecond();
            if (event.path("isFinalInvokeForWindow").asBoolean()) {
                if (finals.containsKey(start)) {
                    problems.add("second final invoke for window " + start);
                }
                if (!finals.isEmpty() && ((TreeMap<Long, Integer>) finals).lastKey() >= start) {
                    problems.add("window " + start + " closed after a later one");
                }
                finals.put(start, count);
            }
            return new Destination.Attempt.Delivered("HTTP 200", AttemptOutcome.SUCCESS, Duration.ofMillis(1),
                    ("{\"state\":{\"count\":\"" + count + "\"}}").getBytes(StandardCharsets.UTF_8));
        };

        long saved = 0; // the stored checkpoint
        int crashes = 0;
        while (true) {
            up[0] = true;
            long[] checkpoint = {saved};
            long[] unsaved = {-1};
            Incidents incidents = new Incidents(i -> problems.add("incident " + i));
            BatchDelivery delivery = new BatchDelivery(s, "arn:aws:dynamodb:us-east-1:0:table/T/stream/1", "shard-1",
                    receiver, new RetryPolicy(Duration.ofMillis(10), Duration.ofMillis(100), new Random(seed)), clock,
                    (d, keepWaiting) -> {
                        clock.advance(d);
                        return keepWaiting.getAsBoolean();
                    }, new DeadLetters(stores, incidents, new Destinations(receiver), clock), incidents,
                    () -> up[0], stores);
            BatchDelivery.Listener cursor = new BatchDelivery.Listener() {
                @Override
                public void attempted(Destination.Attempt attempt) {
                }

                @Override
                public void failed(String message) {
                }

                @Override
                public void delivered(List<Record> records, boolean wholeBatch) {
                    long last = Long.parseLong(records.get(records.size() - 1).dynamodb().sequenceNumber());
                    if (wholeBatch) {
                        unsaved[0] = last; // stored with the next batch's in-flight mark
                    } else {
                        checkpoint[0] = last;
                    }
                }

                @Override
                public void handedOver(String lastSequenceNumber) {
                    problems.add("handed over through " + lastSequenceNumber);
                }
            };
            int next = (int) checkpoint[0];
            boolean crashed = false;
            while (next < shard.size()) {
                if (unsaved[0] >= 0) {
                    checkpoint[0] = unsaved[0];
                    unsaved[0] = -1;
                }
                int size = 1 + random.nextInt(8);
                List<Record> batch = shard.subList(next, Math.min(shard.size(), next + size));
                BatchDelivery.Outcome outcome = delivery.deliver(batch, cursor);
                if (!(outcome instanceof BatchDelivery.Outcome.Done)) {
                    crashed = true;
                    break;
                }
                next += batch.size();
                if (random.nextInt(15) == 0) {
                    crashed = true; // a crash between two batches: the late checkpoint is lost
                    break;
                }
            }
            if (!crashed) {
                if (delivery.closeWindowAtShardEnd(cursor) instanceof BatchDelivery.Outcome.Done) {
                    break;
                }
            }
            saved = checkpoint[0];
            crashes++;
        }
        String context = "seed " + seed + ", " + crashes + " crashes";
        assertEquals(List.of(), problems, context);
        assertEquals(expected, finals, context + ": each window's final state counts its records once");
    }
}
