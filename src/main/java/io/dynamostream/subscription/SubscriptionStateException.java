package io.dynamostream.subscription;

/** A lifecycle action that the subscription's status does not allow (e.g. resume a RUNNING one): HTTP 409. */
public class SubscriptionStateException extends RuntimeException {

    public SubscriptionStateException(String message) {
        super(message);
    }
}
