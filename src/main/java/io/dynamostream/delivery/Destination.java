package io.dynamostream.delivery;

import java.time.Duration;
import java.util.List;

import io.dynamostream.metrics.StreamMetrics.AttemptOutcome;
import io.dynamostream.subscription.Subscription;
import software.amazon.awssdk.services.dynamodb.model.Record;

/**
 * The destination port: one attempt to hand one message to where a subscription sends its records, and what came of
 * it. Everything around an attempt (batching, retries and backoff, bisection, record age, {@code on_failure}, dead
 * letters, checkpoints, metrics) is shared and belongs to {@link BatchDelivery}, which never knows the destination
 * type; a destination only delivers.
 *
 * <p>Contract of an implementation: thread-safe (many cursors call it at once); {@link #send} blocks for at most the
 * destination's own timeout (plus, where the destination caps a subscription's attempts in flight, the wait for a
 * turn behind that subscription's own earlier attempts, never another subscription's), never throws for a delivery problem (that is a {@link Attempt.Retryable} or
 * {@link Attempt.Permanent}), and returns promptly with a failed attempt when its thread is interrupted. The same
 * message may be sent again (retries, restarts): its {@link Message#deliveryId()} is the same each time, so a
 * destination that can de-duplicate should use it.
 *
 * <p>To add a destination type: implement this interface and let {@link Destinations} pick it for the subscription
 * URLs it serves. Nothing in reading, cursors or retries changes.
 */
public interface Destination {

    /** One attempt, no retry. */
    Attempt send(Message message);

    /**
     * Where a batch given up goes as Lambda's invocation record (the subscription's
     * {@code destination_config.on_failure.destination}); null when it has none.
     */
    default Destination onFailure() {
        return null;
    }

    /** The metrics label of the destination type: {@code http}, {@code lambda}, {@code sqs}, ... */
    default String type() {
        return "http";
    }

    /**
     * What one attempt delivers.
     *
     * @param subscription the subscription (its URL, headers, secrets)
     * @param shardId the shard the records come from; null for a notification
     * @param deliveryId the same for every attempt of the same records, and after a restart
     * @param body the exact bytes to send ({@code {"Records":[...]}} for a batch), the same for every attempt
     * @param records the records of a batch, in stream order; empty for a notification
     */
    record Message(Subscription subscription, String shardId, String deliveryId, byte[] body, List<Record> records) {
    }

    /** The answer to one attempt: delivered, worth retrying (maybe not before a delay), or never deliverable. */
    sealed interface Attempt {

        /** The metrics label of the attempt. */
        AttemptOutcome outcome();

        /** How long the attempt took. */
        Duration took();

        /** One line for logs and the API: status and reason. */
        String describe();

        default boolean isSuccess() {
            return this instanceof Delivered;
        }

        /**
         * The destination confirmed the message (HTTP: a 2xx; Lambda: a 2xx without a function error; a queue,
         * topic, stream or bus: every entry accepted).
         *
         * @param response what the destination answered where that means something (a Lambda function's response
         *        payload, which may carry {@code batchItemFailures}); null otherwise
         */
        record Delivered(String describe, AttemptOutcome outcome, Duration took, byte[] response) implements Attempt {

            public Delivered(String describe, AttemptOutcome outcome, Duration took) {
                this(describe, outcome, took, null);
            }
        }

        /**
         * Not delivered this time; another attempt may succeed.
         *
         * @param delay the least wait the destination asked for before the next attempt ({@code Retry-After}), null
         *        when it did not ask
         */
        record Retryable(String describe, Duration delay, AttemptOutcome outcome, Duration took) implements Attempt {
        }

        /**
         * The destination will never accept anything for this subscription again (HTTP: 410 Gone): the subscription
         * ends in ERROR at once, whatever {@code on_failure} says.
         */
        record Permanent(String describe, AttemptOutcome outcome, Duration took) implements Attempt {
        }

        /**
         * These records will never be accepted as they are (Lambda's 400, 404, 413, 415; a record over the
         * service's size limit): no retry; the batch goes to {@code on_failure} at once, or, when {@code split} and
         * it has more than one record, is split in two and each half sent on its own (a payload over Lambda's 6 MB,
         * an entry over a queue's limit), which does not use up retries.
         */
        record Rejected(String describe, boolean split, AttemptOutcome outcome, Duration took) implements Attempt {
        }
    }
}
