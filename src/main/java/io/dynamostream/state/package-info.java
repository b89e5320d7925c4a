/**
 * What survives a restart: the three store kinds (embedded H2 MVStore file, DynamoDB table, memory) behind one
 * package-private SPI, and the typed stores the rest of the service uses ({@link io.dynamostream.state.CheckpointStore},
 * {@link io.dynamostream.state.DeadLetterStore}, {@link io.dynamostream.state.NotificationStore}, {@link io.dynamostream.state.WindowStore} (tumbling windows'
 * state), and the registry's
 * {@link io.dynamostream.subscription.SubscriptionStore}), all implemented by
 * {@link io.dynamostream.state.StateStores}, which also owns the JSON form of the stored documents.
 *
 * <p>May use: {@code subscription} (the documents' types and the port it implements), {@code aws} (sequence
 * numbers, the DynamoDB client), {@code config}.
 *
 * <p>Comments cite the service's invariants as (I1) to (I11); each is stated, with the tests that prove it, in
 * {@code src/site/markdown/architecture.md}.
 */
package io.dynamostream.state;
