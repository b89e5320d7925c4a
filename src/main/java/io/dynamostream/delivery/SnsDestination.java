package io.dynamostream.delivery;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.dynamostream.subscription.AwsArn;
import io.dynamostream.subscription.DestinationOptions.MessageFormat;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sns.model.MessageAttributeValue;
import software.amazon.awssdk.services.sns.model.PublishBatchRequestEntry;
import software.amazon.awssdk.services.sns.model.PublishBatchResponse;

/**
 * An SNS topic, standard or FIFO: {@code PublishBatch} of up to 10 messages (256 KiB together), each with the
 * {@code webhook-id} message attribute; a FIFO topic gets {@code MessageGroupId} and {@code MessageDeduplicationId} as
 * an SQS FIFO queue does.
 */
final class SnsDestination extends EntryDestination {

    /** SNS's limit for one message, attributes included, and for one batch call (256 KiB). */
    static final long MAX_MESSAGE = 256 * 1024;
    private static final String ATTRIBUTE = WebhookSigner.ID;

    SnsDestination(AwsClients clients, AwsArn arn, URI endpoint, MessageFormat format) {
        super(clients, arn, endpoint, format, new Limits(10, MAX_MESSAGE, MAX_MESSAGE,
                "SNS's limit of 256 KiB (262144 bytes) per message, attributes included"));
    }





    @Override
    long size(RecordEntries.Entry e) {
        return withIdAttribute(e);
    }

    @Override
    List<EntryFailure> put(List<RecordEntries.Entry> entries) {
        SnsClient sns = clients.sns(arn, endpoint);
        List<PublishBatchRequestEntry> batch = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            RecordEntries.Entry e = entries.get(i);
            PublishBatchRequestEntry.Builder b = PublishBatchRequestEntry.builder()
                    .id(Integer.toString(i))
                    .message(new String(e.body(), StandardCharsets.UTF_8))
                    .messageAttributes(Map.of(ATTRIBUTE, MessageAttributeValue.builder().dataType("String")
                            .stringValue(e.dedupId()).build()));
            if (arn.fifo()) {
                b.messageGroupId(RecordEntries.fitted(e.orderKey(), 128, RecordEntries::fifoIdChar))
                        .messageDeduplicationId(RecordEntries.fitted(e.dedupId(), 128, RecordEntries::fifoIdChar));
            }
            batch.add(b.build());
        }
        PublishBatchResponse response = sns.publishBatch(r -> r.topicArn(arn.toString()).publishBatchRequestEntries(batch));
        List<EntryFailure> failures = new ArrayList<>();
        for (BatchResultErrorEntry f : response.failed()) {
            failures.add(new EntryFailure(Integer.parseInt(f.id()), f.code(), f.message()));
        }
        return failures;
    }
}
