package io.dynamostream.delivery;

import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.github.f4b6a3.ulid.UlidCreator;

import io.dynamostream.state.DeadLetterStore;
import io.dynamostream.subscription.DeadLetter;
import io.dynamostream.subscription.DeliveryIncident;
import io.dynamostream.subscription.Subscription;

/**
 * Batches given up with {@code on_failure: dead_letter}: kept with the reason and the exact body
 * ({@link #keep}), listed, deleted, and re-delivered through the subscription's destination with the same body bytes
 * and the same delivery id ({@link #redeliver}). Thread-safe.
 */
@ApplicationScoped
public class DeadLetters {

    private final DeadLetterStore store;
    private final Incidents incidents;
    private final Destinations destinations;
    private final Clock clock;

    @Inject
    DeadLetters(DeadLetterStore store, Incidents incidents, Destinations destinations) {
        this(store, incidents, destinations, Clock.systemUTC());
    }

    /** For tests. */
    public DeadLetters(DeadLetterStore store, Incidents incidents, Destinations destinations, Clock clock) {
        this.store = store;
        this.incidents = incidents;
        this.destinations = destinations;
        this.clock = clock;
    }

    /**
     * Keeps a batch that was given up (stored before this returns) and reports it. Nothing is kept when the
     * subscription was deleted meanwhile.
     */
    public void keep(Subscription s, String shardId, String first, String last, int records, String reason,
            byte[] body) {
        String letterId = UlidCreator.getMonotonicUlid().toString();
        DeadLetter letter = new DeadLetter(letterId, s.id(), shardId, first, last, records, reason, clock.instant(),
                WebhookSigner.batchId(s.id(), shardId, first, last), Base64.getEncoder().encodeToString(body));
        if (store.putDeadLetter(letter)) {
            incidents.report(new DeliveryIncident(DeliveryIncident.Kind.DEAD_LETTER, s, shardId, first, last, records,
                    "batch of " + records + " records (shard " + shardId + ", sequence numbers " + first + " to "
                            + last + ") kept as dead letter " + letterId + ": " + reason));
        }
    }

    /** A subscription's dead letters, oldest first, with their bodies. */
    public List<DeadLetter> list(String subscriptionId) {
        return store.deadLetters(subscriptionId);
    }

    public Optional<DeadLetter> find(String subscriptionId, String letterId) {
        return store.deadLetter(subscriptionId, letterId);
    }

    /** Deletes a dead letter (given up for good); returns whether it existed. */
    public boolean delete(String subscriptionId, String letterId) {
        return store.deleteDeadLetter(subscriptionId, letterId);
    }

    /** Sends a dead letter once, as it was sent before; on success it is deleted. */
    public Destination.Attempt redeliver(Subscription s, DeadLetter letter) {
        byte[] body = Base64.getDecoder().decode(letter.body());
        Destination.Attempt attempt = destinations.of(s).send(new Destination.Message(s, letter.shardId(),
                letter.webhookId(), body, List.of()));
        if (attempt.isSuccess()) {
            store.deleteDeadLetter(s.id(), letter.id());
        }
        return attempt;
    }

    /**
     * Re-delivers every dead letter, oldest first, stopping at the first that fails (so their order is kept).
     *
     * @return how many were delivered, and the failed attempt with its letter (empty when all went)
     */
    public Redelivery redeliverAll(Subscription s) {
        List<DeadLetter> letters = list(s.id());
        int delivered = 0;
        for (DeadLetter letter : letters) {
            Destination.Attempt attempt = redeliver(s, letter);
            if (!attempt.isSuccess()) {
                return new Redelivery(delivered, letters.size(), Optional.of(letter), Optional.of(attempt));
            }
            delivered++;
        }
        return new Redelivery(delivered, letters.size(), Optional.empty(), Optional.empty());
    }

    /** What {@link #redeliverAll} did. */
    public record Redelivery(int delivered, int total, Optional<DeadLetter> failedLetter,
            Optional<Destination.Attempt> failure) {
    }
}
