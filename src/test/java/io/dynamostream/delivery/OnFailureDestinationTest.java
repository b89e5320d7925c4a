package io.dynamostream.delivery;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import io.dynamostream.TestRecords;
import io.dynamostream.subscription.Subscription;

/**
 * Lambda's on-failure destinations with an HTTP receiver (WireMock): a batch given up arrives there as Lambda's
 * invocation record with the subscription's headers, and notifications of a subscription to an AWS service go there
 * too, or nowhere when it has none.
 */
class OnFailureDestinationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String INVOKE = "/2015-03-31/functions/people-handler/invocations";

    private final WireMockServer server = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    private final AwsDestinations aws = new AwsDestinations();

    {
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop();
        aws.close();
    }

    private Subscription subscription(String onFailure) {
        return AwsDestinations.subscription("{\"table_name\": \"People\", \"url\": \"arn:aws:lambda:us-east-1:"
                + "123456789012:function:people-handler\", \"endpoint_url\": \"http://127.0.0.1:" + server.port()
                + "\", \"maximum_retry_attempts\": 0, \"headers\": {\"Authorization\": \"Bearer t\"}"
                + (onFailure == null ? "" : ", \"DestinationConfig\": {\"OnFailure\": {\"Destination\": \"" + onFailure
                        + "\"}}") + "}");
    }

    @Test
    void givenARefusedBatch_whenGivenUp_thenTheHttpOnFailureDestinationGetsItsInvocationRecordAndItGoesOn()
            throws Exception {
        server.stubFor(post(urlPathEqualTo(INVOKE)).willReturn(aResponse().withStatus(400)
                .withHeader("x-amzn-ErrorType", "InvalidRequestContentException").withBody("{\"message\":\"bad\"}")));
        server.stubFor(post(urlEqualTo("/failed")).willReturn(aResponse().withStatus(204)));
        Subscription s = subscription("http://127.0.0.1:" + server.port() + "/failed");
        AwsDestinations.Listener listener = new AwsDestinations.Listener();

        BatchDelivery.Outcome outcome = aws.delivery(s).deliver(TestRecords.records(7, 9,
                Instant.parse("2026-12-01T10:00:00Z")), listener);

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome, "skip: the subscription goes on");
        assertEquals(List.of("9"), listener.handedOver);
        List<LoggedRequest> posts = server.findAll(com.github.tomakehurst.wiremock.client.WireMock
                .postRequestedFor(urlEqualTo("/failed")));
        assertEquals(1, posts.size());
        JsonNode record = JSON.readTree(posts.get(0).getBodyAsString());
        assertEquals("arn:aws:lambda:us-east-1:123456789012:function:people-handler",
                record.at("/requestContext/functionArn").asText());
        assertEquals("RetryAttemptsExhausted", record.at("/requestContext/condition").asText());
        assertEquals(1, record.at("/requestContext/approximateInvokeCount").asInt());
        assertEquals(400, record.at("/responseContext/statusCode").asInt());
        assertEquals("$LATEST", record.at("/responseContext/executedVersion").asText());
        assertTrue(record.at("/responseContext/errorMessage").asText().contains("InvalidRequestContentException"));
        assertEquals("7", record.at("/DDBStreamBatchInfo/startSequenceNumber").asText());
        assertEquals("9", record.at("/DDBStreamBatchInfo/endSequenceNumber").asText());
        assertEquals(3, record.at("/DDBStreamBatchInfo/batchSize").asInt());
        assertEquals("Bearer t", posts.get(0).getHeader("Authorization"), "the subscription's headers");
        assertNotNull(posts.get(0).getHeader("webhook-id"));
        assertEquals(1, aws.incidents.size(), "and reported as skipped");
    }

    @Test
    void givenAnHttpSubscriptionWithATokenInItsUrl_whenABatchIsGivenUp_thenTheInvocationRecordMasksTheToken()
            throws Exception {
        server.stubFor(post(urlPathEqualTo("/in")).willReturn(aResponse().withStatus(500)));
        server.stubFor(post(urlEqualTo("/failed")).willReturn(aResponse().withStatus(200)));
        Subscription s = AwsDestinations.subscription("{\"table_name\": \"People\", \"url\": \"http://127.0.0.1:"
                + server.port() + "/in?token=s3cr3t\", \"maximum_retry_attempts\": 0, \"destination_config\": "
                + "{\"on_failure\": {\"destination\": \"http://127.0.0.1:" + server.port() + "/failed\"}}}");

        BatchDelivery.Outcome outcome = aws.delivery(s).deliver(TestRecords.records(1, 1, Instant.now()),
                new AwsDestinations.Listener());

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome);
        String body = server.findAll(com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(
                urlEqualTo("/failed"))).get(0).getBodyAsString();
        JsonNode record = JSON.readTree(body);
        assertTrue(record.at("/requestContext/functionArn").asText().startsWith("http://127.0.0.1:" + server.port()
                + "/in?token="), body);
        assertTrue(!body.contains("s3cr3t"), body);
        assertEquals(500, record.at("/responseContext/statusCode").asInt());
    }

    @Test
    void givenTheOnFailureDestinationFailsToo_whenABatchIsGivenUp_thenTheSubscriptionStopsInsteadOfDroppingIt()
            throws Exception {
        server.stubFor(post(urlPathEqualTo(INVOKE)).willReturn(aResponse().withStatus(404)
                .withHeader("x-amzn-ErrorType", "ResourceNotFoundException").withBody("{\"message\":\"no such\"}")));
        server.stubFor(post(urlEqualTo("/failed")).willReturn(aResponse().withStatus(503)));
        Subscription s = subscription("http://127.0.0.1:" + server.port() + "/failed");

        BatchDelivery.Outcome outcome = aws.delivery(s).deliver(TestRecords.records(1, 2, Instant.now()),
                new AwsDestinations.Listener());

        BatchDelivery.Outcome.Failed failed = assertInstanceOf(BatchDelivery.Outcome.Failed.class, outcome);
        assertTrue(failed.message().contains("did not take its invocation record: HTTP 503"), failed.message());
        assertEquals(InvocationRecord.ATTEMPTS, server.findAll(com.github.tomakehurst.wiremock.client.WireMock
                .postRequestedFor(urlEqualTo("/failed"))).size());
    }

    @Test
    void givenAnAwsDestination_whenItsErrorNotificationIsSent_thenItGoesToTheOnFailureDestinationOrNowhere() {
        server.stubFor(post(urlEqualTo("/failed")).willReturn(aResponse().withStatus(200)));
        Destination.Message notification = new Destination.Message(subscription(null), null, "msg_1",
                Notifications.error("People", "table People does not exist"), List.of());

        Destination.Attempt none = aws.destinations.of(subscription(null)).send(notification);
        Subscription withOnFailure = subscription("http://127.0.0.1:" + server.port() + "/failed");
        Destination.Attempt sent = aws.destinations.of(withOnFailure).send(new Destination.Message(withOnFailure, null,
                "msg_1", notification.body(), List.of()));

        assertInstanceOf(Destination.Attempt.Permanent.class, none);
        assertTrue(none.describe().contains("only to its on-failure destination"), none.describe());
        assertTrue(sent.isSuccess(), sent.describe());
        assertEquals(1, server.getAllServeEvents().size(), "no invoke for a notification: the function gets records");
        assertTrue(server.getAllServeEvents().get(0).getRequest().getBodyAsString()
                .contains("\"message\":\"table People does not exist\""));
    }
}
