package io.dynamostream.reading;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.ReentrantLock;

import org.jboss.logging.Logger;

import io.dynamostream.aws.StreamErrors;
import io.dynamostream.state.CheckpointStore;
import io.dynamostream.subscription.ShardState;
import io.dynamostream.subscription.StartingPosition;
import io.dynamostream.subscription.Subscription;
import software.amazon.awssdk.services.dynamodb.model.DescribeStreamResponse;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ShardFilterType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;

/**
 * Everything read from one table's stream: its shard lineage, one {@link ShardReader} per shard being read (shared
 * by all subscriptions, I9) and one {@link ShardCursor} per (subscription, shard). A subscription starts a child
 * shard only after it acknowledged the parent's last record (I4).
 *
 * <p>Thread-safety: the state below is guarded by {@link #lock}; the supervisor, the discovery tick, readers and
 * cursors call in from their own threads. DescribeTable and DescribeStream run before the lock is taken; only their
 * results are merged under it. Lock order: {@link #describing}, this lock, then a buffer's lock (never the reverse).
 * The one AWS call made under the lock is the GetShardIterator(LATEST) of a new reader, which is fixed before the
 * subscription shows RUNNING.
 */
final class TableStream implements ShardReader.Listener, ShardCursor.Listener {

    private static final Logger LOG = Logger.getLogger(TableStream.class);

    /** Tells the supervisor that a subscription of this table ended (ERROR or CLOSED) and must be detached. */
    interface Ended {
        void ended(String tableName, String subscriptionId);
    }

    private final String tableName;
    private final StreamServices services;

    private final ReentrantLock lock = new ReentrantLock();
    /**
     * Held while the table is being described (before {@link #lock}, never while holding it): concurrent attaches of
     * a table that is not described yet wait for one description instead of each making their own.
     */
    private final ReentrantLock describing = new ReentrantLock();
    private final ShardLineage lineage = new ShardLineage();
    private final Map<String, ShardReader> readers = new HashMap<>();
    private final Map<String, Member> members = new LinkedHashMap<>();
    // volatile: also read without the lock by status() and by describe()
    private volatile String streamArn;
    private volatile String lastTransientError;
    private volatile Instant lastDiscovery;
    /** When the last description started (successful or not); null before the first. For the schedule. */
    private volatile Instant lastDescribed;
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
        final Map<String, CheckpointStore.Checkpoint> checkpoints;
        boolean initialised;

        Member(Subscription subscription, Map<String, CheckpointStore.Checkpoint> checkpoints) {
            this.subscription = subscription;
            this.checkpoints = checkpoints;
            checkpoints.forEach((shard, cp) -> {
                if (cp.finished()) {
                    finished.add(shard);
                }
            });
        }
    }

    TableStream(String tableName, StreamServices services) {
        this.tableName = tableName;
        this.services = services;
    }

    /**
     * Adds a subscription with its stored positions; the next {@link #discover} (which the supervisor calls at once)
     * starts reading for it: from its checkpoints when it has been read before, else at its starting position.
     */
    void add(Subscription subscription, Map<String, CheckpointStore.Checkpoint> stored) {
        lock.lock();
        try {
            members.putIfAbsent(subscription.id(), new Member(subscription, stored));
        } finally {
            lock.unlock();
        }
    }

    /** A lock-free, possibly slightly stale view for the health checks (never waits for a discovery in progress). */
    StreamSupervisor.TableStatus status() {
        return new StreamSupervisor.TableStatus(tableName, streamArn != null, lastDiscovery, lastTransientError);
    }

    /**
     * Removes a subscription: its cursors stop, readers nobody needs any more stop. Returns the stopped cursors (the
     * caller may wait for them) and whether no member is left.
     */
    Detached detach(String subscriptionId) {
        lock.lock();
        try {
            Member m = members.remove(subscriptionId);
            List<ShardCursor> stopped = new ArrayList<>();
            if (m != null) {
                for (ShardCursor c : m.cursors.values()) {
                    c.stop();
                    stopped.add(c);
                    ShardReader r = readers.get(c.shardId());
                    if (r != null) {
                        r.buffer().detach(c.position());
                    }
                }
                stopIdleReaders();
            }
            return new Detached(stopped, members.isEmpty());
        } finally {
            lock.unlock();
        }
    }

    /** What {@link #detach} did. */
    record Detached(List<ShardCursor> cursors, boolean empty) {
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

    /** Every cursor of this table (for the supervisor's waits). */
    List<ShardCursor> cursors() {
        List<ShardCursor> all = new ArrayList<>();
        lock.lock();
        try {
            members.values().forEach(m -> all.addAll(m.cursors.values()));
        } finally {
            lock.unlock();
        }
        return all;
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

    private boolean idle() {
        lock.lock();
        try {
            return closed || members.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    /** What DescribeTable and DescribeStream said, gathered before the lock is taken. */
    private record Description(TableDescription table, String listedArn, List<ShardLineage.Shard> shards) {
    }

    /**
     * Checks the table and its stream, lists the shards, and starts whatever became ready. Transient AWS errors
     * leave everything as it is until the next call; a missing table or a disabled or replaced stream ends every
     * subscription of the table (I8). Never throws.
     */
    void discover() {
        if (idle()) {
            return;
        }
        describing.lock();
        try {
            describeAndMerge();
        } finally {
            describing.unlock();
        }
    }

    /**
     * Starts reading for members added since the last call. When the table's shards are known already (another
     * subscription reads it), that is done at once from the known lineage with no AWS call but the GetShardIterator
     * of a new reader; shards that appeared since are found by a shard's end or the next periodic description.
     * Otherwise the table is described, once for all the attaches waiting for it. Never throws.
     */
    void attach() {
        if (idle()) {
            return;
        }
        if (joinKnown()) {
            return;
        }
        describing.lock();
        try {
            if (!joinKnown()) { // described while this waited for its turn
                describeAndMerge();
            }
        } finally {
            describing.unlock();
        }
    }

    /** Initialises waiting members from the known lineage; false when the table has not been described yet. */
    private boolean joinKnown() {
        lock.lock();
        try {
            if (closed || members.isEmpty()) {
                return true;
            }
            if (streamArn == null || lastDiscovery == null) {
                return false;
            }
            List<Member> joined = new ArrayList<>();
            for (Member m : members.values()) {
                if (!m.initialised) {
                    initialise(m);
                    joined.add(m);
                }
            }
            if (!joined.isEmpty()) {
                reconcile();
                joined.forEach(m -> services.registry().streamReadable(m.subscription.id()));
            }
            return true;
        } catch (RuntimeException e) {
            handle(e, "starting to read the shards");
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** When the last description of this table started, null before the first. */
    Instant lastDescribed() {
        return lastDescribed;
    }

    private void describeAndMerge() {
        lastDescribed = Instant.now();
        Description d;
        try {
            d = describe();
        } catch (RuntimeException e) {
            lock.lock();
            try {
                handle(e, "discovering the shards");
            } finally {
                lock.unlock();
            }
            return;
        }
        lock.lock();
        try {
            if (closed || members.isEmpty()) {
                return;
            }
            if (!checkTable(d)) {
                return;
            }
            lineage.merge(d.shards());
            for (Member m : members.values()) {
                if (!m.initialised) {
                    initialise(m);
                }
            }
            reconcile();
            lastTransientError = null;
            lastDiscovery = Instant.now();
            for (Member m : members.values()) {
                services.registry().streamReadable(m.subscription.id());
            }
        } catch (RuntimeException e) {
            handle(e, "discovering the shards");
        } finally {
            lock.unlock();
        }
    }

    /** DescribeTable, then the shard listing of the stream being read (or of the table's latest one). No lock. */
    private Description describe() {
        TableDescription table;
        try {
            table = services.dynamoDb().describeTable(r -> r.tableName(tableName)).table();
        } catch (ResourceNotFoundException e) {
            return new Description(null, null, List.of());
        }
        String arn = streamArn != null ? streamArn : enabled(table) ? table.latestStreamArn() : null;
        return new Description(table, arn, arn == null ? List.of() : listShards(arn));
    }

    private static boolean enabled(TableDescription table) {
        return table.streamSpecification() != null && Boolean.TRUE.equals(table.streamSpecification().streamEnabled())
                && table.latestStreamArn() != null;
    }

    /** Whether the table and its stream are usable; fails every subscription when they are not. Under the lock. */
    private boolean checkTable(Description d) {
        TableDescription table = d.table();
        if (table == null) {
            failAll(streamArn == null ? "table " + tableName + " does not exist"
                    : "table " + tableName + " was deleted");
            return false;
        }
        boolean enabled = enabled(table);
        if (streamArn == null) {
            if (!enabled) {
                failAll("table " + tableName + " has no stream enabled: enable DynamoDB Streams on it "
                        + "(StreamSpecification StreamEnabled=true, e.g. NEW_AND_OLD_IMAGES)");
                return false;
            }
            streamArn = d.listedArn();
            LOG.infof("Table %s: reading stream %s", tableName, streamArn);
            return true;
        }
        if (!streamArn.equals(d.listedArn())) {
            return false; // described before the stream was known: the next discovery lists the right one
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

    private List<ShardLineage.Shard> listShards(String arn) {
        List<ShardLineage.Shard> shards = new ArrayList<>();
        String start = null;
        do {
            String from = start;
            DescribeStreamResponse page = services.streams().describeStream(r -> r.streamArn(arn)
                    .exclusiveStartShardId(from));
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
        String id = m.subscription.id();
        if (!m.subscription.started() && m.subscription.startingPosition() == StartingPosition.LATEST) {
            for (ShardLineage.Shard s : lineage.all()) {
                if (s.isOpen()) {
                    m.joinAtEnd.add(s.shardId());
                } else if (m.finished.add(s.shardId())) {
                    services.checkpoints().finish(id, s.shardId());
                    services.registry().finished(id, s.shardId());
                }
            }
        }
        services.registry().started(id);
        m.initialised = true;
    }

    /** Starts a cursor (and a reader if needed) for every shard that became ready for a subscription. */
    private void reconcile() {
        for (Member m : members.values()) {
            if (!m.initialised) {
                continue;
            }
            for (ShardLineage.Shard shard : lineage.ready(m.finished, m.cursors.keySet())) {
                CheckpointStore.Checkpoint checkpoint = m.checkpoints.get(shard.shardId());
                String after = checkpoint == null ? null : checkpoint.sequenceNumber();
                // out of joinAtEnd before the LATEST open: if it fails, the next discovery reads the shard from
                // TRIM_HORIZON, skipping records older than the subscription, so nothing written after the 201 is lost
                ShardBuffer.Join join = m.joinAtEnd.remove(shard.shardId()) ? ShardBuffer.Join.LATEST
                        : after != null ? ShardBuffer.Join.AFTER : ShardBuffer.Join.TRIM_HORIZON;
                ShardReader reader = readers.get(shard.shardId());
                if (reader == null) {
                    reader = startReader(shard.shardId(), join, after);
                }
                // a LATEST subscription on a shard it never delivered from (it may have joined that shard at its end
                // before a restart): records from before its registration are not for it. New shards only hold
                // younger records, so this never drops one of theirs.
                boolean skipOlder = m.subscription.startingPosition() == StartingPosition.LATEST && after == null;
                String arn = streamArn;
                ShardCursor cursor = new ShardCursor(m.subscription, shard, reader.buffer(),
                        (s, shardId, running) -> services.delivery(s, arn, shardId, running),
                        services.checkpoints(), services.registry(), services.metrics(), services.incidents(), this,
                        after, checkpoint == null ? null : checkpoint.inFlightThrough(), skipOlder);
                cursor.join(join);
                m.cursors.put(shard.shardId(), cursor);
                cursor.prepare();
                cursor.parkWith(() -> start(cursor));
                start(cursor);
            }
            for (ShardLineage.Shard shard : lineage.all()) {
                if (!m.finished.contains(shard.shardId()) && !m.cursors.containsKey(shard.shardId())) {
                    services.registry().shardProgress(m.subscription.id(), shard.shardId(), shard.parentShardId(),
                            ShardState.WAITING_FOR_PARENT);
                }
            }
        }
        stopIdleReaders();
        if (endedReason != null) {
            for (Member m : members.values()) {
                if (m.initialised && m.cursors.isEmpty() && lineage.ready(m.finished, m.cursors.keySet()).isEmpty()
                        && services.registry().close(m.subscription.id(), endedReason
                                + "; every record of it was delivered").isPresent()) {
                    services.ended().ended(tableName, m.subscription.id());
                }
            }
        }
    }

    /**
     * A reader for a shard: its buffer starts where the first cursor needs it. A LATEST position is fixed in this
     * thread before it returns (so records written after a registration are read); other positions are opened by
     * the reader thread, where a trimmed or failing position is handled like any later error.
     */
    private ShardReader startReader(String shardId, ShardBuffer.Join join, String after) {
        boolean latest = join == ShardBuffer.Join.LATEST;
        String from = join == ShardBuffer.Join.AFTER ? after : null;
        ShardFetcher fetcher = new ShardFetcher(services.streams(), streamArn, shardId, from,
                services.reader().limit());
        if (latest) {
            fetcher.openLatest();
        }
        ShardBuffer buffer = new ShardBuffer(services.reader().bufferRecords(), from, latest);
        String arn = streamArn;
        buffer.catchUpWith(new CatchUpReader(tableName, shardId, buffer,
                resumeAfter -> new ShardFetcher(services.streams(), arn, shardId, resumeAfter, services.reader().limit()),
                services.reader(), services.metrics(), services.readers()));
        ShardReader reader = new ShardReader(tableName, shardId, fetcher, buffer, services.reader(), this,
                services.metrics());
        readers.put(shardId, reader);
        Runnable run = () -> {
            Thread.currentThread().setName("reader-" + shardId);
            reader.run();
        };
        // a quiet shard's poll interval is waited out with no thread; the reader runs again on a new one
        reader.parkWith(services.quietTimer(), () -> {
            try {
                services.readers().execute(run);
            } catch (RejectedExecutionException e) {
                reader.notRun(); // the service is stopping
            }
        });
        services.readers().execute(run);
        return reader;
    }

    /** Runs the cursor's loop on a new thread: when it is created, and again after each park. */
    private void start(ShardCursor cursor) {
        try {
            services.cursors().execute(cursor::run);
        } catch (RejectedExecutionException e) {
            cursor.notRun(); // the service is stopping
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
        List<ShardLineage.Shard> children = null;
        String arn = streamArn;
        try {
            DescribeStreamResponse response = services.streams().describeStream(r -> r.streamArn(arn)
                    .shardFilter(f -> f.type(ShardFilterType.CHILD_SHARDS).shardId(reader.shardId())));
            children = response.streamDescription().shards().stream().map(TableStream::toShard).toList();
        } catch (RuntimeException e) {
            LOG.debugf("Children of %s not listed yet (%s); the next discovery finds them", reader.shardId(),
                    StreamErrors.describe(e));
        }
        lock.lock();
        try {
            if (closed) {
                return;
            }
            if (children != null) {
                lineage.merge(children);
            }
            reconcile();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void readerFailed(ShardReader reader, StreamErrors kind, String message) {
        String failure = "reading shard " + reader.shardId() + " of " + streamArn + " failed: " + message;
        Description d = null;
        try {
            d = describe();
        } catch (RuntimeException e) {
            // the table cannot be checked: the read failure stands
        }
        lock.lock();
        try {
            if (closed) {
                return;
            }
            readers.remove(reader.shardId(), reader);
            if (d == null || checkTable(d)) {
                failAll(failure);
            }
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
                reader.buffer().detach(cursor.position());
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

    @Override
    public void cursorFailed(ShardCursor cursor, String message) {
        fail(cursor.subscriptionId(), message);
    }

    /** Fails every subscription of the table. */
    private void failAll(String message) {
        for (Member m : List.copyOf(members.values())) {
            fail(m.subscription.id(), message);
        }
    }

    /** ERROR for the subscription (once) and, for the transition that made it, a detach by the supervisor. */
    private void fail(String subscriptionId, String message) {
        if (services.registry().fail(subscriptionId, message).isPresent()) {
            services.ended().ended(tableName, subscriptionId);
        }
    }

    /**
     * A discovery failed. Terminal errors (NOT_FOUND, FATAL) end every subscription of the table (I8); anything
     * else (throttling, DynamoDB unreachable, no credentials, I7) leaves them RUNNING, shown as RETRYING with the
     * reason, until a discovery succeeds again. Under the lock.
     */
    private void handle(RuntimeException e, String doing) {
        StreamErrors kind = StreamErrors.classify(e);
        String text = StreamErrors.describe(e);
        if (kind == StreamErrors.NOT_FOUND || kind == StreamErrors.FATAL) {
            LOG.errorf("Table %s: error while %s: %s", tableName, doing, text);
            failAll("error while " + doing + " of table " + tableName + ": " + text);
            return;
        }
        for (Member m : members.values()) {
            services.registry().streamRetrying(m.subscription.id(), text);
        }
        if (!text.equals(lastTransientError)) {
            lastTransientError = text;
            LOG.warnf("Table %s: transient error while %s, retrying at the next discovery: %s", tableName, doing,
                    text);
        }
    }
}
