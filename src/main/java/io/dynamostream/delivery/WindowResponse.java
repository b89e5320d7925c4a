package io.dynamostream.delivery;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Reads the {@code state} of a receiver's answer to an invoke of a tumbling window, Lambda's
 * {@code TimeWindowEventResponse} ({@code {"state": {...}, "batchItemFailures": [...]}}). On Lambda "if the
 * response does not contain a state property, Lambda considers this a failed invocation": so is an answer here
 * without a {@code state} object (no body, not JSON, {@code state} missing, {@code null} or not an object).
 *
 * <p>Pure and thread-safe.
 */
final class WindowResponse {

    /** Lambda's limit of a window's state: a larger one ends the window early. */
    static final int MAX_STATE_BYTES = 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private WindowResponse() {
    }

    /**
     * What the answer said.
     *
     * @param state the state as compact JSON text, null when the answer is a failed invoke
     * @param failure why the answer is a failed invoke, null when it has a state
     */
    record Read(String state, String failure) {

        /** Whether the state is over Lambda's 1 MB: the window ends early. */
        boolean tooLarge() {
            return state != null && state.getBytes(StandardCharsets.UTF_8).length > MAX_STATE_BYTES;
        }
    }

    static Read read(byte[] body) {
        if (body == null || body.length == 0) {
            return failed("without a body (a tumbling window's invoke must return a \"state\" object)");
        }
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            return failed("whose body is not JSON (a tumbling window's invoke must return a \"state\" object)");
        }
        if (root == null || !root.isObject()) {
            return failed("whose body is not a JSON object with \"state\"");
        }
        JsonNode state = root.get("state");
        if (state == null || state.isNull()) {
            return failed("without \"state\" (a tumbling window's invoke must return one)");
        }
        if (!state.isObject()) {
            return failed("whose \"state\" is not a JSON object");
        }
        return new Read(state.toString(), null);
    }

    private static Read failed(String why) {
        return new Read(null, why);
    }
}
