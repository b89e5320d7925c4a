/**
 * The Prometheus series ({@code /q/metrics}), with bounded labels; an observer of subscription changes and incidents.
 *
 * <p>May use: {@code subscription}, {@code config}.
 */
package io.dynamostream.metrics;
