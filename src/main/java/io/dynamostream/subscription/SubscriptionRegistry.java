package io.dynamostream.subscription;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.github.f4b6a3.ulid.UlidCreator;

import io.dynamostream.config.DynamoStreamConfig;
import io.dynamostream.guard.DestinationGuard;
import io.dynamostream.delivery.WebhookSigner;
import io.dynamostream.state.StateStore;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.dynamostream.guard.Redaction;

/**
 * The single owner of subscription state. Resources and the stream side only go through it and get immutable
 * {@link Subscription} snapshots back. Every change that must survive a restart (the subscription, its status, its
 * checkpoints, its dead letters) is written to the {@link StateStore} before the method returns.
 *
 * <p>Thread-safe: each subscription's mutable state is guarded by its own monitor; checkpoint writes of one
 * subscription run concurrently (one per shard) under the read side of its lock, and its removal takes the write
 * side, so no checkpoint is written back after the subscription was deleted.
 */
@ApplicationScoped
public class SubscriptionRegistry {

    private static final Logger LOG = Logger.getLogger(SubscriptionRegistry.class);
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    /** Makes the size check and the insertion of {@link #admit} one step, so the cap holds under concurrency. */
    private final Object admission = new Object();
    private final Event<SubscriptionChanged> changes;
    private final Event<DeliveryIncident> incidents;
    private final Clock clock;
    private final DestinationGuard destinationGuard;
    private final StateStore store;
    private final int maxSubscriptions;

    @Inject
    public SubscriptionRegistry(Event<SubscriptionChanged> changes, Event<DeliveryIncident> incidents,
            DynamoStreamConfig config, DestinationGuard destinationGuard, StateStore store) {
        this(changes, incidents, Clock.systemUTC(), config.limits().maxSubscriptions(), destinationGuard, store);
    }

    SubscriptionRegistry(Event<SubscriptionChanged> changes, Event<DeliveryIncident> incidents, Clock clock,
            int maxSubscriptions, DestinationGuard destinationGuard, StateStore store) {
        this.changes = changes;
        this.incidents = incidents;
        this.clock = clock;
        this.maxSubscriptions = maxSubscriptions;
        this.destinationGuard = destinationGuard;
        this.store = store;
    }

    /**
     * Loads the stored subscriptions at startup, before the subscription file is read; the running ones resume from
     * their checkpoints. A stored entry that no longer validates is kept in ERROR with the reason.
     */
    void load(@Observes @Priority(100) StartupEvent event) {
        int resumed = 0;
        for (Map.Entry<String, String> stored : store.subscriptions().entrySet()) {
            Entry entry;
            try {
                Stored doc = JSON.readValue(stored.getValue(), Stored.class);
                entry = new Entry(stored.getKey(), doc.request().validate(), doc.source(), doc.createdAt());
                entry.status = doc.status() == null ? SubscriptionStatus.RUNNING : doc.status();
                entry.error = doc.error();
                entry.started = doc.started();
            } catch (JsonProcessingException | RuntimeException e) {
                LOG.errorf("Stored subscription %s cannot be read and is ignored: %s", stored.getKey(),
                        Redaction.text(String.valueOf(e.getMessage())));
                continue;
            }
            entries.put(entry.id, entry);
            if (entry.status.isActive()) {
                resumed++;
            }
        }
        if (!entries.isEmpty()) {
            LOG.infof("Loaded %d stored subscriptions (%d running) from %s", entries.size(), resumed,
                    store.describe());
        }
        for (Entry entry : List.copyOf(entries.values())) {
            if (entry.status.isActive()) {
                changes.fire(new SubscriptionChanged(SubscriptionChanged.Kind.ADDED, entry.snapshot()));
            }
        }
    }

    /**
     * Registers a validated request; the stream side attaches it before this returns.
     *
     * @throws InvalidSubscriptionException when the destination guard refuses the URL
     * @throws TooManySubscriptionsException when {@code dynamo-stream.limits.max-subscriptions} are registered
     */
    public Subscription register(SubscriptionRequest.Valid request, Subscription.Source source) {
        destinationGuard.refusalAtRegistration(request.url()).ifPresent(reason -> {
            throw new InvalidSubscriptionException(List.of(new FieldError("url", List.of(reason))));
        });
        String id = UlidCreator.getMonotonicUlid().toString();
        Entry entry = new Entry(id, request, source, clock.instant());
        admit(id, entry);
        persist(entry);
        LOG.infof("Subscription %s registered: table %s -> %s (%s, from %s%s%s)", id, request.tableName(),
                Redaction.url(request.url()), request.startingPosition(), source,
                request.secrets().isEmpty() ? "" : ", signed",
                request.headers().isEmpty() ? "" : ", headers " + request.headers().keySet());
        changes.fire(new SubscriptionChanged(SubscriptionChanged.Kind.ADDED, entry.snapshot()));
        return find(id).orElseThrow();
    }

    /**
     * Applies the subscription file: an entry keeps the id it had at the last start (matched on table and URL), with
     * the file's current settings, and resumes from its checkpoints; a new entry is registered; a stored entry that
     * left the file is removed.
     */
    public void registerFromFile(List<SubscriptionRequest.Valid> fileEntries) {
        Set<String> kept = new HashSet<>();
        for (SubscriptionRequest.Valid request : fileEntries) {
            Optional<Entry> known = entries.values().stream()
                    .filter(e -> e.source == Subscription.Source.CONFIG_FILE && !kept.contains(e.id)
                            && e.request.tableName().equals(request.tableName()) && e.request.url().equals(request.url()))
                    .min(Comparator.comparing(e -> e.id));
            if (known.isEmpty()) {
                kept.add(register(request, Subscription.Source.CONFIG_FILE).id());
                continue;
            }
            Entry entry = known.get();
            kept.add(entry.id);
            if (!entry.request.equals(request)) {
                boolean active = entry.isActive();
                if (active) {
                    changes.fire(new SubscriptionChanged(SubscriptionChanged.Kind.PAUSED, entry.snapshot()));
                }
                synchronized (entry) {
                    entry.request = request;
                }
                persist(entry);
                LOG.infof("Subscription %s (from the subscription file) has new settings", entry.id);
                if (active) {
                    changes.fire(new SubscriptionChanged(SubscriptionChanged.Kind.RESUMED, entry.snapshot()));
                }
            } else {
                LOG.infof("Subscription %s (from the subscription file) kept: table %s -> %s", entry.id,
                        request.tableName(), Redaction.url(request.url()));
            }
        }
        for (Entry entry : List.copyOf(entries.values())) {
            if (entry.source == Subscription.Source.CONFIG_FILE && !kept.contains(entry.id)) {
                LOG.infof("Subscription %s left the subscription file: removing it", entry.id);
                remove(entry.id);
            }
        }
    }

    private void admit(String id, Entry entry) {
        synchronized (admission) {
            if (entries.size() >= maxSubscriptions) {
                throw new TooManySubscriptionsException(maxSubscriptions);
            }
            entries.put(id, entry);
        }
    }

    /** Removes a subscription with its checkpoints and dead letters; its deliveries stop. Empty when unknown. */
    public Optional<Subscription> remove(String id) {
        Entry entry = entries.remove(id);
        if (entry == null) {
            return Optional.empty();
        }
        entry.lock.writeLock().lock();
        try {
            entry.removed = true;
            store.deleteSubscription(id);
        } finally {
            entry.lock.writeLock().unlock();
        }
        Subscription snapshot = entry.snapshot();
        LOG.infof("Subscription %s removed (table %s)", id, snapshot.tableName());
        changes.fire(new SubscriptionChanged(SubscriptionChanged.Kind.REMOVED, snapshot));
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
     * caller sends the error notification exactly once.
     */
    public Optional<Subscription> fail(String id, String message) {
        return end(id, message, SubscriptionStatus.ERROR, SubscriptionChanged.Kind.FAILED);
    }

    /** Moves a running subscription to CLOSED: its stream ended and every record of it was delivered. */
    public Optional<Subscription> close(String id, String message) {
        return end(id, message, SubscriptionStatus.CLOSED, SubscriptionChanged.Kind.CLOSED);
    }

    private Optional<Subscription> end(String id, String message, SubscriptionStatus status,
            SubscriptionChanged.Kind kind) {
        Entry entry = entries.get(id);
        if (entry == null || !entry.transition(Set.of(SubscriptionStatus.RUNNING), status, message)) {
            return Optional.empty();
        }
        persist(entry);
        Subscription snapshot = entry.snapshot();
        if (status == SubscriptionStatus.ERROR) {
            LOG.errorf("Subscription %s (table %s) stopped with ERROR: %s", id, snapshot.tableName(),
                    Redaction.text(message));
        } else {
            LOG.infof("Subscription %s (table %s) CLOSED: %s", id, snapshot.tableName(), Redaction.text(message));
        }
        changes.fire(new SubscriptionChanged(kind, snapshot));
        return Optional.of(snapshot);
    }

    /**
     * Pauses a running subscription: reading stops after the batch in flight; the checkpoints stay.
     *
     * @return empty when there is no such subscription
     * @throws SubscriptionStateException when it is not RUNNING or RETRYING
     */
    public Optional<Subscription> pause(String id) {
        return lifecycle(id, Set.of(SubscriptionStatus.RUNNING), SubscriptionStatus.PAUSED,
                SubscriptionChanged.Kind.PAUSED, "pause", "only a RUNNING or RETRYING subscription can be paused");
    }

    /**
     * Resumes a paused subscription from its checkpoints.
     *
     * @throws SubscriptionStateException when it is not PAUSED
     */
    public Optional<Subscription> resume(String id) {
        return lifecycle(id, Set.of(SubscriptionStatus.PAUSED), SubscriptionStatus.RUNNING,
                SubscriptionChanged.Kind.RESUMED, "resume", "only a PAUSED subscription can be resumed");
    }

    /**
     * Restarts a subscription in ERROR (or CLOSED) from its checkpoints: the batch that failed is tried again.
     *
     * @throws SubscriptionStateException when it is not in ERROR or CLOSED
     */
    public Optional<Subscription> restart(String id) {
        return lifecycle(id, Set.of(SubscriptionStatus.ERROR, SubscriptionStatus.CLOSED), SubscriptionStatus.RUNNING,
                SubscriptionChanged.Kind.RESUMED, "restart",
                "only a subscription in ERROR or CLOSED can be restarted (resume a PAUSED one)");
    }

    private Optional<Subscription> lifecycle(String id, Set<SubscriptionStatus> from, SubscriptionStatus to,
            SubscriptionChanged.Kind kind, String action, String rule) {
        Entry entry = entries.get(id);
        if (entry == null) {
            return Optional.empty();
        }
        SubscriptionStatus before = entry.snapshot().status();
        if (!entry.transition(from, to, null)) {
            throw new SubscriptionStateException("cannot " + action + " subscription " + id + ": it is "
                    + entry.snapshot().status() + "; " + rule);
        }
        persist(entry);
        LOG.infof("Subscription %s: %s (was %s)", id, to, before);
        changes.fire(new SubscriptionChanged(kind, entry.snapshot()));
        return find(id);
    }

    /** Records that reading started once: a later start resumes from the checkpoints, not at LATEST. */
    public void started(String id) {
        Entry entry = entries.get(id);
        if (entry != null && !entry.started) {
            entry.started = true;
            persist(entry);
        }
    }

    /** The stored checkpoints of a subscription (shard id → checkpoint). */
    public Map<String, StateStore.Checkpoint> checkpoints(String id) {
        return store.checkpoints(id);
    }

    /** Records where a subscription stands on a shard (shown by {@code GET /subscriptions/{id}}). */
    public void shardProgress(String id, String shardId, String parentShardId, ShardState state) {
        Entry entry = entries.get(id);
        if (entry != null) {
            entry.progress(shardId, parentShardId).state = state;
        }
    }

    /** Stores the last sequence number of the batch about to be POSTed (re-sent as is after a crash). */
    public void inFlight(String id, String shardId, String lastSequenceNumber) {
        write(id, () -> store.inFlight(id, shardId, lastSequenceNumber));
    }

    /** Records a 2xx for a batch: the checkpoint moves forward (stored before this returns). */
    public void delivered(String id, String shardId, String lastSequenceNumber, int records) {
        delivered(id, shardId, lastSequenceNumber, records,
                () -> store.checkpoint(id, shardId, lastSequenceNumber));
    }

    /**
     * {@link #delivered} and then {@link #inFlight} for the next batch, in one write (stored before this returns):
     * a shard that has its next batch ready pays one write per batch instead of two.
     */
    public void deliveredAndInFlight(String id, String shardId, String lastSequenceNumber, int records,
            String nextLastSequenceNumber) {
        delivered(id, shardId, lastSequenceNumber, records,
                () -> store.checkpointAndInFlight(id, shardId, lastSequenceNumber, nextLastSequenceNumber));
    }

    private void delivered(String id, String shardId, String lastSequenceNumber, int records, Runnable storeWrite) {
        Entry entry = entries.get(id);
        if (entry != null && write(id, storeWrite)) {
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
     * Moves the checkpoint without a delivery: the position a LATEST subscription joined at, or a batch handed to
     * {@code on_failure: skip / dead_letter}.
     */
    public void checkpoint(String id, String shardId, String sequenceNumber) {
        Entry entry = entries.get(id);
        if (entry != null && write(id, () -> store.checkpoint(id, shardId, sequenceNumber))) {
            synchronized (entry) {
                MutableProgress p = entry.progress(shardId, null);
                p.state = ShardState.READING;
                p.lastError = null;
            }
        }
    }

    /** Records that every record of a closed shard was acknowledged (or that the shard is out of scope). */
    public void finished(String id, String shardId) {
        Entry entry = entries.get(id);
        if (entry != null && write(id, () -> store.finish(id, shardId))) {
            entry.progress(shardId, null).state = ShardState.FINISHED;
        }
    }

    /** Records a failed delivery attempt on a shard (the subscription keeps retrying: RETRYING). */
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

    /** Logs an incident at ERROR and tells its observers (error notification, metrics). */
    public void incident(String id, DeliveryIncident.Kind kind, String shardId, String first, String last,
            long records, String message) {
        Entry entry = entries.get(id);
        if (entry == null) {
            return;
        }
        Subscription snapshot = entry.snapshot();
        LOG.errorf("Subscription %s (table %s): %s", id, snapshot.tableName(), Redaction.text(message));
        incidents.fire(new DeliveryIncident(kind, snapshot, shardId, first, last, records, message));
    }

    /** Keeps a batch that was given up in the dead-letter store (before this returns), and reports it. */
    public void deadLetter(String id, String shardId, String first, String last, int records, String reason,
            byte[] body) {
        String letterId = UlidCreator.getMonotonicUlid().toString();
        DeadLetter letter = new DeadLetter(letterId, id, shardId, first, last, records, reason, clock.instant(),
                WebhookSigner.batchId(id, shardId, first, last), Base64.getEncoder().encodeToString(body));
        String document;
        try {
            document = JSON.writeValueAsString(letter);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a dead letter", e);
        }
        if (write(id, () -> store.putDeadLetter(id, letterId, document))) {
            incident(id, DeliveryIncident.Kind.DEAD_LETTER, shardId, first, last, records, "batch of " + records
                    + " records (shard " + shardId + ", sequence numbers " + first + " to " + last
                    + ") kept as dead letter " + letterId + ": " + reason);
        }
    }

    /** A subscription's dead letters, oldest first, with their bodies. Empty when the subscription is unknown. */
    public Optional<List<DeadLetter>> deadLetters(String id) {
        if (!entries.containsKey(id)) {
            return Optional.empty();
        }
        List<DeadLetter> letters = new ArrayList<>();
        store.deadLetters(id).values().forEach(doc -> letters.add(readLetter(doc)));
        return Optional.of(letters);
    }

    /** One dead letter of a subscription. */
    public Optional<DeadLetter> deadLetter(String id, String letterId) {
        if (!entries.containsKey(id)) {
            return Optional.empty();
        }
        String doc = store.deadLetters(id).get(letterId);
        return doc == null ? Optional.empty() : Optional.of(readLetter(doc));
    }

    /** Deletes a dead letter (after a successful re-delivery, or on request); returns whether it existed. */
    public boolean deleteDeadLetter(String id, String letterId) {
        return entries.containsKey(id) && store.deleteDeadLetter(id, letterId);
    }

    private static DeadLetter readLetter(String document) {
        try {
            return JSON.readValue(document, DeadLetter.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unreadable dead letter in the state store: " + e.getOriginalMessage(), e);
        }
    }

    /** Runs a state write unless the subscription was removed; returns whether it ran. */
    private boolean write(String id, Runnable write) {
        Entry entry = entries.get(id);
        if (entry == null) {
            return false;
        }
        entry.lock.readLock().lock();
        try {
            if (entry.removed) {
                return false;
            }
            write.run();
            return true;
        } finally {
            entry.lock.readLock().unlock();
        }
    }

    private void persist(Entry entry) {
        Stored doc;
        synchronized (entry) {
            doc = new Stored(entry.request.toRequest(), entry.source, entry.createdAt, entry.status, entry.error,
                    entry.started);
        }
        String json;
        try {
            json = JSON.writeValueAsString(doc);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise subscription " + entry.id, e);
        }
        write(entry.id, () -> store.putSubscription(entry.id, json));
    }

    /** The stored form of a subscription (the state store's document). */
    @RegisterForReflection
    record Stored(@JsonProperty("request") SubscriptionRequest request,
            @JsonProperty("source") Subscription.Source source,
            @JsonProperty("created_at") Instant createdAt,
            @JsonProperty("status") SubscriptionStatus status,
            @JsonProperty("error") String error,
            @JsonProperty("started") boolean started) {
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
        final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
        SubscriptionRequest.Valid request;
        SubscriptionStatus status = SubscriptionStatus.RUNNING;
        String error;
        volatile boolean started;
        volatile boolean removed;
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

        /** Moves from one of {@code from} to {@code to}; a move back to RUNNING clears the error and the retries. */
        synchronized boolean transition(Set<SubscriptionStatus> from, SubscriptionStatus to, String message) {
            if (!from.contains(status)) {
                return false;
            }
            status = to;
            error = message;
            if (to == SubscriptionStatus.RUNNING) {
                for (MutableProgress p : shards.values()) {
                    p.lastError = null;
                    if (p.state == ShardState.RETRYING) {
                        p.state = ShardState.READING;
                    }
                }
            }
            return true;
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
            SubscriptionStatus shown = status == SubscriptionStatus.RUNNING && retrying ? SubscriptionStatus.RETRYING
                    : status;
            return new Subscription(id, request.tableName(), request.url(), request.startingPosition(), source,
                    createdAt, shown, error, List.copyOf(progress), request.headers(), request.secrets(),
                    request.settings(), started);
        }
    }
}
