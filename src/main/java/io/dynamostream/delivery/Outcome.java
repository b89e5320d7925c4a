package io.dynamostream.delivery;

/** How the delivery of one batch ended. */
public sealed interface Outcome {

    /** A 2xx: the batch is acknowledged. */
    record Delivered(int status, int attempts) implements Outcome {
    }

    /** Every attempt failed; {@code message} says why the last one did. */
    record GaveUp(String message) implements Outcome {
    }

    /** The receiver answered 410 Gone: it wants no more deliveries. */
    record Gone(String message) implements Outcome {
    }

    /** The subscription was removed or the service is stopping; the batch was not acknowledged. */
    record Cancelled() implements Outcome {
    }
}
