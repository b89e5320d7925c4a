/**
 * Subscriptions: the model and its snapshots, request validation (our field names and Lambda's
 * CreateEventSourceMapping names, {@code LambdaNames}; filter patterns checked with event-ruler,
 * {@code FilterPatterns}), the YAML subscription file or a SAM / CloudFormation template read in its place
 * ({@code SamTemplate}), the status lifecycle
 * ({@link io.dynamostream.subscription.SubscriptionTransition}) and the
 * {@link io.dynamostream.subscription.SubscriptionRegistry} (admission, lifecycle, snapshots, per-shard progress, file
 * reconciliation), with its storage port {@link io.dynamostream.subscription.SubscriptionStore} and the events its
 * observers watch.
 *
 * <p>May use: {@code guard} (the SSRF check at registration, redaction), {@code config}.
 */
package io.dynamostream.subscription;
