package io.dynamostream.delivery;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;

import io.dynamostream.subscription.Subscription;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.StreamRecord;

/**
 * SNS and EventBridge answering per entry, scripted in WireMock with the services' documented XML and JSON (they
 * have no local server here; SQS shares the same code, {@link EntryDestination}, and is tested against ElasticMQ, which
 * never fails a single entry): only the entries that failed
 * are sent again, a later record of an item never overtakes an earlier one that failed, and a message is delivered
 * once every entry is accepted.
 */
class EntryFailuresTest {

    private final WireMockServer aws = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    private final AwsDestinations destinations = new AwsDestinations();

    {
        aws.start();
    }

    @AfterEach
    void stop() {
        aws.stop();
        destinations.close();
    }

    private Subscription subscription(String arn) {
        return AwsDestinations.subscription("{\"table_name\": \"People\", \"url\": \"" + arn + "\", \"endpoint_url\": "
                + "\"http://127.0.0.1:" + aws.port() + "\"}");
    }

    /** e1 (item a), e2 (item b), e3 (item b again), e4 (item c). */
    private static List<Record> records() {
        List<Record> out = new ArrayList<>();
        String[] items = {"a", "b", "b", "c"};
        for (int i = 0; i < items.length; i++) {
            out.add(Record.builder().eventID("e" + (i + 1)).eventName("INSERT").dynamodb(StreamRecord.builder()
                    .sequenceNumber(Integer.toString(i + 1)).approximateCreationDateTime(Instant.now())
                    .keys(Map.of("id", AttributeValue.fromS(items[i]))).build()).build());
        }
        return out;
    }

    /** The event ids in each call, in order. */
    private List<List<String>> calls(String operation) {
        List<ServeEvent> events = new ArrayList<>(aws.getAllServeEvents());
        java.util.Collections.reverse(events); // WireMock lists the newest first
        List<List<String>> calls = new ArrayList<>();
        Pattern id = Pattern.compile("\\\\?\"eventID\\\\?\":\\\\?\"(e[0-9]+)");
        for (ServeEvent e : events) {
            String body = URLDecoder.decode(e.getRequest().getBodyAsString(), StandardCharsets.UTF_8);
            if (!body.contains(operation) && !String.valueOf(e.getRequest().getHeader("X-Amz-Target"))
                    .endsWith(operation)) {
                continue;
            }
            List<String> ids = new ArrayList<>();
            Matcher m = id.matcher(body);
            while (m.find()) {
                ids.add(m.group(1));
            }
            calls.add(ids);
        }
        return calls;
    }

    @Test
    void givenSnsFailsOneEntry_whenDelivering_thenOnlyItIsSentAgainAndTheItemsNextRecordWaitsForIt() throws Exception {
        String ok = "<PublishBatchResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><PublishBatchResult>"
                + "<Successful>%s</Successful><Failed>%s</Failed></PublishBatchResult><ResponseMetadata><RequestId>r"
                + "</RequestId></ResponseMetadata></PublishBatchResponse>";
        String member = "<member><Id>%d</Id><MessageId>m%d</MessageId></member>";
        aws.stubFor(post(urlEqualTo("/")).withRequestBody(containing("Action=PublishBatch"))
                .inScenario("sns").whenScenarioStateIs(Scenario.STARTED).willSetStateTo("recovered")
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "text/xml").withBody(String.format(
                        ok, String.format(member, 0, 0) + String.format(member, 2, 2),
                        "<member><Id>1</Id><Code>InternalError</Code><Message>try again</Message>"
                                + "<SenderFault>false</SenderFault></member>"))));
        aws.stubFor(post(urlEqualTo("/")).withRequestBody(containing("Action=PublishBatch"))
                .inScenario("sns").whenScenarioStateIs("recovered")
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "text/xml").withBody(String.format(
                        ok, String.format(member, 0, 0), ""))));
        Subscription s = subscription("arn:aws:sns:us-east-1:123456789012:people");
        AwsDestinations.Listener listener = new AwsDestinations.Listener();

        BatchDelivery.Outcome outcome = destinations.delivery(s).deliver(records(), listener);

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome);
        // e3 (item b) is never in the call with e2, and waits while e2 failed; e1 and e4 are not sent twice
        assertEquals(List.of(List.of("e1", "e2", "e4"), List.of("e2"), List.of("e3")), calls("PublishBatch"));
        assertEquals(2, listener.attempts.size());
        assertTrue(listener.failures.get(0).contains("2 of 4 messages not accepted (1 failed"), listener.failures.get(0));
        assertTrue(listener.failures.get(0).contains("InternalError: try again"), listener.failures.get(0));
        assertTrue(aws.getAllServeEvents().stream().allMatch(e -> e.getRequest().getBodyAsString().contains(
                "MessageAttributes.entry.1.Name=webhook-id") || !e.getRequest().getBodyAsString()
                .contains("PublishBatch")), "webhook-id is a message attribute");
    }

    @Test
    void givenEventBridgeFailsOneEntry_whenDelivering_thenOnlyItIsSentAgain() throws Exception {
        aws.stubFor(post(urlEqualTo("/")).withHeader("X-Amz-Target", equalTo("AWSEvents.PutEvents"))
                .inScenario("events").whenScenarioStateIs(Scenario.STARTED).willSetStateTo("recovered")
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/x-amz-json-1.1")
                        .withBody("{\"FailedEntryCount\": 1, \"Entries\": [{\"EventId\": \"a\"}, {\"ErrorCode\": "
                                + "\"InternalFailure\", \"ErrorMessage\": \"internal error\"}, {\"EventId\": \"c\"}]}")));
        aws.stubFor(post(urlEqualTo("/")).withHeader("X-Amz-Target", equalTo("AWSEvents.PutEvents"))
                .inScenario("events").whenScenarioStateIs("recovered")
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/x-amz-json-1.1")
                        .withBody("{\"FailedEntryCount\": 0, \"Entries\": [{\"EventId\": \"d\"}]}")));
        Subscription s = subscription("arn:aws:events:us-east-1:123456789012:event-bus/people-bus");

        BatchDelivery.Outcome outcome = destinations.delivery(s).deliver(records(), new AwsDestinations.Listener());

        assertInstanceOf(BatchDelivery.Outcome.Done.class, outcome);
        assertEquals(List.of(List.of("e1", "e2", "e4"), List.of("e2"), List.of("e3")), calls("PutEvents"));
        String first = aws.getAllServeEvents().get(aws.getAllServeEvents().size() - 1).getRequest().getBodyAsString();
        assertTrue(first.contains("\"Source\":\"dynamo-stream\""), first);
        assertTrue(first.contains("\"DetailType\":\"Event from aws:dynamodb\""), first);
        assertTrue(first.contains("\"EventBusName\":\"people-bus\""), first);
    }

    @Test
    void givenAFifoTopic_whenPublishing_thenEachEntryHasTheItemsKeysAsGroupAndItsEventIdAsDeduplicationId() {
        aws.stubFor(post(urlEqualTo("/")).withRequestBody(containing("Action=PublishBatch"))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "text/xml").withBody(
                        "<PublishBatchResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><PublishBatchResult>"
                                + "<Successful><member><Id>0</Id><MessageId>m0</MessageId></member><member><Id>1</Id>"
                                + "<MessageId>m1</MessageId></member><member><Id>2</Id><MessageId>m2</MessageId>"
                                + "</member></Successful><Failed/></PublishBatchResult></PublishBatchResponse>")));
        Subscription s = subscription("arn:aws:sns:us-east-1:123456789012:people.fifo");

        Destination.Attempt attempt = destinations.destinations.of(s).send(AwsDestinations.batch(s, records()));

        assertTrue(attempt.isSuccess(), attempt.describe());
        String first = URLDecoder.decode(aws.getAllServeEvents().get(aws.getAllServeEvents().size() - 1).getRequest()
                .getBodyAsString(), StandardCharsets.UTF_8);
        assertTrue(first.contains("TopicArn=arn:aws:sns:us-east-1:123456789012:people.fifo"), first);
        assertTrue(first.contains("PublishBatchRequestEntries.member.1.MessageGroupId={\"id\":{\"S\":\"a\"}}"), first);
        assertTrue(first.contains("PublishBatchRequestEntries.member.1.MessageDeduplicationId=e1"), first);
        assertTrue(first.contains("PublishBatchRequestEntries.member.2.MessageGroupId={\"id\":{\"S\":\"b\"}}"), first);
    }

    @Test
    void givenATopicThatDoesNotExist_whenDelivering_thenTheSubscriptionEndsInErrorWithSnssText() throws Exception {
        aws.stubFor(post(urlEqualTo("/")).withRequestBody(containing("Action=PublishBatch"))
                .willReturn(aResponse().withStatus(404).withHeader("Content-Type", "text/xml").withBody(
                        "<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist"
                                + "</Message></Error><RequestId>r</RequestId></ErrorResponse>")));
        Subscription s = subscription("arn:aws:sns:us-east-1:123456789012:gone");

        BatchDelivery.Outcome outcome = destinations.delivery(s).deliver(records(), new AwsDestinations.Listener());

        BatchDelivery.Outcome.Failed failed = assertInstanceOf(BatchDelivery.Outcome.Failed.class, outcome);
        assertTrue(failed.message().contains("SNS topic gone: HTTP 404 NotFound: Topic does not exist"),
                failed.message());
    }
}
