package io.dynamostream.delivery;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.dynamostream.config.DynamoStreamConfig;
import io.dynamostream.config.NotificationSettings;
import io.dynamostream.guard.Redaction;
import io.dynamostream.metrics.StreamMetrics.AttemptOutcome;
import io.dynamostream.state.NotificationStore;
import io.dynamostream.subscription.StopNotification;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionRegistry;
import io.quarkus.runtime.StartupEvent;

/**
 * The error notification {@code {"table_name", "message"}} of a subscription that stopped (ERROR or CLOSED), taken
 * to the receiver even when it is down at that moment, which is the usual reason the subscription stopped:
 * attempts through the subscription's {@link Destination} (so the SSRF guard, the custom headers and the signature
 * apply to each, as to a batch), exponential backoff with jitter between them ({@link RetryPolicy}, at least what a
 * {@code Retry-After} asks, at most {@link BatchDelivery#MAX_RETRY_AFTER}), for at most
 * {@code dynamo-stream.notification.retry-for} after the stop; the last attempt is made at that bound. A 2xx makes it
 * {@link StopNotification.State#DELIVERED}; a {@code 410 Gone}, or a failure at the bound, makes it
 * {@link StopNotification.State#GAVE_UP}.
 *
 * <p>Every change of a notification is stored ({@link NotificationStore}) before the next wait, so a notification
 * pending at a restart (or a crash) is resumed at startup, at the time its next attempt was due, with its attempts
 * counted. Every attempt sends the same body with the same {@code webhook-id}. A later stop of the same subscription
 * replaces its notification; deleting the subscription cancels it (the store deletes it with the subscription). The
 * fate of the last notification of each subscription is kept in memory for the API ({@link #status}).
 *
 * <p>Time comes from the injected clock and sleeper, so every rule is tested without waiting. Thread-safe: each
 * pending notification has its own thread ({@code notify-N}, virtual, on this bean's executor, closed at shutdown);
 * {@link #stopped} and {@link #cancel} are called by the observers of the registry's events, {@link #status} by the
 * API. Stored writes of all notifications are serialised on one monitor (they are rare), so an older notification's
 * last write can never overwrite a newer one's; reads take no lock.
 */
@ApplicationScoped
public class StopNotifications {

    private static final Logger LOG = Logger.getLogger(StopNotifications.class);

    /** One notification being tracked; {@code current} is its latest state. */
    private static final class Tracked {
        private volatile StopNotification current;

        Tracked(StopNotification notification) {
            this.current = notification;
        }

        String id() {
            return current.subscriptionId();
        }
    }

    private final NotificationStore store;
    private final Destinations destinations;
    private final Function<String, Optional<Subscription>> subscriptions;
    private final RetryPolicy backoff;
    private final Duration retryFor;
    private final Clock clock;
    private final Sleeper sleeper;
    private final Executor executor;
    /** Subscription id → its last notification; one that is no longer in here stops being retried. */
    private final Map<String, Tracked> notifications = new ConcurrentHashMap<>();
    private final Object writes = new Object();
    private volatile boolean closed;

    @Inject
    StopNotifications(NotificationStore store, Destinations destinations, SubscriptionRegistry registry,
            DynamoStreamConfig config) {
        this(store, destinations, registry::find, policy(config.notification()), config.notification().retryFor(),
                Clock.systemUTC(), Sleeper.SYSTEM,
                Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("notify-", 0).factory()));
    }

    /**
     * @param subscriptions the current snapshot of a subscription (empty once deleted): each attempt uses its URL,
     *        headers and secrets as they are then
     * @param retryFor how long after the stop attempts go on (zero: one attempt)
     * @param executor runs each notification's attempts and waits; an {@link ExecutorService} is shut down by
     *        {@link #close}
     */
    StopNotifications(NotificationStore store, Destinations destinations,
            Function<String, Optional<Subscription>> subscriptions, RetryPolicy backoff, Duration retryFor,
            Clock clock, Sleeper sleeper, Executor executor) {
        this.store = store;
        this.destinations = destinations;
        this.subscriptions = subscriptions;
        this.backoff = backoff;
        this.retryFor = retryFor.isNegative() ? Duration.ZERO : retryFor;
        this.clock = clock;
        this.sleeper = sleeper;
        this.executor = executor;
    }

    private static RetryPolicy policy(NotificationSettings settings) {
        return new RetryPolicy(settings.initialBackoff(), settings.maxBackoff());
    }

    /** The last stop notification of the subscription and its fate; empty when it never stopped. */
    public Optional<StopNotification> status(String subscriptionId) {
        Tracked t = notifications.get(subscriptionId);
        return t == null ? Optional.empty() : Optional.of(t.current);
    }

    /**
     * The subscription stopped: its notification is stored as pending (before this returns, so that it survives a
     * crash right after) and sent in the background. Replaces an earlier notification of the same subscription,
     * whose retries end.
     */
    void stopped(Subscription s) {
        Tracked t = new Tracked(StopNotification.pending(s.id(), s.tableName(), s.error(), clock.instant()));
        synchronized (writes) {
            notifications.put(s.id(), t);
            if (!persist(t.current)) {
                notifications.remove(s.id(), t);
                return;
            }
        }
        start(t);
    }

    /** The subscription was deleted: its notification is no longer retried (the store deleted it with it). */
    void cancel(String subscriptionId) {
        Tracked t = notifications.remove(subscriptionId);
        if (t != null && t.current.isPending()) {
            LOG.infof("Error notification for subscription %s cancelled: the subscription was deleted",
                    subscriptionId);
        }
    }

    /** At startup, once the registry has loaded the subscriptions: the stored notifications, pending ones resumed. */
    void onStart(@Observes @Priority(200) StartupEvent event) {
        resume();
    }

    /**
     * Loads the stored notifications (their fate shows in the API again) and resumes the pending ones, each at the
     * time its next attempt was due (at once when that passed while the service was down; one attempt even when the
     * bound passed too). A notification of a subscription that is no longer known is left alone.
     */
    void resume() {
        int pending = 0;
        for (StopNotification n : store.notifications((id, reason) -> LOG.errorf(
                "Stored error notification of subscription %s cannot be read and is ignored: %s", id,
                Redaction.text(reason)))) {
            if (subscriptions.apply(n.subscriptionId()).isEmpty()) {
                continue;
            }
            Tracked t = new Tracked(n);
            if (notifications.putIfAbsent(n.subscriptionId(), t) != null) {
                continue; // the subscription stopped again since this start: the newer notification counts
            }
            if (n.isPending()) {
                pending++;
                start(t);
            }
        }
        if (pending > 0) {
            LOG.infof("Resuming %d pending error notifications", pending);
        }
    }

    private void start(Tracked t) {
        executor.execute(() -> {
            try {
                deliver(t);
            } catch (InterruptedException e) {
                // shutting down: it stays pending in the store and is resumed at the next start
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                LOG.errorf(e, "Error notification for subscription %s failed unexpectedly", t.id());
            }
        });
    }

    /** Attempts until delivered, given up, replaced, cancelled or shut down. */
    private void deliver(Tracked t) throws InterruptedException {
        Duration due = Duration.between(clock.instant(), t.current.nextAttemptAt());
        if (due.isPositive() && !sleeper.sleep(due, () -> retrying(t))) {
            return;
        }
        while (retrying(t)) {
            StopNotification n = t.current;
            Optional<Subscription> s = subscriptions.apply(n.subscriptionId());
            if (s.isEmpty()) {
                cancel(n.subscriptionId());
                return;
            }
            Destination.Attempt attempt = send(s.get(), n);
            Instant now = clock.instant();
            int number = n.attempts() + 1;
            String url = Redaction.url(s.get().url());
            if (attempt.isSuccess()) {
                update(t, n.delivered(now));
                LOG.infof("Error notification for subscription %s sent to %s (attempt %d)", n.subscriptionId(), url,
                        number);
                return;
            }
            if (closed) {
                return; // the attempt the shutdown cut short: made again after the restart
            }
            String error = attempt.describe();
            Instant deadline = n.stoppedAt().plus(retryFor);
            if (attempt instanceof Destination.Attempt.Permanent || !now.isBefore(deadline)) {
                if (update(t, n.gaveUp(now, error))) {
                    LOG.errorf("Error notification for subscription %s to %s given up after %s%s: %s",
                            n.subscriptionId(), url, number == 1 ? "1 attempt" : number + " attempts", attempt instanceof Destination.Attempt.Permanent ? ""
                                    : " (dynamo-stream.notification.retry-for " + retryFor + ")",
                            Redaction.text(error));
                }
                return;
            }
            Duration wait = wait(number, attempt, now, deadline);
            if (!update(t, n.retrying(now, error, now.plus(wait)))) {
                return;
            }
            LOG.warnf("Error notification for subscription %s: attempt %d to %s failed: %s; retrying in %d ms",
                    n.subscriptionId(), number, url, Redaction.text(error), wait.toMillis());
            if (!sleeper.sleep(wait, () -> retrying(t))) {
                return;
            }
        }
    }

    /**
     * The wait after failed attempt {@code number}: the backoff, or what a {@code Retry-After} asks when longer (at
     * most {@link BatchDelivery#MAX_RETRY_AFTER}), but never past the deadline, where the last attempt is made.
     */
    private Duration wait(int number, Destination.Attempt attempt, Instant now, Instant deadline) {
        Duration wait = backoff.backoff(number);
        if (attempt instanceof Destination.Attempt.Retryable r && r.delay() != null && r.delay().compareTo(wait) > 0) {
            wait = r.delay().compareTo(BatchDelivery.MAX_RETRY_AFTER) > 0 ? BatchDelivery.MAX_RETRY_AFTER : r.delay();
        }
        Duration left = Duration.between(now, deadline);
        return wait.compareTo(left) > 0 ? left : wait;
    }

    private Destination.Attempt send(Subscription s, StopNotification n) {
        try {
            // custom headers and signature too: a receiver that checks them must not drop the notification
            return destinations.of(s).send(new Destination.Message(s, null,
                    WebhookSigner.notificationId(s.id(), n.message()), Notifications.error(n.tableName(), n.message()),
                    List.of()));
        } catch (RuntimeException e) {
            return new Destination.Attempt.Retryable(String.valueOf(e), null, AttemptOutcome.ERROR, Duration.ZERO);
        }
    }

    /** Whether {@code t} is still the subscription's notification and the service is not stopping. */
    private boolean retrying(Tracked t) {
        return !closed && notifications.get(t.id()) == t;
    }

    /** Records the new state of {@code t} (memory and store) unless it was replaced or cancelled meanwhile. */
    private boolean update(Tracked t, StopNotification next) {
        synchronized (writes) {
            if (notifications.get(t.id()) != t) {
                return false;
            }
            t.current = next;
            if (!persist(next)) {
                notifications.remove(t.id(), t);
                return false;
            }
            return true;
        }
    }

    /** Stores the notification; false when its subscription is no longer stored (deleted). */
    private boolean persist(StopNotification n) {
        try {
            return store.putNotification(n);
        } catch (RuntimeException e) {
            // kept in memory and still attempted; only a restart before the next successful write would lose it
            if (closed) {
                LOG.debugf(e, "Error notification of subscription %s not stored while stopping", n.subscriptionId());
            } else {
                LOG.warnf("Error notification of subscription %s could not be stored: %s", n.subscriptionId(),
                        Redaction.text(String.valueOf(e.getMessage())));
            }
            return true;
        }
    }

    /** Ends the retries (pending notifications stay stored as they are, for the next start). */
    @PreDestroy
    void close() {
        closed = true;
        if (executor instanceof ExecutorService service) {
            service.shutdownNow();
        }
    }
}
