package io.dynamostream.dev;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.jboss.logging.Logger;

/**
 * Starts and stops the bundled local DynamoDB + DynamoDB Streams server ({@code src/localdb}, dynalite behind a node
 * front that adds the Streams API). Used by dev mode when no endpoint is configured, by the test suite and by the
 * benchmark.
 *
 * <p>The child process is bound to 127.0.0.1 on a free port and reports it as {@code LISTENING <port>} on stdout. It
 * exits by itself when its stdin closes, so it never outlives the JVM that started it, even after a SIGKILL.
 * Installs the node packages ({@code npm ci}) on first use when {@code node_modules} is missing.
 */
public final class LocalDynamoDbServer implements AutoCloseable {

    /** System property / env var naming the node project directory (defaults to {@code src/localdb}). */
    public static final String DIR_PROPERTY = "dynamostream.localdb.dir";

    private static final Logger LOG = Logger.getLogger(LocalDynamoDbServer.class);

    private final Process process;
    private final URI endpoint;

    private LocalDynamoDbServer(Process process, URI endpoint) {
        this.process = process;
        this.endpoint = endpoint;
    }

    /** Starts a server from the default directory on a free port; blocks until it listens (at most 60 s). */
    public static LocalDynamoDbServer start() {
        return start(defaultDirectory(), 0);
    }

    /** Starts a server from {@code dir} on {@code port} (0: a free one); blocks until it listens. */
    public static LocalDynamoDbServer start(Path directory, int port) {
        Path dir = directory.toAbsolutePath().normalize();
        Path script = dir.resolve("server.js");
        if (!Files.isRegularFile(script)) {
            throw new IllegalStateException("local DynamoDB server not found at " + script.toAbsolutePath()
                    + " (set -D" + DIR_PROPERTY + " or run from the project directory)");
        }
        installPackages(dir);
        try {
            Process process = new ProcessBuilder(List.of("node", script.toString(), "--port", Integer.toString(port)))
                    .directory(dir.toFile())
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            BufferedReader out = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            CompletableFuture<Integer> listening = CompletableFuture.supplyAsync(() -> readPort(out));
            int p;
            try {
                p = listening.get(60, TimeUnit.SECONDS);
            } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
                process.destroyForcibly();
                throw new IllegalStateException("local DynamoDB server did not start: " + e.getMessage(), e);
            }
            // keep draining stdout so the child never blocks on a full pipe
            Thread.ofVirtual().name("localdb-stdout").start(() -> out.lines().forEach(LOG::debug));
            URI endpoint = URI.create("http://127.0.0.1:" + p);
            LOG.infof("Local DynamoDB + Streams server listening on %s (pid %d)", endpoint, process.pid());
            return new LocalDynamoDbServer(process, endpoint);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start node (is Node.js installed?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the local DynamoDB server", e);
        }
    }

    /** The directory of the node project: system property, env var, or {@code src/localdb} under the working dir. */
    public static Path defaultDirectory() {
        String configured = System.getProperty(DIR_PROPERTY, System.getenv("DYNAMO_STREAM_LOCALDB_DIR"));
        return Path.of(configured != null && !configured.isBlank() ? configured : "src/localdb");
    }

    private static int readPort(BufferedReader out) {
        try {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("LISTENING ")) {
                    return Integer.parseInt(line.substring("LISTENING ".length()).trim());
                }
            }
            throw new IllegalStateException("server exited before listening");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static synchronized void installPackages(Path dir) {
        if (Files.isDirectory(dir.resolve("node_modules/dynalite"))) {
            return;
        }
        LOG.infof("Installing the local DynamoDB server's node packages in %s (npm ci)", dir);
        try {
            Process npm = new ProcessBuilder(List.of("npm", "ci", "--no-audit", "--no-fund"))
                    .directory(dir.toFile()).inheritIO().redirectInput(ProcessBuilder.Redirect.PIPE).start();
            npm.getOutputStream().close();
            if (!npm.waitFor(10, TimeUnit.MINUTES) || npm.exitValue() != 0) {
                throw new IllegalStateException("npm ci failed in " + dir.toAbsolutePath());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run npm (is Node.js installed?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during npm ci", e);
        }
    }

    /** Base URL for both the DynamoDB and the DynamoDB Streams API, and for the test hooks under {@code /_local}. */
    public URI endpoint() {
        return endpoint;
    }

    /** Whether the child process is still running. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** Stops the child process (closing its stdin first, then SIGTERM, then SIGKILL). */
    @Override
    public void close() {
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // already gone
        }
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
