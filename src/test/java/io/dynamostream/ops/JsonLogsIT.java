package io.dynamostream.ops;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.dynamostream.dev.LocalDynamoDbServer;

/**
 * Runs the packaged service as in production (no profile set) and reads what it prints: one JSON object per line,
 * including one line per subscription state change naming the subscription and its table.
 */
class JsonLogsIT {

    private static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern REGISTERED = Pattern.compile("Subscription (\\w{26}) registered");

    @TempDir
    Path dir;

    @Test
    void givenProductionRun_whenSubscriptionFails_thenEveryLogLineIsJsonAndStateChangesNameIdAndTable()
            throws Exception {
        try (LocalDynamoDbServer db = LocalDynamoDbServer.start()) {
            Path file = dir.resolve("config.yml");
            Files.writeString(file, """
                    entries:
                      - table_name: NoSuchTable
                        url: http://localhost:9/hook
                    """);
            List<String> lines = new CopyOnWriteArrayList<>();
            Process service = start(Map.of("CONFIG_PATH", file.toString(), "PORT", Integer.toString(freePort()),
                    "DYNAMODB_ENDPOINT_URL", db.endpoint().toString(), "AWS_REGION", "us-east-1",
                    "AWS_ACCESS_KEY_ID", "test", "AWS_SECRET_ACCESS_KEY", "test"), lines);
            try {
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                        .until(() -> lines.stream().anyMatch(l -> l.contains("stopped with ERROR"))
                                && lines.stream().anyMatch(l -> l.contains("started in")));

                List<JsonNode> entries = lines.stream().filter(l -> !l.isBlank()).map(JsonLogsIT::parse).toList();
                for (JsonNode e : entries) {
                    for (String field : List.of("timestamp", "level", "loggerName", "message")) {
                        assertTrue(e.hasNonNull(field), field + " missing in " + e);
                    }
                }
                JsonNode started = entries.stream().filter(e -> e.get("message").asText().contains("started in"))
                        .findFirst().orElseThrow(() -> new AssertionError("no startup line in " + lines));
                assertThat(started.get("message").asText(), containsString("dynamo-stream"));

                JsonNode registered = entries.stream()
                        .filter(e -> REGISTERED.matcher(e.get("message").asText()).find()).findFirst()
                        .orElseThrow(() -> new AssertionError("no registration line in " + lines));
                Matcher m = REGISTERED.matcher(registered.get("message").asText());
                assertTrue(m.find());
                String id = m.group(1);
                assertEquals("INFO", registered.get("level").asText());
                assertThat(registered.get("message").asText(), containsString("NoSuchTable"));

                JsonNode failed = entries.stream()
                        .filter(e -> e.get("message").asText().contains("stopped with ERROR")).findFirst()
                        .orElseThrow();
                assertEquals("ERROR", failed.get("level").asText());
                assertThat(failed.get("message").asText(), containsString(id));
                assertThat(failed.get("message").asText(), containsString("NoSuchTable"));
                assertThat(failed.get("message").asText(), not(containsString("\n")));
            } finally {
                service.destroy();
                service.waitFor(20, TimeUnit.SECONDS);
                service.destroyForcibly();
            }
        }
    }

    private static JsonNode parse(String line) {
        try {
            JsonNode node = JSON.readTree(line);
            if (node == null || !node.isObject()) {
                fail("not a JSON object: " + line);
            }
            return node;
        } catch (IOException e) {
            return fail("log line is not JSON: " + line);
        }
    }

    /** Starts the jar; stdout lines are collected, stderr (JVM warnings) is left out. */
    private static Process start(Map<String, String> env, List<String> lines) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "-jar", JAR.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(env);
        pb.environment().remove("QUARKUS_PROFILE");
        Process p = pb.start();
        p.getOutputStream().close();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader out = new BufferedReader(
                    new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                out.lines().forEach(lines::add);
            } catch (IOException | java.io.UncheckedIOException ignored) {
                // the process ended
            }
        });
        return p;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
