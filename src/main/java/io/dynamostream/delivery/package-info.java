/**
 * Delivering one batch: {@link io.dynamostream.delivery.BatchDelivery} takes it to a final outcome (attempts,
 * backoff, Retry-After, bisection, record age, on_failure) through the {@link io.dynamostream.delivery.Destination}
 * port, whose first implementation is HTTP ({@code HttpDestination} over {@link io.dynamostream.delivery.HttpPoster}),
 * then the AWS services named by an ARN ({@code LambdaDestination}; {@code EntryDestination} for SQS, SNS, Kinesis and
 * EventBridge, over {@link io.dynamostream.delivery.AwsClients}), with Lambda's on-failure destination and its
 * invocation record; Lambda's event-source-mapping semantics around an attempt: filters
 * ({@link io.dynamostream.delivery.RecordFilter}, event-ruler), partial batch responses ({@code BatchItemFailures})
 * and tumbling windows (window fields and state, {@code WindowResponse}); the existence check of an ARN destination
 * at registration ({@link io.dynamostream.delivery.DestinationCheck});
 * the Lambda payload, the Standard Webhooks signature, the retry policy, dead letters, incident reports and the error
 * notification (retried for a bounded time and across restarts by
 * {@link io.dynamostream.delivery.StopNotifications}). Knows nothing of shards' iterators, buffers or checkpoints.
 *
 * <p>May use: {@code aws} (the reader's DynamoDB client, whose credentials the AWS destinations share),
 * {@code state} (dead letters, stop notifications, window state), {@code metrics} (attempt outcomes),
 * {@code subscription} (the model), {@code guard} (the SSRF guard, redaction), {@code config}.
 *
 * <p>Comments cite the service's invariants as (I1) to (I11); each is stated, with the tests that prove it, in
 * {@code src/site/markdown/architecture.md}.
 */
package io.dynamostream.delivery;
