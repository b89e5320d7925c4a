package io.dynamostream.reading;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import io.dynamostream.delivery.HttpDelivery;
import io.dynamostream.delivery.LambdaPayload;
import io.dynamostream.delivery.RetryPolicy;
import io.dynamostream.delivery.WebhookSigner;
import io.dynamostream.metrics.StreamMetrics;
import io.dynamostream.subscription.DeliveryIncident;
import io.dynamostream.subscription.DeliverySettings;
import io.dynamostream.guard.Redaction;
import io.dynamostream.subscription.ShardState;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionRegistry;
import software.amazon.awssdk.services.dynamodb.model.Record;
import io.dynamostream.aws.SequenceNumbers;

/**
 * One subscription's position on one shard, and the loop that delivers that shard's records to it: take a batch
 * from the shared {@link ShardReader}, POST it, and only after a 2xx checkpoint it and move on (I2, I5: strictly
 * sequential per subscription and shard). Failure handling follows Lambda's event-source mapping: retries with
 * backoff (and {@code Retry-After}), a record age limit, bisection of failing batches, then {@code on_failure}.
 *
 * <p>Before the first attempt of a batch its last sequence number is stored as "in flight": after a crash the same
 * batch (same records, same body bytes, same {@code webhook-id}) is sent again, and nothing more (I3).
 *
 * <p>Runs on its own virtual thread. {@link #epoch}/{@link #next} are guarded by the reader's lock; the resume point
 * is volatile because the reader reads it when it rewinds.
 */
final class ShardCursor {

    private static final Logger LOG = Logger.getLogger(ShardCursor.class);
    /**
     * A LATEST subscription that joins while the shared reader is still behind the tip skips records created before
     * it was registered, minus this margin for clock skew between DynamoDB and this host: an extra record is better
     * than a lost one.
     */
    static final Duration LATEST_CLOCK_MARGIN = Duration.ofSeconds(60);
    /** Longest wait a receiver's {@code Retry-After} can impose on one attempt. */
    static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(15);
    /** How long a resumed cursor waits for the rest of the batch that was in flight before a crash. */
    private static final Duration IN_FLIGHT_WAIT = Duration.ofSeconds(2);

    /** Callback into the owning {@link TableStream}. */
    interface Listener {
        /** Every record of a closed shard was acknowledged by this subscription. */
        void cursorFinished(ShardCursor cursor);
    }

    /** How one batch ended. */
    private enum Result {
        /** Acknowledged with a 2xx, or handed to {@code on_failure: skip / dead_letter}: the cursor moves on. */
        DONE,
        /** The subscription ended (ERROR) or the cursor is stopping: nothing more is delivered. */
        STOP
    }

    private final Subscription subscription;
    private final DeliverySettings settings;
    private final String streamArn;
    private final String shardId;
    private final String parentShardId;
    private final ShardReader reader;
    private final HttpDelivery delivery;
    private final RetryPolicy backoff;
    private final SubscriptionRegistry registry;
    private final Listener listener;
    private final StreamMetrics metrics;

    private long epoch;
    private long next;
    /** The last sequence number this subscription acknowledged (or skipped) on this shard; null: none yet. */
    private volatile String resumePoint;
    private BigInteger skipThrough;
    /** Last sequence number of the batch that was in flight when the service stopped; null once re-sent. */
    private BigInteger inFlightThrough;
    private long notBeforeEpochSecond = Long.MIN_VALUE;
    /** The reader re-opened the shard at TRIM_HORIZON after a trimmed position: report the gap once. */
    private volatile boolean gapPending;
    /**
     * The last batch acknowledged with a 2xx when its checkpoint is not stored yet: it is stored together with the
     * next batch's in-flight mark when that batch is ready at once (one write per batch while a backlog drains), and
     * on its own before the cursor waits for records or stops. Cursor thread only.
     */
    private Acknowledged unsaved;
    /** The position came from {@link #floor} (a LATEST join), not from the store: store it when starting. */
    private boolean storeFloor;
    private volatile boolean stopped;
    private volatile boolean interruptible = true;
    private Thread thread;

    /**
     * @param after the checkpoint to resume after, null when this subscription has acknowledged nothing on the shard
     * @param inFlightThrough last sequence number of the batch in flight at the last stop, or null
     * @param skipOlderRecords skip records created before the subscription (LATEST subscriptions)
     */
    ShardCursor(Subscription subscription, String streamArn, ShardLineage.Shard shard, ShardReader reader,
            HttpDelivery delivery, SubscriptionRegistry registry, Listener listener, StreamMetrics metrics,
            String after, String inFlightThrough, boolean skipOlderRecords) {
        this.subscription = subscription;
        this.settings = subscription.settings();
        this.streamArn = streamArn;
        this.shardId = shard.shardId();
        this.parentShardId = shard.parentShardId();
        this.reader = reader;
        this.delivery = delivery;
        this.backoff = delivery.retryPolicy();
        this.registry = registry;
        this.listener = listener;
        this.metrics = metrics;
        if (after != null) {
            resumePoint = after;
            skipThrough = SequenceNumbers.parse(after);
        }
        if (inFlightThrough != null) {
            this.inFlightThrough = SequenceNumbers.parse(inFlightThrough);
        }
        if (skipOlderRecords) {
            notBeforeEpochSecond = subscription.createdAt().minus(LATEST_CLOCK_MARGIN).getEpochSecond();
        }
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

    int batchSize() {
        return settings.batchSize();
    }

    /** Where the reader must re-open the shard for this cursor: after this sequence number, or (null) the start. */
    String resumePoint() {
        return resumePoint;
    }

    /** Called by the reader under its lock. */
    void position(long epoch, long next) {
        this.epoch = epoch;
        this.next = next;
    }

    /**
     * Called by the reader under its lock when it re-opened the shard at TRIM_HORIZON because this cursor's position
     * had been trimmed: the first records it gets then tell where the gap ends.
     */
    void epochChanged(boolean afterTrim) {
        if (afterTrim) {
            gapPending = true;
        }
    }

    /**
     * Called by the reader under its lock when this cursor joins at the end of the buffer (LATEST): records up to
     * {@code lastRead} and records created well before the registration are not for this subscription. The floor
     * is stored as the checkpoint, so a restart does not go back before it.
     */
    void floor(String lastRead) {
        if (lastRead != null) {
            skipThrough = SequenceNumbers.parse(lastRead);
            resumePoint = lastRead;
            storeFloor = true;
        }
        notBeforeEpochSecond = subscription.createdAt().minus(LATEST_CLOCK_MARGIN).getEpochSecond();
    }

    void start() {
        if (storeFloor) {
            registry.checkpoint(subscription.id(), shardId, resumePoint);
        }
        registry.shardProgress(subscription.id(), shardId, parentShardId, ShardState.READING);
        thread = Thread.ofVirtual().name("cursor-" + subscription.id() + "-" + shardId).start(this::run);
    }

    /** Stops now: an attempt in progress is abandoned (its batch is sent again later). */
    void stop() {
        stopped = true;
        if (thread != null && thread != Thread.currentThread() && interruptible) {
            thread.interrupt();
        }
    }

    /**
     * Graceful stop (I11): takes no new batch and starts no new attempt, but lets the attempt in progress finish, so
     * a 2xx that arrives is still checkpointed. {@link #awaitStopped} waits for it.
     */
    void drain() {
        interruptible = false;
        stopped = true;
    }

    /** Waits until the delivery thread has ended; false when it is still running at the deadline. */
    boolean awaitStopped(long deadlineNanos) throws InterruptedException {
        Thread t = thread;
        if (t == null) {
            return true;
        }
        long left = deadlineNanos - System.nanoTime();
        return left > 0 ? t.join(Duration.ofNanos(left)) : !t.isAlive();
    }

    private void run() {
        try {
            while (!stopped) {
                ShardReader.Batch batch = nextBatch();
                if (batch == null || stopped) {
                    return;
                }
                if (batch.endOfShard()) {
                    registry.finished(subscription.id(), shardId);
                    metrics.shardFinished(subscription.id(), subscription.tableName(), shardId);
                    listener.cursorFinished(this);
                    return;
                }
                List<Record> records = batch.records();
                if (gapPending) {
                    checkGap(records.get(0));
                }
                int seen = leadingSeen(records);
                if (seen > 0) {
                    // already acknowledged (after a rewind or a restart) or older than a LATEST subscription
                    reader.advance(this, batch.epoch(), seen);
                    continue;
                }
                records = cutAtInFlight(records, batch);
                if (records == null) {
                    continue;
                }
                if (deliver(records, 0, true) == Result.STOP) {
                    return;
                }
                reader.advance(this, batch.epoch(), records.size());
            }
        } catch (InterruptedException e) {
            // stopped
        } catch (RuntimeException e) {
            if (stopped) {
                // stopping (e.g. the state store closed at shutdown): the batch is sent again after the restart
                LOG.debugf("Subscription %s, shard %s: stopped while delivering: %s", subscription.id(), shardId, e);
                return;
            }
            LOG.errorf(e, "Subscription %s, shard %s: unexpected error", subscription.id(), shardId);
            registry.fail(subscription.id(), "internal error on shard " + shardId + ": " + e);
        } finally {
            saveAcknowledged();
        }
    }

    /**
     * The next batch. After a 2xx whose checkpoint is not stored yet, a batch that can be delivered at once is
     * returned as it is (its in-flight mark and that checkpoint are then stored together); otherwise the checkpoint
     * is stored first and the cursor waits as usual.
     */
    private ShardReader.Batch nextBatch() throws InterruptedException {
        if (unsaved != null) {
            ShardReader.Batch ready = inFlightThrough == null && !gapPending
                    ? reader.poll(this, settings.batchSize(), minRecords())
                    : null;
            if (ready != null && leadingSeen(ready.records()) == 0) {
                return ready;
            }
            saveAcknowledged();
        }
        return take();
    }

    /** Stores the checkpoint of the last acknowledged batch if that is still to be done. */
    private void saveAcknowledged() {
        Acknowledged ack = unsaved;
        if (ack == null) {
            return;
        }
        unsaved = null;
        try {
            registry.delivered(subscription.id(), shardId, ack.last(), ack.records());
        } catch (RuntimeException e) {
            if (!stopped) {
                throw e;
            }
            // stopping (e.g. the state store closed at shutdown): the batch is sent again after the restart
            LOG.debugf("Subscription %s, shard %s: checkpoint %s not stored while stopping: %s", subscription.id(),
                    shardId, ack.last(), e);
        }
    }

    /** A batch acknowledged with a 2xx: its last sequence number and its size. */
    private record Acknowledged(String last, int records) {
    }

    /** The next batch: at once when records wait (no window), else when full or when the window has passed. */
    private ShardReader.Batch take() throws InterruptedException {
        int max = settings.batchSize();
        if (inFlightThrough != null) {
            return reader.take(this, max, 1, System.nanoTime());
        }
        return reader.take(this, max, minRecords(), System.nanoTime() + settings.batchingWindow().toNanos());
    }

    /** Records a batch needs before the window has passed: a full batch with a window, else one record. */
    private int minRecords() {
        return settings.batchingWindow().isZero() ? 1 : settings.batchSize();
    }

    /** How many records at the head of the batch this subscription must not get (acknowledged, or too old). */
    private int leadingSeen(List<Record> batch) {
        int n = 0;
        // a shard's records come in increasing order: once one is past skipThrough, all that follow are
        for (Record r : batch) {
            if (skipThrough != null && ShardReader.sequenceOf(r).compareTo(skipThrough) <= 0) {
                n++;
                continue;
            }
            Instant created = r.dynamodb().approximateCreationDateTime();
            if (created != null && created.getEpochSecond() < notBeforeEpochSecond) {
                n++;
                continue;
            }
            break;
        }
        return n;
    }

    /**
     * After a restart the first batch ends exactly where the batch in flight ended, so it is the same batch.
     * Returns null when the rest of it is not buffered yet and is worth waiting for.
     */
    private List<Record> cutAtInFlight(List<Record> records, ShardReader.Batch batch) throws InterruptedException {
        if (inFlightThrough == null) {
            return records;
        }
        BigInteger through = inFlightThrough;
        for (int i = 0; i < records.size(); i++) {
            int c = ShardReader.sequenceOf(records.get(i)).compareTo(through);
            if (c >= 0) {
                inFlightThrough = null;
                // c > 0: the in-flight batch ended before this record (e.g. a record of it was trimmed meanwhile)
                return c == 0 ? records.subList(0, i + 1) : i == 0 ? records : records.subList(0, i);
            }
        }
        if (records.size() < settings.batchSize()) {
            ShardReader.Batch more = reader.take(this, settings.batchSize(), records.size() + 1,
                    System.nanoTime() + IN_FLIGHT_WAIT.toNanos());
            if (more != null && !more.endOfShard() && more.epoch() == batch.epoch()
                    && more.records().size() > records.size()) {
                return null; // take again: the batch now reaches further
            }
        }
        inFlightThrough = null; // the batch size changed or the records are gone: deliver what is there
        return records;
    }

    /**
     * First records after the reader re-opened a trimmed shard at TRIM_HORIZON: when they are past this cursor's
     * position, the records in between are lost (I1: reported, never silent).
     */
    private void checkGap(Record firstAfterTrim) {
        gapPending = false;
        if (skipThrough != null && ShardReader.sequenceOf(firstAfterTrim).compareTo(skipThrough) <= 0) {
            return; // this cursor's position is still retained: nothing of its records was trimmed
        }
        String before = firstAfterTrim.dynamodb().sequenceNumber();
        registry.incident(subscription.id(), DeliveryIncident.Kind.GAP, shardId, resumePoint, before, 0,
                "gap: records of shard " + shardId + (resumePoint == null ? "" : " after sequence number " + resumePoint)
                        + " and before " + before + " were trimmed from the stream (older than 24 h) before they "
                        + "were delivered; continuing from " + before);
    }

    /**
     * Delivers one batch with retries; bisects a failing batch when asked (a split does not use up retries); applies
     * {@code on_failure} to a batch that is given up.
     *
     * @param failedAttempts failed attempts already made for these records (carried into the halves of a split)
     * @param top whether this is a whole batch as taken from the reader (its range is stored as in flight)
     */
    private Result deliver(List<Record> records, int failedAttempts, boolean top) throws InterruptedException {
        String first = records.get(0).dynamodb().sequenceNumber();
        String last = records.get(records.size() - 1).dynamodb().sequenceNumber();
        byte[] body = LambdaPayload.body(records, streamArn);
        String messageId = WebhookSigner.batchId(subscription.id(), shardId, first, last);
        if (top && unsaved != null) {
            registry.deliveredAndInFlight(subscription.id(), shardId, unsaved.last(), unsaved.records(), last);
            unsaved = null;
        } else if (top) {
            registry.inFlight(subscription.id(), shardId, last);
        }
        int failed = failedAttempts;
        while (true) {
            if (stopped || !registry.isRunning(subscription.id())) {
                return Result.STOP;
            }
            int expired = expired(records);
            if (expired > 0) {
                // the records too old to deliver (the oldest come first) are given up, the others go on
                List<Record> old = records.subList(0, expired);
                String oldLast = old.get(old.size() - 1).dynamodb().sequenceNumber();
                Result r = giveUp(old, first, oldLast, LambdaPayload.body(old, streamArn), "records older than "
                        + "maximum_record_age_in_seconds (" + settings.maximumRecordAge().toSeconds() + " s): the "
                        + "oldest was created " + old.get(0).dynamodb().approximateCreationDateTime());
                if (r == Result.STOP || expired == records.size()) {
                    return r;
                }
                return deliver(records.subList(expired, records.size()), failed, false);
            }
            // signed per attempt: webhook-timestamp is this attempt's time, so late retries stay within the
            // receiver's tolerance (Standard Webhooks verifiers refuse timestamps more than 5 minutes off)
            Map<String, String> headers = WebhookSigner.batchHeaders(subscription, shardId, messageId, body,
                    Instant.now().getEpochSecond());
            HttpDelivery.Attempt attempt = delivery.post(subscription.url(), body, headers);
            metrics.attempt(subscription.id(), subscription.tableName(), attempt.outcome(), attempt.took());
            if (attempt.isSuccess()) {
                acknowledged(records, last, top);
                return Result.DONE;
            }
            if (attempt.status() == 410) {
                registry.fail(subscription.id(), "receiver answered 410 Gone: " + attempt.describe());
                return Result.STOP;
            }
            if (stopped) {
                // the attempt that was allowed to finish failed: re-sent after the restart
                LOG.infof("Subscription %s, shard %s: the POST in flight at shutdown failed (%s); its batch (%s to "
                        + "%s) is sent again after the restart", subscription.id(), shardId,
                        Redaction.text(attempt.describe()), first, last);
                return Result.STOP;
            }
            String reason = attempt.describe();
            if (settings.bisectOnError() && records.size() > 1) {
                registry.deliveryFailed(subscription.id(), shardId, "batch of " + records.size() + " records failed ("
                        + reason + "); splitting it in two");
                if (!pause(backoff.backoff(failed + 1), attempt)) {
                    return Result.STOP;
                }
                int half = records.size() / 2;
                if (deliver(records.subList(0, half), failed, false) == Result.STOP) {
                    return Result.STOP;
                }
                return deliver(records.subList(half, records.size()), failed, false);
            }
            failed++;
            String limit = settings.retriesForever() ? "" : "/" + (settings.maximumRetryAttempts() + 1);
            registry.deliveryFailed(subscription.id(), shardId, "attempt " + failed + limit + " failed: " + reason);
            if (!settings.retriesForever() && failed > settings.maximumRetryAttempts()) {
                return giveUp(records, first, last, body, "delivery to " + redactedUrl() + " failed after "
                        + failed + " attempts; last: " + reason);
            }
            if (!pause(backoff.backoff(failed), attempt)) {
                return Result.STOP;
            }
        }
    }

    /** Waits the backoff, or longer when the receiver asked with {@code Retry-After}; false when stopped. */
    private boolean pause(Duration wait, HttpDelivery.Attempt attempt) throws InterruptedException {
        Duration retryAfter = attempt.retryAfter();
        if (retryAfter != null && retryAfter.compareTo(wait) > 0) {
            wait = retryAfter.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : retryAfter;
        }
        LOG.warnf("Subscription %s, shard %s: POST %s %s; retrying in %d ms", subscription.id(), shardId,
                redactedUrl(), Redaction.text(attempt.describe()), wait.toMillis());
        long deadline = System.nanoTime() + wait.toNanos();
        while (!stopped && registry.isRunning(subscription.id())) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return true;
            }
            TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
        }
        return false;
    }

    /** How many records at the head of the batch are older than maximum_record_age_in_seconds. */
    private int expired(List<Record> records) {
        Duration max = settings.maximumRecordAge();
        if (max == null) {
            return 0;
        }
        Instant limit = Instant.now().minus(max);
        int n = 0;
        for (Record r : records) {
            Instant created = r.dynamodb().approximateCreationDateTime();
            if (created == null || !created.isBefore(limit)) {
                break;
            }
            n++;
        }
        return n;
    }

    /**
     * A 2xx: the cursor moves past the records. The checkpoint of a whole batch is stored with the next batch's
     * in-flight mark or before the cursor waits ({@link #nextBatch}); that of a part of a batch (bisection, records
     * left after the too old ones) at once.
     */
    private void acknowledged(List<Record> records, String last, boolean wholeBatch) {
        Record lastRecord = records.get(records.size() - 1);
        skipThrough = SequenceNumbers.parse(last);
        resumePoint = last;
        if (wholeBatch) {
            unsaved = new Acknowledged(last, records.size());
        } else {
            registry.delivered(subscription.id(), shardId, last, records.size());
        }
        metrics.delivered(subscription.id(), subscription.tableName(), shardId, records.size(),
                lastRecord.dynamodb().approximateCreationDateTime());
    }

    /** Applies on_failure to a batch that will not be delivered. */
    private Result giveUp(List<Record> records, String first, String last, byte[] body, String reason) {
        String range = " (shard " + shardId + ", sequence numbers " + first + " to " + last + ", " + records.size()
                + " records)";
        switch (settings.onFailure()) {
            case STOP -> {
                registry.fail(subscription.id(), reason + range);
                return Result.STOP;
            }
            case SKIP -> registry.incident(subscription.id(), DeliveryIncident.Kind.SKIPPED, shardId, first, last,
                    records.size(), "skipped " + records.size() + " records: " + reason + range);
            case DEAD_LETTER -> registry.deadLetter(subscription.id(), shardId, first, last, records.size(), reason,
                    body);
        }
        skipThrough = SequenceNumbers.parse(last);
        resumePoint = last;
        registry.checkpoint(subscription.id(), shardId, last);
        return Result.DONE;
    }

    private String redactedUrl() {
        return Redaction.url(subscription.url());
    }
}
