package io.dynamostream.subscription;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.github.f4b6a3.ulid.UlidCreator;

import io.dynamostream.config.DynamoStreamConfig;
import io.dynamostream.guard.DestinationGuard;
import io.dynamostream.guard.Redaction;

/**
 * The single owner of subscription state: admission, the status lifecycle ({@link SubscriptionTransition}),
 * immutable {@link Subscription} snapshots with live per-shard progress, and the reconciliation of the subscription
 * file. Every status change is stored ({@link SubscriptionStore}) before the method returns, then announced with a
 * {@link SubscriptionChanged} event to observers that never call back (metrics, error notification).
 *
 * <p>It does not start or stop reading: callers (the stream supervisor, for the API, the file and the startup) do
 * that explicitly after a transition. Checkpoints and dead letters go to their own stores, not through here.
 *
 * <p>Thread-safe: each subscription's mutable state is guarded by its entry's monitor; the map is concurrent.
 */
@ApplicationScoped
public class SubscriptionRegistry {

    private static final Logger LOG = Logger.getLogger(SubscriptionRegistry.class);

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    /** Makes the size check and the insertion of {@link #admit} one step, so the cap holds under concurrency. */
    private final Object admission = new Object();
    private final Consumer<SubscriptionChanged> changes;
    private final Clock clock;
    private final DestinationGuard destinationGuard;
    private final SubscriptionStore store;
    private final int maxSubscriptions;

    @Inject
    public SubscriptionRegistry(Event<SubscriptionChanged> changes, DynamoStreamConfig config,
            DestinationGuard destinationGuard, SubscriptionStore store) {
        this(changes::fire, Clock.systemUTC(), config.limits().maxSubscriptions(), destinationGuard, store);
    }

    /** For tests: every change goes to {@code changes}; registration times come from {@code clock}. */
    public SubscriptionRegistry(Consumer<SubscriptionChanged> changes, Clock clock, int maxSubscriptions,
            DestinationGuard destinationGuard, SubscriptionStore store) {
        this.changes = changes;
        this.clock = clock;
        this.maxSubscriptions = maxSubscriptions;
        this.destinationGuard = destinationGuard;
        this.store = store;
    }

    /**
     * Loads the stored subscriptions (at startup, before the subscription file is applied). A stored entry that
     * cannot be read or no longer validates is left out with an ERROR log line.
     *
     * @return the subscriptions that are active (RUNNING) and must be read again, oldest first
     */
    public List<Subscription> load() {
        for (SubscriptionStore.Stored stored : store.load((id, reason) -> LOG.errorf(
                "Stored subscription %s cannot be read and is ignored: %s", id, Redaction.text(reason)))) {
            Entry entry;
            try {
                entry = new Entry(stored.id(), stored.request().validate(), stored.source(), stored.createdAt());
            } catch (RuntimeException e) {
                LOG.errorf("Stored subscription %s cannot be read and is ignored: %s", stored.id(),
                        Redaction.text(String.valueOf(e.getMessage())));
                continue;
            }
            entry.status = stored.status();
            entry.error = stored.error();
            entry.started = stored.started();
            entries.put(entry.id, entry);
        }
        List<Subscription> active = list().stream().filter(s -> s.status().isActive()).toList();
        if (!entries.isEmpty()) {
            LOG.infof("Loaded %d stored subscriptions (%d running) from %s", entries.size(), active.size(),
                    store.describe());
        }
        for (Subscription s : active) {
            changes.accept(new SubscriptionChanged(SubscriptionChanged.Kind.ADDED, s));
        }
        return active;
    }

    /**
     * Registers a validated request (stored before this returns). The caller starts reading for it.
     *
     * @throws InvalidSubscriptionException when the destination guard refuses the URL
     * @throws TooManySubscriptionsException when {@code dynamo-stream.limits.max-subscriptions} are registered
     */
    public Subscription register(SubscriptionRequest.Valid request, Subscription.Source source) {
        Entry entry = newEntry(request, source);
        admit(entry.id, entry);
        persist(entry);
        return announce(entry);
    }

    /**
     * Registers a subscription file's new entries as {@link #register} does, with one write of the store for them all
     * (one write each made a first start with 10,000 entries take about 8 s): all of them or, when the guard refuses
     * one or they would pass the limit, none.
     */
    private List<Subscription> registerAll(List<SubscriptionRequest.Valid> requests, Subscription.Source source) {
        List<Entry> fresh = new ArrayList<>();
        for (SubscriptionRequest.Valid request : requests) {
            fresh.add(newEntry(request, source));
        }
        synchronized (admission) {
            if (entries.size() + fresh.size() > maxSubscriptions) {
                throw new TooManySubscriptionsException(maxSubscriptions);
            }
        }
        // stored before they can be seen: no other write for them can come first
        store.putAll(fresh.stream().map(Entry::stored).toList());
        synchronized (admission) { // counted above: a stored entry is always admitted
            fresh.forEach(entry -> entries.put(entry.id, entry));
        }
        return fresh.stream().map(this::announce).toList();
    }

    /** A new entry for a request the destination guard accepts, not yet admitted nor stored. */
    private Entry newEntry(SubscriptionRequest.Valid request, Subscription.Source source) {
        destinationGuard.refusalAtRegistration(request.url()).ifPresent(reason -> {
            throw new InvalidSubscriptionException(List.of(new FieldError("url", List.of(reason))));
        });
        return new Entry(UlidCreator.getMonotonicUlid().toString(), request, source, clock.instant());
    }

    /** Logs a registered (admitted and stored) entry and tells the observers; its snapshot. */
    private Subscription announce(Entry entry) {
        SubscriptionRequest.Valid request = entry.request;
        LOG.infof("Subscription %s registered: table %s -> %s (%s, from %s%s%s)", entry.id, request.tableName(),
                Redaction.url(request.url()), request.startingPosition(), entry.source,
                request.secrets().isEmpty() ? "" : ", signed",
                request.headers().isEmpty() ? "" : ", headers " + request.headers().keySet());
        Subscription snapshot = entry.snapshot();
        changes.accept(new SubscriptionChanged(SubscriptionChanged.Kind.ADDED, snapshot));
        return snapshot;
    }

    /**
     * What applying the subscription file changed, for the caller to start and stop reading accordingly.
     *
     * @param added new entries: start reading
     * @param changed entries that kept their id but got new settings while active: stop and start again
     * @param removed entries that left the file: already removed, stop reading
     */
    public record FileChanges(List<Subscription> added, List<Subscription> changed, List<Subscription> removed) {
    }

    /**
     * Applies the subscription file: an entry keeps the id it had at the last start (matched on table and URL), with
     * the file's current settings, and resumes from its checkpoints; a new entry is registered; a stored entry that
     * left the file is removed.
     */
    public FileChanges registerFromFile(List<SubscriptionRequest.Valid> fileEntries) {
        Set<String> kept = new HashSet<>();
        List<Subscription> added = new ArrayList<>();
        List<Subscription> changed = new ArrayList<>();
        List<Subscription> removed = new ArrayList<>();
        // the file's stored entries by (table, URL), oldest first: each file entry takes the oldest one left
        Map<List<Object>, java.util.Deque<Entry>> byTarget = new java.util.HashMap<>();
        entries.values().stream().filter(e -> e.source == Subscription.Source.CONFIG_FILE)
                .sorted(Comparator.comparing(e -> e.id))
                .forEach(e -> byTarget.computeIfAbsent(List.of(e.request.tableName(), e.request.url()),
                        k -> new java.util.ArrayDeque<>()).add(e));
        List<SubscriptionRequest.Valid> fresh = new ArrayList<>();
        for (SubscriptionRequest.Valid request : fileEntries) {
            java.util.Deque<Entry> candidates = byTarget.get(List.of(request.tableName(), request.url()));
            Optional<Entry> known = Optional.ofNullable(candidates == null ? null : candidates.poll());
            if (known.isEmpty()) {
                fresh.add(request);
                continue;
            }
            Entry entry = known.get();
            kept.add(entry.id);
            if (!entry.request.equals(request)) {
                synchronized (entry) {
                    entry.request = request;
                }
                persist(entry);
                LOG.infof("Subscription %s (from the subscription file) has new settings", entry.id);
                if (entry.isActive()) {
                    changed.add(entry.snapshot());
                }
            } else {
                LOG.infof("Subscription %s (from the subscription file) kept: table %s -> %s", entry.id,
                        request.tableName(), Redaction.url(request.url()));
            }
        }
        for (Entry entry : List.copyOf(entries.values())) {
            if (entry.source == Subscription.Source.CONFIG_FILE && !kept.contains(entry.id)) {
                LOG.infof("Subscription %s left the subscription file: removing it", entry.id);
                remove(entry.id).ifPresent(removed::add);
            }
        }
        // the new entries last, when those that left the file no longer count against the limit
        added.addAll(registerAll(fresh, Subscription.Source.CONFIG_FILE));
        return new FileChanges(added, changed, removed);
    }

    private void admit(String id, Entry entry) {
        synchronized (admission) {
            if (entries.size() >= maxSubscriptions) {
                throw new TooManySubscriptionsException(maxSubscriptions);
            }
            entries.put(id, entry);
        }
    }

    /**
     * Removes a subscription with its checkpoints and dead letters (the store ignores its later writes). The caller
     * stops reading for it. Empty when unknown.
     */
    public Optional<Subscription> remove(String id) {
        Entry entry = entries.remove(id);
        if (entry == null) {
            return Optional.empty();
        }
        store.delete(id);
        Subscription snapshot = entry.snapshot();
        LOG.infof("Subscription %s removed (table %s)", id, snapshot.tableName());
        changes.accept(new SubscriptionChanged(SubscriptionChanged.Kind.REMOVED, snapshot));
        return Optional.of(snapshot);
    }

    public Optional<Subscription> find(String id) {
        Entry entry = entries.get(id);
        return entry == null ? Optional.empty() : Optional.of(entry.snapshot());
    }

    /** All subscriptions, oldest first. */
    public List<Subscription> list() {
        List<Subscription> all = new ArrayList<>();
        for (Entry e : entries.values()) {
            all.add(e.snapshot());
        }
        all.sort(Comparator.comparing(Subscription::id));
        return all;
    }

    /** Whether the subscription exists and is reading (RUNNING or RETRYING). */
    public boolean isRunning(String id) {
        Entry entry = entries.get(id);
        return entry != null && entry.isActive();
    }

    /**
     * Moves a running subscription to ERROR. Returns the snapshot only for the call that made the transition, so the
     * caller stops its reading (and the notifier sends the error notification) exactly once.
     */
    public Optional<Subscription> fail(String id, String message) {
        return end(id, message, SubscriptionTransition.FAIL);
    }

    /** Moves a running subscription to CLOSED: its stream ended and every record of it was delivered. */
    public Optional<Subscription> close(String id, String message) {
        return end(id, message, SubscriptionTransition.CLOSE);
    }

    private Optional<Subscription> end(String id, String message, SubscriptionTransition transition) {
        Entry entry = entries.get(id);
        if (entry == null || !entry.transition(transition, message)) {
            return Optional.empty();
        }
        persist(entry);
        Subscription snapshot = entry.snapshot();
        if (transition.to == SubscriptionStatus.ERROR) {
            LOG.errorf("Subscription %s (table %s) stopped with ERROR: %s", id, snapshot.tableName(),
                    Redaction.text(message));
        } else {
            LOG.infof("Subscription %s (table %s) CLOSED: %s", id, snapshot.tableName(), Redaction.text(message));
        }
        changes.accept(new SubscriptionChanged(transition.event, snapshot));
        return Optional.of(snapshot);
    }

    /**
     * Pauses a running subscription; the caller stops its reading after the batch in flight. Checkpoints stay.
     *
     * @return empty when there is no such subscription
     * @throws SubscriptionStateException when it is not RUNNING or RETRYING
     */
    public Optional<Subscription> pause(String id) {
        return lifecycle(id, SubscriptionTransition.PAUSE);
    }

    /**
     * Resumes a paused subscription; the caller starts reading from its checkpoints.
     *
     * @throws SubscriptionStateException when it is not PAUSED
     */
    public Optional<Subscription> resume(String id) {
        return lifecycle(id, SubscriptionTransition.RESUME);
    }

    /**
     * Restarts a subscription in ERROR (or CLOSED); the caller starts reading from its checkpoints, so the batch that
     * failed is tried again.
     *
     * @throws SubscriptionStateException when it is not in ERROR or CLOSED
     */
    public Optional<Subscription> restart(String id) {
        return lifecycle(id, SubscriptionTransition.RESTART);
    }

    private Optional<Subscription> lifecycle(String id, SubscriptionTransition transition) {
        Entry entry = entries.get(id);
        if (entry == null) {
            return Optional.empty();
        }
        SubscriptionStatus before = entry.snapshot().status();
        if (!entry.transition(transition, null)) {
            throw new SubscriptionStateException("cannot " + transition.verb() + " subscription " + id + ": it is "
                    + entry.snapshot().status() + "; " + transition.rule);
        }
        persist(entry);
        Subscription snapshot = entry.snapshot();
        LOG.infof("Subscription %s: %s (was %s)", id, transition.to, before);
        changes.accept(new SubscriptionChanged(transition.event, snapshot));
        return Optional.of(snapshot);
    }

    /** Records that reading started once: a later start resumes from the checkpoints, not at LATEST. */
    public void started(String id) {
        Entry entry = entries.get(id);
        if (entry != null && !entry.started) {
            entry.started = true;
            persist(entry);
        }
    }

    /** Records where a subscription stands on a shard (shown by {@code GET /subscriptions/{id}}). */
    public void shardProgress(String id, String shardId, String parentShardId, ShardState state) {
        Entry entry = entries.get(id);
        if (entry != null) {
            entry.progress(shardId, parentShardId).state = state;
        }
    }

    /** A batch was acknowledged (its checkpoint is stored or about to be): the shard's progress moves on. */
    public void delivered(String id, String shardId, String lastSequenceNumber, int records) {
        Entry entry = entries.get(id);
        if (entry != null) {
            synchronized (entry) {
                MutableProgress p = entry.progress(shardId, null);
                p.lastSequenceNumber = lastSequenceNumber;
                p.deliveredRecords += records;
                p.state = ShardState.READING;
                p.lastError = null;
            }
        }
    }

    /**
     * The checkpoint moved without a delivery (the position a LATEST subscription joined at, or a batch handed to
     * {@code on_failure: skip / dead_letter}): the shard is read normally again.
     */
    public void movedOn(String id, String shardId) {
        Entry entry = entries.get(id);
        if (entry != null) {
            synchronized (entry) {
                MutableProgress p = entry.progress(shardId, null);
                p.state = ShardState.READING;
                p.lastError = null;
            }
        }
    }

    /** Every record of a closed shard was acknowledged (or the shard is out of scope). */
    public void finished(String id, String shardId) {
        Entry entry = entries.get(id);
        if (entry != null) {
            entry.progress(shardId, null).state = ShardState.FINISHED;
        }
    }

    /** A delivery attempt on a shard failed (the subscription keeps retrying: RETRYING). */
    public void deliveryFailed(String id, String shardId, String error) {
        Entry entry = entries.get(id);
        if (entry != null) {
            synchronized (entry) {
                MutableProgress p = entry.progress(shardId, null);
                p.state = ShardState.RETRYING;
                p.lastError = error;
            }
        }
    }

    /**
     * Reading the subscription's stream fails for a while (DynamoDB unreachable, no credentials, throttled
     * discovery): shown as RETRYING with {@code reason} in {@code error} until {@link #streamReadable}. Not stored, not
     * announced: like a shard's retries, it is the state of reading, not a transition.
     */
    public void streamRetrying(String id, String reason) {
        Entry entry = entries.get(id);
        if (entry != null) {
            entry.streamError = reason;
        }
    }

    /** The subscription's stream was read again (a discovery succeeded): RUNNING again unless a shard is retrying. */
    public void streamReadable(String id) {
        Entry entry = entries.get(id);
        if (entry != null) {
            entry.streamError = null;
            entry.attached();
        }
    }

    /**
     * Waits at most {@code timeout} until the subscription is no longer STARTING: its shards are known (RUNNING or
     * RETRYING), or it ended, was paused or removed. Returns at once for a subscription that is not starting.
     */
    public void awaitStarted(String id, java.time.Duration timeout) throws InterruptedException {
        Entry entry = entries.get(id);
        if (entry == null || timeout.isZero() || timeout.isNegative()) {
            return;
        }
        try {
            entry.attachment.get(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            // still starting: the caller answers with STARTING
        }
    }

    /**
     * Stores the entry's current state. Saves of one entry are serialised from reading its state to the end of the
     * write, so a slow save can never land after a newer one (a pause overwritten by an older RUNNING).
     */
    private void persist(Entry entry) {
        synchronized (entry.saving) {
            SubscriptionStore.Stored doc = entry.stored();
            if (entries.get(entry.id) == entry) {
                store.put(doc);
            }
        }
    }

    private static final class MutableProgress {
        final String shardId;
        String parentShardId;
        volatile ShardState state = ShardState.WAITING_FOR_PARENT;
        String lastSequenceNumber;
        long deliveredRecords;
        String lastError;

        MutableProgress(String shardId, String parentShardId) {
            this.shardId = shardId;
            this.parentShardId = parentShardId;
        }
    }

    private static final class Entry {
        final String id;
        final Subscription.Source source;
        final Instant createdAt;
        /** Held while the entry is being stored; see {@link SubscriptionRegistry#persist}. */
        final Object saving = new Object();
        SubscriptionRequest.Valid request;
        SubscriptionStatus status = SubscriptionStatus.RUNNING;
        String error;
        /** Why reading the stream fails at the moment (shown as RETRYING while RUNNING), null when it does not. */
        volatile String streamError;
        /**
         * Completed when reading started for the current run (its table's shards are known) or the run ended; shown
         * as STARTING while RUNNING and not complete. A new one for each move back to RUNNING (resume, restart).
         */
        volatile java.util.concurrent.CompletableFuture<Void> attachment = new java.util.concurrent.CompletableFuture<>();
        volatile boolean started;
        final Map<String, MutableProgress> shards = new LinkedHashMap<>();

        Entry(String id, SubscriptionRequest.Valid request, Subscription.Source source, Instant createdAt) {
            this.id = id;
            this.request = request;
            this.source = source;
            this.createdAt = createdAt;
        }

        synchronized boolean isActive() {
            return status == SubscriptionStatus.RUNNING;
        }

        /** The document to store, as the entry is now. */
        synchronized SubscriptionStore.Stored stored() {
            return new SubscriptionStore.Stored(id, request.toRequest(), source, createdAt, status, error, started);
        }

        /** Applies a transition when the status allows it; a move back to RUNNING clears the error and the retries. */
        synchronized boolean transition(SubscriptionTransition transition, String message) {
            if (!transition.allowedFrom(status)) {
                return false;
            }
            status = transition.to;
            error = message;
            // a new attach (resume, restart) finds out again; an ended one shows its own error
            streamError = null;
            if (status == SubscriptionStatus.RUNNING) {
                attachment.complete(null); // wakes a waiter of the previous run, if any
                attachment = new java.util.concurrent.CompletableFuture<>();
            } else {
                attachment.complete(null);
            }
            if (status == SubscriptionStatus.RUNNING) {
                for (MutableProgress p : shards.values()) {
                    p.lastError = null;
                    if (p.state == ShardState.RETRYING) {
                        p.state = ShardState.READING;
                    }
                }
            }
            return true;
        }

        void attached() {
            attachment.complete(null);
        }

        synchronized MutableProgress progress(String shardId, String parentShardId) {
            MutableProgress p = shards.computeIfAbsent(shardId, s -> new MutableProgress(s, parentShardId));
            if (parentShardId != null) {
                p.parentShardId = parentShardId;
            }
            return p;
        }

        synchronized Subscription snapshot() {
            List<ShardProgress> progress = new ArrayList<>(shards.size());
            boolean retrying = false;
            for (MutableProgress p : shards.values()) {
                progress.add(new ShardProgress(p.shardId, p.parentShardId, p.state, p.lastSequenceNumber,
                        p.deliveredRecords, p.lastError));
                retrying |= p.state == ShardState.RETRYING;
            }
            String stream = streamError;
            boolean running = status == SubscriptionStatus.RUNNING;
            SubscriptionStatus shown = !running ? status
                    : retrying || stream != null ? SubscriptionStatus.RETRYING
                    : attachment.isDone() ? status : SubscriptionStatus.STARTING;
            String shownError = running && stream != null ? stream : error;
            return new Subscription(id, request.tableName(), request.url(), request.startingPosition(), source,
                    createdAt, shown, shownError, List.copyOf(progress), request.headers(), request.secrets(),
                    request.settings(), started);
        }
    }
}
