package io.dynamostream.aws;

import java.io.IOException;
import java.io.UncheckedIOException;

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
 * What an error from the DynamoDB or DynamoDB Streams API means for a reader (the stream facts in src/site/markdown/architecture.md and the DynamoDB Streams API reference).
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

    public static StreamErrors classify(Throwable t) {
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
    public static boolean isThrottling(Throwable t) {
        if (t instanceof LimitExceededException || t instanceof ProvisionedThroughputExceededException
                || t instanceof RequestLimitExceededException) {
            return true;
        }
        return t instanceof AwsServiceException aws && (aws.isThrottlingException()
                || aws.awsErrorDetails() != null && aws.awsErrorDetails().errorCode() != null
                        && aws.awsErrorDetails().errorCode().contains("Throttl"));
    }

    /** A short, readable description of an AWS error (error code and message, no stack). */
    public static String describe(Throwable t) {
        if (t instanceof AwsServiceException aws && aws.awsErrorDetails() != null) {
            return aws.awsErrorDetails().errorCode() + ": " + aws.awsErrorDetails().errorMessage();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }
}
