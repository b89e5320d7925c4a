package io.dynamostream.subscription;

import java.time.Duration;
import java.util.List;

/**
 * The parts of AWS Lambda's DynamoDB event-source mapping beyond batching and retries: which records are delivered,
 * how a receiver reports a partial failure, stateful windows, and concurrent batches per shard. Names follow Lambda
 * (snake_case in YAML and JSON; Lambda's own names are read too).
 *
 * @param filterPatterns the event-filter patterns ({@code filter_criteria.filters[].pattern}), 0 to
 *        {@link #MAX_FILTERS}, each the JSON text in normal form: a record is delivered when it matches any of them
 *        (all records when there is none); the others advance the checkpoint without being sent
 * @param reportBatchItemFailures {@code function_response_types: [ReportBatchItemFailures]}: a 2xx whose body is
 *        {@code {"batchItemFailures": [...]}} acknowledges only the records before the lowest failed one
 * @param tumblingWindow {@code tumbling_window_in_seconds}, 0 (no window) to 900 s
 * @param parallelizationFactor {@code parallelization_factor}, 1 to 10 batches of one shard in flight at once, the
 *        records spread by a hash of the item's keys
 */
public record MappingOptions(List<String> filterPatterns, boolean reportBatchItemFailures, Duration tumblingWindow,
        int parallelizationFactor) {

    public static final int MAX_FILTERS = 5;
    public static final int MAX_TUMBLING_WINDOW_SECONDS = 900;
    public static final int MAX_PARALLELIZATION_FACTOR = 10;
    /** Lambda's only response type for streams. */
    public static final String REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures";

    /** No filter, the body of a 2xx ignored, no window, one batch per shard at a time. */
    public static final MappingOptions NONE = new MappingOptions(List.of(), false, Duration.ZERO, 1);

    public MappingOptions {
        filterPatterns = List.copyOf(filterPatterns);
    }

    /** Whether some records may be filtered out. */
    public boolean filtered() {
        return !filterPatterns.isEmpty();
    }

    /** Whether invokes carry tumbling-window fields and state. */
    public boolean windowed() {
        return !tumblingWindow.isZero();
    }
}
