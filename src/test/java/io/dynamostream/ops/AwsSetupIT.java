package io.dynamostream.ops;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.dynamostream.TcpForwarder;
import io.dynamostream.dev.LocalDynamoDbServer;
import io.dynamostream.e2e.Dynamo;
import io.dynamostream.e2e.Receiver;
import io.dynamostream.e2e.ServiceProcess;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * The packaged service started with an incomplete AWS setup, as an operator would: no region (a startup error in one
 * line naming what to set), no credentials (readiness and the subscriptions say which variables to set), DynamoDB
 * not reachable yet (subscriptions RETRYING with the reason, then reading by themselves once it answers).
 *
 * <p>Each child gets this JVM's environment without any {@code AWS_*} variable, with profile files that do not
 * exist and the instance metadata lookups off, so nothing on the build machine supplies a region or credentials.
 */
class AwsSetupIT {

    private static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String NO_CREDENTIALS = "no AWS credentials found: set AWS_ACCESS_KEY_ID and "
            + "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with an IAM role";

    @TempDir
    Path dir;

    @Test
    void givenNoEndpointAndNoRegion_whenServiceStarts_thenItExitsWithOneLineNamingTheVariablesToSet()
            throws Exception {
        Path log = dir.resolve("service.log");
        Process service = start(Map.of("PORT", Integer.toString(freePort())), log);
        try {
            assertTrue(service.waitFor(60, TimeUnit.SECONDS), "the service must stop by itself: "
                    + Files.readString(log));
            String output = Files.readString(log);
            assertNotEquals(0, service.exitValue());
            assertEquals("dynamo-stream could not start: no AWS region configured: set AWS_REGION (or "
                    + "AWS_DEFAULT_REGION), or DYNAMODB_ENDPOINT_URL for a local DynamoDB server",
                    ServiceProcess.firstErrorRecord(output).get("message").asText(), output);
            assertThat(output, not(containsString("\tat ")));
            assertThat(output, not(containsString("CreationException")));
        } finally {
            service.destroyForcibly();
        }
    }

    @Test
    void givenRegionButNoCredentials_whenSubscribed_thenReadinessAndSubscriptionNameTheVariablesToSet()
            throws Exception {
        try (LocalDynamoDbServer db = LocalDynamoDbServer.start()) {
            new Dynamo(db.endpoint()).createTable("People", StreamViewType.NEW_IMAGE);
            int port = freePort();
            Path log = dir.resolve("service.log");
            Process service = start(Map.of("PORT", Integer.toString(port), "AWS_REGION", "us-east-1",
                    "DYNAMODB_ENDPOINT_URL", db.endpoint().toString(), "QUARKUS_LOG_CONSOLE_JSON_ENABLED", "false"),
                    log);
            try {
                URI base = URI.create("http://127.0.0.1:" + port + "/");
                await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> get(base).statusCode() == 200);
                String id = subscribe(base, "People", "http://127.0.0.1:9/hook");

                JsonNode s = await().atMost(Duration.ofSeconds(30)).until(() -> subscription(base, id),
                        n -> "RETRYING".equals(n.path("status").asText()));
                assertEquals(NO_CREDENTIALS, s.path("error").asText());
                JsonNode dynamodb = check(base, "dynamodb");
                assertEquals("DOWN", dynamodb.path("status").asText());
                assertEquals(NO_CREDENTIALS, dynamodb.at("/data/error").asText());
                assertThat(Files.readString(log), containsString("WARN"));
                assertThat(Files.readString(log), containsString(NO_CREDENTIALS));
            } finally {
                service.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void givenDynamoDbUnreachable_whenSubscribed_thenRetryingWithTheReason_andOnceItAnswersRunningAndDelivering()
            throws Exception {
        try (LocalDynamoDbServer db = LocalDynamoDbServer.start(); Receiver receiver = new Receiver()) {
            Dynamo dynamo = new Dynamo(db.endpoint());
            dynamo.createTable("Orders", StreamViewType.NEW_IMAGE);
            // nothing listens on this port until the forwarder to the local server opens it
            int dynamoPort = freePort();
            try (ServiceProcess service = ServiceProcess.start(JAR, List.of(), Map.of(
                    "DYNAMODB_ENDPOINT_URL", "http://127.0.0.1:" + dynamoPort, "AWS_REGION", "us-east-1",
                    "AWS_ACCESS_KEY_ID", "test", "AWS_SECRET_ACCESS_KEY", "test",
                    "DYNAMO_STREAM_READER_DISCOVERY_INTERVAL", "1s"), dir.resolve("service.log"),
                    Duration.ofSeconds(60))) {
                String id = service.subscribe("Orders", receiver.url(), "TRIM_HORIZON");

                JsonNode retrying = await().atMost(Duration.ofSeconds(30)).until(() -> service.subscription(id),
                        n -> "RETRYING".equals(n.path("status").asText()));
                assertEquals("cannot reach DynamoDB: connection refused", retrying.path("error").asText());

                try (TcpForwarder up = new TcpForwarder(dynamoPort, db.endpoint().getPort())) {
                    await().atMost(Duration.ofSeconds(30)).until(() -> service.subscription(id),
                            n -> "RUNNING".equals(n.path("status").asText()) && !n.has("error"));
                    dynamo.put("Orders", "order-1", 1);
                    await().atMost(Duration.ofSeconds(30)).until(() -> receiver.records().size() == 1);
                    assertEquals("order-1", receiver.records().get(0).at("/dynamodb/Keys/pk/S").asText());
                }
            }
        }
    }

    /** Starts the jar with {@code env} and no AWS settings of the build machine, its output written to {@code log}. */
    private Process start(Map<String, String> env, Path log) throws IOException {
        return configure(env).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private ProcessBuilder configure(Map<String, String> env) {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "-jar", JAR.toString());
        Map<String, String> environment = pb.environment();
        environment.keySet().removeIf(k -> k.startsWith("AWS_") || k.equals("DYNAMODB_ENDPOINT_URL"));
        environment.remove("QUARKUS_PROFILE");
        environment.putAll(Map.of("AWS_CONFIG_FILE", dir.resolve("no-config").toString(),
                "AWS_SHARED_CREDENTIALS_FILE", dir.resolve("no-credentials").toString(),
                "AWS_EC2_METADATA_DISABLED", "true", "DYNAMO_STREAM_STATE_STORE", "memory"));
        environment.putAll(new HashMap<>(env));
        pb.redirectInput(ProcessBuilder.Redirect.PIPE);
        return pb;
    }

    private static HttpResponse<String> get(URI uri) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String subscribe(URI base, String table, String url) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(base).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("table_name", table,
                        "url", url)))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, r.statusCode(), r.body());
        return JSON.readTree(r.body()).get("id").asText();
    }

    private static JsonNode subscription(URI base, String id) throws Exception {
        return JSON.readTree(get(base.resolve("/subscriptions/" + id)).body());
    }

    /** One check of {@code /q/health/ready} by name. */
    private static JsonNode check(URI base, String name) throws Exception {
        for (JsonNode c : JSON.readTree(get(base.resolve("/q/health/ready")).body()).get("checks")) {
            if (name.equals(c.path("name").asText())) {
                return c;
            }
        }
        throw new AssertionError("no readiness check " + name);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
