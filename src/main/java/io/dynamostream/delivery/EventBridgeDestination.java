package io.dynamostream.delivery;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.dynamostream.subscription.AwsArn;
import io.dynamostream.subscription.DestinationOptions.MessageFormat;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResultEntry;

/**
 * An EventBridge event bus: {@code PutEvents} of up to 10 events (256 KiB together, counted as EventBridge counts an
 * entry: source, detail type and detail), source {@value #SOURCE}, detail type {@value #DETAIL_TYPE} (as EventBridge
 * Pipes names a DynamoDB stream event) and the record (or the batch) as detail. Events have no attributes:
 * de-duplicate with the record's {@code eventID}.
 */
final class EventBridgeDestination extends EntryDestination {

    static final String SOURCE = "dynamo-stream";
    static final String DETAIL_TYPE = "Event from aws:dynamodb";
    static final String NOTIFICATION_TYPE = "dynamo-stream notification";
    /** EventBridge's limit for one PutEvents call and so for one entry (256 KiB). */
    static final long MAX_CALL = 256 * 1024;

    EventBridgeDestination(AwsClients clients, AwsArn arn, URI endpoint, MessageFormat format) {
        super(clients, arn, endpoint, format, new Limits(10, MAX_CALL, MAX_CALL,
                "EventBridge's limit of 256 KiB (262144 bytes) per PutEvents entry"));
    }





    private static String detailType(RecordEntries.Entry e) {
        byte[] b = e.body();
        boolean records = b.length > 11 && new String(b, 0, 11, StandardCharsets.UTF_8).equals("{\"Records\":")
                || b.length > 9 && new String(b, 0, 9, StandardCharsets.UTF_8).equals("{\"eventID");
        return records ? DETAIL_TYPE : NOTIFICATION_TYPE;
    }

    @Override
    long size(RecordEntries.Entry e) {
        return SOURCE.length() + detailType(e).length() + e.body().length;
    }

    @Override
    List<EntryFailure> put(List<RecordEntries.Entry> entries) {
        EventBridgeClient events = clients.eventBridge(arn, endpoint);
        String bus = endpoint == null ? arn.toString() : arn.name();
        List<PutEventsRequestEntry> batch = new ArrayList<>(entries.size());
        for (RecordEntries.Entry e : entries) {
            batch.add(PutEventsRequestEntry.builder().eventBusName(bus).source(SOURCE).detailType(detailType(e))
                    .detail(new String(e.body(), StandardCharsets.UTF_8)).build());
        }
        PutEventsResponse response = events.putEvents(r -> r.entries(batch));
        List<EntryFailure> failures = new ArrayList<>();
        List<PutEventsResultEntry> results = response.entries();
        for (int i = 0; i < results.size(); i++) {
            PutEventsResultEntry r = results.get(i);
            if (r.errorCode() != null) {
                failures.add(new EntryFailure(i, r.errorCode(), r.errorMessage()));
            }
        }
        return failures;
    }
}
