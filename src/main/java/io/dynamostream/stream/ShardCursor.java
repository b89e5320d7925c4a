package io.dynamostream.stream;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.jboss.logging.Logger;

import io.dynamostream.delivery.HttpDelivery;
import io.dynamostream.delivery.LambdaPayload;
import io.dynamostream.delivery.Outcome;
import io.dynamostream.metrics.StreamMetrics;
import io.dynamostream.delivery.WebhookSigner;
import io.dynamostream.subscription.ShardState;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionRegistry;
import software.amazon.awssdk.services.dynamodb.model.Record;

/**
 * One subscription's position on one shard, and the loop that delivers that shard's records to it: take a batch
 * from the shared {@link ShardReader}, POST it, and only after a 2xx move on (I2: strictly sequential per
 * subscription and shard). Runs on its own virtual thread; position fields are guarded by the reader's lock.
 */
final class ShardCursor {

    private static final Logger LOG = Logger.getLogger(ShardCursor.class);
    /**
     * A LATEST subscription that joins while the shared reader is still behind the tip skips records created before
     * it was registered, minus this margin for clock skew between DynamoDB and this host: an extra record is better
     * than a lost one.
     */
    static final Duration LATEST_CLOCK_MARGIN = Duration.ofSeconds(60);

    /** Callback into the owning {@link TableStream}. */
    interface Listener {
        /** Every record of a closed shard was acknowledged by this subscription. */
        void cursorFinished(ShardCursor cursor);
    }

    private final Subscription subscription;
    private final String streamArn;
    private final String shardId;
    private final String parentShardId;
    private final ShardReader reader;
    private final HttpDelivery delivery;
    private final SubscriptionRegistry registry;
    private final Listener listener;
    private final int batchSize;
    private final StreamMetrics metrics;

    private long epoch;
    private long next;
    private BigInteger skipThrough;
    private long notBeforeEpochSecond = Long.MIN_VALUE;
    private volatile boolean stopped;
    private Thread thread;

    ShardCursor(Subscription subscription, String streamArn, ShardLineage.Shard shard, ShardReader reader,
            HttpDelivery delivery, SubscriptionRegistry registry, Listener listener, int batchSize,
            StreamMetrics metrics) {
        this.metrics = metrics;
        this.subscription = subscription;
        this.streamArn = streamArn;
        this.shardId = shard.shardId();
        this.parentShardId = shard.parentShardId();
        this.reader = reader;
        this.delivery = delivery;
        this.registry = registry;
        this.listener = listener;
        this.batchSize = batchSize;
    }

    String subscriptionId() {
        return subscription.id();
    }

    String shardId() {
        return shardId;
    }

    long epoch() {
        return epoch;
    }

    long next() {
        return next;
    }

    /** Called by the reader under its lock. */
    void position(long epoch, long next) {
        this.epoch = epoch;
        this.next = next;
    }

    /**
     * Called by the reader under its lock when this cursor joins at the end of the buffer (LATEST): records up to
     * {@code lastRead} and records created well before the registration are not for this subscription.
     */
    void floor(String lastRead) {
        if (lastRead != null) {
            skipThrough = SequenceNumbers.parse(lastRead);
        }
        notBeforeEpochSecond = subscription.createdAt().minus(LATEST_CLOCK_MARGIN).getEpochSecond();
    }

    void start() {
        registry.shardProgress(subscription.id(), shardId, parentShardId, ShardState.READING);
        thread = Thread.ofVirtual().name("cursor-" + subscription.id() + "-" + shardId).start(this::run);
    }

    void stop() {
        stopped = true;
        if (thread != null && thread != Thread.currentThread()) {
            thread.interrupt();
        }
    }

    private void run() {
        try {
            while (!stopped) {
                ShardReader.Batch batch = reader.take(this, batchSize);
                if (batch == null || stopped) {
                    return;
                }
                if (batch.endOfShard()) {
                    registry.shardProgress(subscription.id(), shardId, parentShardId, ShardState.FINISHED);
                    metrics.shardFinished(subscription.id(), subscription.tableName(), shardId);
                    listener.cursorFinished(this);
                    return;
                }
                List<Record> records = unseen(batch.records());
                if (!records.isEmpty() && !deliver(records)) {
                    return;
                }
                reader.advance(this, batch.epoch(), batch.records().size());
            }
        } catch (InterruptedException e) {
            // stopped
        } catch (RuntimeException e) {
            LOG.errorf(e, "Subscription %s, shard %s: unexpected error", subscription.id(), shardId);
            registry.fail(subscription.id(), "internal error on shard " + shardId + ": " + e);
        }
    }

    /** Drops records this subscription already acknowledged or that predate it (after a rewind, or LATEST). */
    private List<Record> unseen(List<Record> batch) {
        List<Record> out = new ArrayList<>(batch.size());
        // a shard's records come in increasing order: once one is past skipThrough, all that follow are
        boolean pastSkip = skipThrough == null;
        for (Record r : batch) {
            if (!pastSkip) {
                if (ShardReader.sequenceOf(r).compareTo(skipThrough) <= 0) {
                    continue;
                }
                pastSkip = true;
            }
            Instant created = r.dynamodb().approximateCreationDateTime();
            if (created != null && created.getEpochSecond() < notBeforeEpochSecond) {
                continue;
            }
            out.add(r);
        }
        return out;
    }

    /** POSTs one batch with retries; true when acknowledged, false when this cursor must stop. */
    private boolean deliver(List<Record> records) {
        byte[] body = LambdaPayload.body(records, streamArn);
        String messageId = WebhookSigner.batchId(subscription.id(), shardId,
                records.get(0).dynamodb().sequenceNumber(), records.get(records.size() - 1).dynamodb().sequenceNumber());
        // signed per attempt: webhook-timestamp is this attempt's time, so late retries stay within the receiver's
        // tolerance (Standard Webhooks verifiers refuse timestamps more than 5 minutes off)
        Outcome outcome = delivery.deliver(subscription.url(), body,
                () -> WebhookSigner.headers(subscription, messageId, body, Instant.now().getEpochSecond()),
                () -> stopped || !registry.isRunning(subscription.id()),
                reason -> registry.deliveryFailed(subscription.id(), shardId, reason),
                attempt -> metrics.attempt(subscription.id(), subscription.tableName(), attempt.outcome(),
                        attempt.took()));
        switch (outcome) {
            case Outcome.Delivered d -> {
                Record lastRecord = records.get(records.size() - 1);
                String last = lastRecord.dynamodb().sequenceNumber();
                skipThrough = SequenceNumbers.parse(last);
                registry.delivered(subscription.id(), shardId, last, records.size());
                metrics.delivered(subscription.id(), subscription.tableName(), shardId, records.size(),
                        lastRecord.dynamodb().approximateCreationDateTime());
                return true;
            }
            case Outcome.GaveUp g -> {
                registry.fail(subscription.id(), g.message() + " (shard " + shardId + ", sequence numbers "
                        + records.get(0).dynamodb().sequenceNumber() + " to "
                        + records.get(records.size() - 1).dynamodb().sequenceNumber() + ")");
                return false;
            }
            case Outcome.Gone g -> {
                registry.fail(subscription.id(), g.message());
                return false;
            }
            case Outcome.Cancelled c -> {
                return false;
            }
        }
    }
}
