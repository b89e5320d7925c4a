package io.dynamostream.delivery;

import java.time.Clock;
import java.util.Map;

import io.dynamostream.delivery.Destination.Attempt;

/**
 * The HTTP destination: one POST of the message's body to the subscription's URL with the Standard Webhooks headers
 * (signed per attempt, so a late retry's {@code webhook-timestamp} is its own time and stays within a verifier's
 * tolerance), the subscription's custom headers and, for a batch, {@code dynamo-stream-subscription-id} /
 * {@code dynamo-stream-shard-id}. A 2xx is delivered, {@code 410 Gone} is permanent, anything else (3xx, 4xx, 5xx,
 * timeouts, connection errors, a refused destination) is retryable, with the {@code Retry-After} of a 429/503.
 */
final class HttpDestination implements Destination {

    private final HttpPoster poster;
    private final Clock clock;

    HttpDestination(HttpPoster poster, Clock clock) {
        this.poster = poster;
        this.clock = clock;
    }

    @Override
    public Attempt send(Message m) {
        long now = clock.instant().getEpochSecond();
        Map<String, String> headers = m.shardId() == null
                ? WebhookSigner.headers(m.subscription(), m.deliveryId(), m.body(), now)
                : WebhookSigner.batchHeaders(m.subscription(), m.shardId(), m.deliveryId(), m.body(), now);
        // the subscription's id: its POSTs share its own cap of connections, never another subscription's (I6)
        return attempt(poster.post(m.subscription().id(), m.subscription().url(), m.body(), headers));
    }

    static Attempt attempt(HttpPoster.Response r) {
        if (r.isSuccess()) {
            return new Attempt.Delivered(r.describe(), r.outcome(), r.took());
        }
        if (r.status() == 410) {
            return new Attempt.Permanent("receiver answered 410 Gone: " + r.describe(), r.outcome(), r.took());
        }
        return new Attempt.Retryable(r.describe(), r.retryAfter(), r.outcome(), r.took());
    }
}
