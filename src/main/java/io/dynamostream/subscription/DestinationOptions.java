package io.dynamostream.subscription;

import java.net.URI;

/**
 * How a subscription's records reach a destination other than a plain HTTP URL, and where a batch that is given up
 * goes.
 *
 * @param endpointUrl the endpoint of the AWS service named by the subscription's ARN ({@code endpoint_url}): a local
 *        server (sam local, serverless-offline, ElasticMQ, kinesalite, LocalStack); null: the SDK's endpoint variables
 *        ({@code AWS_ENDPOINT_URL_<SERVICE>}, {@code AWS_ENDPOINT_URL}) or AWS itself
 * @param messageFormat one message per record (default) or the whole batch as one message
 *        ({@code message_format}); queues, topics, streams and buses only, Lambda always gets the batch
 * @param onFailure Lambda's on-failure destination ({@code destination_config.on_failure.destination}): an HTTP URL or
 *        an ARN that gets the invocation record of every batch given up; null when there is none
 */
public record DestinationOptions(URI endpointUrl, MessageFormat messageFormat, URI onFailure) {

    /** No endpoint, one message per record, no on-failure destination. */
    public static final DestinationOptions NONE = new DestinationOptions(null, MessageFormat.RECORD, null);

    /** What one message to a queue, topic, stream or bus holds. */
    public enum MessageFormat {
        /** The record's JSON, one message per record, as EventBridge Pipes sends it. */
        RECORD,
        /** The whole batch, {@code {"Records": [...]}}, in one message. */
        BATCH
    }
}
