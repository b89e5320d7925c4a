package io.dynamostream.delivery;

import java.time.Clock;
import java.util.Map;

import io.dynamostream.delivery.Destination.Attempt;
import io.dynamostream.metrics.StreamMetrics.AttemptOutcome;
import io.dynamostream.subscription.MappingOptions;

/**
 * The HTTP destination: one POST of the message's body to the subscription's URL with the Standard Webhooks headers
 * (signed per attempt, so a late retry's {@code webhook-timestamp} is its own time and stays within a verifier's
 * tolerance), the subscription's custom headers and, for a batch, {@code dynamo-stream-subscription-id} /
 * {@code dynamo-stream-shard-id}. A 2xx is delivered, {@code 410 Gone} is permanent, anything else (3xx, 4xx, 5xx,
 * timeouts, connection errors, a refused destination) is retryable, with the {@code Retry-After} of a 429/503.
 *
 * <p>The body of a 2xx is kept (up to {@link #MAX_RESPONSE}) only for a subscription that reads it
 * ({@code function_response_types: [ReportBatchItemFailures]}, a tumbling window); otherwise it is read and dropped.
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
        int keep = m.shardId() != null && readsResponse(m.subscription().settings().mapping()) ? MAX_RESPONSE : 0;
        return attempt(poster.post(m.subscription().id(), m.subscription().url(), m.body(), headers, keep));
    }

    /**
     * Lambda's limit on a synchronous invoke's response payload: a receiver's answer to a batch is kept up to this
     * size when the subscription reads it; a larger one is a failed attempt, as a too-large response is on Lambda.
     */
    static final int MAX_RESPONSE = 6 * 1024 * 1024;

    /** Whether the body of a 2xx means something for the subscription: partial batch responses, window state. */
    static boolean readsResponse(MappingOptions mapping) {
        return mapping.reportBatchItemFailures() || mapping.windowed();
    }

    static Attempt attempt(HttpPoster.Response r) {
        if (r.isSuccess() && r.responseTooLarge()) {
            return new Attempt.Retryable(r.describe() + " with a response body over " + MAX_RESPONSE / (1024 * 1024)
                    + " MB (Lambda's limit for a function's response)", null, AttemptOutcome.ERROR, r.took());
        }
        if (r.isSuccess()) {
            return new Attempt.Delivered(r.describe(), r.outcome(), r.took(), r.body());
        }
        if (r.status() == 410) {
            return new Attempt.Permanent("receiver answered 410 Gone: " + r.describe(), r.outcome(), r.took());
        }
        return new Attempt.Retryable(r.describe(), r.retryAfter(), r.outcome(), r.took());
    }
}
