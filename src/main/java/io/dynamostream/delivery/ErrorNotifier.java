package io.dynamostream.delivery;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.dynamostream.guard.Redaction;
import io.dynamostream.subscription.DeliveryIncident;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionChanged;

/**
 * Sends the original tool's error notification {@code {"table_name", "message"}} to a subscription's destination when
 * it ends (ERROR or CLOSED), retried with backoff for a bounded time and across restarts by {@link StopNotifications}
 * (a deleted subscription cancels it); and the same with {@code kind}, {@code shard_id} and the sequence range when
 * records will not be delivered ({@link DeliveryIncident}), in one attempt, in the background (on this bean's own
 * executor, closed at shutdown): the receiver may well be the thing that is failing, and the subscription goes on.
 * An observer only: it never calls back.
 */
@ApplicationScoped
class ErrorNotifier {

    private static final Logger LOG = Logger.getLogger(ErrorNotifier.class);

    private final Destinations destinations;
    private final StopNotifications stops;
    private final ExecutorService sender = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("notify-", 0).factory());

    ErrorNotifier(Destinations destinations, StopNotifications stops) {
        this.destinations = destinations;
        this.stops = stops;
    }

    void onChange(@Observes SubscriptionChanged change) {
        switch (change.kind()) {
            case FAILED, CLOSED -> stops.stopped(change.subscription());
            case REMOVED -> stops.cancel(change.subscription().id());
            default -> {
                // running, paused or resumed: nothing to announce
            }
        }
    }

    /**
     * Records that will not be delivered (a gap, a skipped batch, a dead letter): the same notification, plus the
     * shard and the sequence range, so the receiver learns about it too (I1: never silent).
     */
    void onIncident(@Observes DeliveryIncident incident) {
        Subscription s = incident.subscription();
        send(s, Notifications.incident(s.tableName(), incident), incident.message());
    }

    private void send(Subscription s, byte[] body, String message) {
        sender.execute(() -> {
            // custom headers and signature too: a receiver that checks them must not drop the notification
            Destination.Attempt attempt = destinations.of(s).send(new Destination.Message(s, null,
                    WebhookSigner.notificationId(s.id(), message), body, List.of()));
            // an HTTP subscription's notifications go to its URL; an AWS destination's to its on-failure destination
            java.net.URI target = "arn".equals(s.url().getScheme()) ? s.settings().destination().onFailure() : s.url();
            if (target == null) {
                LOG.debugf("Incident notification for subscription %s not sent: %s", s.id(), attempt.describe());
            } else if (attempt.isSuccess()) {
                LOG.infof("Incident notification for subscription %s sent to %s", s.id(), Redaction.url(target));
            } else {
                LOG.warnf("Incident notification for subscription %s to %s failed: %s", s.id(),
                        Redaction.url(target), Redaction.text(attempt.describe()));
            }
        });
    }

    @PreDestroy
    void close() {
        sender.shutdownNow();
    }
}
