package io.dynamostream.subscription;

import java.time.Duration;

/**
 * How one subscription's batches are formed and what happens when one cannot be delivered. Names follow AWS Lambda's
 * event-source mapping (snake_case in YAML and JSON).
 *
 * @param batchSize records at most per POST, 1 to 10,000 ({@code batch_size}, default 100)
 * @param batchingWindow how long to wait for a full batch, 0 to 300 s ({@code maximum_batching_window_in_seconds},
 *        default 0: send what is there)
 * @param maximumRetryAttempts retries after the first attempt of a batch, -1 (until the records are too old, or
 *        forever) to 10,000 ({@code maximum_retry_attempts}, default 9: ten attempts, then {@code on_failure})
 * @param maximumRecordAge a batch whose oldest record is older than this is given up; null = no limit
 *        ({@code maximum_record_age_in_seconds}, -1 or 60 to 604,800, default -1)
 * @param bisectOnError split a failing batch in two and retry each half, to isolate a poison record; a split does
 *        not use up retries ({@code bisect_batch_on_function_error}, default false)
 * @param onFailure what happens to a batch that is given up ({@code on_failure}, default {@code stop}; {@code skip}
 *        when an on-failure destination is set, as in Lambda)
 * @param destination the destination's own options: endpoint, message format, on-failure destination
 * @param mapping filters, partial batch responses, tumbling windows and parallel batches per shard
 */
public record DeliverySettings(int batchSize, Duration batchingWindow, int maximumRetryAttempts,
        Duration maximumRecordAge, boolean bisectOnError, OnFailure onFailure, DestinationOptions destination,
        MappingOptions mapping) {

    public DeliverySettings {
        if (destination == null) {
            destination = DestinationOptions.NONE;
        }
        if (mapping == null) {
            mapping = MappingOptions.NONE;
        }
    }

    /** Settings without the event-source-mapping options (no filter, no window, one batch per shard). */
    public DeliverySettings(int batchSize, Duration batchingWindow, int maximumRetryAttempts,
            Duration maximumRecordAge, boolean bisectOnError, OnFailure onFailure, DestinationOptions destination) {
        this(batchSize, batchingWindow, maximumRetryAttempts, maximumRecordAge, bisectOnError, onFailure, destination,
                MappingOptions.NONE);
    }

    /** These settings with other event-source-mapping options. */
    public DeliverySettings withMapping(MappingOptions options) {
        return new DeliverySettings(batchSize, batchingWindow, maximumRetryAttempts, maximumRecordAge, bisectOnError,
                onFailure, destination, options);
    }

    /** Settings without destination options (an HTTP URL, no on-failure destination). */
    public DeliverySettings(int batchSize, Duration batchingWindow, int maximumRetryAttempts,
            Duration maximumRecordAge, boolean bisectOnError, OnFailure onFailure) {
        this(batchSize, batchingWindow, maximumRetryAttempts, maximumRecordAge, bisectOnError, onFailure,
                DestinationOptions.NONE, MappingOptions.NONE);
    }

    public static final int DEFAULT_BATCH_SIZE = 100;
    public static final int MAX_BATCH_SIZE = 10_000;
    public static final int MAX_BATCHING_WINDOW_SECONDS = 300;
    public static final int DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 9;
    public static final int MAX_RETRY_ATTEMPTS = 10_000;
    public static final int MIN_RECORD_AGE_SECONDS = 60;
    public static final int MAX_RECORD_AGE_SECONDS = 604_800;

    /** Lambda's defaults, except retries: ten attempts then {@code stop}, the original tool's ERROR + notification. */
    public static final DeliverySettings DEFAULTS = new DeliverySettings(DEFAULT_BATCH_SIZE, Duration.ZERO,
            DEFAULT_MAXIMUM_RETRY_ATTEMPTS, null, false, OnFailure.STOP);

    /** Whether retries go on until the record age limit (or forever). */
    public boolean retriesForever() {
        return maximumRetryAttempts < 0;
    }

    /** What happens to a batch that is given up. */
    public enum OnFailure {
        /** Error notification, subscription status ERROR: the original tool's behaviour. */
        STOP,
        /** Report (log at ERROR, metric, notification) and go on with the next batch. */
        SKIP,
        /** Keep the batch in the dead-letter store with the reason, and go on; list and re-deliver it via the API. */
        DEAD_LETTER
    }
}
