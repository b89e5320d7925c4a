package io.dynamostream.delivery;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.dynamostream.guard.Redaction;
import io.dynamostream.metrics.StreamMetrics.AttemptOutcome;
import io.dynamostream.subscription.AwsArn;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeRequest;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/**
 * A Lambda function: one synchronous invoke ({@code RequestResponse}) per message with its exact body, the
 * {@code {"Records":[...]}} Lambda's own event source mapping would send.
 *
 * <p>Delivered means a 2xx without a function error. A function error is recognised in every form a runtime gives
 * it: {@code X-Amz-Function-Error} (AWS, {@code sam local}, serverless-offline), a 5xx with {@code x-amzn-ErrorType}
 * naming no Lambda service error (serverless-offline), and a 200 whose body is {@code {"errorType", "errorMessage"}}
 * or says "Task timed out" (the Runtime Interface Emulator); each is retried (and bisected when the subscription
 * asks). 429 and other 5xx are retried with backoff (at least Lambda's {@code Retry-After}); 400, 404, 413 and 415 are
 * refused for good and go to {@code on_failure}; 401 and 403 (missing permission) end the subscription in ERROR. A
 * body over {@link #MAX_PAYLOAD} is split before any invoke. The function's response is kept on the delivered
 * attempt.
 *
 * <p>Local runtimes know functions by name only, so with a configured endpoint the function is invoked by the name in
 * the ARN with its qualifier; against AWS itself by the whole ARN (which also reaches another account's function).
 */
final class LambdaDestination implements Destination {

    /** Lambda's limit for a synchronous invoke's request payload (6 MB). */
    static final int MAX_PAYLOAD = 6 * 1024 * 1024;
    /** How {@link #describe} starts for a function error; {@link InvocationRecord} reads it back. */
    static final String FUNCTION_ERROR = "function error";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_TEXT = 300;
    /** Error codes of Lambda's own 5xx (the service failed), as opposed to a local runtime's function error. */
    private static final Set<String> SERVICE_ERRORS = Set.of("ServiceException", "EC2ThrottledException",
            "EC2UnexpectedException", "EC2AccessDeniedException", "ENILimitReachedException",
            "SubnetIPAddressLimitReachedException", "InvalidSubnetIDException", "InvalidSecurityGroupIDException",
            "InvalidZipFileException", "InvalidRuntimeException", "ResourceNotReadyException",
            "KMSAccessDeniedException", "KMSDisabledException", "KMSInvalidStateException", "KMSNotFoundException",
            "EFSIOException", "EFSMountConnectivityException", "EFSMountFailureException", "EFSMountTimeoutException",
            "SnapStartException", "SnapStartTimeoutException", "SnapStartNotReadyException", "RecursiveInvocationException",
            "error");

    private final AwsClients clients;
    private final AwsArn function;
    private final URI endpoint;

    LambdaDestination(AwsClients clients, AwsArn function, URI configuredEndpoint) {
        this.clients = clients;
        this.function = function;
        this.endpoint = clients.endpoint(AwsArn.Service.LAMBDA, configuredEndpoint);
    }

    @Override
    public String type() {
        return "lambda";
    }

    @Override
    public Attempt send(Message m) {
        long started = System.nanoTime();
        String what = "Lambda function " + function.name() + (function.qualifier() == null ? ""
                : ":" + function.qualifier());
        if (m.body().length > MAX_PAYLOAD) {
            return new Attempt.Rejected(what + ": payload of " + m.body().length + " bytes is over Lambda's limit of "
                    + MAX_PAYLOAD + " bytes (6 MB) for a synchronous invoke", true, AttemptOutcome.CLIENT_ERROR,
                    took(started));
        }
        String refused = clients.refusal(endpoint);
        if (refused != null) {
            return new Attempt.Retryable(refused, null, AttemptOutcome.REFUSED, took(started));
        }
        LambdaClient lambda = clients.lambda(function, endpoint);
        InvokeRequest.Builder request = InvokeRequest.builder()
                .invocationType(InvocationType.REQUEST_RESPONSE)
                .payload(SdkBytes.fromByteArrayUnsafe(m.body()));
        if (endpoint == null) {
            request.functionName(function.toString());
        } else {
            request.functionName(function.name()).qualifier(function.qualifier());
        }
        InvokeResponse response;
        try {
            response = lambda.invoke(request.build());
        } catch (AwsServiceException e) {
            return failed(e, what, started);
        } catch (RuntimeException e) {
            return AwsErrors.of(e, what, started);
        }
        return answer(what, response.statusCode(), response.functionError(),
                response.payload() == null ? new byte[0] : response.payload().asByteArrayUnsafe(), started);
    }

    /** A 2xx: delivered, unless it carries a function error in one of its forms. */
    static Attempt answer(String what, int status, String functionError, byte[] payload, long started) {
        AttemptOutcome outcome = AttemptOutcome.of(status, false, false);
        if (functionError != null && !functionError.isBlank()) {
            return new Attempt.Retryable(FUNCTION_ERROR + " (" + Redaction.oneLine(functionError) + "): " + what
                    + ": " + errorText(payload), null, AttemptOutcome.ERROR, took(started));
        }
        String text = new String(payload, 0, Math.min(payload.length, 64), StandardCharsets.UTF_8).strip();
        if (text.startsWith("Task timed out") || text.startsWith("\"Task timed out")) {
            // the Runtime Interface Emulator's answer to a function that ran past its timeout
            return new Attempt.Retryable(FUNCTION_ERROR + " (Unhandled): " + what + ": " + errorText(payload), null,
                    AttemptOutcome.TIMEOUT, took(started));
        }
        if (isErrorObject(payload)) {
            // the Runtime Interface Emulator reports an unhandled error with a plain 200 and this body
            return new Attempt.Retryable(FUNCTION_ERROR + " (Unhandled): " + what + ": " + errorText(payload), null,
                    AttemptOutcome.ERROR, took(started));
        }
        return new Attempt.Delivered(what + ": HTTP " + status, outcome, took(started), payload);
    }

    private static Attempt failed(AwsServiceException e, String what, long started) {
        int status = e.statusCode();
        String code = AwsErrors.code(e);
        Duration took = took(started);
        AttemptOutcome outcome = AttemptOutcome.of(status, false, false);
        String text = what + ": HTTP " + status + " " + code + ": " + AwsErrors.message(e);
        if (status >= 500 && !SERVICE_ERRORS.contains(code)) {
            // serverless-offline: a function error as a 500 with x-amzn-ErrorType naming the error's type
            return new Attempt.Retryable(FUNCTION_ERROR + " (" + Redaction.oneLine(code) + "): " + what + ": "
                    + AwsErrors.message(e), null, AttemptOutcome.ERROR, took);
        }
        if (status == 400 || status == 404 || status == 413 || status == 415) {
            return new Attempt.Rejected(text, false, outcome, took);
        }
        if (status == 401 || status == 403) {
            return new Attempt.Permanent(text, outcome, took);
        }
        if (status == 429 || status >= 500) {
            return new Attempt.Retryable(text, AwsErrors.retryAfter(e), outcome, took);
        }
        return AwsErrors.of(e, what, started);
    }

    /** {@code {"errorType": ..., "errorMessage": ...}} (with nothing but a trace besides): how runtimes say it. */
    private static boolean isErrorObject(byte[] payload) {
        if (payload.length < 2 || payload.length > 1 << 20 || payload[0] != '{') {
            return false;
        }
        try {
            JsonNode n = JSON.readTree(payload);
            if (n == null || !n.isObject() || !n.has("errorMessage") || !n.has("errorType")) {
                return false;
            }
            for (var names = n.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!Set.of("errorMessage", "errorType", "stackTrace", "trace", "requestId", "cause").contains(name)) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The function's error in one line: "Error: record asked to fail", or the start of its answer. */
    private static String errorText(byte[] payload) {
        try {
            JsonNode n = payload.length > 0 && payload[0] == '{' ? JSON.readTree(payload) : null;
            if (n != null && n.has("errorMessage")) {
                String type = n.path("errorType").asText("");
                return Redaction.oneLine((type.isEmpty() ? "" : type + ": ") + n.path("errorMessage").asText());
            }
        } catch (IOException e) {
            // not JSON: the text as it is
        }
        String text = Redaction.oneLine(new String(payload, 0, Math.min(payload.length, MAX_TEXT),
                StandardCharsets.UTF_8));
        return text.isBlank() ? "(no details)" : text;
    }

    private static Duration took(long started) {
        return Duration.ofNanos(System.nanoTime() - started);
    }
}
