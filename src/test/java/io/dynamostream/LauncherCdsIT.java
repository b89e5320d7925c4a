package io.dynamostream;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code ./dynamo-stream} launcher running the packaged service (README "Startup time"): a stop writes the
 * class data sharing archive next to the jar, the next start loads classes from it, and after a rebuild (a newer
 * jar) it is written again instead of being ignored for good. The launcher runs from a copy of the project's launcher
 * files and of {@code target/quarkus-app}, so the project's own archive is never touched.
 */
class LauncherCdsIT {

    @TempDir
    Path tmp;

    private Path project;
    private Path archive;

    @BeforeEach
    void copyLauncherAndPackagedService() throws IOException {
        project = LauncherScriptTest.copyLauncher(tmp.resolve("project"));
        Path app = Path.of("target/quarkus-app");
        assertTrue(Files.isRegularFile(app.resolve("quarkus-run.jar")), "package the service first");
        try (Stream<Path> files = Files.walk(app)) {
            files.filter(f -> !f.getFileName().toString().endsWith(".jsa")).forEach(f -> {
                try {
                    Path target = project.resolve("target/quarkus-app").resolve(app.relativize(f).toString());
                    if (Files.isDirectory(f)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(f, target, StandardCopyOption.COPY_ATTRIBUTES);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        archive = project.resolve("target/quarkus-app/dynamo-stream.jsa");
    }

    @Test
    void givenAStop_whenStartedAgain_thenClassesComeFromTheArchiveAndARebuildWritesItAgain() throws Exception {
        assertFalse(Files.exists(archive));

        Run first = run(Map.of());

        assertEquals(0, first.status(), first.output());
        assertTrue(Files.isRegularFile(archive), "the stop writes the archive");
        assertThat(Files.size(archive), greaterThan(1_000_000L));
        assertThat("writing the archive logs nothing", first.output(), not(containsString("[cds")));
        FileTime written = Files.getLastModifiedTime(archive);

        Path classes = tmp.resolve("classes.log");
        Run second = run(Map.of("JAVA_OPTS_APPEND", "-Xlog:class+load=info:file=" + classes));

        assertEquals(0, second.status(), second.output());
        assertThat("classes loaded from the archive", fromArchive(classes), greaterThan(1_000L));
        assertEquals(written, Files.getLastModifiedTime(archive), "a valid archive is not written again");

        // a rebuild: the jar is newer than the archive (written seconds ago), older than what the next stop writes
        Files.setLastModifiedTime(project.resolve("target/quarkus-app/quarkus-run.jar"), FileTime.from(Instant.now()));
        Run rebuilt = run(Map.of());

        assertEquals(0, rebuilt.status(), rebuilt.output());
        assertThat("written again after the rebuild", Files.getLastModifiedTime(archive).toInstant(),
                greaterThan(written.toInstant()));
        Path again = tmp.resolve("classes-again.log");
        Run afterRebuild = run(Map.of("JAVA_OPTS_APPEND", "-Xlog:class+load=info:file=" + again));
        assertEquals(0, afterRebuild.status(), afterRebuild.output());
        assertThat("the new archive is used", fromArchive(again), greaterThan(1_000L));

        Path none = tmp.resolve("classes-none.log");
        Run off = run(Map.of("DYNAMO_STREAM_CDS", "false", "JAVA_OPTS_APPEND", "-Xlog:class+load=info:file=" + none));
        assertEquals(0, off.status(), off.output());
        assertEquals(0, fromArchive(none), "DYNAMO_STREAM_CDS=false runs without it");
    }

    /** Lines of a {@code -Xlog:class+load} file naming the dynamic archive (the "top" layer) as the source. */
    private static long fromArchive(Path classLog) throws IOException {
        try (Stream<String> lines = Files.lines(classLog)) {
            return lines.filter(l -> l.contains("source: shared objects file (top)")).count();
        }
    }

    /** Starts the launcher, waits for the HTTP port to answer, stops it with SIGTERM and waits for its exit. */
    private Run run(Map<String, String> extraEnv) throws Exception {
        int port = freePort();
        Path out = tmp.resolve("out-" + System.nanoTime() + ".log");
        ProcessBuilder pb = new ProcessBuilder(project.resolve("dynamo-stream").toString()).directory(tmp.toFile())
                .redirectErrorStream(true).redirectOutput(out.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("JAVA_OPTS") || k.startsWith("MVNW_") || k.startsWith("QUARKUS_")
                || k.startsWith("DYNAMO_STREAM_"));
        env.put("JAVA_HOME", javaHome());
        env.put("PORT", Integer.toString(port));
        env.put("DYNAMODB_ENDPOINT_URL", "http://127.0.0.1:9"); // nothing answers: the start does not need it
        env.put("AWS_REGION", "us-east-1");
        env.put("AWS_ACCESS_KEY_ID", "test");
        env.put("AWS_SECRET_ACCESS_KEY", "test");
        env.put("DYNAMO_STREAM_STATE_DIR", tmp.resolve("state").toString());
        env.putAll(extraEnv);
        Process p = pb.start();
        p.getOutputStream().close();
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
            HttpRequest live = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/live"))
                    .timeout(Duration.ofSeconds(2)).build();
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() -> {
                try {
                    return !p.isAlive() || http.send(live, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                } catch (IOException notYet) {
                    return false;
                }
            });
            assertTrue(p.isAlive(), () -> "the service exited: " + read(out));
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the service stops on SIGTERM");
            return new Run(p.exitValue(), read(out));
        } finally {
            p.destroyForcibly();
        }
    }

    /** The Java running the tests (21 or newer, as the build requires), given to the launcher as JAVA_HOME. */
    private static String javaHome() {
        return Path.of(ProcessHandle.current().info().command().orElseThrow()).getParent().getParent().toString();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private record Run(int status, String output) {
    }
}
