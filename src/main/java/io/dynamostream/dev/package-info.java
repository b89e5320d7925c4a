/**
 * Local development: the dev-mode receiver ({@code /dev/receiver}) and the launcher of the bundled local DynamoDB +
 * Streams server ({@code src/localdb}).
 *
 * <p>May use: nothing of this project.
 */
package io.dynamostream.dev;
