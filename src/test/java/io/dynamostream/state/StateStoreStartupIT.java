package io.dynamostream.state;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.dynamostream.e2e.ServiceProcess;

/**
 * What an operator sees when the embedded store cannot be used: the packaged service stops at startup with a message
 * naming the path, rather than running without saving anything.
 */
class StateStoreStartupIT {

    private static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar");

    @TempDir
    Path dir;

    @Test
    void givenStateDirectoryThatCannotBeCreated_whenServiceStarts_thenItExitsNamingThePath() throws Exception {
        Path occupied = Files.writeString(dir.resolve("occupied"), "a file, not a directory");
        Path stateDir = occupied.resolve("state");
        Path log = dir.resolve("service.log");

        Process service = start(stateDir, log);
        try {
            assertTrue(service.waitFor(60, TimeUnit.SECONDS), "the service must stop by itself");
            assertNotEquals(0, service.exitValue());
            String output = Files.readString(log);
            assertThat(output, containsString("Cannot create the state directory " + stateDir));
            assertThat(ServiceProcess.firstErrorRecord(output).get("message").asText(),
                    startsWith("dynamo-stream could not start: Cannot create the state directory " + stateDir));
            assertThat(output, not(containsString("\tat ")));
        } finally {
            service.destroyForcibly();
        }
    }

    @Test
    void givenAnotherInstanceUsesTheStateDirectory_whenASecondStarts_thenItExitsNamingTheFile() throws Exception {
        Path stateDir = dir.resolve("state");
        Path firstLog = dir.resolve("first.log");
        Path secondLog = dir.resolve("second.log");
        Process first = start(stateDir, firstLog);
        Process second = null;
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(firstLog)
                    .contains("State store: embedded (H2 MVStore) at " + stateDir.resolve("state.mv.db")));

            second = start(stateDir, secondLog);

            assertTrue(second.waitFor(60, TimeUnit.SECONDS), "the second instance must stop by itself");
            assertNotEquals(0, second.exitValue());
            String output = Files.readString(secondLog);
            assertThat(ServiceProcess.firstErrorRecord(output).get("message").asText(), startsWith(
                    "dynamo-stream could not start: The state file " + stateDir.resolve("state.mv.db")
                            + " is in use by another process"));
            assertThat(output, not(containsString("\tat ")));
            assertTrue(first.isAlive(), "the first instance keeps running");
        } finally {
            first.destroyForcibly();
            if (second != null) {
                second.destroyForcibly();
            }
        }
    }

    private static Process start(Path stateDir, Path log) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "-jar", JAR.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(Map.of("DYNAMO_STREAM_STATE_STORE", "embedded",
                "DYNAMO_STREAM_STATE_DIR", stateDir.toString(), "PORT", Integer.toString(freePort()),
                "DYNAMODB_ENDPOINT_URL", "http://127.0.0.1:9", "AWS_REGION", "us-east-1",
                "AWS_ACCESS_KEY_ID", "test", "AWS_SECRET_ACCESS_KEY", "test"));
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
