/**
 * AWS plumbing: the DynamoDB and DynamoDB Streams clients the readers use, sequence numbers (compared as big
 * integers), and the error taxonomy of the Streams API ({@link io.dynamostream.aws.StreamErrors}).
 *
 * <p>May use: {@code dev} (the bundled local server, when no endpoint is set), {@code config}.
 *
 * <p>Comments cite the service's invariants as (I1) to (I11); each is stated, with the tests that prove it, in
 * {@code src/site/markdown/architecture.md}.
 */
package io.dynamostream.aws;
