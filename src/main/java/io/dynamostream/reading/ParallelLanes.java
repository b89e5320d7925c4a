package io.dynamostream.reading;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

import org.jboss.logging.Logger;

import io.dynamostream.aws.SequenceNumbers;
import io.dynamostream.delivery.BatchDelivery;
import io.dynamostream.delivery.Destination;
import io.dynamostream.metrics.StreamMetrics;
import io.dynamostream.state.CheckpointStore;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionRegistry;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.Record;

/**
 * The lanes of one (subscription, shard) read with {@code parallelization_factor} above 1, as Lambda's concurrent
 * batches per shard: the {@link ShardCursor} hands each record to the lane its item's {@code Keys} hash to
 * ({@link #laneOf}); each lane forms its own batches (batch size, batching window) and takes them one after the other
 * to an outcome with its own {@link BatchDelivery} (retries, bisection, record age, on_failure), so the changes of one
 * item stay in order while different items go out at once.
 *
 * <p>Positions: a lane stores the last of its records acknowledged and its batch in flight under its own entry
 * ({@link CheckpointStore#laneId}); the shard's checkpoint is the highest sequence number below which every record
 * handed over is acknowledged (or needed no delivery), whichever lane it went to. A lane's entry is written before
 * the shard's checkpoint can pass its records, so after a crash each lane re-sends its batch in flight, the same
 * records (the same bytes and delivery id), and no other lane's acknowledged records.
 *
 * <p>Threads: a lane has a thread only while it has records (it ends when its queue is empty), so idle lanes cost
 * nothing. A lane's queue holds at most two batches besides the one in flight (with room for one batch the
 * benchmark's POSTs were some 15 % more and smaller: the cursor, waiting for one full lane, let the others run
 * dry); the cursor waits in {@link #dispatch} while it is full (back-pressure).
 *
 * <p>Thread-safety: the state below is guarded by {@link #lock}; the cursor's thread and the lane threads call in.
 */
final class ParallelLanes {

    private static final Logger LOG = Logger.getLogger(ParallelLanes.class);
    /** How long a lane waits for the rest of the batch that was in flight before a crash. */
    static final Duration IN_FLIGHT_WAIT = Duration.ofSeconds(2);

    private final Subscription subscription;
    private final String shardId;
    private final int batchSize;
    private final long windowNanos;
    private final CheckpointStore checkpoints;
    private final SubscriptionRegistry registry;
    private final StreamMetrics metrics;
    private final ShardBuffer.Position position;
    /** Whether deliveries may go on (the cursor is not stopping, the subscription is RUNNING). */
    private final BooleanSupplier running;
    /** Tells the cursor that the lanes halted (a lane failed or stopped), from a lane's thread. */
    private final Runnable halting;
    private final ShardCursor.DeliveryFactory deliveries;
    private final Lane[] lanes;

    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled on every change a waiter may wait for: records, acknowledgements, room, ends, halts. */
    private final Condition changed = lock.newCondition();
    /** Records handed over and not known to be acknowledged, in shard order (acknowledged ones only as separators). */
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private BigInteger checkpoint;
    private String checkpointText;
    /** The last record handed over (to a lane, or acknowledged without delivery). */
    private BigInteger handedThrough;
    private boolean shardEnded;
    /** Written under the lock; volatile for the deliveries' running check. */
    private volatile boolean halted;
    private String failure;
    /** Lane threads alive. */
    private int threads;
    /** Records acknowledged since the last progress report to the registry. */
    private int unreported;
    private boolean checkpointDirty;
    private boolean saving;
    /** The shard checkpoint last stored; read and written by the saving thread only (under {@link #saving}). */
    private String savedCheckpoint;

    /** A record handed over: its lane, or -1 when it needed no delivery. */
    private record Pending(BigInteger sequence, String text, int lane) {
    }

    /** @param after the shard's checkpoint (null: none) */
    ParallelLanes(Subscription subscription, String shardId, int factor, ShardCursor.DeliveryFactory deliveries,
            CheckpointStore checkpoints, SubscriptionRegistry registry, StreamMetrics metrics,
            ShardBuffer.Position position, String after, BooleanSupplier running, Runnable halting) {
        this.subscription = subscription;
        this.shardId = shardId;
        this.batchSize = subscription.settings().batchSize();
        this.windowNanos = subscription.settings().batchingWindow().toNanos();
        this.checkpoints = checkpoints;
        this.registry = registry;
        this.metrics = metrics;
        this.position = position;
        this.running = running;
        this.halting = halting;
        this.deliveries = deliveries;
        startAt(after);
        savedCheckpoint = after;
        this.lanes = new Lane[factor];
        for (int i = 0; i < factor; i++) {
            lanes[i] = new Lane(i, CheckpointStore.laneId(shardId, i, factor));
        }
    }

    /**
     * Takes the lanes' positions of an earlier run with the same factor from the subscription's stored entries
     * ({@link CheckpointStore#checkpoints}): what each lane acknowledged is not sent again, and its batch in flight
     * is re-formed as it was. Called by the cursor's thread before the first {@link #dispatch} (not when the cursor
     * is made: that is under the table's lock, and this may be a remote read).
     */
    void restore(Map<String, CheckpointStore.Checkpoint> stored) {
        lock.lock();
        try {
            for (Lane lane : lanes) {
                CheckpointStore.Checkpoint cp = stored.get(lane.id);
                if (cp == null) {
                    continue;
                }
                lane.acked = cp.sequenceNumber() == null ? null : SequenceNumbers.parse(cp.sequenceNumber());
                if (cp.inFlightThrough() != null) {
                    BigInteger mark = SequenceNumbers.parse(cp.inFlightThrough());
                    if (checkpoint == null || mark.compareTo(checkpoint) > 0) {
                        lane.restartMark = mark;
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The lane (0 to {@code factor - 1}) of a record: a hash of its item's {@code Keys} in a canonical form
     * (attribute names sorted; each name with its type and value; numbers without trailing zeros; binary as
     * base64), FNV-1a over its UTF-8 bytes with a final mix. The same item gets the same lane in every run and JVM.
     */
    static int laneOf(Record record, int factor) {
        if (factor <= 1) {
            return 0;
        }
        Map<String, AttributeValue> keys = record.dynamodb() == null ? null : record.dynamodb().keys();
        if (keys == null || keys.isEmpty()) {
            return 0;
        }
        List<String> names = new ArrayList<>(keys.keySet());
        Collections.sort(names);
        StringBuilder canonical = new StringBuilder();
        for (String name : names) {
            canonical.append(name).append('\0');
            AttributeValue v = keys.get(name);
            if (v.s() != null) {
                canonical.append("S\0").append(v.s());
            } else if (v.n() != null) {
                canonical.append("N\0").append(number(v.n()));
            } else if (v.b() != null) {
                canonical.append("B\0").append(Base64.getEncoder().encodeToString(v.b().asByteArray()));
            } else {
                canonical.append("?\0").append(v);
            }
            canonical.append('\0');
        }
        long h = 0xcbf29ce484222325L;
        for (byte b : canonical.toString().getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        // FNV's low bits are weak: mix them (MurmurHash3's 64-bit finaliser) before taking the remainder
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return (int) Math.floorMod(h, (long) factor);
    }

    private static String number(String n) {
        try {
            BigDecimal d = new BigDecimal(n).stripTrailingZeros();
            return d.signum() == 0 ? "0" : d.toPlainString();
        } catch (NumberFormatException e) {
            return n;
        }
    }

    /** Where the lanes start: after {@code after} (the stored checkpoint, or a LATEST join's floor). */
    void startAt(String after) {
        lock.lock();
        try {
            checkpointText = after;
            checkpoint = after == null ? null : SequenceNumbers.parse(after);
            handedThrough = checkpoint;
            if (after != null) {
                position.resumeAfter(after);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The floor of a LATEST join was stored by the cursor: it is this run's starting checkpoint. */
    void floorStored(String floor) {
        savedCheckpoint = floor;
    }

    // ---- the cursor's side

    /**
     * Hands a record (after the last one handed over) to its lane, waiting while that lane's queue is full. A record
     * of a lane that acknowledged it before a restart is not sent again.
     *
     * @return false when the lanes halted or deliveries may not go on (the record was not taken)
     */
    boolean dispatch(Record record) throws InterruptedException {
        Lane lane = lanes[laneOf(record, lanes.length)];
        BigInteger sequence = SequenceNumbers.of(record);
        boolean start = false;
        lock.lock();
        try {
            if (lane.acked != null && sequence.compareTo(lane.acked) <= 0) {
                undelivered(sequence, record.dynamodb().sequenceNumber());
                return true;
            }
            while (lane.queue.size() >= queueCapacity() && !halted && running.getAsBoolean()) {
                changed.await();
            }
            if (halted || !running.getAsBoolean()) {
                halted = true;
                changed.signalAll();
                return false;
            }
            lane.queue.add(record);
            pending.add(new Pending(sequence, record.dynamodb().sequenceNumber(), lane.index));
            handedThrough = sequence;
            if (!lane.active) {
                lane.active = true;
                threads++;
                start = true;
            } else {
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
        if (start) {
            Thread.ofVirtual().name("lane-" + subscription.id() + "-" + shardId + "-" + (lane.index + 1))
                    .start(() -> run(lane));
        }
        return true;
    }

    /**
     * A record that needs no delivery (created before a LATEST subscription, or not matching its filters): it counts
     * as acknowledged once every record before it is. Stored with the next {@link #saveCheckpoint}.
     */
    void acknowledgeUndelivered(Record record) {
        lock.lock();
        try {
            undelivered(SequenceNumbers.of(record), record.dynamodb().sequenceNumber());
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock. */
    private void undelivered(BigInteger sequence, String text) {
        handedThrough = sequence;
        if (pending.isEmpty()) {
            moveCheckpoint(sequence, text);
            return;
        }
        Pending tail = pending.peekLast();
        if (tail.lane() < 0) {
            pending.pollLast(); // of a run of such records only the last one matters
        }
        pending.add(new Pending(sequence, text, -1));
    }

    /**
     * The end of the closed shard was reached: waits until every lane has delivered what it holds.
     *
     * @return true when every record handed over is acknowledged; false when the lanes halted or deliveries may not
     *         go on
     */
    boolean awaitShardDone() throws InterruptedException {
        lock.lock();
        try {
            shardEnded = true;
            changed.signalAll();
            while (!(pending.isEmpty() && threads == 0)) {
                if (halted || !running.getAsBoolean()) {
                    return false;
                }
                changed.await();
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Whether the lanes halted: a lane failed or was stopped, or the cursor ended. */
    boolean halted() {
        lock.lock();
        try {
            return halted;
        } finally {
            lock.unlock();
        }
    }

    /** Why a lane ended the subscription (on_failure stop, 410 Gone, an internal error); null when none did. */
    String failure() {
        lock.lock();
        try {
            return failure;
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every wait (the cursor is stopping: lanes start no new batch). */
    void wake() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Abandons the attempts in progress (a stop, not a drain). */
    void interrupt() {
        for (Lane lane : lanes) {
            Thread t = lane.thread;
            if (t != null) {
                t.interrupt();
            }
        }
    }

    /** The cursor ends: no lane starts another batch; then waits until every lane thread has ended. */
    void close() {
        lock.lock();
        try {
            halted = true;
            changed.signalAll();
            while (threads > 0) {
                changed.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Lane threads alive now (for tests: idle lanes hold none). */
    int threads() {
        lock.lock();
        try {
            return threads;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stores the shard's checkpoint if it moved, and reports progress to the registry. Concurrent callers share one
     * write: while one writes, the others leave their change to it.
     */
    void saveCheckpoint() {
        lock.lock();
        try {
            if (saving || !checkpointDirty && unreported == 0) {
                return;
            }
            saving = true;
        } finally {
            lock.unlock();
        }
        boolean done = false;
        try {
            while (true) {
                String c;
                int records;
                lock.lock();
                try {
                    if (!checkpointDirty && (unreported == 0 || checkpointText == null)) {
                        saving = false;
                        done = true;
                        return;
                    }
                    checkpointDirty = false;
                    c = checkpointText;
                    records = c == null ? 0 : unreported;
                    if (c != null) {
                        unreported = 0;
                    }
                } finally {
                    lock.unlock();
                }
                if (c == null) {
                    continue;
                }
                if (!c.equals(savedCheckpoint)) {
                    checkpoints.checkpoint(subscription.id(), shardId, c);
                    savedCheckpoint = c;
                }
                if (records > 0) {
                    registry.delivered(subscription.id(), shardId, c, records);
                } else {
                    registry.movedOn(subscription.id(), shardId);
                }
            }
        } finally {
            if (!done) {
                lock.lock();
                try {
                    saving = false;
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    /** {@link #saveCheckpoint}, ignoring a store that fails because the service is stopping. */
    void saveCheckpointWhileStopping() {
        try {
            saveCheckpoint();
        } catch (RuntimeException e) {
            LOG.debugf("Subscription %s, shard %s: checkpoint not stored while stopping: %s", subscription.id(),
                    shardId, e);
        }
    }

    // ---- the lanes' side

    /** Under the lock. */
    private void moveCheckpoint(BigInteger sequence, String text) {
        if (checkpoint != null && sequence.compareTo(checkpoint) <= 0) {
            return;
        }
        checkpoint = sequence;
        checkpointText = text;
        checkpointDirty = true;
        position.resumeAfter(text);
    }

    /** Under the lock: moves the shard checkpoint over the acknowledged records at the head of {@link #pending}. */
    private void advance() {
        boolean moved = false;
        while (!pending.isEmpty()) {
            Pending head = pending.peekFirst();
            if (head.lane() >= 0) {
                BigInteger acked = lanes[head.lane()].acked;
                if (acked == null || acked.compareTo(head.sequence()) < 0) {
                    break;
                }
            }
            pending.pollFirst();
            moveCheckpoint(head.sequence(), head.text());
            moved = true;
        }
        if (moved) {
            changed.signalAll();
        }
    }

    /** The lane acknowledged (or handed over) its records through {@code last}; its own entry is stored already. */
    private void acknowledged(Lane lane, String last, int records) {
        lock.lock();
        try {
            BigInteger n = SequenceNumbers.parse(last);
            if (lane.acked == null || n.compareTo(lane.acked) > 0) {
                lane.acked = n;
            }
            unreported += records;
            advance();
        } finally {
            lock.unlock();
        }
        saveCheckpoint();
    }

    /** Ends every lane: {@code message} (when not null) is why the subscription must end in ERROR. */
    private void halt(String message) {
        lock.lock();
        try {
            if (failure == null && message != null) {
                failure = message;
            }
            halted = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        halting.run();
    }

    /** Records a lane's queue holds at most (besides its batch in flight): two batches. */
    private int queueCapacity() {
        return 2 * batchSize;
    }

    private int minRecords() {
        return windowNanos == 0 ? 1 : batchSize;
    }

    /**
     * The lane's next batch, waiting for the batching window (or, first after a restart, for the rest of the batch
     * that was in flight); null when the lane has nothing more: it gives up its thread.
     */
    private List<Record> nextBatch(Lane lane, long deadlineNanos) throws InterruptedException {
        lock.lock();
        try {
            while (true) {
                if (halted || !running.getAsBoolean()) {
                    release(lane);
                    return null;
                }
                if (lane.restartMark != null) {
                    // the lane's first batch ends where its batch in flight at the crash ended: the same batch
                    int k = 0;
                    for (Record r : lane.queue) {
                        if (SequenceNumbers.of(r).compareTo(lane.restartMark) > 0) {
                            break;
                        }
                        k++;
                    }
                    boolean complete = shardEnded || k >= batchSize || k < lane.queue.size()
                            || handedThrough != null && handedThrough.compareTo(lane.restartMark) >= 0;
                    if (lane.restartDeadline == 0) {
                        lane.restartDeadline = System.nanoTime() + IN_FLIGHT_WAIT.toNanos();
                    }
                    long left = lane.restartDeadline - System.nanoTime();
                    if (complete || left <= 0) {
                        lane.restartMark = null;
                        if (k > 0) {
                            return take(lane, k);
                        }
                        continue;
                    }
                    changed.awaitNanos(left);
                    continue;
                }
                int n = lane.queue.size();
                if (n == 0) {
                    release(lane);
                    return null;
                }
                long left = deadlineNanos - System.nanoTime();
                if (n >= minRecords() || left <= 0 || shardEnded) {
                    return take(lane, n);
                }
                changed.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: the lane's thread gives it up; the next record handed to it starts a new one. */
    private void release(Lane lane) {
        lane.active = false;
        lane.thread = null;
    }

    /** The batch the lane can deliver at once (no wait for the window), or null. */
    private List<Record> readyBatch(Lane lane) {
        lock.lock();
        try {
            if (halted || lane.restartMark != null || lane.queue.size() < minRecords()
                    || !running.getAsBoolean()) {
                return null;
            }
            return take(lane, lane.queue.size());
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: up to a batch of the first {@code available} records of the lane's queue. */
    private List<Record> take(Lane lane, int available) {
        int n = Math.min(available, batchSize);
        List<Record> batch = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            batch.add(lane.queue.poll());
        }
        changed.signalAll(); // room for the cursor
        return batch;
    }

    /** A lane's loop, on its own thread, while it has records. */
    private void run(Lane lane) {
        lock.lock();
        try {
            lane.thread = Thread.currentThread();
            if (lane.delivery == null) {
                // made when the lane first has records: a shard's idle lanes hold no delivery either
                lane.delivery = deliveries.create(subscription, shardId, () -> !halted && running.getAsBoolean());
            }
        } finally {
            lock.unlock();
        }
        try {
            List<Record> batch = nextBatch(lane, System.nanoTime() + windowNanos);
            boolean marked = false;
            while (batch != null) {
                String last = batch.get(batch.size() - 1).dynamodb().sequenceNumber();
                if (!marked) {
                    checkpoints.inFlight(subscription.id(), lane.id, last);
                }
                BatchDelivery.Outcome outcome = lane.delivery.deliver(batch, lane);
                switch (outcome) {
                    case BatchDelivery.Outcome.Done done -> {
                        String whole = lane.wholeLast;
                        if (whole == null) {
                            marked = false;
                            batch = nextBatch(lane, System.nanoTime() + windowNanos);
                            continue;
                        }
                        lane.wholeLast = null;
                        // the lane's own entry first (with the next batch's in-flight mark when it is ready at
                        // once: one write), then the shard's checkpoint may pass these records
                        List<Record> next = readyBatch(lane);
                        if (next != null) {
                            checkpoints.checkpointAndInFlight(subscription.id(), lane.id, whole,
                                    next.get(next.size() - 1).dynamodb().sequenceNumber());
                        } else {
                            checkpoints.checkpoint(subscription.id(), lane.id, whole);
                        }
                        acknowledged(lane, whole, lane.wholeCount);
                        marked = next != null;
                        batch = next != null ? next : nextBatch(lane, System.nanoTime() + windowNanos);
                    }
                    case BatchDelivery.Outcome.Stopped s -> {
                        halt(null);
                        return;
                    }
                    case BatchDelivery.Outcome.Failed f -> {
                        halt(f.message());
                        return;
                    }
                }
            }
        } catch (InterruptedException e) {
            // stopping: the batch in flight is sent again later
            halt(null);
        } catch (RuntimeException e) {
            if (!running.getAsBoolean()) {
                LOG.debugf("Subscription %s, shard %s, lane %d: stopped while delivering: %s", subscription.id(),
                        shardId, lane.index + 1, e);
                halt(null);
            } else {
                LOG.errorf(e, "Subscription %s, shard %s, lane %d: unexpected error", subscription.id(), shardId,
                        lane.index + 1);
                halt("internal error on shard " + shardId + ": " + e);
            }
        } finally {
            lock.lock();
            try {
                // once nextBatch gave the lane up, a new thread may own it: this one must not touch it then
                if (lane.thread == Thread.currentThread()) {
                    lane.active = false;
                    lane.thread = null;
                }
                threads--;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** One lane: its queue, its position, its delivery. */
    private final class Lane implements BatchDelivery.Listener {
        final int index;
        /** Its entry's id in the checkpoint store. */
        final String id;
        /** Made by the lane's first thread; used by the lane's thread only (one at a time). */
        BatchDelivery delivery;
        /** Records handed to the lane, not yet in a batch; guarded by the lock. */
        final ArrayDeque<Record> queue = new ArrayDeque<>();
        /** The last of its records acknowledged or handed over (or stored so before a restart); guarded. */
        BigInteger acked;
        /** The end of its batch in flight at the last stop; null once re-formed. Guarded. */
        BigInteger restartMark;
        /** Until when the lane waits for the rest of that batch; 0 before it started waiting. Guarded. */
        long restartDeadline;
        /** A thread runs the lane (or is about to); guarded. */
        boolean active;
        /** The thread that runs it; written under the lock, volatile for {@link #interrupt}. */
        volatile Thread thread;
        /** The whole batch was acknowledged: its last sequence number and size (the lane's thread only). */
        String wholeLast;
        int wholeCount;

        Lane(int index, String id) {
            this.index = index;
            this.id = id;
        }

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

        @Override
        public void delivered(List<Record> records, boolean wholeBatch) {
            Record lastRecord = records.get(records.size() - 1);
            String last = lastRecord.dynamodb().sequenceNumber();
            metrics.delivered(subscription.id(), subscription.tableName(), shardId, records.size(),
                    lastRecord.dynamodb().approximateCreationDateTime());
            if (wholeBatch) {
                wholeLast = last;
                wholeCount = records.size();
            } else {
                checkpoints.checkpoint(subscription.id(), id, last);
                acknowledged(this, last, records.size());
            }
        }

        @Override
        public void handedOver(String lastSequenceNumber) {
            checkpoints.checkpoint(subscription.id(), id, lastSequenceNumber);
            acknowledged(this, lastSequenceNumber, 0);
        }
    }
}
