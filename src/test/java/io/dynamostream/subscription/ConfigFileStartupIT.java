package io.dynamostream.subscription;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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

import io.dynamostream.e2e.Dynamo;
import io.dynamostream.e2e.ServiceProcess;
import io.dynamostream.dev.LocalDynamoDbServer;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * Runs the packaged service as a user would, with the original tool's environment variables, to check what
 * {@code CONFIG_PATH} does at startup.
 */
class ConfigFileStartupIT {

    private static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar");

    @TempDir
    Path dir;

    @Test
    void givenMalformedConfigFile_whenServiceStarts_thenItExitsNamingTheFileAndLine() throws Exception {
        Path file = dir.resolve("config.yml");
        Files.writeString(file, "entries:\n  - table_name: People\n    url: [not closed\n");
        Process service = start(Map.of("CONFIG_PATH", file.toString(), "PORT", Integer.toString(freePort()),
                "DYNAMODB_ENDPOINT_URL", "http://127.0.0.1:9"));
        try {
            assertTrue(service.waitFor(60, TimeUnit.SECONDS), "the service must stop by itself");
            String output = new String(service.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertNotEquals(0, service.exitValue());
            assertThat(output, containsString("Subscription file " + file.toAbsolutePath() + ", line 3"));
            assertThat(ServiceProcess.firstErrorRecord(output).get("message").asText(),
                    startsWith("dynamo-stream could not start: Subscription file " + file.toAbsolutePath()
                            + ", line 3: "));
            assertThat(output, not(containsString("\tat ")));
        } finally {
            service.destroyForcibly();
        }
    }

    @Test
    void givenUnknownKeyInConfigFile_whenServiceStarts_thenTheFirstErrorIsOneLineNamingFileLineAndKey()
            throws Exception {
        Path file = dir.resolve("config.yml");
        Files.writeString(file, """
                entries:
                  - table_name: People
                    url: http://localhost:9000/streams
                    batchsize: 5
                """);
        String output = runToExit(Map.of("CONFIG_PATH", file.toString()));

        JsonNode first = ServiceProcess.firstErrorRecord(output);
        assertEquals("dynamo-stream could not start: Subscription file " + file.toAbsolutePath()
                + ", line 4: entry 1: unknown key 'batchsize' (allowed: " + SubscriptionRequest.allowedFields() + ")",
                first.get("message").asText());
        assertFalse(first.has("exception"), "no stack trace at the default level: " + first);
        assertThat(output, not(containsString("Failed to start")));
        assertThat(output, not(containsString("\tat ")));
    }

    @Test
    void givenUnknownKeyAndTextLogs_whenServiceStarts_thenTheFirstErrorLineIsTheReasonWithoutStackFrames()
            throws Exception {
        Path file = dir.resolve("config.yml");
        Files.writeString(file, "entries:\n  - table_name: People\n    url: http://localhost:9000/streams\n"
                + "    batchsize: 5\n");
        String output = runToExit(Map.of("CONFIG_PATH", file.toString(), "QUARKUS_LOG_CONSOLE_JSON_ENABLED", "false"));

        String firstError = output.lines().filter(l -> l.contains(" ERROR ")).findFirst()
                .orElseThrow(() -> new AssertionError("no ERROR line in\n" + output));
        assertThat(firstError, containsString("dynamo-stream could not start: Subscription file "
                + file.toAbsolutePath() + ", line 4: entry 1: unknown key 'batchsize' (allowed: "));
        assertThat(output, not(containsString("\tat ")));
    }

    @Test
    void givenInvalidSetting_whenServiceStarts_thenTheFirstLineIsOneJsonRecordNamingTheProperty() throws Exception {
        String output = runToExit(Map.of("DYNAMO_STREAM_READER_IDLE_INTERVAL", "soon"));

        String firstLine = output.lines().filter(l -> !l.isBlank()).findFirst().orElse("");
        JsonNode record = new ObjectMapper().readTree(firstLine);
        assertEquals("ERROR", record.get("level").asText());
        assertThat(record.get("message").asText(), startsWith("dynamo-stream could not start: "));
        assertThat(record.get("message").asText(), containsString(
                "dynamo-stream.reader.idle-interval = \"soon\": "));
        assertThat(output, not(containsString("\tat ")));
    }

    @Test
    void givenConfigFileUsingAnUnsetVariable_whenServiceStarts_thenItExitsNamingTheVariableFileAndLine()
            throws Exception {
        Path file = dir.resolve("config.yml");
        Files.writeString(file, """
                entries:
                  - table_name: People
                    url: http://localhost:9000/streams?token=${DYNAMO_STREAM_IT_UNSET_TOKEN}
                """);
        Process service = start(Map.of("CONFIG_PATH", file.toString(), "PORT", Integer.toString(freePort()),
                "DYNAMODB_ENDPOINT_URL", "http://127.0.0.1:9"));
        try {
            assertTrue(service.waitFor(60, TimeUnit.SECONDS), "the service must stop by itself");
            String output = new String(service.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertNotEquals(0, service.exitValue());
            assertThat(output, containsString("Subscription file " + file.toAbsolutePath() + ", line 3"));
            assertThat(output, containsString("environment variable DYNAMO_STREAM_IT_UNSET_TOKEN"));
        } finally {
            service.destroyForcibly();
        }
    }

    @Test
    void givenValidConfigFile_whenServiceStarts_thenEntriesAreRunningAndListed() throws Exception {
        try (LocalDynamoDbServer db = LocalDynamoDbServer.start()) {
            Dynamo dynamo = new Dynamo(db.endpoint());
            dynamo.createTable("People", StreamViewType.NEW_IMAGE);
            Path file = dir.resolve("config.yml");
            Files.writeString(file, """
                    entries:
                      # the original tool's format
                      - table_name: People
                        url: http://localhost:9000/streams
                      - table_name: Missing
                        url: https://example.com
                    """);
            int port = freePort();
            Process service = start(Map.of("CONFIG_PATH", file.toString(), "PORT", Integer.toString(port),
                    "DYNAMODB_ENDPOINT_URL", db.endpoint().toString(), "AWS_DEFAULT_REGION", "eu-west-1",
                    "AWS_ACCESS_KEY_ID", "test", "AWS_SECRET_ACCESS_KEY", "test"));
            try {
                HttpClient http = HttpClient.newHttpClient();
                URI root = URI.create("http://127.0.0.1:" + port + "/");
                JsonNode list = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                        .ignoreExceptions().until(() -> new ObjectMapper().readTree(http.send(
                                HttpRequest.newBuilder(root).build(), HttpResponse.BodyHandlers.ofString()).body()),
                                // entries are attached in the background (STARTING until then): the missing
                                // table is found out shortly, the other one's shards are known
                                n -> n.size() == 2 && n.valueStream().noneMatch(e -> e.path("status").asText()
                                        .equals("STARTING")));
                List<JsonNode> entries = List.copyOf(list.valueStream().toList());
                assertEquals("People", entries.get(0).get("table_name").asText());
                assertEquals("RUNNING", entries.get(0).get("status").asText());
                assertEquals("ERROR", entries.get(1).get("status").asText());
                assertEquals("table Missing does not exist", entries.get(1).get("error").asText());
            } finally {
                service.destroy();
                service.waitFor(20, TimeUnit.SECONDS);
                service.destroyForcibly();
            }
        }
    }

    /** Runs the service with {@code env} (and a port, an unreachable endpoint, a store of its own) until it exits. */
    private String runToExit(Map<String, String> env) throws Exception {
        Map<String, String> all = new HashMap<>(env);
        all.putAll(Map.of("PORT", Integer.toString(freePort()), "DYNAMODB_ENDPOINT_URL", "http://127.0.0.1:9",
                "AWS_REGION", "us-east-1", "DYNAMO_STREAM_STATE_DIR", dir.resolve("state").toString()));
        Process service = start(all);
        try {
            String output = new String(service.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(service.waitFor(60, TimeUnit.SECONDS), "the service must stop by itself");
            assertNotEquals(0, service.exitValue(), output);
            return output;
        } finally {
            service.destroyForcibly();
        }
    }

    private static Process start(Map<String, String> env) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "-jar", JAR.toString()).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().remove("QUARKUS_PROFILE");
        Process p = pb.start();
        p.getOutputStream().close();
        return p;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
