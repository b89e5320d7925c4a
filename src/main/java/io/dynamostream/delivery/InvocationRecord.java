package io.dynamostream.delivery;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import io.dynamostream.guard.Redaction;
import io.dynamostream.metrics.StreamMetrics.AttemptOutcome;
import software.amazon.awssdk.services.dynamodb.model.Record;

/**
 * The body sent to an on-failure destination for a batch given up: Lambda's invocation record for a DynamoDB stream
 * event source, so whatever reads Lambda's on-failure queue or topic reads it unchanged:
 * <pre>
 * {"requestContext": {"requestId", "functionArn", "condition", "approximateInvokeCount"},
 *  "responseContext": {"statusCode", "executedVersion", "functionError"},
 *  "version": "1.0", "timestamp": "2026-12-01T15:00:00.000Z",
 *  "DDBStreamBatchInfo": {"shardId", "startSequenceNumber", "endSequenceNumber", "approximateArrivalOfFirstRecord",
 *                         "approximateArrivalOfLastRecord", "batchSize", "streamArn"}}
 * </pre>
 * {@code functionArn} is the subscription's destination (a Lambda ARN, or the queue, topic, stream, bus or URL it
 * delivers to, with the secrets of a URL's query masked); {@code responseContext} has the last attempt's status where it had one, and {@code errorMessage}, which
 * Lambda does not send, says why in words. Pure, but for {@link #send}.
 */
final class InvocationRecord {

    /** Lambda's condition for a batch whose retries are used up (or that the destination refused). */
    static final String RETRY_ATTEMPTS_EXHAUSTED = "RetryAttemptsExhausted";
    /** Lambda's condition for records older than {@code MaximumRecordAgeInSeconds}. */
    static final String RECORD_AGE_EXCEEDED = "RecordAgeExceeded";

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(InvocationRecord.class);
    private static final JsonFactory JSON = new JsonFactory();
    /** "HTTP 503" in an attempt's description (HTTP: at its start; AWS: after the destination's name). */
    private static final java.util.regex.Pattern HTTP_STATUS = java.util.regex.Pattern.compile("\\bHTTP ([0-9]{3})\\b");

    private InvocationRecord() {
    }

    /**
     * Why a batch was given up.
     *
     * @param attempts the attempts made (Lambda's {@code approximateInvokeCount})
     * @param last the last attempt, null when none was made (records too old before the first)
     */
    record Failure(String condition, int attempts, Destination.Attempt last) {
    }

    /** Attempts at sending a batch's invocation record to the on-failure destination. */
    static final int ATTEMPTS = 3;

    /**
     * Sends an invocation record to the on-failure destination: up to {@link #ATTEMPTS} attempts with backoff while
     * they are worth retrying; logs the result.
     *
     * @return the last attempt, or null when {@code running} turned false while waiting
     */
    static Destination.Attempt send(Destination onFailure, Destination.Message m, RetryPolicy backoff,
            Sleeper sleeper, java.util.function.BooleanSupplier running) throws InterruptedException {
        Destination.Attempt attempt = null;
        for (int i = 1; i <= ATTEMPTS; i++) {
            attempt = onFailure.send(m);
            if (attempt.isSuccess() || !(attempt instanceof Destination.Attempt.Retryable)) {
                break;
            }
            if (i < ATTEMPTS && !sleeper.sleep(backoff.backoff(i), running)) {
                return null;
            }
        }
        String where = Redaction.url(m.subscription().settings().destination().onFailure());
        if (attempt.isSuccess()) {
            LOG.infof("Subscription %s, shard %s: invocation record of a batch given up sent to its on-failure "
                    + "destination %s", m.subscription().id(), m.shardId(), where);
        } else {
            LOG.errorf("Subscription %s, shard %s: the on-failure destination %s did not take the invocation record "
                    + "of a batch given up: %s", m.subscription().id(), m.shardId(), where,
                    Redaction.text(attempt.describe()));
        }
        return attempt;
    }

    static byte[] body(String destination, String streamArn, String shardId, List<Record> records, String reason,
            Failure failure, Instant now) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeObjectFieldStart("requestContext");
            g.writeStringField("requestId", UUID.randomUUID().toString());
            g.writeStringField("functionArn", destination);
            g.writeStringField("condition", failure.condition());
            g.writeNumberField("approximateInvokeCount", failure.attempts());
            g.writeEndObject();
            g.writeObjectFieldStart("responseContext");
            Destination.Attempt last = failure.last();
            g.writeNumberField("statusCode", last == null ? 0 : statusCode(last));
            if (destination.startsWith("arn:") && destination.contains(":lambda:")) {
                g.writeStringField("executedVersion", qualifier(destination));
            }
            String functionError = last == null ? null : functionError(last.describe());
            if (functionError != null) {
                g.writeStringField("functionError", functionError);
            }
            g.writeStringField("errorMessage", reason);
            g.writeEndObject();
            g.writeStringField("version", "1.0");
            g.writeStringField("timestamp", now.truncatedTo(ChronoUnit.MILLIS).toString());
            g.writeObjectFieldStart("DDBStreamBatchInfo");
            g.writeStringField("shardId", shardId);
            g.writeStringField("startSequenceNumber", records.get(0).dynamodb().sequenceNumber());
            g.writeStringField("endSequenceNumber", records.get(records.size() - 1).dynamodb().sequenceNumber());
            writeArrival(g, "approximateArrivalOfFirstRecord", records.get(0));
            writeArrival(g, "approximateArrivalOfLastRecord", records.get(records.size() - 1));
            g.writeNumberField("batchSize", records.size());
            g.writeStringField("streamArn", streamArn);
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write an invocation record", e);
        }
        return out.toByteArray();
    }

    private static void writeArrival(JsonGenerator g, String field, Record r) throws IOException {
        Instant at = r.dynamodb().approximateCreationDateTime();
        if (at != null) {
            g.writeStringField(field, at.truncatedTo(ChronoUnit.SECONDS).toString());
        }
    }

    /** The HTTP status the last attempt got, as near as its outcome tells (200 for a function error). */
    private static int statusCode(Destination.Attempt last) {
        String text = last.describe();
        java.util.regex.Matcher m = HTTP_STATUS.matcher(text);
        if (m.find()) {
            return Integer.parseInt(m.group(1));
        }
        if (functionError(text) != null) {
            return 200;
        }
        AttemptOutcome o = last.outcome();
        return switch (o) {
            case SUCCESS -> 200;
            case CLIENT_ERROR -> 400;
            case SERVER_ERROR -> 500;
            default -> 0;
        };
    }

    /** {@code Unhandled} from "function error (Unhandled): ...", the way {@link LambdaDestination} says it. */
    static String functionError(String describe) {
        String prefix = LambdaDestination.FUNCTION_ERROR + " (";
        if (!describe.startsWith(prefix)) {
            return null;
        }
        int end = describe.indexOf(')', prefix.length());
        return end < 0 ? null : describe.substring(prefix.length(), end);
    }

    private static String qualifier(String lambdaArn) {
        String[] parts = lambdaArn.split(":");
        return parts.length > 7 ? parts[7] : "$LATEST";
    }
}
