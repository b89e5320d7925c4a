package io.dynamostream.subscription;

import java.util.Set;

/**
 * Every move between {@link SubscriptionStatus statuses} the registry makes, with the statuses it may start from
 * (the diagram in {@link SubscriptionStatus}). RETRYING is not stored: it is RUNNING with a shard being retried or
 * with a stream that cannot be read for now, so "from RUNNING" includes it.
 */
enum SubscriptionTransition {
    /** The API paused it: reading stops, the checkpoints stay. */
    PAUSE(Set.of(SubscriptionStatus.RUNNING), SubscriptionStatus.PAUSED, SubscriptionChanged.Kind.PAUSED,
            "only a STARTING, RUNNING or RETRYING subscription can be paused"),
    /** The API resumed a paused one: reading goes on from the checkpoints. */
    RESUME(Set.of(SubscriptionStatus.PAUSED), SubscriptionStatus.RUNNING, SubscriptionChanged.Kind.RESUMED,
            "only a PAUSED subscription can be resumed"),
    /** The API restarted one that ended: reading goes on from the checkpoints, the failed batch is tried again. */
    RESTART(Set.of(SubscriptionStatus.ERROR, SubscriptionStatus.CLOSED), SubscriptionStatus.RUNNING,
            SubscriptionChanged.Kind.RESUMED,
            "only a subscription in ERROR or CLOSED can be restarted (resume a PAUSED one)"),
    /** A terminal error (retries exhausted with on_failure stop, 410 Gone, table deleted, stream unreadable). */
    FAIL(Set.of(SubscriptionStatus.RUNNING), SubscriptionStatus.ERROR, SubscriptionChanged.Kind.FAILED, null),
    /** The stream was disabled or replaced and every record of it was delivered. */
    CLOSE(Set.of(SubscriptionStatus.RUNNING), SubscriptionStatus.CLOSED, SubscriptionChanged.Kind.CLOSED, null);

    final Set<SubscriptionStatus> from;
    final SubscriptionStatus to;
    final SubscriptionChanged.Kind event;
    /** Why the API cannot do it from another status (null: not an API action, refused silently). */
    final String rule;

    SubscriptionTransition(Set<SubscriptionStatus> from, SubscriptionStatus to, SubscriptionChanged.Kind event,
            String rule) {
        this.from = from;
        this.to = to;
        this.event = event;
        this.rule = rule;
    }

    boolean allowedFrom(SubscriptionStatus status) {
        return from.contains(status);
    }

    /** The verb, for "cannot pause subscription ...". */
    String verb() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
