package io.dynamostream.delivery;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * At most {@code perKey} calls in flight per key (a subscription id), each key on its own: a key whose calls hang
 * uses up only its own permits. Waiters of a key are served in order of arrival (fair semaphore). A key's entry lives
 * only while a call holds or waits for one of its permits, so removed subscriptions leave nothing behind.
 *
 * <p>Thread-safe: an entry's user count only changes inside {@link ConcurrentHashMap#compute}, which also removes the
 * entry when the count reaches 0; the semaphore is waited on outside the map's lock.
 */
final class InFlightLimit {

    /** A held permit; {@link #close} gives it back (once). */
    interface Permit extends AutoCloseable {
        @Override
        void close();
    }

    private static final class Entry {
        final Semaphore permits;
        int users; // holders and waiters; guarded by the map's compute

        Entry(int permits) {
            this.permits = new Semaphore(permits, true);
        }
    }

    private final int perKey;
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

    InFlightLimit(int perKey) {
        if (perKey < 1) {
            throw new IllegalArgumentException("perKey must be at least 1, not " + perKey);
        }
        this.perKey = perKey;
    }

    /** Waits for a permit of the key (as long as it takes: every holder is bounded by its own timeout). */
    Permit acquire(String key) throws InterruptedException {
        Entry entry = entries.compute(key, (k, e) -> {
            Entry x = e == null ? new Entry(perKey) : e;
            x.users++;
            return x;
        });
        try {
            entry.permits.acquire();
        } catch (InterruptedException e) {
            leave(key);
            throw e;
        }
        java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
        return () -> {
            if (closed.compareAndSet(false, true)) {
                entry.permits.release();
                leave(key);
            }
        };
    }

    /** Calls of the key in flight now (for tests and diagnostics). */
    int inFlight(String key) {
        Entry e = entries.get(key);
        return e == null ? 0 : perKey - e.permits.availablePermits();
    }

    /** Keys with a call in flight or waiting. */
    int keys() {
        return entries.size();
    }

    private void leave(String key) {
        entries.computeIfPresent(key, (k, e) -> --e.users == 0 ? null : e);
    }
}
