package io.dynamostream.delivery;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.github.tomakehurst.wiremock.WireMockServer;

import io.dynamostream.TestRecords;
import io.dynamostream.subscription.Subscription;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.StreamRecord;

/**
 * The Lambda destination against WireMock scripts of the answers AWS, {@code sam local start-lambda}, the Runtime
 * Interface Emulator and serverless-offline document for a synchronous invoke: what counts as delivered, as a
 * function error, as worth a retry and as refused for good, and that a batch over 6 MB is split.
 */
class LambdaDestinationTest {

    private static final String INVOKE = "/2015-03-31/functions/people-handler/invocations";

    private final WireMockServer lambda = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    private final AwsDestinations aws = new AwsDestinations();

    {
        lambda.start();
    }

    @AfterEach
    void stop() {
        lambda.stop();
        aws.close();
    }

    private Subscription subscription(String arn) {
        return AwsDestinations.subscription("{\"table_name\": \"People\", \"url\": \"" + arn + "\", \"endpoint_url\": "
                + "\"http://127.0.0.1:" + lambda.port() + "\", \"maximum_retry_attempts\": 2}");
    }

    private Destination.Attempt invoke(List<Record> records) {
        Subscription s = subscription("arn:aws:lambda:us-east-1:123456789012:function:people-handler");
        return aws.destinations.of(s).send(AwsDestinations.batch(s, records));
    }

    private static List<Record> records() {
        return TestRecords.records(1, 3, Instant.parse("2026-12-01T10:00:00Z"));
    }

    @Test
    void givenAFunction_whenInvoked_thenItGetsLambdasExactBodyByNameWithItsQualifierAndItsAnswerIsKept() {
        lambda.stubFor(post(urlPathEqualTo(INVOKE)).willReturn(aResponse().withStatus(200)
                .withHeader("X-Amz-Executed-Version", "7").withBody("{\"batchItemFailures\":[]}")));
        Subscription s = subscription("arn:aws:lambda:us-east-1:123456789012:function:people-handler:live");
        Destination.Message m = AwsDestinations.batch(s, records());

        Destination.Attempt attempt = aws.destinations.of(s).send(m);

        Destination.Attempt.Delivered delivered = assertInstanceOf(Destination.Attempt.Delivered.class, attempt);
        assertEquals("{\"batchItemFailures\":[]}", new String(delivered.response(), StandardCharsets.UTF_8));
        lambda.verify(postRequestedFor(urlPathEqualTo(INVOKE)).withQueryParam("Qualifier", equalTo("live"))
                .withHeader("X-Amz-Invocation-Type", equalTo("RequestResponse"))
                .withRequestBody(equalToJson(new String(m.body(), StandardCharsets.UTF_8))));
        assertEquals(new String(m.body(), StandardCharsets.UTF_8), lambda.getAllServeEvents().get(0).getRequest()
                .getBodyAsString(), "the body is Lambda's {\"Records\": [...]}, byte for byte");
        assertEquals("lambda", aws.destinations.of(s).type());
    }

    @Test
    void givenAwsOrSamReportAFunctionError_whenInvoked_thenItIsRetriedWithTheFunctionsMessage() {
        // AWS and sam local: 200 with X-Amz-Function-Error and the error object
        lambda.stubFor(post(urlPathEqualTo(INVOKE)).willReturn(aResponse().withStatus(200)
                .withHeader("X-Amz-Function-Error", "Unhandled")
                .withBody("{\"errorMessage\":\"table not found\",\"errorType\":\"ResourceNotFoundException\"}")));

        Destination.Attempt attempt = invoke(records());

        Destination.Attempt.Retryable retry = assertInstanceOf(Destination.Attempt.Retryable.class, attempt);
        assertTrue(retry.describe().startsWith("function error (Unhandled)"), retry.describe());
        assertTrue(retry.describe().contains("ResourceNotFoundException: table not found"), retry.describe());
    }

    @Test
    void givenTheRuntimeInterfaceEmulatorReportsAnErrorWithA200_whenInvoked_thenItIsAFunctionError() {
        // the emulator: a plain 200 with the error object and no header
        lambda.stubFor(post(urlPathEqualTo(INVOKE)).willReturn(aResponse().withStatus(200).withBody(
                "{\"errorMessage\": \"boom\", \"errorType\": \"Error\", \"stackTrace\": [\"at handler (index.js:3)\"]}")));

        Destination.Attempt attempt = invoke(records());

        assertInstanceOf(Destination.Attempt.Retryable.class, attempt);
        assertTrue(attempt.describe().startsWith("function error"), attempt.describe());
        assertTrue(attempt.describe().contains("Error: boom"), attempt.describe());
    }

    @Test
    void givenTheEmulatorSaysTheTaskTimedOut_whenInvoked_thenItIsARetryableTimeout() {
        lambda.stubFor(post(urlPathEqualTo(INVOKE)).willReturn(aResponse().withStatus(200)
                .withBody("Task timed out after 3.00 seconds")));

        Destination.Attempt attempt = invoke(records());

        assertInstanceOf(Destination.Attempt.Retryable.class, attempt);
        assertTrue(attempt.describe().contains("Task timed out after 3.00 seconds"), attempt.describe());
    }

    @Test
    void givenServerlessOfflineAnswers500WithTheErrorType_whenInvoked_thenItIsAFunctionError() {
        lambda.stubFor(post(urlPathEqualTo(INVOKE)).willReturn(aResponse().withStatus(500)
                .withHeader("x-amzn-ErrorType", "TypeError")
                .withBody("{\"errorMessage\":\"Cannot read properties of undefined\",\"errorType\":\"TypeError\"}")));

        Destination.Attempt attempt = invoke(records());

        assertInstanceOf(Destination.Attempt.Retryable.class, attempt);
        assertTrue(attempt.describe().startsWith("function error (TypeError)"), attempt.describe());
    }

    @Test
    void givenThrottling_whenInvoked_thenItIsRetriedNoSoonerThanLambdaAsks() {
        lambda.stubFor(post(urlPathEqualTo(INVOKE)).willReturn(aResponse().withStatus(429)
                .withHeader("x-amzn-ErrorType", "TooManyRequestsException").withHeader("Retry-After", "3")
                .withBody("{\"Reason\":\"ConcurrentInvocationLimitExceeded\",\"message\":\"Rate Exceeded.\"}")));

        Destination.Attempt attempt = invoke(records());

        Destination.Attempt.Retryable retry = assertInstanceOf(Destination.Attempt.Retryable.class, attempt);
        assertEquals(Duration.ofSeconds(3), retry.delay());
        assertTrue(retry.describe().contains("429 TooManyRequestsException"), retry.describe());
    }

    @Test
    void givenLambdaFails_whenInvoked_thenItIsRetried() {
        lambda.stubFor(post(urlPathEqualTo(INVOKE)).willReturn(aResponse().withStatus(500)
                .withHeader("x-amzn-ErrorType", "ServiceException").withBody("{\"message\":\"internal failure\"}")));

        Destination.Attempt attempt = invoke(records());

        assertInstanceOf(Destination.Attempt.Retryable.class, attempt);
        assertTrue(attempt.describe().contains("HTTP 500 ServiceException: internal failure"), attempt.describe());
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 404, 413, 415})
    void givenARefusal_whenDelivering_thenNoRetryAndTheBatchGoesToOnFailure(int status) throws Exception {
        String code = Map.of(400, "InvalidRequestContentException", 404, "ResourceNotFoundException", 413,
                "RequestTooLargeException", 415, "UnsupportedMediaTypeException").get(status);
        lambda.stubFor(post(urlPathEqualTo(INVOKE)).willReturn(aResponse().withStatus(status)
                .withHeader("x-amzn-ErrorType", code).withBody("{\"Type\":\"User\",\"message\":\"refused\"}")));
        Subscription s = subscription("arn:aws:lambda:us-east-1:123456789012:function:people-handler");
        AwsDestinations.Listener listener = new AwsDestinations.Listener();

        BatchDelivery.Outcome outcome = aws.delivery(s).deliver(records(), listener);

        BatchDelivery.Outcome.Failed failed = assertInstanceOf(BatchDelivery.Outcome.Failed.class, outcome);
        assertTrue(failed.message().contains("HTTP " + status + " " + code), failed.message());
        assertEquals(1, lambda.getAllServeEvents().size(), "refused for good: not retried");
    }

    @Test
    void givenABatchOver6Mb_whenDelivering_thenItIsSplitUntilEachPartFitsAndEveryRecordIsDelivered() throws Exception {
        lambda.stubFor(post(urlPathEqualTo(INVOKE)).willReturn(aResponse().withStatus(200).withBody("null")));
        List<Record> big = new ArrayList<>();
        String twoMb = "x".repeat(2 * 1024 * 1024);
        for (int i = 1; i <= 4; i++) {
            big.add(Record.builder().eventID("e" + i).eventName("INSERT").dynamodb(StreamRecord.builder()
                    .sequenceNumber(Integer.toString(100 + i)).approximateCreationDateTime(Instant.now())
                    .keys(Map.of("id", AttributeValue.fromS("k" + i)))
                    .newImage(Map.of("blob", AttributeValue.fromB(SdkBytes.fromUtf8String(twoMb)))).build()).build());
        }
        Subscription s = subscription("arn:aws:lambda:us-east-1:123456789012:function:people-handler");
        AwsDestinations.Listener listener = new AwsDestinations.Listener();

        BatchDelivery.Outcome outcome = aws.delivery(s).deliver(big, listener);

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome);
        assertEquals(4, listener.delivered.stream().mapToInt(List::size).sum());
        assertTrue(lambda.getAllServeEvents().size() >= 2, "split before any invoke over 6 MB");
        lambda.getAllServeEvents().forEach(e -> assertTrue(e.getRequest().getBody().length <= 6 * 1024 * 1024));
        assertFalse(listener.failures.isEmpty());
        assertTrue(listener.failures.get(0).contains("over Lambda's limit of 6291456 bytes"), listener.failures.get(0));
    }

    @Test
    void givenAwsItself_whenInvoked_thenTheWholeArnNamesTheFunction() {
        // no endpoint: the function is named by its ARN, which also reaches another account's function
        AwsDestinations local = new AwsDestinations(AwsDestinations.env("AWS_ENDPOINT_URL_LAMBDA",
                "http://127.0.0.1:" + lambda.port())::get, Duration.ofSeconds(5));
        try (local) {
            lambda.stubFor(post(urlPathEqualTo("/2015-03-31/functions/"
                    + "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Apeople-handler/invocations"))
                    .willReturn(aResponse().withStatus(200).withBody("{}")));
            lambda.stubFor(post(urlPathEqualTo(INVOKE)).willReturn(aResponse().withStatus(200).withBody("{}")));
            Subscription s = AwsDestinations.subscription("{\"table_name\": \"People\", \"url\": "
                    + "\"arn:aws:lambda:us-east-1:123456789012:function:people-handler\"}");

            Destination.Attempt attempt = local.destinations.of(s).send(AwsDestinations.batch(s, records()));

            assertTrue(attempt.isSuccess(), attempt.describe());
            assertEquals(1, lambda.getAllServeEvents().size(), "AWS_ENDPOINT_URL_LAMBDA is the endpoint");
        }
    }
}
