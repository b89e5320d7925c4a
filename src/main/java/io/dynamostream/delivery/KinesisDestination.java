package io.dynamostream.delivery;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.dynamostream.subscription.AwsArn;
import io.dynamostream.subscription.DestinationOptions.MessageFormat;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;

/**
 * A Kinesis stream: {@code PutRecords} of up to 500 records (5 MiB together), the partition key the item's canonical
 * {@code Keys} (its SHA-256 when over 256 characters; the shard with {@code message_format: batch}), so the records of
 * one item land on one Kinesis shard in stream order. A record that failed (e.g.
 * {@code ProvisionedThroughputExceededException}) is sent again alone, never ahead of an earlier one of its item.
 * Kinesis records have no attributes: de-duplicate with the record's {@code eventID}.
 */
final class KinesisDestination extends EntryDestination {

    /** Kinesis's limit for one record, data and partition key (1 MiB). */
    static final long MAX_RECORD = 1024 * 1024;
    /** Kinesis's limit for one PutRecords call, partition keys included (5 MiB). */
    static final long MAX_CALL = 5 * 1024 * 1024;

    KinesisDestination(AwsClients clients, AwsArn arn, URI endpoint, MessageFormat format) {
        super(clients, arn, endpoint, format, new Limits(500, MAX_CALL, MAX_RECORD,
                "Kinesis's limit of 1 MiB (1048576 bytes) per record, partition key included"));
    }





    private static String partitionKey(RecordEntries.Entry e) {
        return RecordEntries.fitted(e.orderKey(), 256, c -> true);
    }

    @Override
    long size(RecordEntries.Entry e) {
        return e.body().length + partitionKey(e).getBytes(StandardCharsets.UTF_8).length;
    }

    @Override
    List<EntryFailure> put(List<RecordEntries.Entry> entries) {
        KinesisClient kinesis = clients.kinesis(arn, endpoint);
        List<PutRecordsRequestEntry> records = new ArrayList<>(entries.size());
        for (RecordEntries.Entry e : entries) {
            records.add(PutRecordsRequestEntry.builder().data(SdkBytes.fromByteArrayUnsafe(e.body()))
                    .partitionKey(partitionKey(e)).build());
        }
        PutRecordsResponse response = kinesis.putRecords(r -> {
            r.records(records);
            if (endpoint == null) {
                r.streamARN(arn.toString());
            } else {
                r.streamName(arn.name()); // local servers (kinesalite) know streams by name
            }
        });
        List<EntryFailure> failures = new ArrayList<>();
        List<PutRecordsResultEntry> results = response.records();
        for (int i = 0; i < results.size(); i++) {
            PutRecordsResultEntry r = results.get(i);
            if (r.errorCode() != null) {
                failures.add(new EntryFailure(i, r.errorCode(), r.errorMessage()));
            }
        }
        return failures;
    }
}
