package io.dynamostream.state;

import java.util.List;
import java.util.Optional;

import io.dynamostream.subscription.DeadLetter;

/**
 * Batches given up with {@code on_failure: dead_letter}, kept until they are re-delivered or deleted. Thread-safe,
 * durable on return; a dead letter of a subscription that was deleted (or never stored) is not kept.
 */
public interface DeadLetterStore {

    /** The subscription's dead letters, oldest first, with their bodies. */
    List<DeadLetter> deadLetters(String subscriptionId);

    /** One dead letter. */
    Optional<DeadLetter> deadLetter(String subscriptionId, String deadLetterId);

    /** Keeps a dead letter; returns false when its subscription is not stored (deleted meanwhile). */
    boolean putDeadLetter(DeadLetter letter);

    /** Removes a dead letter; returns whether it existed. */
    boolean deleteDeadLetter(String subscriptionId, String deadLetterId);
}
