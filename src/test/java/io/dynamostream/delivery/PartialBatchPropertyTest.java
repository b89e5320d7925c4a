package io.dynamostream.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.dynamostream.TestClock;
import io.dynamostream.TestRecords;
import io.dynamostream.metrics.StreamMetrics.AttemptOutcome;
import io.dynamostream.state.StateStores;
import io.dynamostream.subscription.DeliverySettings;
import io.dynamostream.subscription.DeliverySettings.OnFailure;
import io.dynamostream.subscription.MappingOptions;
import io.dynamostream.subscription.StartingPosition;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionStatus;
import software.amazon.awssdk.services.dynamodb.model.Record;

/**
 * Seeded random runs of partial batch responses: random batches, random answers (full success, failed items, answers
 * that fail the whole batch, 5xx), with and without bisection and retry limits. Whatever happens: a record the
 * receiver acknowledged is never sent again, the checkpoint never passes a record that was neither acknowledged nor
 * given up by on_failure, it only moves forward, and records go out in stream order.
 */
class PartialBatchPropertyTest {

    private static final String ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/T/stream/2026";
    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");

    /** A receiver that answers at random and remembers what it acknowledged. */
    private static final class RandomReceiver implements Destination {
        final Random random;
        final Set<Long> acknowledged = new HashSet<>();
        final List<String> violations = new ArrayList<>();
        long lastFirstSent = -1;

        RandomReceiver(Random random) {
            this.random = random;
        }

        @Override
        public Attempt send(Message m) {
            List<Long> seqs = m.records().stream().map(r -> Long.parseLong(r.dynamodb().sequenceNumber())).toList();
            for (int i = 0; i < seqs.size(); i++) {
                if (acknowledged.contains(seqs.get(i))) {
                    violations.add("record " + seqs.get(i) + " sent again after it was acknowledged");
                }
                if (i > 0 && seqs.get(i) <= seqs.get(i - 1)) {
                    violations.add("batch out of order: " + seqs);
                }
            }
            int roll = random.nextInt(10);
            if (roll < 3) {
                acknowledged.addAll(seqs);
                return ok(random.nextBoolean() ? "" : "{\"batchItemFailures\":[]}");
            }
            if (roll < 7) {
                // some failed records, in any order; the records before the lowest are done
                int lowest = random.nextInt(seqs.size());
                StringBuilder b = new StringBuilder("{\"batchItemFailures\":[");
                List<Long> failed = new ArrayList<>();
                failed.add(seqs.get(lowest));
                for (int i = lowest + 1; i < seqs.size(); i++) {
                    if (random.nextInt(3) == 0) {
                        failed.add(seqs.get(i));
                    }
                }
                java.util.Collections.shuffle(failed, random);
                for (int i = 0; i < failed.size(); i++) {
                    b.append(i == 0 ? "" : ",").append("{\"itemIdentifier\":\"").append(failed.get(i)).append("\"}");
                }
                acknowledged.addAll(seqs.subList(0, lowest));
                return ok(b.append("]}").toString());
            }
            if (roll < 9) {
                return ok(switch (random.nextInt(4)) {
                    case 0 -> "not json";
                    case 1 -> "{\"batchItemFailures\":[{\"itemIdentifier\":\"\"}]}";
                    case 2 -> "{\"batchItemFailures\":[{\"id\":\"" + seqs.get(0) + "\"}]}";
                    default -> "{\"batchItemFailures\":[{\"itemIdentifier\":\"1\"}]}";
                });
            }
            return new Attempt.Retryable("HTTP 503", null, AttemptOutcome.SERVER_ERROR, Duration.ofMillis(1));
        }

        private static Attempt ok(String body) {
            return new Attempt.Delivered("HTTP 200", AttemptOutcome.SUCCESS, Duration.ofMillis(1),
                    body.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The cursor's view: where the checkpoint is and what may be behind it. */
    private static final class Checkpoint implements BatchDelivery.Listener {
        final RandomReceiver receiver;
        final Set<Long> handedOver = new HashSet<>();
        final List<Record> current = new ArrayList<>();
        long checkpoint = 0;

        Checkpoint(RandomReceiver receiver) {
            this.receiver = receiver;
        }

        @Override
        public void attempted(Destination.Attempt attempt) {
        }

        @Override
        public void failed(String message) {
        }

        @Override
        public void delivered(List<Record> records, boolean wholeBatch) {
            move(Long.parseLong(records.get(records.size() - 1).dynamodb().sequenceNumber()));
        }

        @Override
        public void handedOver(String lastSequenceNumber) {
            long last = Long.parseLong(lastSequenceNumber);
            for (Record r : current) {
                long s = Long.parseLong(r.dynamodb().sequenceNumber());
                if (s > checkpoint && s <= last) {
                    handedOver.add(s);
                }
            }
            move(last);
        }

        private void move(long to) {
            if (to <= checkpoint) {
                receiver.violations.add("checkpoint moved back from " + checkpoint + " to " + to);
            }
            for (Record r : current) {
                long s = Long.parseLong(r.dynamodb().sequenceNumber());
                if (s > checkpoint && s <= to && !receiver.acknowledged.contains(s) && !handedOver.contains(s)) {
                    receiver.violations.add("checkpoint " + to + " passes record " + s + ", never acknowledged");
                }
            }
            checkpoint = to;
        }
    }

    @Test
    void givenRandomBatchesAndAnswers_thenNoAcknowledgedRecordIsResentAndTheCheckpointNeverPassesAnUnacknowledgedOne()
            throws Exception {
        for (long seed = 1; seed <= 300; seed++) {
            Random random = new Random(seed);
            TestClock clock = new TestClock(NOW);
            RandomReceiver receiver = new RandomReceiver(random);
            Checkpoint cursor = new Checkpoint(receiver);
            boolean bisect = random.nextBoolean();
            int retries = random.nextInt(4) == 0 ? -1 : random.nextInt(6);
            OnFailure onFailure = random.nextBoolean() ? OnFailure.SKIP : OnFailure.STOP;
            DeliverySettings settings = new DeliverySettings(100, Duration.ZERO, retries, null, bisect, onFailure)
                    .withMapping(new MappingOptions(List.of(), true, Duration.ZERO, 1));
            Subscription s = new Subscription("01SUB", "T", URI.create("http://127.0.0.1:9/in"),
                    StartingPosition.TRIM_HORIZON, Subscription.Source.API, NOW, SubscriptionStatus.RUNNING, null,
                    List.of(), Map.of(), List.of(), settings, true);
            StateStores stores = StateStores.inMemory();
            Incidents incidents = new Incidents(i -> {
            });
            BatchDelivery delivery = new BatchDelivery(s, ARN, "shard-1", receiver,
                    new RetryPolicy(Duration.ofMillis(10), Duration.ofMillis(100), new Random(seed)), clock,
                    (d, keepWaiting) -> {
                        clock.advance(d);
                        return keepWaiting.getAsBoolean();
                    }, new DeadLetters(stores, incidents, new Destinations(receiver), clock), incidents, () -> true);

            long next = 1 + random.nextInt(1000);
            String context = "seed " + seed + " (bisect " + bisect + ", retries " + retries + ", " + onFailure + ")";
            for (int batch = 0; batch < 8; batch++) {
                int size = 1 + random.nextInt(12);
                List<Record> records = TestRecords.records(next, next + size - 1, NOW);
                cursor.current.clear();
                cursor.current.addAll(records);
                BatchDelivery.Outcome outcome = delivery.deliver(records, cursor);
                if (outcome instanceof BatchDelivery.Outcome.Failed) {
                    assertEquals(OnFailure.STOP, onFailure, context);
                    assertTrue(cursor.checkpoint < next + size - 1, context + ": stopped with all done");
                    break;
                }
                assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome, context);
                assertEquals(next + size - 1, cursor.checkpoint, context + ": a done batch is checkpointed to its end");
                next += size + random.nextInt(3); // sequence numbers have gaps
            }
            assertTrue(receiver.violations.isEmpty(), context + ": " + receiver.violations);
            assertFalse(onFailure == OnFailure.SKIP && retries < 0 && !cursor.handedOver.isEmpty(),
                    context + ": nothing is given up while retrying forever");
        }
    }
}
