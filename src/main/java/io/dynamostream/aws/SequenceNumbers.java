package io.dynamostream.aws;

import java.math.BigInteger;
import java.util.Comparator;

import software.amazon.awssdk.services.dynamodb.model.Record;

/**
 * DynamoDB Streams sequence numbers are decimal strings of varying length ("9" &lt; "10"): they are compared as big
 * integers, never as strings.
 */
public final class SequenceNumbers {

    /** Orders sequence-number strings numerically. */
    public static final Comparator<String> ORDER = Comparator.comparing(SequenceNumbers::parse);

    private SequenceNumbers() {
    }

    /** Parses a sequence number; throws {@link NumberFormatException} for anything that is not a decimal integer. */
    public static BigInteger parse(String sequenceNumber) {
        return new BigInteger(sequenceNumber.trim());
    }

    /** The sequence number of a stream record. */
    public static BigInteger of(Record record) {
        return parse(record.dynamodb().sequenceNumber());
    }

    /** Whether {@code a} comes strictly after {@code b}. */
    public static boolean isAfter(String a, String b) {
        return parse(a).compareTo(parse(b)) > 0;
    }
}
