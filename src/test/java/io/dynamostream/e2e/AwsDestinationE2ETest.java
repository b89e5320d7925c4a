package io.dynamostream.e2e;

import static io.dynamostream.e2e.TestCleanup.table;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.dynamostream.delivery.ElasticMq;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * End to end with an AWS destination: the local DynamoDB + Streams server, the service, and a real SQS server
 * (ElasticMQ): what a user registering a queue ARN sees, from the 400 for a wrong ARN to the records in the queue and
 * a failed batch's invocation record in the on-failure queue.
 */
@QuarkusTest
class AwsDestinationE2ETest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static ElasticMq sqs;

    private final Dynamo dynamo = Dynamo.local();
    private final TestCleanup cleanup = new TestCleanup();
    private final List<Message> received = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() {
        sqs = new ElasticMq();
        // what AWS_ENDPOINT_URL_SQS says, for the on-failure queue of an HTTP subscription (no endpoint_url there)
        System.setProperty("aws.endpointUrlSqs", sqs.endpoint().toString());
    }

    @AfterAll
    static void stop() {
        System.clearProperty("aws.endpointUrlSqs");
        sqs.close();
    }

    @AfterEach
    void cleanUp() {
        cleanup.close();
    }



    private List<Message> arrived(String queue, int count) {
        List<Message> all = new ArrayList<>();
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            all.addAll(sqs.drain(queue));
            return all.size() >= count;
        });
        return all;
    }

    @Test
    void givenAFifoQueueArn_whenItemsAreWritten_thenEachChangeIsAMessageInItemOrder() throws Exception {
        String table = dynamo.createTable(table("ToSqs"), StreamViewType.NEW_AND_OLD_IMAGES);
        String queue = table.toLowerCase() + ".fifo";
        String arn = sqs.create(queue);
        String id = cleanup.subscribe("{\"table_name\": \"" + table + "\", \"url\": \"" + arn
                + "\", \"endpoint_url\": \""
                + sqs.endpoint() + "\", \"starting_position\": \"TRIM_HORIZON\"}");

        dynamo.put(table, "alice", 1);
        dynamo.put(table, "bob", 1);
        dynamo.put(table, "alice", 2);

        List<Message> messages = arrived(queue, 3);
        List<String> alice = new ArrayList<>();
        for (Message m : messages) {
            JsonNode record = JSON.readTree(m.body());
            assertEquals("aws:dynamodb", record.get("eventSource").asText());
            if (record.at("/dynamodb/Keys/pk/S").asText().equals("alice")) {
                alice.add(record.get("eventName").asText() + " " + record.at("/dynamodb/NewImage/n/N").asText());
            }
        }
        assertEquals(List.of("INSERT 1", "MODIFY 2"), alice);
        assertEquals("RUNNING", Api.status(id));
        given().get("/").then().body(id + ".url", equalTo(arn));
        // the destination's options read back under the names a request uses
        given().get("/subscriptions/" + id).then().statusCode(200)
                .body("settings.endpoint_url", equalTo(String.valueOf(sqs.endpoint())))
                .body("settings.message_format", equalTo("record"))
                .body("settings", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasKey("destination_config")));
    }

    @Test
    void givenAnArnOfAServiceThatIsNoDestination_whenRegistered_then400NamingUrl() {
        given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"People\", \"url\": \"arn:aws:s3:::my-bucket\"}")
                .post("/")
                .then().statusCode(400)
                .body("errors[0].field", equalTo("url"))
                .body("errors[0].messages[0]", containsString("names service 's3', which is not a destination"));
        given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"People\", \"url\": \"arn:aws:sqs:us-east-1:123456789012:q\", "
                        + "\"DestinationConfig\": {\"OnFailure\": {\"Destination\": 7}}}")
                .post("/subscriptions")
                .then().statusCode(400)
                .body("errors[0].field", equalTo("DestinationConfig.OnFailure.Destination"))
                .body("errors[0].messages[0]", equalTo("must be an HTTP URL or an ARN, not a number"));
    }

    /** Issue 12: a queue that does not exist is a 400 at registration when SQS can say so. */
    @Test
    void givenAQueueThatDoesNotExist_whenRegistered_then400NamingTheFieldAndTheQueue() {
        given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"" + table("NoQueue") + "\", \"url\": \"arn:aws:sqs:us-east-1:123456789012:"
                        + "no-such-queue\", \"endpoint_url\": \"" + sqs.endpoint() + "\"}")
                .post("/subscriptions")
                .then().statusCode(400)
                .body("errors[0].field", equalTo("url"))
                .body("errors[0].messages[0]", containsString("the SQS queue no-such-queue does not exist"));
        given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"" + table("NoQueue") + "\", \"url\": \"http://127.0.0.1:9/x\", "
                        + "\"DestinationConfig\": {\"OnFailure\": {\"Destination\": \"arn:aws:sqs:us-east-1:"
                        + "123456789012:no-such-dlq\"}}}")
                .post("/subscriptions")
                .then().statusCode(400)
                .body("errors[0].field", equalTo("DestinationConfig.OnFailure.Destination"))
                .body("errors[0].messages[0]", containsString("no-such-dlq does not exist"));
    }

    @Test
    void givenAQueueDeletedAfterRegistration_whenRecordsArrive_thenTheSubscriptionIsInErrorWithSqssText() {
        String table = dynamo.createTable(table("GoneQueue"), StreamViewType.NEW_IMAGE);
        String queue = "gone-" + table.toLowerCase(java.util.Locale.ROOT);
        String arn = sqs.create(queue);
        String id = cleanup.subscribe("{\"table_name\": \"" + table + "\", \"url\": \"" + arn
                + "\", \"endpoint_url\": \""
                + sqs.endpoint() + "\", \"starting_position\": \"TRIM_HORIZON\"}");
        sqs.delete(queue);

        dynamo.put(table, "x", 1);

        await().atMost(Duration.ofSeconds(20)).until(() -> "ERROR".equals(Api.status(id)));
        String error = Api.subscription(id).getString("error");
        assertTrue(error.contains(queue) && (error.contains("NonExistentQueue")
                || error.contains("QueueDoesNotExist")), error);
    }

    @Test
    void givenAFailingReceiverWithAnOnFailureQueue_whenABatchIsGivenUp_thenItsInvocationRecordIsQueuedAndItGoesOn()
            throws Exception {
        String table = dynamo.createTable(table("OnFailure"), StreamViewType.NEW_IMAGE);
        String failed = sqs.create(table.toLowerCase() + "-failed");
        Receiver receiver = cleanup.receiver().answering(n -> 500);
        String streamArn = dynamo.db.describeTable(r -> r.tableName(table)).table().latestStreamArn();
        String id = cleanup.subscribe("{\"table_name\": \"" + table + "\", \"url\": \"" + receiver.url() + "\", "
                + "\"starting_position\": \"TRIM_HORIZON\", \"maximum_retry_attempts\": 1, "
                + "\"destination_config\": {\"on_failure\": {\"destination\": \"" + failed + "\"}}}");

        dynamo.put(table, "x", 1);

        List<Message> records = arrived(failed.substring(failed.lastIndexOf(':') + 1), 1);
        JsonNode invocation = JSON.readTree(records.get(0).body());
        assertEquals("RetryAttemptsExhausted", invocation.at("/requestContext/condition").asText());
        assertEquals(2, invocation.at("/requestContext/approximateInvokeCount").asInt());
        assertEquals(500, invocation.at("/responseContext/statusCode").asInt());
        assertEquals(streamArn, invocation.at("/DDBStreamBatchInfo/streamArn").asText());
        assertEquals(1, invocation.at("/DDBStreamBatchInfo/batchSize").asInt());
        assertEquals("RUNNING", Api.status(id), "the subscription goes on, as in Lambda");
        given().get("/subscriptions/" + id).then().statusCode(200)
                .body("settings.destination_config.on_failure.destination", equalTo(failed))
                .body("settings.on_failure", equalTo("skip"))
                .body("settings", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasKey("message_format")));
    }
}
