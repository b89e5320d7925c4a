/**
 * The HTTP edge of the admin API: the resources (the original tool's {@code POST /}, {@code GET /},
 * {@code DELETE /{id}} and the resource-style {@code /subscriptions}), their JSON views, the one error body and
 * the exception mappers, the request body limit, and the OpenAPI examples.
 *
 * <p>May use: {@code reading} (the supervisor, for every change that starts or stops reading), {@code delivery}
 * (dead letters), {@code subscription}, {@code guard} (redaction), {@code config}. Nothing below imports this package
 * except {@code security} (its error bodies).
 */
package io.dynamostream.api;
