package io.dynamostream.state;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.dynamostream.subscription.DeadLetter;
import io.dynamostream.subscription.StopNotification;
import io.dynamostream.subscription.SubscriptionStore;

/**
 * The typed stores the rest of the service uses, over the configured {@link StateStore} kind: checkpoints for the
 * cursors, dead letters and stop notifications for delivery, subscriptions for the registry (documents in
 * {@link Documents}' JSON form).
 *
 * <p>It also enforces what the raw stores leave to their caller: nothing is written for a subscription after it was
 * deleted. Each stored subscription has a read-write lock; every write for it runs under the read side (so writes of
 * many shards run concurrently) and {@link #delete} takes the write side, waits for the writes in progress, and
 * removes the subscription, after which its writes are ignored. Thread-safe.
 */
@ApplicationScoped
public class StateStores implements CheckpointStore, DeadLetterStore, NotificationStore, SubscriptionStore,
        WindowStore {

    private final StateStore store;
    /** The stored subscriptions; a write for an id not in here is ignored. */
    private final Map<String, ReentrantReadWriteLock> live = new ConcurrentHashMap<>();
    /** Ids deleted while this process runs: never stored again (ids are ULIDs, never reused). */
    private final Set<String> deleted = ConcurrentHashMap.newKeySet();

    @Inject
    StateStores(StateStore store) {
        this.store = store;
        store.subscriptions().keySet().forEach(id -> live.put(id, new ReentrantReadWriteLock()));
    }

    /** Typed stores over {@code store} (tests, benchmarks). */
    static StateStores over(StateStore store) {
        return new StateStores(store);
    }

    /** Typed stores over a new memory store: nothing survives the process (tests of other packages). */
    public static StateStores inMemory() {
        return new StateStores(new MemoryStateStore());
    }

    @Override
    public List<Stored> load(BiConsumer<String, String> unreadable) {
        List<Stored> all = new ArrayList<>();
        store.subscriptions().forEach((id, document) -> {
            try {
                all.add(Documents.subscription(id, document));
            } catch (RuntimeException e) {
                unreadable.accept(id, String.valueOf(e.getMessage()));
            }
        });
        return all;
    }

    @Override
    public void put(Stored subscription) {
        String id = subscription.id();
        String document = Documents.subscription(subscription);
        ReentrantReadWriteLock lock = readLockIfLive(id);
        if (lock != null) {
            try {
                store.putSubscription(id, document);
            } finally {
                lock.readLock().unlock();
            }
        }
    }

    /**
     * Like {@link #put} for each, in one write of the store: each id's read lock is held until the write is done, and
     * an id deleted before it is left out.
     */
    @Override
    public void putAll(List<Stored> subscriptions) {
        Map<String, String> documents = new java.util.LinkedHashMap<>();
        List<ReentrantReadWriteLock> held = new ArrayList<>();
        try {
            for (Stored subscription : subscriptions) {
                String document = Documents.subscription(subscription);
                ReentrantReadWriteLock lock = readLockIfLive(subscription.id());
                if (lock != null) {
                    held.add(lock);
                    documents.put(subscription.id(), document);
                }
            }
            store.putSubscriptions(documents);
        } finally {
            held.forEach(lock -> lock.readLock().unlock());
        }
    }

    /**
     * The subscription's lock with its read side held, or null (nothing held) when it was deleted: writes for it may
     * go on until the caller unlocks it.
     */
    private ReentrantReadWriteLock readLockIfLive(String id) {
        while (!deleted.contains(id)) {
            ReentrantReadWriteLock lock = live.computeIfAbsent(id, k -> new ReentrantReadWriteLock());
            lock.readLock().lock();
            if (deleted.contains(id)) {
                live.remove(id, lock); // created after the delete: it must not let later writes through
                lock.readLock().unlock();
                return null;
            }
            if (live.get(id) == lock) {
                return lock;
            }
            lock.readLock().unlock();
        }
        return null;
    }

    @Override
    public void delete(String id) {
        ReentrantReadWriteLock lock = live.get(id);
        if (lock == null) {
            deleted.add(id);
            store.deleteSubscription(id);
            return;
        }
        lock.writeLock().lock();
        try {
            deleted.add(id);
            live.remove(id, lock);
            store.deleteSubscription(id);
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public String describe() {
        return store.describe();
    }

    @Override
    public Map<String, Checkpoint> checkpoints(String subscriptionId) {
        return store.checkpoints(subscriptionId);
    }

    @Override
    public boolean checkpoint(String subscriptionId, String shardId, String sequenceNumber) {
        return write(subscriptionId, () -> store.checkpoint(subscriptionId, shardId, sequenceNumber));
    }

    @Override
    public void inFlight(String subscriptionId, String shardId, String lastSequenceNumber) {
        write(subscriptionId, () -> {
            store.inFlight(subscriptionId, shardId, lastSequenceNumber);
            return true;
        });
    }

    @Override
    public void checkpointAndInFlight(String subscriptionId, String shardId, String sequenceNumber,
            String nextLastSequenceNumber) {
        write(subscriptionId, () -> {
            store.checkpointAndInFlight(subscriptionId, shardId, sequenceNumber, nextLastSequenceNumber);
            return true;
        });
    }

    @Override
    public void finish(String subscriptionId, String shardId) {
        write(subscriptionId, () -> {
            store.finish(subscriptionId, shardId);
            return true;
        });
    }

    @Override
    public List<DeadLetter> deadLetters(String subscriptionId) {
        List<DeadLetter> letters = new ArrayList<>();
        store.deadLetters(subscriptionId).values().forEach(doc -> letters.add(Documents.deadLetter(doc)));
        return letters;
    }

    @Override
    public Optional<DeadLetter> deadLetter(String subscriptionId, String deadLetterId) {
        String doc = store.deadLetters(subscriptionId).get(deadLetterId);
        return doc == null ? Optional.empty() : Optional.of(Documents.deadLetter(doc));
    }

    @Override
    public boolean putDeadLetter(DeadLetter letter) {
        String document = Documents.deadLetter(letter);
        return write(letter.subscriptionId(), () -> {
            store.putDeadLetter(letter.subscriptionId(), letter.id(), document);
            return true;
        });
    }

    @Override
    public boolean deleteDeadLetter(String subscriptionId, String deadLetterId) {
        return store.deleteDeadLetter(subscriptionId, deadLetterId);
    }

    @Override
    public List<StopNotification> notifications(BiConsumer<String, String> unreadable) {
        List<StopNotification> all = new ArrayList<>();
        store.notifications().forEach((id, document) -> {
            try {
                all.add(Documents.notification(id, document));
            } catch (RuntimeException e) {
                unreadable.accept(id, String.valueOf(e.getMessage()));
            }
        });
        return all;
    }

    @Override
    public boolean putNotification(StopNotification notification) {
        String document = Documents.notification(notification);
        return write(notification.subscriptionId(), () -> {
            store.putNotification(notification.subscriptionId(), document);
            return true;
        });
    }

    // ---- tumbling windows

    @Override
    public Optional<Window> window(String subscriptionId, String shardId) {
        String document = store.window(subscriptionId, shardId);
        return document == null ? Optional.empty() : Optional.of(Documents.window(document));
    }

    @Override
    public boolean putWindow(String subscriptionId, String shardId, Window window) {
        String document = Documents.window(window);
        return write(subscriptionId, () -> {
            store.putWindow(subscriptionId, shardId, document);
            return true;
        });
    }

    /** Runs a write unless the subscription is not stored (deleted); returns what it returned, false when skipped. */
    private boolean write(String subscriptionId, BooleanSupplier write) {
        ReentrantReadWriteLock lock = live.get(subscriptionId);
        if (lock == null) {
            return false;
        }
        lock.readLock().lock();
        try {
            return live.get(subscriptionId) == lock && write.getAsBoolean();
        } finally {
            lock.readLock().unlock();
        }
    }
}
