package io.dynamostream.subscription;

/**
 * The registry holds {@code dynamo-stream.limits.max-subscriptions} subscriptions already. 409 Conflict: the request
 * is fine but conflicts with the current state; it succeeds once a subscription is deleted (429 would wrongly tell
 * the client to simply retry later).
 */
public class TooManySubscriptionsException extends RuntimeException {

    public TooManySubscriptionsException(int max) {
        super("subscription limit reached: " + max + " subscriptions are registered; delete one, or raise "
                + "dynamo-stream.limits.max-subscriptions");
    }
}
