package io.dynamostream.reading;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.jboss.logging.Logger;

import io.dynamostream.aws.SequenceNumbers;
import io.dynamostream.delivery.BatchDelivery;
import io.dynamostream.delivery.Destination;
import io.dynamostream.delivery.Incidents;
import io.dynamostream.metrics.StreamMetrics;
import io.dynamostream.state.CheckpointStore;
import io.dynamostream.subscription.DeliveryIncident;
import io.dynamostream.subscription.DeliverySettings;
import io.dynamostream.subscription.ShardState;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionRegistry;
import software.amazon.awssdk.services.dynamodb.model.Record;

/**
 * One subscription's position on one shard, as KCL's record processor with its checkpointer: it takes the next batch
 * from the shared {@link ShardBuffer}, skips what this subscription must not get (already acknowledged, older than a
 * LATEST registration), stores the batch's range as in flight, has {@link BatchDelivery} take it to an outcome, and
 * stores the checkpoint of what was acknowledged (I2, I5: strictly sequential per subscription and shard, forward
 * only, after a 2xx). After a crash the batch that was in flight is re-formed exactly (same records, same bytes, same
 * delivery id) and sent again, and nothing more (I3).
 *
 * <p>Checkpoint writes while a backlog drains: the checkpoint of an acknowledged batch is stored together with the
 * next batch's in-flight mark when that batch is ready at once (one write per batch), otherwise on its own before the
 * cursor waits, and always when it stops.
 *
 * <p>{@code parallelization_factor} above 1: the cursor does not deliver itself but hands each record to its lane
 * ({@link ParallelLanes}, in {@link #handOver}), each lane delivering its batches in order on its own thread; the
 * shard's checkpoint is then the point below which every lane is done, and each lane keeps its own position and
 * in-flight mark. With factor 1 (the default) there are no lanes and nothing of this runs.
 *
 * <p>Its states ({@link State}):
 * <pre>
 *   CREATED ──run──▶ WAITING ──batch──▶ DELIVERING ──done──▶ WAITING
 *                       │                    └──on_failure stop, 410 Gone, internal error──▶ FAILED
 *                       └──end of the closed shard acknowledged──▶ FINISHED
 *   any but FINISHED/FAILED ──stop() / drain()──▶ STOPPED
 * </pre>
 * With lanes the cursor itself never delivers: it stays WAITING while they do, and ends FAILED when one of them ends
 * the subscription, FINISHED when every lane is done with the closed shard.
 *
 * <p>Thread-safety: runs on one thread (from the table's executor); {@link #stop}, {@link #drain} and
 * {@link #awaitStopped} are called from others and only touch volatile fields.
 */
final class ShardCursor implements BatchDelivery.Listener {

    private static final Logger LOG = Logger.getLogger(ShardCursor.class);
    /**
     * A LATEST subscription that joins while the shared reader is still behind the tip skips records created before
     * it was registered, minus this margin for clock skew between DynamoDB and this host: an extra record is better
     * than a lost one.
     */
    static final Duration LATEST_CLOCK_MARGIN = Duration.ofSeconds(60);
    /** How long a resumed cursor waits for the rest of the batch that was in flight before a crash. */
    private static final Duration IN_FLIGHT_WAIT = Duration.ofSeconds(2);
    /** Records taken from the buffer at once for the lanes (they form their own batches). */
    private static final int DISPATCH_CHUNK = 1000;

    /** Where the cursor is. */
    enum State {
        CREATED, WAITING, DELIVERING, FINISHED, FAILED, STOPPED;

        boolean canMoveTo(State next) {
            return switch (this) {
                case CREATED -> next == WAITING || next == STOPPED;
                case WAITING -> next == DELIVERING || next == FINISHED || next == STOPPED || next == FAILED;
                case DELIVERING -> next == WAITING || next == FAILED || next == STOPPED;
                case FINISHED, FAILED, STOPPED -> false;
            };
        }

        boolean isFinal() {
            return this == FINISHED || this == FAILED || this == STOPPED;
        }
    }

    /** Callback into the owning {@link TableStream}, on the cursor's thread, after the cursor's loop ended. */
    interface Listener {
        /** Every record of the closed shard was acknowledged by this subscription. */
        void cursorFinished(ShardCursor cursor);

        /** The subscription must end in ERROR (on_failure stop, 410 Gone, an internal error). */
        void cursorFailed(ShardCursor cursor, String message);
    }

    private final Subscription subscription;
    private final DeliverySettings settings;
    private final String shardId;
    private final String parentShardId;
    private final ShardBuffer buffer;
    private final ShardBuffer.Position position;
    /** Delivers the batches with factor 1; null with lanes. */
    private final BatchDelivery delivery;
    /** The lanes with {@code parallelization_factor} above 1; null with factor 1. */
    private final ParallelLanes lanes;
    private final CheckpointStore checkpoints;
    private final SubscriptionRegistry registry;
    private final StreamMetrics metrics;
    private final Incidents incidents;
    private final Listener listener;
    private final CountDownLatch ended = new CountDownLatch(1);

    private volatile State state = State.CREATED;
    /** Records up to this sequence number are not for this subscription (acknowledged, skipped, or a floor). */
    private BigInteger skipThrough;
    /** Last sequence number of the batch that was in flight when the service stopped; null once re-sent. */
    private BigInteger inFlightThrough;
    private long notBeforeEpochSecond = Long.MIN_VALUE;
    /** The last whole batch acknowledged whose checkpoint is not stored yet (see the class comment). */
    private Acknowledged unsaved;
    /** The position came from a LATEST join's floor, not from the store: store it when starting. */
    private boolean storeFloor;
    private volatile boolean stopped;
    private volatile boolean interruptible = true;
    private volatile Thread thread;
    /** The lanes' stored positions were read (on the cursor's thread, before its first record). */
    private boolean lanesRestored;
    /** Runs again on a new thread after parking ({@link #parkWith}); without it, it blocks while waiting. */
    private volatile boolean parkable;
    /** The thread of the latest run: a run after a park waits for the previous one to have ended. */
    private final java.util.concurrent.atomic.AtomicReference<Thread> lastRun = new java.util.concurrent.atomic.AtomicReference<>();

    /** A batch acknowledged with a 2xx: its last sequence number and its size. */
    private record Acknowledged(String last, int records) {
    }

    /** Builds the cursor's {@link BatchDelivery}; {@code running} says whether deliveries may go on. */
    interface DeliveryFactory {
        BatchDelivery create(Subscription subscription, String shardId, BooleanSupplier running);
    }

    /**
     * @param after the checkpoint to resume after, null when this subscription has acknowledged nothing on the shard
     * @param inFlightThrough last sequence number of the batch in flight at the last stop, or null
     * @param skipOlderRecords skip records created before the subscription (LATEST subscriptions)
     */
    ShardCursor(Subscription subscription, ShardLineage.Shard shard, ShardBuffer buffer, DeliveryFactory deliveries,
            CheckpointStore checkpoints, SubscriptionRegistry registry, StreamMetrics metrics, Incidents incidents,
            Listener listener, String after, String inFlightThrough, boolean skipOlderRecords) {
        this.subscription = subscription;
        this.settings = subscription.settings();
        this.shardId = shard.shardId();
        this.parentShardId = shard.parentShardId();
        this.buffer = buffer;
        this.position = new ShardBuffer.Position(after, subscription.id());
        this.checkpoints = checkpoints;
        this.registry = registry;
        this.metrics = metrics;
        this.incidents = incidents;
        this.listener = listener;
        int factor = settings.mapping().parallelizationFactor();
        BooleanSupplier running = () -> !stopped && registry.isRunning(subscription.id());
        if (factor > 1) {
            this.delivery = null;
            this.lanes = new ParallelLanes(subscription, shardId, factor, deliveries, checkpoints, registry, metrics,
                    position, after, running, this::lanesHalted);
        } else {
            this.delivery = deliveries.create(subscription, shardId, running);
            this.lanes = null;
        }
        if (after != null) {
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

    State state() {
        return state;
    }

    ShardBuffer.Position position() {
        return position;
    }

    /** Lane threads alive now; 0 with factor 1 (for tests: idle lanes hold none). */
    int laneThreads() {
        return lanes == null ? 0 : lanes.threads();
    }

    /**
     * Joins the buffer. {@code LATEST}: at its current end; records up to the last one read so far and records
     * created well before the registration are not for this subscription, and that floor is stored as the checkpoint
     * (so a restart does not go back before it). Otherwise from the shard's start or after the checkpoint (a rewind
     * when the buffer does not have those records any more).
     */
    void join(ShardBuffer.Join join) {
        String floor = buffer.attach(position, join, settings.batchSize());
        if (join == ShardBuffer.Join.LATEST) {
            if (floor != null) {
                skipThrough = SequenceNumbers.parse(floor);
                position.resumeAfter(floor);
                storeFloor = true;
                if (lanes != null) {
                    lanes.startAt(floor);
                }
            }
            notBeforeEpochSecond = subscription.createdAt().minus(LATEST_CLOCK_MARGIN).getEpochSecond();
        }
    }

    /** Stores what starting needs (the LATEST floor, the shard's progress); then {@link #run} may start. */
    void prepare() {
        if (storeFloor) {
            String floor = position.resumePoint();
            checkpoints.checkpoint(subscription.id(), shardId, floor);
            registry.movedOn(subscription.id(), shardId);
            if (lanes != null) {
                lanes.floorStored(floor);
            }
        }
        registry.shardProgress(subscription.id(), shardId, parentShardId, ShardState.READING);
    }

    /**
     * Lets the cursor give up its thread while its shard has nothing for it ({@link ShardBuffer#takeOrPark}):
     * {@code resubmit} runs {@link #run} again on a new thread when records arrive or the cursor is stopped. Called
     * before the first run; without it the cursor blocks while waiting.
     */
    void parkWith(Runnable resubmit) {
        position.parkable(resubmit);
        parkable = true;
    }

    /**
     * A lane halted (it failed, or deliveries stopped): the cursor must end its loop. A parked cursor is started
     * again; one blocked in the buffer without being parkable is interrupted.
     */
    private void lanesHalted() {
        if (position.unpark()) {
            return;
        }
        Thread t = thread;
        if (!parkable && t != null && t != Thread.currentThread()) {
            t.interrupt();
        }
    }

    /** The executor refused to run the cursor (the service is stopping): it ends without having run again. */
    void notRun() {
        stopped = true;
        if (!state.isFinal()) {
            state = State.STOPPED;
        }
        ended.countDown();
    }

    /** Stops now: an attempt in progress is abandoned (its batch is sent again later). */
    void stop() {
        stopped = true;
        Thread t = thread;
        if (t != null && t != Thread.currentThread() && interruptible) {
            t.interrupt();
        }
        if (lanes != null) {
            lanes.wake();
            if (interruptible) {
                lanes.interrupt();
            }
        }
        position.unpark(); // a parked cursor runs once more to end
    }

    /**
     * Graceful stop (I11): takes no new batch and starts no new attempt, but lets the attempt in progress finish, so
     * a 2xx that arrives is still checkpointed. {@link #awaitStopped} waits for it.
     */
    void drain() {
        interruptible = false;
        stopped = true;
        if (lanes != null) {
            lanes.wake();
        }
        position.unpark();
    }

    /** Waits until the cursor's loop has ended (or never started); false when it still runs at the deadline. */
    boolean awaitStopped(long deadlineNanos) throws InterruptedException {
        if (state == State.CREATED && stopped) {
            return true;
        }
        return ended.await(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    private void moveTo(State next) {
        if (!state.canMoveTo(next)) {
            throw new IllegalStateException("cursor " + subscription.id() + "/" + shardId + ": " + state + " -> "
                    + next);
        }
        state = next;
    }

    /** The cursor's loop, on the thread the table's executor gives it. */
    void run() {
        boolean parked = false;
        Thread previous = lastRun.getAndSet(Thread.currentThread());
        try {
            if (previous != null && previous != Thread.currentThread()) {
                previous.join(); // woken right after parking: the parked run is still returning
            }
            thread = Thread.currentThread();
            thread.setName("cursor-" + subscription.id() + "-" + shardId);
            if (stopped) {
                return;
            }
            if (state == State.CREATED) {
                moveTo(State.WAITING);
            }
            parked = lanes == null ? deliverInOrder() : dispatchToLanes();
        } catch (InterruptedException e) {
            // stopped, or (not parkable) woken because a lane halted
            if (lanes != null) {
                endHalted();
            }
        } catch (RuntimeException e) {
            if (stopped) {
                // stopping (e.g. the state store closed at shutdown): the batch is sent again after the restart
                LOG.debugf("Subscription %s, shard %s: stopped while delivering: %s", subscription.id(), shardId, e);
            } else {
                LOG.errorf(e, "Subscription %s, shard %s: unexpected error", subscription.id(), shardId);
                state = State.FAILED;
                listener.cursorFailed(this, "internal error on shard " + shardId + ": " + e);
            }
        } finally {
            saveAcknowledged();
            if (parked) {
                // keep no reference to the ending thread (27,500 of them at 10,000 subscriptions): a run started
                // meanwhile has replaced it and waits for it instead
                thread = null;
                lastRun.compareAndSet(Thread.currentThread(), null);
            } else {
                if (lanes != null) {
                    lanes.close(); // every lane thread has ended: nothing is delivered after the cursor ended
                    lanes.saveCheckpointWhileStopping();
                }
                if (!state.isFinal()) {
                    state = State.STOPPED;
                }
                ended.countDown();
            }
        }
    }

    /** False when closing a tumbling window stopped the cursor or failed it (then the cursor returns). */
    private boolean windowDone(BatchDelivery.Outcome outcome) {
        if (outcome instanceof BatchDelivery.Outcome.Failed failed) {
            moveTo(State.FAILED);
            listener.cursorFailed(this, failed.message());
            return false;
        }
        return outcome instanceof BatchDelivery.Outcome.Done;
    }

    /** Factor 1: delivers the batches one after the other; true when the cursor parked. */
    private boolean deliverInOrder() throws InterruptedException {
        while (!stopped) {
            if (!windowDone(delivery.closeWindowIfDue(this))) { // a tumbling window's time is over
                return false;
            }
            ShardBuffer.Batch batch = nextBatch();
            if (batch == ShardBuffer.PARKED) {
                delivery.wakeWhenWindowDue(position::unpark); // wake to close an open window on time
                return true; // no thread until the buffer or a stop starts it again
            }
            if (batch == null || stopped) {
                return false;
            }
            if (batch.endOfShard()) {
                if (!windowDone(delivery.closeWindowAtShardEnd(this))) { // a shard's end closes its window
                    return false;
                }
                checkpoints.finish(subscription.id(), shardId);
                registry.finished(subscription.id(), shardId);
                metrics.shardFinished(subscription.id(), subscription.tableName(), shardId);
                moveTo(State.FINISHED);
                listener.cursorFinished(this);
                return false;
            }
            List<Record> records = batch.records();
            if (buffer.takeGap(position)) {
                reportGap(records.get(0));
            }
            int seen = leadingSeen(records);
            if (seen > 0) {
                // already acknowledged (after a rewind or a restart) or older than a LATEST subscription
                buffer.advance(position, batch, seen);
                continue;
            }
            records = cutAtInFlight(records, batch);
            if (records == null) {
                continue;
            }
            moveTo(State.DELIVERING);
            markInFlight(records.get(records.size() - 1).dynamodb().sequenceNumber());
            switch (delivery.deliver(records, this)) {
                case BatchDelivery.Outcome.Done done -> {
                    buffer.advance(position, batch, records.size());
                    moveTo(State.WAITING);
                }
                case BatchDelivery.Outcome.Stopped s -> {
                    return false;
                }
                case BatchDelivery.Outcome.Failed failed -> {
                    moveTo(State.FAILED);
                    listener.cursorFailed(this, failed.message());
                    return false;
                }
            }
        }
        return false;
    }

    /**
     * Factor above 1: takes records from the buffer and hands each to its lane (waiting while that lane is full); the
     * lanes deliver on their own threads. True when the cursor parked (the lanes may still be delivering).
     */
    private boolean dispatchToLanes() throws InterruptedException {
        if (!lanesRestored) {
            // the lanes' own positions of an earlier run, read once, on this thread (not under the table's lock)
            lanes.restore(checkpoints.checkpoints(subscription.id()));
            lanesRestored = true;
        }
        while (!stopped) {
            if (lanes.halted()) {
                endHalted();
                return false;
            }
            ShardBuffer.Batch batch = parkable
                    ? buffer.takeOrPark(position, DISPATCH_CHUNK, 1, System.nanoTime())
                    : buffer.take(position, DISPATCH_CHUNK, 1, System.nanoTime());
            if (batch == ShardBuffer.PARKED) {
                if (lanes.halted()) {
                    position.unpark(); // a lane halted while this parked: run again at once, to end
                }
                return true;
            }
            if (batch == null || stopped) {
                return false;
            }
            if (batch.endOfShard()) {
                if (!lanes.awaitShardDone()) {
                    continue; // halted or stopping: see the loop's start
                }
                lanes.saveCheckpoint();
                checkpoints.finish(subscription.id(), shardId);
                registry.finished(subscription.id(), shardId);
                metrics.shardFinished(subscription.id(), subscription.tableName(), shardId);
                moveTo(State.FINISHED);
                listener.cursorFinished(this);
                return false;
            }
            List<Record> records = batch.records();
            if (buffer.takeGap(position)) {
                reportGap(records.get(0));
            }
            int handed = 0;
            for (Record r : records) {
                if (!handOver(r)) {
                    break;
                }
                handed++;
            }
            buffer.advance(position, batch, handed);
            lanes.saveCheckpoint(); // what needed no delivery moves the checkpoint too
        }
        return false;
    }

    /**
     * The one place where a record of the shard is handed to delivery with lanes: records already handed over (after
     * a rewind) are passed, records this subscription must not get count as acknowledged, the others go to their
     * lane.
     *
     * @return false when the lanes halted or the cursor is stopping (the record was not taken)
     */
    private boolean handOver(Record r) throws InterruptedException {
        BigInteger sequence = SequenceNumbers.of(r);
        if (skipThrough != null && sequence.compareTo(skipThrough) <= 0) {
            return true; // handed over already, or acknowledged before the restart
        }
        Instant created = r.dynamodb().approximateCreationDateTime();
        if (created != null && created.getEpochSecond() < notBeforeEpochSecond) {
            lanes.acknowledgeUndelivered(r); // older than a LATEST subscription
        } else if (!lanes.dispatch(r)) {
            return false;
        }
        skipThrough = sequence;
        return true;
    }

    /** The lanes halted: the subscription ends in ERROR when a lane failed, else the cursor just stops. */
    private void endHalted() {
        String failure = lanes.failure();
        if (failure != null && !state.isFinal()) {
            moveTo(State.FAILED);
            listener.cursorFailed(this, failure);
        }
    }

    /**
     * The next batch. After a 2xx whose checkpoint is not stored yet, a batch that can be delivered at once is
     * returned as it is (its in-flight mark and that checkpoint are then stored together); otherwise the checkpoint
     * is stored first and the cursor waits as usual.
     */
    private ShardBuffer.Batch nextBatch() throws InterruptedException {
        if (unsaved != null) {
            ShardBuffer.Batch ready = inFlightThrough == null && !buffer.gapPending(position)
                    ? buffer.poll(position, settings.batchSize(), minRecords())
                    : null;
            if (ready != null && leadingSeen(ready.records()) == 0) {
                return ready;
            }
            saveAcknowledged();
        }
        return take();
    }

    /** The next batch: at once when records wait (no window), else when full or when the window has passed. */
    private ShardBuffer.Batch take() throws InterruptedException {
        int max = settings.batchSize();
        if (inFlightThrough != null) {
            return buffer.take(position, max, 1, System.nanoTime());
        }
        return buffer.takeOrPark(position, max, minRecords(),
                System.nanoTime() + settings.batchingWindow().toNanos());
    }

    /** Records a batch needs before the window has passed: a full batch with a window, else one record. */
    private int minRecords() {
        return settings.batchingWindow().isZero() ? 1 : settings.batchSize();
    }

    /** Stores the batch about to be delivered as in flight, with the previous batch's checkpoint when it waits. */
    private void markInFlight(String last) {
        Acknowledged ack = unsaved;
        if (ack != null) {
            unsaved = null;
            checkpoints.checkpointAndInFlight(subscription.id(), shardId, ack.last(), last);
            registry.delivered(subscription.id(), shardId, ack.last(), ack.records());
        } else {
            checkpoints.inFlight(subscription.id(), shardId, last);
        }
    }

    /** Stores the checkpoint of the last acknowledged batch if that is still to be done. */
    private void saveAcknowledged() {
        Acknowledged ack = unsaved;
        if (ack == null) {
            return;
        }
        unsaved = null;
        try {
            checkpoints.checkpoint(subscription.id(), shardId, ack.last());
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

    /** How many records at the head of the batch this subscription must not get (acknowledged, or too old). */
    private int leadingSeen(List<Record> batch) {
        int n = 0;
        // a shard's records come in increasing order: once one is past skipThrough, all that follow are
        for (Record r : batch) {
            if (skipThrough != null && SequenceNumbers.of(r).compareTo(skipThrough) <= 0) {
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
    private List<Record> cutAtInFlight(List<Record> records, ShardBuffer.Batch batch) throws InterruptedException {
        if (inFlightThrough == null) {
            return records;
        }
        BigInteger through = inFlightThrough;
        for (int i = 0; i < records.size(); i++) {
            int c = SequenceNumbers.of(records.get(i)).compareTo(through);
            if (c >= 0) {
                inFlightThrough = null;
                // c > 0: the in-flight batch ended before this record (e.g. a record of it was trimmed meanwhile)
                return c == 0 ? records.subList(0, i + 1) : i == 0 ? records : records.subList(0, i);
            }
        }
        if (records.size() < settings.batchSize()) {
            ShardBuffer.Batch more = buffer.take(position, settings.batchSize(), records.size() + 1,
                    System.nanoTime() + IN_FLIGHT_WAIT.toNanos());
            if (more != null && !more.endOfShard() && more.epoch() == batch.epoch() && more.lane() == batch.lane()
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
    private void reportGap(Record firstAfterTrim) {
        if (skipThrough != null && SequenceNumbers.of(firstAfterTrim).compareTo(skipThrough) <= 0) {
            return; // this cursor's position is still retained: nothing of its records was trimmed
        }
        String resumePoint = position.resumePoint();
        String before = firstAfterTrim.dynamodb().sequenceNumber();
        incidents.report(new DeliveryIncident(DeliveryIncident.Kind.GAP, subscription, shardId, resumePoint, before, 0,
                "gap: records of shard " + shardId + (resumePoint == null ? "" : " after sequence number " + resumePoint)
                        + " and before " + before + " were trimmed from the stream (older than 24 h) before they "
                        + "were delivered; continuing from " + before));
    }

    // ---- BatchDelivery.Listener

    @Override
    public void attempted(Destination.Attempt attempt) {
        metrics.attempt(subscription.id(), subscription.tableName(), attempt.outcome(), attempt.took());
    }

    @Override
    public void counted(StreamMetrics.EventCount kind, int records) {
        metrics.count(subscription.id(), kind, records);
    }

    @Override
    public void failed(String message) {
        registry.deliveryFailed(subscription.id(), shardId, message);
    }

    /**
     * A 2xx: the cursor moves past the records. The checkpoint of a whole batch is stored with the next batch's
     * in-flight mark or before the cursor waits ({@link #nextBatch}); that of a part of a batch at once.
     */
    @Override
    public void delivered(List<Record> records, boolean wholeBatch) {
        Record lastRecord = records.get(records.size() - 1);
        String last = lastRecord.dynamodb().sequenceNumber();
        skipThrough = SequenceNumbers.parse(last);
        position.resumeAfter(last);
        if (wholeBatch) {
            unsaved = new Acknowledged(last, records.size());
        } else {
            checkpoints.checkpoint(subscription.id(), shardId, last);
            registry.delivered(subscription.id(), shardId, last, records.size());
        }
        metrics.delivered(subscription.id(), subscription.tableName(), shardId, records.size(),
                lastRecord.dynamodb().approximateCreationDateTime());
    }

    @Override
    public void handedOver(String lastSequenceNumber) {
        skipThrough = SequenceNumbers.parse(lastSequenceNumber);
        position.resumeAfter(lastSequenceNumber);
        checkpoints.checkpoint(subscription.id(), shardId, lastSequenceNumber);
        registry.movedOn(subscription.id(), shardId);
    }
}
