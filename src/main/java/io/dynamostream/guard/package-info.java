/**
 * What may leave the service: the SSRF policy for destinations (checked at registration and on the resolved address
 * at every delivery) and {@link io.dynamostream.guard.Redaction}, the one place that makes user-supplied text safe for
 * logs, API output and health data.
 *
 * <p>May use: {@code config}.
 */
package io.dynamostream.guard;
