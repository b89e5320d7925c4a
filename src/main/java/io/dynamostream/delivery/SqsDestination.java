package io.dynamostream.delivery;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.dynamostream.subscription.AwsArn;
import io.dynamostream.subscription.DestinationOptions.MessageFormat;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;

/**
 * An SQS queue, standard or FIFO: {@code SendMessageBatch} of up to 10 messages, each with the {@code webhook-id}
 * message attribute (the record's {@code eventID}, or the batch's delivery id with {@code message_format: batch}). A
 * FIFO queue gets the item's canonical {@code Keys} as {@code MessageGroupId} (its SHA-256 when over 128 characters or
 * not printable ASCII; the shard with {@code batch}) and the {@code eventID} (the delivery id) as
 * {@code MessageDeduplicationId}, so a record sent again within SQS's 5-minute window is not queued twice. The queue
 * URL is looked up once ({@code GetQueueUrl} with the ARN's account).
 */
final class SqsDestination extends EntryDestination {

    /** SQS's limit for one message, body and attributes, and for one batch call (1 MiB). */
    static final long MAX_MESSAGE = 1024 * 1024;
    private static final String ATTRIBUTE = WebhookSigner.ID;

    private volatile String queueUrl;

    SqsDestination(AwsClients clients, AwsArn arn, URI endpoint, MessageFormat format) {
        super(clients, arn, endpoint, format, new Limits(10, MAX_MESSAGE, MAX_MESSAGE,
                "SQS's limit of 1 MiB (1048576 bytes) per message, attributes included"));
    }





    @Override
    long size(RecordEntries.Entry e) {
        return withIdAttribute(e);
    }

    @Override
    List<EntryFailure> put(List<RecordEntries.Entry> entries) {
        SqsClient sqs = clients.sqs(arn, endpoint);
        List<SendMessageBatchRequestEntry> batch = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            RecordEntries.Entry e = entries.get(i);
            SendMessageBatchRequestEntry.Builder b = SendMessageBatchRequestEntry.builder()
                    .id(Integer.toString(i))
                    .messageBody(new String(e.body(), StandardCharsets.UTF_8))
                    .messageAttributes(Map.of(ATTRIBUTE, MessageAttributeValue.builder().dataType("String")
                            .stringValue(e.dedupId()).build()));
            if (arn.fifo()) {
                b.messageGroupId(RecordEntries.fitted(e.orderKey(), 128, RecordEntries::fifoIdChar))
                        .messageDeduplicationId(RecordEntries.fitted(e.dedupId(), 128, RecordEntries::fifoIdChar));
            }
            batch.add(b.build());
        }
        SendMessageBatchResponse response = sqs.sendMessageBatch(r -> r.queueUrl(queueUrl(sqs)).entries(batch));
        List<EntryFailure> failures = new ArrayList<>();
        for (BatchResultErrorEntry f : response.failed()) {
            failures.add(new EntryFailure(Integer.parseInt(f.id()), f.code(), f.message()));
        }
        return failures;
    }

    private String queueUrl(SqsClient sqs) {
        String url = queueUrl;
        if (url == null) {
            url = sqs.getQueueUrl(r -> r.queueName(arn.name()).queueOwnerAWSAccountId(arn.account())).queueUrl();
            queueUrl = url;
        }
        return url;
    }
}
