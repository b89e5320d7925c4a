package io.dynamostream;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.OperationType;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.StreamRecord;

/** Stream records as GetRecords returns them, for tests: sequence number, creation time, one key. */
public final class TestRecords {

    private TestRecords() {
    }

    /** An INSERT with sequence number {@code sequence}, created at {@code created}, key {@code id = k<sequence>}. */
    public static Record record(long sequence, Instant created) {
        return Record.builder().eventID("e" + sequence).eventName(OperationType.INSERT)
                .dynamodb(StreamRecord.builder().sequenceNumber(Long.toString(sequence))
                        .approximateCreationDateTime(created).keys(Map.of("id", AttributeValue.fromS("k" + sequence)))
                        .sizeBytes(10L).build())
                .build();
    }

    /** Records {@code from} to {@code to} (inclusive), all created at {@code created}. */
    public static List<Record> records(long from, long to, Instant created) {
        List<Record> out = new ArrayList<>();
        for (long s = from; s <= to; s++) {
            out.add(record(s, created));
        }
        return out;
    }
}
