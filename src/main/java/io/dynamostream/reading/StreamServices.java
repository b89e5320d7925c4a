package io.dynamostream.reading;

import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;

import io.dynamostream.config.DynamoStreamConfig;
import io.dynamostream.delivery.BatchDelivery;
import io.dynamostream.delivery.DeadLetters;
import io.dynamostream.delivery.Destinations;
import io.dynamostream.delivery.Incidents;
import io.dynamostream.delivery.RetryPolicy;
import io.dynamostream.delivery.Sleeper;
import io.dynamostream.metrics.StreamMetrics;
import io.dynamostream.state.CheckpointStore;
import io.dynamostream.state.WindowStore;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionRegistry;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * What every {@link TableStream} of the supervisor shares: the AWS clients, the settings, the registry and stores,
 * delivery's parts, and the executors the supervisor owns (readers and cursors each run on a virtual thread of
 * these; closed by the supervisor at shutdown).
 *
 * @param windows where tumbling windows and their state are kept (the state store)
 * @param quietTimer runs the readers of quiet shards again when their poll interval has passed
 * @param ended told when a subscription of a table ended (ERROR or CLOSED), so the supervisor detaches it
 */
record StreamServices(DynamoDbClient dynamoDb, DynamoDbStreamsClient streams, DynamoStreamConfig.Reader reader,
        SubscriptionRegistry registry, CheckpointStore checkpoints, WindowStore windows, Destinations destinations,
        RetryPolicy retryPolicy, DeadLetters deadLetters, Incidents incidents, StreamMetrics metrics, Clock clock,
        Sleeper sleeper,
        ExecutorService readers, ExecutorService cursors, ScheduledExecutorService quietTimer,
        TableStream.Ended ended) {

    /** The delivery of one subscription's batches on one shard of {@code streamArn}. */
    BatchDelivery delivery(Subscription subscription, String streamArn, String shardId,
            BooleanSupplier running) {
        return new BatchDelivery(subscription, streamArn, shardId, destinations.of(subscription), retryPolicy, clock,
                sleeper, deadLetters, incidents, running, windows);
    }
}
