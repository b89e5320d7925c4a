/**
 * Subscriptions: the model and its snapshots, request validation, the YAML subscription file, the status lifecycle
 * ({@link io.dynamostream.subscription.SubscriptionTransition}) and the
 * {@link io.dynamostream.subscription.SubscriptionRegistry} (admission, lifecycle, snapshots, per-shard progress, file
 * reconciliation), with its storage port {@link io.dynamostream.subscription.SubscriptionStore} and the events its
 * observers watch.
 *
 * <p>May use: {@code guard} (the SSRF check at registration, redaction), {@code config}.
 */
package io.dynamostream.subscription;
