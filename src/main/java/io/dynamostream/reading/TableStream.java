package io.dynamostream.reading;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

import org.jboss.logging.Logger;

import io.dynamostream.config.DynamoStreamConfig;
import io.dynamostream.delivery.HttpDelivery;
import io.dynamostream.metrics.StreamMetrics;
import io.dynamostream.state.StateStore;
import io.dynamostream.subscription.ShardState;
import io.dynamostream.subscription.StartingPosition;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionRegistry;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.DescribeStreamResponse;
import software.amazon.awssdk.services.dynamodb.model.ShardFilterType;
import software.amazon.awssdk.services.dynamodb.model.StreamStatus;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;
import io.dynamostream.aws.StreamErrors;

/**
 * Everything read from one table's stream: its shard lineage, one {@link ShardReader} per shard being read (shared
 * by all subscriptions, I9) and one {@link ShardCursor} per (subscription, shard). A subscription starts a child
 * shard only after it acknowledged the parent's last record (I4).
 *
 * <p>Thread-safety: every method takes {@link #lock}; readers and cursors call back from their own threads. Lock
 * order: this lock, then a reader's lock (never the reverse).
 */
final class TableStream implements ShardReader.Listener, ShardCursor.Listener {

    private static final Logger LOG = Logger.getLogger(TableStream.class);

    private final String tableName;
    private final DynamoDbClient dynamoDb;
    private final DynamoDbStreamsClient streams;
    private final DynamoStreamConfig config;
    private final SubscriptionRegistry registry;
    private final HttpDelivery delivery;
    private final StreamMetrics metrics;

    private final ReentrantLock lock = new ReentrantLock();
    private final ShardLineage lineage = new ShardLineage();
    private final Map<String, ShardReader> readers = new HashMap<>();
    private final Map<String, Member> members = new LinkedHashMap<>();
    // volatile: also read without the lock by status()
    private volatile String streamArn;
    private volatile String lastTransientError;
    private volatile Instant lastDiscovery;
    private boolean closed;
    /** Why the stream ended (disabled or replaced): its shards are read to their ends, then CLOSED. */
    private String endedReason;

    /** One subscription's state on this table. */
    private static final class Member {
        final Subscription subscription;
        /** Shards whose every record this subscription acknowledged, or that are out of its scope. */
        final Set<String> finished = new HashSet<>();
        /** Open shards at registration of a LATEST subscription: joined at the reader's current end. */
        final Set<String> joinAtEnd = new HashSet<>();
        final Map<String, ShardCursor> cursors = new HashMap<>();
        /** Stored positions, read when the member is attached; used when a shard's cursor is created. */
        final Map<String, StateStore.Checkpoint> checkpoints;
        boolean initialised;

        Member(Subscription subscription, Map<String, StateStore.Checkpoint> checkpoints) {
            this.subscription = subscription;
            this.checkpoints = checkpoints;
            checkpoints.forEach((shard, cp) -> {
                if (cp.finished()) {
                    finished.add(shard);
                }
            });
        }
    }

    TableStream(String tableName, DynamoDbClient dynamoDb, DynamoDbStreamsClient streams, DynamoStreamConfig config,
            SubscriptionRegistry registry, HttpDelivery delivery, StreamMetrics metrics) {
        this.metrics = metrics;
        this.tableName = tableName;
        this.dynamoDb = dynamoDb;
        this.streams = streams;
        this.config = config;
        this.registry = registry;
        this.delivery = delivery;
    }

    /**
     * Adds a subscription and, when the stream can be reached now, starts reading for it before returning: from its
     * checkpoints when it has been read before, else at its starting position.
     */
    void attach(Subscription subscription) {
        lock.lock();
        try {
            if (!members.containsKey(subscription.id())) {
                members.put(subscription.id(), new Member(subscription, registry.checkpoints(subscription.id())));
            }
            discover();
        } finally {
            lock.unlock();
        }
    }

    /** A lock-free, possibly slightly stale view for the health checks (never waits for a discovery in progress). */
    TableStreams.TableStatus status() {
        return new TableStreams.TableStatus(tableName, streamArn != null, lastDiscovery, lastTransientError);
    }

    /** Removes a subscription: its cursors stop, readers nobody needs any more stop. Returns whether none is left. */
    boolean detach(String subscriptionId) {
        lock.lock();
        try {
            Member m = members.remove(subscriptionId);
            if (m != null) {
                for (ShardCursor c : m.cursors.values()) {
                    c.stop();
                    ShardReader r = readers.get(c.shardId());
                    if (r != null) {
                        r.detach(c);
                    }
                }
                stopIdleReaders();
            }
            return members.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    /** Graceful stop: readers stop, cursors finish the attempt in progress and take nothing more. */
    void drain() {
        lock.lock();
        try {
            closed = true;
            for (Member m : members.values()) {
                m.cursors.values().forEach(ShardCursor::drain);
            }
            readers.values().forEach(ShardReader::stop);
        } finally {
            lock.unlock();
        }
    }

    /** Waits for drained cursors until the deadline; returns how many are still delivering. */
    int awaitDrained(long deadlineNanos) {
        List<ShardCursor> all = new ArrayList<>();
        lock.lock();
        try {
            members.values().forEach(m -> all.addAll(m.cursors.values()));
        } finally {
            lock.unlock();
        }
        int running = 0;
        for (ShardCursor c : all) {
            try {
                if (!c.awaitStopped(deadlineNanos)) {
                    running++;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return all.size();
            }
        }
        return running;
    }

    /** Stops every reader and cursor. */
    void close() {
        lock.lock();
        try {
            closed = true;
            for (Member m : members.values()) {
                m.cursors.values().forEach(ShardCursor::stop);
            }
            readers.values().forEach(ShardReader::stop);
            readers.clear();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Checks the table and its stream, lists the shards, and starts whatever became ready. Transient AWS errors
     * leave everything as it is until the next call; a missing table or a disabled or replaced stream ends every
     * subscription of the table (I8). Never throws.
     */
    void discover() {
        lock.lock();
        try {
            if (closed || members.isEmpty()) {
                return;
            }
            if (!checkTable()) {
                return;
            }
            lineage.merge(listShards());
            for (Member m : members.values()) {
                if (!m.initialised) {
                    initialise(m);
                }
            }
            reconcile();
            lastTransientError = null;
            lastDiscovery = Instant.now();
        } catch (RuntimeException e) {
            handle(e, "discovering the shards");
        } finally {
            lock.unlock();
        }
    }

    /** Whether the table and its stream are usable; fails every subscription when they are not. */
    private boolean checkTable() {
        TableDescription table;
        try {
            table = dynamoDb.describeTable(r -> r.tableName(tableName)).table();
        } catch (software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException e) {
            failAll(streamArn == null ? "table " + tableName + " does not exist"
                    : "table " + tableName + " was deleted");
            return false;
        }
        boolean enabled = table.streamSpecification() != null
                && Boolean.TRUE.equals(table.streamSpecification().streamEnabled())
                && table.latestStreamArn() != null;
        if (streamArn == null) {
            if (!enabled) {
                failAll("table " + tableName + " has no stream enabled: enable DynamoDB Streams on it "
                        + "(StreamSpecification StreamEnabled=true, e.g. NEW_AND_OLD_IMAGES)");
                return false;
            }
            streamArn = table.latestStreamArn();
            LOG.infof("Table %s: reading stream %s", tableName, streamArn);
            return true;
        }
        if (endedReason == null && !enabled) {
            endedReason = "the stream of table " + tableName + " was disabled";
        } else if (endedReason == null && !streamArn.equals(table.latestStreamArn())) {
            endedReason = "the stream of table " + tableName + " was replaced (" + streamArn + " -> "
                    + table.latestStreamArn() + "); register the subscription again to read the new stream";
        }
        if (endedReason != null && lastDiscovery != null) {
            // its shards are closed now: they are read to their ends, then the subscriptions are CLOSED
            LOG.debugf("Table %s: %s; reading the rest of %s", tableName, endedReason, streamArn);
        }
        return true;
    }

    private List<ShardLineage.Shard> listShards() {
        List<ShardLineage.Shard> shards = new ArrayList<>();
        String start = null;
        do {
            String from = start;
            DescribeStreamResponse page = streams.describeStream(r -> r.streamArn(streamArn).exclusiveStartShardId(from));
            if (page.streamDescription().streamStatus() == StreamStatus.DISABLED) {
                LOG.debugf("Stream %s is DISABLED", streamArn);
            }
            page.streamDescription().shards().forEach(s -> shards.add(toShard(s)));
            start = page.streamDescription().lastEvaluatedShardId();
        } while (start != null);
        return shards;
    }

    private static ShardLineage.Shard toShard(software.amazon.awssdk.services.dynamodb.model.Shard s) {
        var range = s.sequenceNumberRange();
        return new ShardLineage.Shard(s.shardId(), s.parentShardId(),
                range == null ? null : range.startingSequenceNumber(),
                range == null ? null : range.endingSequenceNumber());
    }

    /**
     * The first start of a LATEST subscription joins the open shards at their current end and leaves the closed ones
     * out (stored, so a restart does not read them). Later starts resume from the checkpoints.
     */
    private void initialise(Member m) {
        if (!m.subscription.started() && m.subscription.startingPosition() == StartingPosition.LATEST) {
            for (ShardLineage.Shard s : lineage.all()) {
                if (s.isOpen()) {
                    m.joinAtEnd.add(s.shardId());
                } else if (m.finished.add(s.shardId())) {
                    registry.finished(m.subscription.id(), s.shardId());
                }
            }
        }
        registry.started(m.subscription.id());
        m.initialised = true;
    }

    /** Starts a cursor (and a reader if needed) for every shard that became ready for a subscription. */
    private void reconcile() {
        for (Member m : members.values()) {
            if (!m.initialised) {
                continue;
            }
            for (ShardLineage.Shard shard : lineage.ready(m.finished, m.cursors.keySet())) {
                StateStore.Checkpoint checkpoint = m.checkpoints.get(shard.shardId());
                String after = checkpoint == null ? null : checkpoint.sequenceNumber();
                // out of joinAtEnd before the LATEST open: if it fails, the next discovery reads the shard from
                // TRIM_HORIZON, skipping records older than the subscription, so nothing written after the 201 is lost
                ShardReader.Start start = m.joinAtEnd.remove(shard.shardId()) ? ShardReader.Start.LATEST
                        : after != null ? ShardReader.Start.after(after) : ShardReader.Start.TRIM_HORIZON;
                ShardReader reader = readers.get(shard.shardId());
                if (reader == null) {
                    reader = new ShardReader(tableName, streamArn, shard.shardId(), start, streams, config.reader(),
                            this, metrics);
                    reader.start();
                    readers.put(shard.shardId(), reader);
                }
                // a LATEST subscription on a shard it never delivered from (it may have joined that shard at its end
                // before a restart): records from before its registration are not for it. New shards only hold
                // younger records, so this never drops one of theirs.
                boolean skipOlder = m.subscription.startingPosition() == StartingPosition.LATEST && after == null;
                ShardCursor cursor = new ShardCursor(m.subscription, streamArn, shard, reader, delivery, registry,
                        this, metrics, after, checkpoint == null ? null : checkpoint.inFlightThrough(), skipOlder);
                reader.attach(cursor, start, cursor.batchSize());
                m.cursors.put(shard.shardId(), cursor);
                cursor.start();
            }
            for (ShardLineage.Shard shard : lineage.all()) {
                if (!m.finished.contains(shard.shardId()) && !m.cursors.containsKey(shard.shardId())) {
                    registry.shardProgress(m.subscription.id(), shard.shardId(), shard.parentShardId(),
                            ShardState.WAITING_FOR_PARENT);
                }
            }
        }
        stopIdleReaders();
        if (endedReason != null) {
            for (Member m : List.copyOf(members.values())) {
                if (m.initialised && m.cursors.isEmpty() && lineage.ready(m.finished, m.cursors.keySet()).isEmpty()) {
                    registry.close(m.subscription.id(), endedReason + "; every record of it was delivered");
                }
            }
        }
    }

    private void stopIdleReaders() {
        Set<String> needed = new HashSet<>();
        for (Member m : members.values()) {
            needed.addAll(m.cursors.keySet());
        }
        readers.entrySet().removeIf(e -> {
            if (!needed.contains(e.getKey())) {
                e.getValue().stop();
                return true;
            }
            return false;
        });
    }

    @Override
    public void shardEnded(ShardReader reader) {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            try {
                DescribeStreamResponse children = streams.describeStream(r -> r.streamArn(streamArn)
                        .shardFilter(f -> f.type(ShardFilterType.CHILD_SHARDS).shardId(reader.shardId())));
                lineage.merge(children.streamDescription().shards().stream().map(TableStream::toShard).toList());
            } catch (RuntimeException e) {
                LOG.debugf("Children of %s not listed yet (%s); the next discovery finds them", reader.shardId(),
                        StreamErrors.describe(e));
            }
            reconcile();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void readerFailed(ShardReader reader, StreamErrors kind, String message) {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            readers.remove(reader.shardId(), reader);
            if (checkTable()) {
                failAll("reading shard " + reader.shardId() + " of " + streamArn + " failed: " + message);
            }
        } catch (RuntimeException e) {
            failAll("reading shard " + reader.shardId() + " of " + streamArn + " failed: " + message);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void cursorFinished(ShardCursor cursor) {
        lock.lock();
        try {
            Member m = members.get(cursor.subscriptionId());
            ShardReader reader = readers.get(cursor.shardId());
            if (reader != null) {
                reader.detach(cursor);
            }
            if (m == null || closed) {
                return;
            }
            m.cursors.remove(cursor.shardId());
            m.finished.add(cursor.shardId());
            reconcile();
        } finally {
            lock.unlock();
        }
    }

    private void failAll(String message) {
        for (Member m : List.copyOf(members.values())) {
            registry.fail(m.subscription.id(), message);
        }
    }

    private void handle(RuntimeException e, String doing) {
        StreamErrors kind = StreamErrors.classify(e);
        String text = StreamErrors.describe(e);
        if (kind == StreamErrors.NOT_FOUND || kind == StreamErrors.FATAL) {
            LOG.errorf("Table %s: error while %s: %s", tableName, doing, text);
            failAll("error while " + doing + " of table " + tableName + ": " + text);
        } else if (!text.equals(lastTransientError)) {
            lastTransientError = text;
            LOG.warnf("Table %s: transient error while %s, retrying at the next discovery: %s", tableName, doing,
                    text);
        }
    }
}
