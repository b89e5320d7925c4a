/**
 * AWS plumbing: the DynamoDB and DynamoDB Streams clients the readers use, sequence numbers (compared as big
 * integers), and the error taxonomy of the Streams API ({@link io.dynamostream.aws.StreamErrors}).
 *
 * <p>May use: {@code dev} (the bundled local server, when no endpoint is set), {@code config}.
 */
package io.dynamostream.aws;
