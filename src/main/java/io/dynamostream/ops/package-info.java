/**
 * Operating the service: the liveness check (the discovery tick keeps running), the readiness checks (DynamoDB
 * answers, the subscription file is applied, every subscription's state), the SIGTERM exit status and the entry point
 * that reports a failed start as one line ({@code ServiceMain}).
 *
 * <p>May use: {@code reading} (discovery tick, table status), {@code subscription}, {@code guard} (redaction),
 * {@code aws} (the reader's DynamoDB client), {@code config}.
 */
package io.dynamostream.ops;
