package io.dynamostream.delivery;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.dynamostream.guard.Redaction;
import software.amazon.awssdk.services.dynamodb.model.Record;

/**
 * Reads a receiver's partial batch response ({@code function_response_types: [ReportBatchItemFailures]}) the way
 * Lambda reads a function's {@code StreamsEventResponse} for a DynamoDB stream: {@code {"batchItemFailures":
 * [{"itemIdentifier": "<SequenceNumber>"}]}}.
 *
 * <p>Lambda's documented rules: an empty or {@code null} list, an empty or {@code null} response is a complete
 * success; an {@code itemIdentifier} that is empty, {@code null} or under another key name fails the whole batch;
 * with several failures the lowest sequence number is the checkpoint. Beyond the documented cases, and for the same
 * reason (never acknowledge what the receiver did not confirm): an identifier that is not the sequence number of a
 * record of this batch, a body that is not JSON, JSON that is not an object (or {@code null}), and a
 * {@code batchItemFailures} that is not a list of objects fail the whole batch, as Lambda documents for SQS's
 * "invalid JSON response". An object without {@code batchItemFailures} is an empty response: success.
 *
 * <p>Pure and thread-safe.
 */
final class BatchItemFailures {

    static final String FIELD = "batchItemFailures";
    static final String IDENTIFIER = "itemIdentifier";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final int MAX_QUOTED = 80;

    private BatchItemFailures() {
    }

    /** What the receiver said about the batch. */
    sealed interface Verdict {
    }

    /** Every record was processed. */
    record AllDone() implements Verdict {
    }

    /**
     * The records before {@code firstFailed} (an index into the batch, 0 when the first record failed) were
     * processed; the batch is retried from that record.
     *
     * @param sequenceNumber the lowest sequence number reported
     * @param reported how many failures the receiver listed
     */
    record DoneBefore(int firstFailed, String sequenceNumber, int reported) implements Verdict {
    }

    /** The response cannot be trusted to acknowledge anything: the whole batch failed, because of {@code reason}. */
    record WholeBatchFailed(String reason) implements Verdict {
    }

    private static final AllDone ALL_DONE = new AllDone();

    /**
     * @param body the response body of a successful attempt; null or empty when there was none
     * @param records the batch that was sent, in stream order
     */
    static Verdict read(byte[] body, List<Record> records) {
        if (body == null || isBlank(body)) {
            return ALL_DONE;
        }
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            return new WholeBatchFailed("the response body is not JSON (" + quote(body) + ")");
        } catch (IOException e) {
            return new WholeBatchFailed("the response body cannot be read: " + e.getMessage());
        }
        if (root == null || root.isNull() || root.isMissingNode()) {
            return ALL_DONE;
        }
        if (!root.isObject()) {
            return new WholeBatchFailed("the response is a JSON " + kind(root) + ", not an object with "
                    + FIELD);
        }
        JsonNode failures = root.get(FIELD);
        if (failures == null || failures.isNull()) {
            return ALL_DONE;
        }
        if (!failures.isArray()) {
            return new WholeBatchFailed(FIELD + " is a JSON " + kind(failures) + ", not a list");
        }
        if (failures.isEmpty()) {
            return ALL_DONE;
        }
        Map<String, Integer> index = new HashMap<>(records.size() * 2);
        for (int i = 0; i < records.size(); i++) {
            index.putIfAbsent(records.get(i).dynamodb().sequenceNumber(), i);
        }
        int lowest = Integer.MAX_VALUE;
        for (int i = 0; i < failures.size(); i++) {
            JsonNode entry = failures.get(i);
            String where = FIELD + "[" + i + "]";
            if (!entry.isObject()) {
                return new WholeBatchFailed(where + " is a JSON " + kind(entry) + ", not an object with "
                        + IDENTIFIER);
            }
            JsonNode id = entry.get(IDENTIFIER);
            if (id == null) {
                List<String> keys = new java.util.ArrayList<>();
                entry.fieldNames().forEachRemaining(keys::add);
                return new WholeBatchFailed(where + " has no " + IDENTIFIER + " (its keys: "
                        + Redaction.oneLine(limit(String.join(", ", keys))) + ")");
            }
            if (id.isNull()) {
                return new WholeBatchFailed(where + "." + IDENTIFIER + " is null");
            }
            if (!id.isTextual()) {
                return new WholeBatchFailed(where + "." + IDENTIFIER + " is a JSON " + kind(id)
                        + ", not a sequence-number string");
            }
            if (id.textValue().isEmpty()) {
                return new WholeBatchFailed(where + "." + IDENTIFIER + " is empty");
            }
            Integer at = index.get(id.textValue());
            if (at == null) {
                return new WholeBatchFailed(where + "." + IDENTIFIER + " \"" + Redaction.oneLine(limit(id.textValue()))
                        + "\" is not the sequence number of a record of this batch");
            }
            lowest = Math.min(lowest, at);
        }
        return new DoneBefore(lowest, records.get(lowest).dynamodb().sequenceNumber(), failures.size());
    }

    private static boolean isBlank(byte[] body) {
        for (byte b : body) {
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return false;
            }
        }
        return true;
    }

    private static String kind(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "array";
            case STRING -> "string";
            case NUMBER -> "number";
            case BOOLEAN -> "boolean";
            case NULL -> "null";
            default -> "value";
        };
    }

    /** The head of a body that is not JSON, on one line, for last_error and the log. */
    private static String quote(byte[] body) {
        String head = new String(body, 0, Math.min(body.length, MAX_QUOTED * 4), StandardCharsets.UTF_8);
        return "\"" + Redaction.oneLine(limit(head)) + "\"";
    }

    private static String limit(String s) {
        return s.length() <= MAX_QUOTED ? s : s.substring(0, MAX_QUOTED) + "...";
    }
}
