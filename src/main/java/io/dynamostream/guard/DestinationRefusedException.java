package io.dynamostream.guard;

/**
 * A destination the guard will not connect to. The message starts with {@code "refused destination: "} and is meant
 * for users (API error bodies, subscription {@code error}); it never contains URL credentials.
 */
public class DestinationRefusedException extends Exception {

    DestinationRefusedException(String reason) {
        super("refused destination: " + reason, null, false, false);
    }
}
