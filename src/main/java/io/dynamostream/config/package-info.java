/**
 * Every setting of the service: one documented {@code @ConfigMapping} (prefix {@code dynamo-stream}) with its groups.
 *
 * <p>May use: nothing of this project.
 */
package io.dynamostream.config;
