package io.dynamostream.aws;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ConnectException;
import java.net.UnknownHostException;

import jakarta.enterprise.inject.CreationException;

import org.junit.jupiter.api.Test;

import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;

/**
 * What the operator reads when a DynamoDB call fails on our side of the connection: one sentence naming what to set
 * or what is wrong, no exception class names, and never a terminal error for something that can come right by itself
 * (credentials appearing, DynamoDB coming back).
 */
class StreamErrorsTest {

    private static final String CHAIN = "Unable to load credentials from any of the providers in the chain "
            + "AwsCredentialsProviderChain(credentialsProviders=[SystemPropertyCredentialsProvider(), "
            + "EnvironmentVariableCredentialsProvider(), WebIdentityTokenCredentialsProvider(), "
            + "ProfileCredentialsProvider(profileName=default, profileFile=ProfileFile(sections=[])), "
            + "ContainerCredentialsProvider(), InstanceProfileCredentialsProvider()]) : "
            + "[SystemPropertyCredentialsProvider(): Unable to load credentials from system settings. ...]";

    @Test
    void givenNoCredentials_thenTransientWithOneSentenceNamingTheVariables() {
        SdkClientException e = SdkClientException.create(CHAIN);
        assertEquals(StreamErrors.TRANSIENT, StreamErrors.classify(e));
        assertEquals("no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, "
                + "or run with an IAM role", StreamErrors.describe(e));
    }

    @Test
    void givenTheClientsCreationErrorAroundTheSdkError_thenItReadsAndClassifiesLikeTheSdkError() {
        String region = "Unable to load region from any of the providers in the chain "
                + "software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain@568eaee1: "
                + "[software.amazon.awssdk.regions.providers.SystemSettingsRegionProvider@6e0e048a: Unable to load "
                + "region from system settings. Region must be specified either via environment variable "
                + "(AWS_REGION) or  system property (aws.region)., ...]";
        CreationException e = new CreationException("Error creating synthetic bean [teicyw0ZJfvJO-tXnDLupLroKEM]: "
                + "software.amazon.awssdk.core.exception.SdkClientException: " + region,
                SdkClientException.create(region));

        assertEquals(StreamErrors.TRANSIENT, StreamErrors.classify(e), "never an ERROR with 700 characters");
        assertEquals("no AWS region configured: set AWS_REGION (or AWS_DEFAULT_REGION), or DYNAMODB_ENDPOINT_URL "
                + "for a local DynamoDB server", StreamErrors.describe(e));
        assertTrue(StreamErrors.isMissingRegion(e));
    }

    @Test
    void givenConnectionRefused_thenTransientAndCannotReach() {
        SdkClientException e = SdkClientException.builder()
                .message("Unable to execute HTTP request: Connection refused")
                .cause(new ConnectException("Connection refused")).build();
        assertEquals(StreamErrors.TRANSIENT, StreamErrors.classify(e));
        assertEquals("cannot reach DynamoDB: connection refused", StreamErrors.describe(e));
    }

    @Test
    void givenUnknownHost_thenCannotReachNamingTheHost() {
        SdkClientException e = SdkClientException.builder()
                .message("Unable to execute HTTP request: dynamodb.nowhere.invalid")
                .cause(new UnknownHostException("dynamodb.nowhere.invalid")).build();
        assertEquals(StreamErrors.TRANSIENT, StreamErrors.classify(e));
        assertEquals("cannot reach DynamoDB: host name dynamodb.nowhere.invalid not found", StreamErrors.describe(e));
    }

    @Test
    void givenAttemptTimeout_thenTransientAndNoAnswerInTime() {
        ApiCallAttemptTimeoutException e = ApiCallAttemptTimeoutException.create(10_000);
        assertEquals(StreamErrors.TRANSIENT, StreamErrors.classify(e));
        assertEquals("cannot reach DynamoDB: no answer in time", StreamErrors.describe(e));
    }

    @Test
    void givenAnotherClientError_thenItsFirstSentenceWithoutClassNames() {
        String text = StreamErrors.describe(SdkClientException.create("Unable to marshall request: [bad]\nmore"));
        assertEquals("calling DynamoDB failed: Unable to marshall request", text);
        assertThat(text, not(containsString("Exception")));
    }

    @Test
    void givenAnAwsAnswer_thenItsCodeAndMessage() {
        DynamoDbException e = (DynamoDbException) DynamoDbException.builder().statusCode(400)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode("AccessDeniedException")
                        .errorMessage("not allowed").build()).build();
        assertEquals(StreamErrors.FATAL, StreamErrors.classify(e));
        assertEquals("AccessDeniedException: not allowed", StreamErrors.describe(e));
    }
}
