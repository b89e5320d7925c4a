package io.dynamostream.delivery;

import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.dynamostream.subscription.Redaction;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionChanged;

/**
 * Sends the original tool's error notification {@code {"table_name", "message"}} to a subscription's URL when it ends
 * in ERROR. One attempt, in the background: the receiver may well be the thing that is failing.
 */
@ApplicationScoped
public class ErrorNotifier {

    private static final Logger LOG = Logger.getLogger(ErrorNotifier.class);

    private final HttpDelivery http;

    public ErrorNotifier(HttpDelivery http) {
        this.http = http;
    }

    void onChange(@Observes SubscriptionChanged change) {
        if (change.kind() != SubscriptionChanged.Kind.FAILED) {
            return;
        }
        Subscription s = change.subscription();
        byte[] body = LambdaPayload.errorNotification(s.tableName(), s.error());
        Thread.ofVirtual().name("notify-" + s.id()).start(() -> {
            // custom headers and signature too: a receiver that checks them must not drop the notification
            HttpDelivery.Attempt attempt = http.post(s.url(), body, WebhookSigner.headers(s,
                    WebhookSigner.notificationId(s.id(), s.error()), body, Instant.now().getEpochSecond()));
            if (attempt.isSuccess()) {
                LOG.infof("Error notification for subscription %s sent to %s", s.id(), Redaction.url(s.url()));
            } else {
                LOG.warnf("Error notification for subscription %s to %s failed: %s", s.id(), Redaction.url(s.url()),
                        Redaction.text(attempt.describe()));
            }
        });
    }
}
