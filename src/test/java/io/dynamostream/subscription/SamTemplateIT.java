package io.dynamostream.subscription;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.dynamostream.AwsLocal;
import io.dynamostream.delivery.ElasticMq;
import io.dynamostream.dev.LocalDynamoDbServer;
import io.dynamostream.e2e.Dynamo;
import io.dynamostream.e2e.ServiceProcess;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * The packaged service started as the README's walk-through does, with a SAM template as {@code CONFIG_PATH} and
 * {@code AWS_ENDPOINT_URL_LAMBDA} at a local Lambda runtime (serverless-offline running {@code lambda/handler.js},
 * which fails on a record whose {@code fail} is {@code "error"}), and the template's on-failure queue on a real SQS
 * server (ElasticMQ): the records reach the function, and the one it fails on reaches the queue as Lambda's invocation
 * record. And a template that cannot be resolved stops the start with one line naming it and the line.
 */
class SamTemplateIT {

    private static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar");
    private static final Path TEMPLATE = Path.of("src/test/resources/sam/serverless-offline.yaml");
    private static final String FUNCTION = "dynamo-stream-test-dev-records";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void givenASamTemplateAsConfigPath_whenItemsAreWritten_thenTheFunctionGetsThemAndItsFailureGoesToTheQueue()
            throws Exception {
        Path log = dir.resolve("service.log");
        try (LocalDynamoDbServer db = LocalDynamoDbServer.start(); AwsLocal offline = AwsLocal.serverlessOffline();
                ElasticMq sqs = new ElasticMq()) {
            Dynamo dynamo = new Dynamo(db.endpoint());
            // the names the template gives them: TableName and QueueName, with the parameter's Default
            dynamo.createTable("dynamo-stream-test-people", StreamViewType.NEW_AND_OLD_IMAGES);
            sqs.create("dynamo-stream-test-failed-batches");
            Map<String, String> env = Map.of("CONFIG_PATH", TEMPLATE.toAbsolutePath().toString(),
                    "DYNAMODB_ENDPOINT_URL", db.endpoint().toString(), "AWS_REGION", "us-east-1",
                    "AWS_ACCESS_KEY_ID", "x", "AWS_SECRET_ACCESS_KEY", "x",
                    "AWS_ENDPOINT_URL_LAMBDA", offline.endpoint().toString(),
                    "AWS_ENDPOINT_URL_SQS", sqs.endpoint().toString(),
                    "DYNAMO_STREAM_STATE_DIR", dir.resolve("state").toString());
            try (ServiceProcess service = ServiceProcess.start(JAR, List.of("-XX:TieredStopAtLevel=1"), env, log,
                    Duration.ofSeconds(90))) {
                HttpClient http = HttpClient.newHttpClient();
                JsonNode list = Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                        .ignoreExceptions().until(() -> JSON.readTree(http.send(HttpRequest.newBuilder(
                                service.base()).build(), HttpResponse.BodyHandlers.ofString()).body()),
                                n -> n.size() == 1 && n.elements().next().path("status").asText().equals("RUNNING"));
                JsonNode subscription = list.elements().next();
                assertEquals("dynamo-stream-test-people", subscription.get("table_name").asText(), list.toString());
                assertTrue(subscription.get("url").asText().endsWith(":function:" + FUNCTION), list.toString());

                dynamo.put("dynamo-stream-test-people", Map.of("pk", AttributeValue.fromS("alice")));
                dynamo.put("dynamo-stream-test-people", Map.of("pk", AttributeValue.fromS("bob"),
                        "fail", AttributeValue.fromS("error")));
                dynamo.put("dynamo-stream-test-people", Map.of("pk", AttributeValue.fromS("carol")));

                // the queue gets Lambda's invocation record (and the incident notification that goes with it)
                List<JsonNode> failed = new ArrayList<>();
                Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> {
                    for (Message m : sqs.drain("dynamo-stream-test-failed-batches")) {
                        failed.add(JSON.readTree(m.body()));
                    }
                    return failed.stream().anyMatch(n -> n.has("DDBStreamBatchInfo"));
                });
                JsonNode invocation = failed.stream().filter(n -> n.has("DDBStreamBatchInfo")).findFirst().get();
                assertEquals("RetryAttemptsExhausted", invocation.at("/requestContext/condition").asText(),
                        invocation.toString());
                assertEquals("Unhandled", invocation.at("/responseContext/functionError").asText(),
                        "the function itself failed on bob: " + invocation);
                assertEquals(1, invocation.at("/DDBStreamBatchInfo/batchSize").asInt(), invocation.toString());

                // alice and carol were invoked with success: two records delivered, none left behind
                String id = list.fieldNames().next();
                Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                        .until(() -> delivered(http, service, id), n -> n == 2.0);
                assertEquals("RUNNING", service.subscription(id).get("status").asText(), "Lambda goes on");
            } catch (Exception | AssertionError e) {
                System.out.println("service log:\n" + (Files.exists(log) ? Files.readString(log) : "none")
                        + "\nserverless-offline:\n" + offline.output());
                throw e;
            }
        }
    }

    @Test
    void givenATemplateWithAnUnknownResource_whenTheServiceStarts_thenItExitsWithOneLineNamingTheTemplateLine()
            throws Exception {
        Path template = Path.of("src/test/resources/sam/broken/unknown-resource.yaml").toAbsolutePath();
        ProcessBuilder pb = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-jar",
                JAR.toString()).redirectErrorStream(true);
        pb.environment().putAll(Map.of("CONFIG_PATH", template.toString(), "PORT", "0",
                "DYNAMODB_ENDPOINT_URL", "http://127.0.0.1:9", "AWS_REGION", "us-east-1",
                "DYNAMO_STREAM_STATE_DIR", dir.resolve("state").toString()));
        pb.environment().remove("QUARKUS_PROFILE");
        Process service = pb.start();
        try {
            service.getOutputStream().close();
            String output = new String(service.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(service.waitFor(60, TimeUnit.SECONDS), "the service must stop by itself");
            assertNotEquals(0, service.exitValue(), output);
            assertEquals("dynamo-stream could not start: Subscription file " + template + ", line 17: Fn::GetAtt "
                    + "PersonTable: no parameter or resource 'PersonTable' in this template (a value of another stack "
                    + "would need Fn::ImportValue, which cannot be resolved locally)",
                    ServiceProcess.firstErrorRecord(output).get("message").asText(), output);
            assertFalse(output.contains("\tat "), "no stack trace: " + output);
        } finally {
            service.destroyForcibly();
        }
    }

    /** {@code dynamo_stream_records_delivered_total} of the subscription, from the service's metrics. */
    private static double delivered(HttpClient http, ServiceProcess service, String id) throws Exception {
        String metrics = http.send(HttpRequest.newBuilder(service.base().resolve("/q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return metrics.lines().filter(l -> l.startsWith("dynamo_stream_records_delivered_total{")
                && l.contains("subscription=\"" + id + "\"")).mapToDouble(l -> Double.parseDouble(
                        l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
