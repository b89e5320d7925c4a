package io.dynamostream.aws;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;

import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.model.ExpiredIteratorException;
import software.amazon.awssdk.services.dynamodb.model.InternalServerErrorException;
import software.amazon.awssdk.services.dynamodb.model.LimitExceededException;
import software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.dynamodb.model.RequestLimitExceededException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.TrimmedDataAccessException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;

/**
 * What an error from the DynamoDB or DynamoDB Streams API means for a reader (the stream facts in
 * src/site/markdown/architecture.md and the DynamoDB Streams API reference), and how it reads to an operator.
 *
 * <p>An error may come wrapped: the client beans are created on first use, so a client that cannot be built (no
 * region, say) shows up as a CDI {@code CreationException} around the SDK's exception. Both {@link #classify} and
 * {@link #describe} look through such wrappers at the first AWS SDK exception in the cause chain.
 *
 * <p>Missing credentials and an unreachable DynamoDB (connection refused, unknown host, timeouts) are
 * {@link #TRANSIENT}: they can go away without a restart (an instance role attached later, a profile file mounted
 * later, DynamoDB coming back), so the subscriptions keep trying and show why ({@link #describe}).
 */
public enum StreamErrors {
    /** Throttling, 5xx, network: wait and retry the same call (I7). */
    TRANSIENT,
    /** The shard iterator is older than 15 minutes: re-open after the last record read. */
    EXPIRED_ITERATOR,
    /** The position fell out of the 24-hour retention: a reported gap, then TRIM_HORIZON. */
    TRIMMED,
    /** The table, stream or shard does not exist: terminal for that stream. */
    NOT_FOUND,
    /** Anything else (validation, access denied): terminal for that stream, reported with the AWS message. */
    FATAL;

    /** The environment variables that give the SDK credentials, for the messages that say they are missing. */
    static final String CREDENTIALS_HINT = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, "
            + "or run with an IAM role";

    /** The one sentence for a missing region (also the startup error, see StreamsClientProducer). */
    public static final String NO_REGION = "no AWS region configured: set AWS_REGION (or AWS_DEFAULT_REGION), "
            + "or DYNAMODB_ENDPOINT_URL for a local DynamoDB server";

    /** The one sentence for missing credentials. */
    public static final String NO_CREDENTIALS = "no AWS credentials found: " + CREDENTIALS_HINT;

    /** Classifies an error from a DynamoDB or Streams call (wrappers around the SDK's exception looked through). */
    public static StreamErrors classify(Throwable error) {
        Throwable t = sdkCause(error);
        if (t instanceof ExpiredIteratorException) {
            return EXPIRED_ITERATOR;
        }
        if (t instanceof TrimmedDataAccessException) {
            return TRIMMED;
        }
        if (t instanceof ResourceNotFoundException) {
            return NOT_FOUND;
        }
        if (t instanceof LimitExceededException || t instanceof ProvisionedThroughputExceededException
                || t instanceof RequestLimitExceededException || t instanceof InternalServerErrorException) {
            return TRANSIENT;
        }
        if (t instanceof AwsServiceException aws) {
            if (aws.isThrottlingException() || aws.statusCode() >= 500 || aws.statusCode() == 0) {
                return TRANSIENT;
            }
            String code = aws.awsErrorDetails() == null ? null : aws.awsErrorDetails().errorCode();
            if (code != null && (code.contains("Throttl") || code.contains("LimitExceeded")
                    || code.equals("InternalServerError") || code.equals("ServiceUnavailable"))) {
                return TRANSIENT;
            }
            return FATAL;
        }
        if (t instanceof SdkClientException || t instanceof IOException || t instanceof UncheckedIOException) {
            return TRANSIENT;
        }
        if (t instanceof SdkException sdk && sdk.retryable()) {
            return TRANSIENT;
        }
        return FATAL;
    }

    /** Whether AWS throttled the call (as opposed to another transient error). */
    public static boolean isThrottling(Throwable error) {
        Throwable t = sdkCause(error);
        if (t instanceof LimitExceededException || t instanceof ProvisionedThroughputExceededException
                || t instanceof RequestLimitExceededException) {
            return true;
        }
        return t instanceof AwsServiceException aws && (aws.isThrottlingException()
                || aws.awsErrorDetails() != null && aws.awsErrorDetails().errorCode() != null
                        && aws.awsErrorDetails().errorCode().contains("Throttl"));
    }

    /**
     * A short, readable description of an AWS error: the error code and message for an answer from AWS; for an error
     * on our side of the connection one sentence without exception class names (no region, no credentials, DynamoDB
     * unreachable); no stack.
     */
    public static String describe(Throwable error) {
        Throwable t = sdkCause(error);
        if (t instanceof AwsServiceException aws && aws.awsErrorDetails() != null) {
            return aws.awsErrorDetails().errorCode() + ": " + aws.awsErrorDetails().errorMessage();
        }
        if (isMissingRegion(t)) {
            return NO_REGION;
        }
        if (isMissingCredentials(t)) {
            return NO_CREDENTIALS;
        }
        String unreachable = unreachable(t);
        if (unreachable != null) {
            return unreachable;
        }
        if (t instanceof SdkClientException) {
            return "calling DynamoDB failed: " + firstLine(t.getMessage());
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    /** Whether the SDK found no region (a client cannot be built). */
    public static boolean isMissingRegion(Throwable error) {
        Throwable t = sdkCause(error);
        return t instanceof SdkClientException && t.getMessage() != null
                && t.getMessage().startsWith("Unable to load region");
    }

    /** Whether the SDK's credential chain found nothing. */
    public static boolean isMissingCredentials(Throwable error) {
        Throwable t = sdkCause(error);
        return t instanceof SdkClientException && t.getMessage() != null
                && t.getMessage().startsWith("Unable to load credentials");
    }

    /** "cannot reach DynamoDB: ..." when the call never got an answer, else null. */
    private static String unreachable(Throwable t) {
        if (t instanceof ApiCallAttemptTimeoutException || t instanceof ApiCallTimeoutException) {
            return "cannot reach DynamoDB: no answer in time";
        }
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof UnknownHostException) {
                return "cannot reach DynamoDB: host name " + c.getMessage() + " not found";
            }
            if (c instanceof ConnectException || c instanceof NoRouteToHostException) {
                return "cannot reach DynamoDB: connection refused";
            }
            if (c instanceof SocketTimeoutException || c instanceof HttpTimeoutException) {
                return "cannot reach DynamoDB: no answer in time";
            }
        }
        return null;
    }

    /**
     * The first AWS SDK exception in the cause chain (the error itself when it is one or when there is none), so a
     * CDI creation error around the SDK's exception reads and classifies like the SDK's exception.
     */
    private static Throwable sdkCause(Throwable error) {
        for (Throwable c = error; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof SdkException) {
                return c;
            }
        }
        return error;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "no details";
        }
        String line = message.lines().findFirst().orElse("").strip();
        // the SDK's chain descriptions name provider classes: the sentence before them is what matters
        int colon = line.indexOf(": [");
        return colon > 0 ? line.substring(0, colon) : line;
    }
}
