package io.dynamostream.state;

import java.util.List;
import java.util.function.BiConsumer;

import io.dynamostream.subscription.StopNotification;

/**
 * The stop notification of each subscription and its fate, kept so that a pending one is retried after a restart and
 * the API can show what became of the last one. One per subscription: a put replaces it; it is deleted with its
 * subscription. Thread-safe, durable on return; a notification of a subscription that was deleted (or never stored)
 * is not kept.
 */
public interface NotificationStore {

    /**
     * Every stored notification, ordered by subscription id. A document that cannot be read is left out and handed
     * to {@code unreadable} (subscription id, reason).
     */
    List<StopNotification> notifications(BiConsumer<String, String> unreadable);

    /** Keeps (or replaces) a subscription's notification; returns false when its subscription is not stored. */
    boolean putNotification(StopNotification notification);
}
