package io.dynamostream.state;

import java.math.BigInteger;
import java.util.concurrent.ConcurrentMap;
import java.util.function.UnaryOperator;

import io.dynamostream.state.CheckpointStore.Checkpoint;
import io.dynamostream.aws.SequenceNumbers;

/**
 * The checkpoint rules every store applies, as pure functions: forward-only moves compared as big integers, the
 * in-flight mark cleared once the checkpoint reaches it, and the argument checks. Also the compact text form the
 * map-based stores keep a checkpoint in.
 */
final class Checkpoints {

    /**
     * Width of the zero-padded form: DynamoDB Streams sequence numbers have 21 to 40 digits, 48 leaves room. Two
     * padded numbers of this width compare as strings the way the numbers compare.
     */
    static final int WIDTH = 48;

    private static final Checkpoint NONE = new Checkpoint(null, null, false);

    private Checkpoints() {
    }

    /** The sequence number, checked: 1 to {@link #WIDTH} ASCII digits. */
    static String requireSequenceNumber(String sequenceNumber) {
        if (sequenceNumber == null || sequenceNumber.isEmpty() || sequenceNumber.length() > WIDTH) {
            throw new IllegalArgumentException("not a sequence number (1 to " + WIDTH + " digits): " + sequenceNumber);
        }
        for (int i = 0; i < sequenceNumber.length(); i++) {
            char c = sequenceNumber.charAt(i);
            if (c < '0' || c > '9') {
                throw new IllegalArgumentException("not a sequence number (1 to " + WIDTH + " digits): "
                        + sequenceNumber);
            }
        }
        return sequenceNumber;
    }

    /**
     * A subscription, shard or dead-letter id, checked: not empty, and without the NUL character that separates the
     * parts of the map-based stores' keys.
     */
    static String requireId(String kind, String id) {
        if (id == null || id.isEmpty() || id.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(kind + " id must be a non-empty string without NUL: " + id);
        }
        return id;
    }

    /** The sequence number left-padded with zeros to {@link #WIDTH} digits. */
    static String padded(String sequenceNumber) {
        String digits = new BigInteger(requireSequenceNumber(sequenceNumber)).toString();
        return "0".repeat(WIDTH - digits.length()) + digits;
    }

    /** The checkpoint after acknowledging {@code sequenceNumber}, or null when it does not move forward. */
    static Checkpoint advance(Checkpoint current, String sequenceNumber) {
        Checkpoint c = current == null ? NONE : current;
        if (c.sequenceNumber() != null && !SequenceNumbers.isAfter(sequenceNumber, c.sequenceNumber())) {
            return null;
        }
        return visible(new Checkpoint(sequenceNumber, c.inFlightThrough(), c.finished()));
    }

    /** The checkpoint with a batch in flight through {@code lastSequenceNumber}. */
    static Checkpoint inFlight(Checkpoint current, String lastSequenceNumber) {
        Checkpoint c = current == null ? NONE : current;
        return visible(new Checkpoint(c.sequenceNumber(), lastSequenceNumber, c.finished()));
    }

    /** {@link #advance} (when it moves forward) followed by {@link #inFlight}. */
    static Checkpoint advanceAndInFlight(Checkpoint current, String sequenceNumber, String nextLastSequenceNumber) {
        Checkpoint moved = advance(current, sequenceNumber);
        return inFlight(moved != null ? moved : current, nextLastSequenceNumber);
    }

    /** The checkpoint of a shard the subscription is done with. */
    static Checkpoint finish(Checkpoint current) {
        Checkpoint c = current == null ? NONE : current;
        return new Checkpoint(c.sequenceNumber(), null, true);
    }

    /**
     * The checkpoint as callers see it: an in-flight mark at or before the checkpoint is no batch to re-send (it was
     * acknowledged), so it reads as none. The DynamoDB store relies on this instead of a second conditional write.
     */
    static Checkpoint visible(Checkpoint checkpoint) {
        String inFlight = checkpoint.inFlightThrough();
        if (inFlight != null && checkpoint.sequenceNumber() != null
                && !SequenceNumbers.isAfter(inFlight, checkpoint.sequenceNumber())) {
            return new Checkpoint(checkpoint.sequenceNumber(), null, checkpoint.finished());
        }
        return checkpoint;
    }

    /**
     * Applies {@code change} to the checkpoint stored (in text form) under {@code key}, atomically with respect to
     * other updates of that key (compare-and-set, retried on contention).
     *
     * @param change gets the current checkpoint (null when none), returns the new one or null for "no change"
     * @return whether something was written
     */
    static boolean update(ConcurrentMap<String, String> map, String key, UnaryOperator<Checkpoint> change) {
        while (true) {
            String old = map.get(key);
            Checkpoint next = change.apply(old == null ? null : decode(old));
            if (next == null) {
                return false;
            }
            String encoded = encode(next);
            if (encoded.equals(old)) {
                return false;
            }
            boolean written = old == null ? map.putIfAbsent(key, encoded) == null : map.replace(key, old, encoded);
            if (written) {
                return true;
            }
        }
    }

    /** Text form {@code <sequence number>,<in flight through>,<0|1>}, empty parts for none. */
    static String encode(Checkpoint checkpoint) {
        return nullToEmpty(checkpoint.sequenceNumber()) + ',' + nullToEmpty(checkpoint.inFlightThrough()) + ','
                + (checkpoint.finished() ? '1' : '0');
    }

    /** Reverses {@link #encode}. */
    static Checkpoint decode(String text) {
        int first = text.indexOf(',');
        int second = text.indexOf(',', first + 1);
        if (first < 0 || second < 0) {
            throw new IllegalStateException("damaged checkpoint entry: " + text);
        }
        return new Checkpoint(emptyToNull(text.substring(0, first)), emptyToNull(text.substring(first + 1, second)),
                text.charAt(second + 1) == '1');
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    private static String emptyToNull(String s) {
        return s.isEmpty() ? null : s;
    }
}
