package io.dynamostream.subscription;

import java.time.Instant;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * The registry's port to durable storage: what it needs to keep subscriptions across restarts. Implemented in
 * {@code state/}, which also owns the stored document format. Thread-safe; durable when a call returns.
 */
public interface SubscriptionStore {

    /** One stored subscription: its request in normal form (secrets included) and its lifecycle. */
    record Stored(String id, SubscriptionRequest request, Subscription.Source source, Instant createdAt,
            SubscriptionStatus status, String error, boolean started) {
    }

    /**
     * Every stored subscription, ordered by id. A document that cannot be read is left out and handed to
     * {@code unreadable} (id, reason), so the caller can report it.
     */
    List<Stored> load(BiConsumer<String, String> unreadable);

    /** Inserts or replaces a subscription. */
    void put(Stored subscription);

    /** Inserts or replaces several subscriptions, in one write where the store can (a subscription file's entries). */
    default void putAll(List<Stored> subscriptions) {
        subscriptions.forEach(this::put);
    }

    /**
     * Deletes a subscription with its checkpoints and dead letters. Writes for it that are in progress finish
     * first; later ones are ignored.
     */
    void delete(String id);

    /** One line for the startup log, e.g. "embedded (H2 MVStore) at /var/lib/dynamo-stream/state.mv.db". */
    String describe();
}
