package io.dynamostream.subscription;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import com.github.f4b6a3.ulid.UlidCreator;

import io.dynamostream.delivery.DestinationGuard;

import io.dynamostream.config.DynamoStreamConfig;

/**
 * The single owner of subscription state. Resources and the stream side only go through it and get immutable
 * {@link Subscription} snapshots back. Thread-safe: each subscription's mutable state is guarded by its own monitor;
 * the map itself is concurrent.
 */
@ApplicationScoped
public class SubscriptionRegistry {

    private static final Logger LOG = Logger.getLogger(SubscriptionRegistry.class);

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    /** Makes the size check and the insertion of {@link #admit} one step, so the cap holds under concurrency. */
    private final Object admission = new Object();
    private final Event<SubscriptionChanged> changes;
    private final Clock clock;
    private final DestinationGuard destinationGuard;
    private final int maxSubscriptions;

    @Inject
    public SubscriptionRegistry(Event<SubscriptionChanged> changes, DynamoStreamConfig config,
            DestinationGuard destinationGuard) {
        this(changes, Clock.systemUTC(), config.limits().maxSubscriptions(), destinationGuard);
    }

    SubscriptionRegistry(Event<SubscriptionChanged> changes, Clock clock, int maxSubscriptions,
            DestinationGuard destinationGuard) {
        this.changes = changes;
        this.clock = clock;
        this.maxSubscriptions = maxSubscriptions;
        this.destinationGuard = destinationGuard;
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
        LOG.infof("Subscription %s registered: table %s -> %s (%s, from %s%s%s)", id, request.tableName(),
                Redaction.url(request.url()), request.startingPosition(), source,
                request.secrets().isEmpty() ? "" : ", signed",
                request.headers().isEmpty() ? "" : ", headers " + request.headers().keySet());
        changes.fire(new SubscriptionChanged(SubscriptionChanged.Kind.ADDED, entry.snapshot()));
        return find(id).orElseThrow();
    }

    private void admit(String id, Entry entry) {
        synchronized (admission) {
            if (entries.size() >= maxSubscriptions) {
                throw new TooManySubscriptionsException(maxSubscriptions);
            }
            entries.put(id, entry);
        }
    }

    /** Removes a subscription; its deliveries stop. Empty when there is no such id. */
    public Optional<Subscription> remove(String id) {
        Entry entry = entries.remove(id);
        if (entry == null) {
            return Optional.empty();
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

    /** Whether the subscription exists and is still RUNNING. */
    public boolean isRunning(String id) {
        Entry entry = entries.get(id);
        return entry != null && entry.isRunning();
    }

    /**
     * Moves a RUNNING subscription to ERROR. Returns the snapshot only for the call that made the transition, so the
     * caller sends the error notification exactly once.
     */
    public Optional<Subscription> fail(String id, String message) {
        Entry entry = entries.get(id);
        if (entry == null || !entry.fail(message)) {
            return Optional.empty();
        }
        Subscription snapshot = entry.snapshot();
        LOG.errorf("Subscription %s (table %s) stopped with ERROR: %s", id, snapshot.tableName(),
                Redaction.text(message));
        changes.fire(new SubscriptionChanged(SubscriptionChanged.Kind.FAILED, snapshot));
        return Optional.of(snapshot);
    }

    /** Records where a subscription stands on a shard (shown by {@code GET /subscriptions/{id}}). */
    public void shardProgress(String id, String shardId, String parentShardId, ShardState state) {
        Entry entry = entries.get(id);
        if (entry != null) {
            entry.progress(shardId, parentShardId).state = state;
        }
    }

    /** Records a 2xx for a batch: the last delivered sequence number moves forward. */
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

    /** Records a failed delivery attempt on a shard (the subscription keeps retrying). */
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
        final SubscriptionRequest.Valid request;
        final Subscription.Source source;
        final Instant createdAt;
        SubscriptionStatus status = SubscriptionStatus.RUNNING;
        String error;
        final Map<String, MutableProgress> shards = new LinkedHashMap<>();

        Entry(String id, SubscriptionRequest.Valid request, Subscription.Source source, Instant createdAt) {
            this.id = id;
            this.request = request;
            this.source = source;
            this.createdAt = createdAt;
        }

        synchronized boolean isRunning() {
            return status == SubscriptionStatus.RUNNING;
        }

        synchronized boolean fail(String message) {
            if (status != SubscriptionStatus.RUNNING) {
                return false;
            }
            status = SubscriptionStatus.ERROR;
            error = message;
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
            for (MutableProgress p : shards.values()) {
                progress.add(new ShardProgress(p.shardId, p.parentShardId, p.state, p.lastSequenceNumber,
                        p.deliveredRecords, p.lastError));
            }
            return new Subscription(id, request.tableName(), request.url(), request.startingPosition(), source,
                    createdAt, status, error, List.copyOf(progress), request.headers(), request.secrets(),
                    request.settings());
        }
    }
}
