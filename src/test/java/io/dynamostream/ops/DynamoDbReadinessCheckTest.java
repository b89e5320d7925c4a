package io.dynamostream.ops;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.microprofile.health.HealthCheckResponse.Status;
import org.junit.jupiter.api.Test;

import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.ListTablesRequest;
import software.amazon.awssdk.services.dynamodb.model.ListTablesResponse;

import io.dynamostream.TestClock;

class DynamoDbReadinessCheckTest {

    private final AtomicInteger calls = new AtomicInteger();
    private volatile RuntimeException failure;
    private volatile ListTablesRequest lastRequest;

    private final DynamoDbClient dynamoDb = new DynamoDbClient() {
        @Override
        public ListTablesResponse listTables(ListTablesRequest request) {
            calls.incrementAndGet();
            lastRequest = request;
            if (failure != null) {
                throw failure;
            }
            return ListTablesResponse.builder().build();
        }

        @Override
        public String serviceName() {
            return "dynamodb";
        }

        @Override
        public void close() {
        }
    };

    private final TestClock clock = new TestClock(Instant.parse("2026-03-30T12:00:00Z"));

    private final DynamoDbReadinessCheck check =
            new DynamoDbReadinessCheck(dynamoDb, Duration.ofSeconds(2), Duration.ofSeconds(2), clock);

    @Test
    void givenReachableDynamoDb_thenUpWithOneCheapCallWithTimeout() {
        assertEquals(Status.UP, check.call().getStatus());
        assertEquals(1, calls.get());
        assertEquals(1, lastRequest.limit());
        assertEquals(Duration.ofSeconds(2), lastRequest.overrideConfiguration().orElseThrow().apiCallTimeout()
                .orElseThrow());
    }

    @Test
    void givenProbesWithinTheCacheTime_thenDynamoDbIsCalledOnce() {
        check.call();
        clock.advance(Duration.ofMillis(1999));
        check.call();
        assertEquals(1, calls.get());
        clock.advance(Duration.ofMillis(1));
        check.call();
        assertEquals(2, calls.get());
    }

    @Test
    void givenUnreachableDynamoDb_thenDownWithTheErrorButNoUrl() {
        failure = SdkClientException.create("Unable to execute HTTP request to http://dynamodb.internal:8000/x?k=1");
        var r = check.call();
        assertEquals(Status.DOWN, r.getStatus());
        String error = (String) r.getData().orElseThrow().get("error");
        assertThat(error, containsString("calling DynamoDB failed: Unable to execute HTTP request to <url>"));
        assertThat(error, not(containsString("dynamodb.internal")));
        assertThat(error, not(containsString("Exception")));
    }

    @Test
    void givenNoCredentialsBehindTheClientsCreationError_thenDownWithOneSentenceNamingTheVariables() {
        failure = new jakarta.enterprise.inject.CreationException("Error creating synthetic bean [x]: "
                + "software.amazon.awssdk.core.exception.SdkClientException: Unable to load credentials ...",
                SdkClientException.create("Unable to load credentials from any of the providers in the chain "
                        + "AwsCredentialsProviderChain(credentialsProviders=[SystemPropertyCredentialsProvider()])"));
        String error = (String) check.call().getData().orElseThrow().get("error");
        assertEquals("no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, "
                + "or run with an IAM role", error);
    }

    @Test
    void givenConnectionRefused_thenDownSayingDynamoDbCannotBeReached() {
        failure = SdkClientException.builder().message("Unable to execute HTTP request: Connection refused")
                .cause(new java.net.ConnectException("Connection refused")).build();
        assertEquals("cannot reach DynamoDB: connection refused", check.call().getData().orElseThrow().get("error"));
    }

    @Test
    void givenDownThenBack_whenCacheExpired_thenUpAgain() {
        failure = SdkClientException.create("Connection refused");
        assertEquals(Status.DOWN, check.call().getStatus());
        failure = null;
        clock.advance(Duration.ofSeconds(2));
        assertEquals(Status.UP, check.call().getStatus());
    }
}
