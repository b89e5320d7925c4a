package io.dynamostream.delivery;

import java.time.Duration;
import java.util.Set;

import io.dynamostream.guard.Redaction;
import io.dynamostream.metrics.StreamMetrics.AttemptOutcome;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * What a failed AWS call means for the batch: throttling, 5xx, timeouts and connection problems are worth retrying;
 * a resource that does not exist or a permission that is missing ends the subscription in ERROR with AWS's text
 * (nothing will change until someone fixes it, and a restart resumes from the checkpoint); any other refusal of the
 * request itself (a 4xx) sends the batch to {@code on_failure}. Pure.
 */
final class AwsErrors {

    private static final int MAX_TEXT = 300;

    /** Error codes that mean the target or the right to use it is missing. */
    private static final Set<String> MISSING = Set.of("ResourceNotFoundException", "NotFound", "NotFoundException",
            "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "AccessDenied", "AccessDeniedException",
            "AuthorizationError", "AuthorizationErrorException", "UnrecognizedClientException", "InvalidClientTokenId",
            "InvalidSignatureException", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException",
            "KMSAccessDeniedException", "KMSDisabledException", "KMSNotFoundException", "EndpointDisabled");

    /** Error codes of throttling, whatever status they come with. */
    private static final Set<String> THROTTLED = Set.of("Throttling", "ThrottlingException", "ThrottledException",
            "TooManyRequestsException", "RequestThrottled", "ProvisionedThroughputExceededException",
            "KMSThrottlingException", "RequestLimitExceeded", "LimitExceededException",
            "AWS.SimpleQueueService.RequestThrottled");

    private AwsErrors() {
    }

    /** The attempt a failed call makes. {@code what} names the destination ("SQS queue orders"). */
    static Destination.Attempt of(RuntimeException e, String what, long startedNanos) {
        Duration took = Duration.ofNanos(System.nanoTime() - startedNanos);
        if (e instanceof ApiCallAttemptTimeoutException || e instanceof ApiCallTimeoutException) {
            return new Destination.Attempt.Retryable(what + ": timed out", null, AttemptOutcome.TIMEOUT, took);
        }
        if (e instanceof AwsServiceException s) {
            int status = s.statusCode();
            String code = code(s);
            String text = what + ": HTTP " + status + " " + code + ": " + message(s);
            AttemptOutcome outcome = AttemptOutcome.of(status, false, false);
            if (status == 429 || THROTTLED.contains(code)) {
                return new Destination.Attempt.Retryable(text, retryAfter(s), outcome, took);
            }
            if (MISSING.contains(code) || status == 401 || status == 403) {
                return new Destination.Attempt.Permanent(text, outcome, took);
            }
            if (status >= 400 && status < 500) {
                return new Destination.Attempt.Rejected(text, false, outcome, took);
            }
            return new Destination.Attempt.Retryable(text, retryAfter(s), outcome, took);
        }
        if (e instanceof SdkClientException c) {
            return new Destination.Attempt.Retryable(what + ": " + clientProblem(c), null, AttemptOutcome.ERROR, took);
        }
        return new Destination.Attempt.Retryable(what + ": " + Redaction.oneLine(String.valueOf(e.getMessage())),
                null, AttemptOutcome.ERROR, took);
    }

    static String code(AwsServiceException s) {
        String code = s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorCode();
        return code == null || code.isBlank() ? "error" : code;
    }

    static String message(AwsServiceException s) {
        String message = s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorMessage();
        if (message == null || message.isBlank()) {
            message = s.getMessage();
        }
        String text = Redaction.oneLine(String.valueOf(message));
        return text.length() > MAX_TEXT ? text.substring(0, MAX_TEXT) + "..." : text;
    }

    static Duration retryAfter(AwsServiceException s) {
        if (s.awsErrorDetails() == null || s.awsErrorDetails().sdkHttpResponse() == null) {
            return null;
        }
        return s.awsErrorDetails().sdkHttpResponse().firstMatchingHeader("Retry-After")
                .map(h -> HttpPoster.retryAfter(s.statusCode() == 429 ? 429 : 503, h)).orElse(null);
    }

    /** Connection problems and missing credentials, said the way the streams' errors say them. */
    private static String clientProblem(SdkClientException c) {
        for (Throwable t = c; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.net.ConnectException) {
                return "connection refused";
            }
            if (t instanceof java.net.UnknownHostException) {
                return "cannot resolve host";
            }
            if (t instanceof java.net.SocketTimeoutException) {
                return "timed out";
            }
        }
        String message = String.valueOf(c.getMessage());
        if (message.contains("Unable to load credentials")) {
            return "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run "
                    + "with an IAM role";
        }
        String text = Redaction.oneLine(message);
        return text.length() > MAX_TEXT ? text.substring(0, MAX_TEXT) + "..." : text;
    }
}
