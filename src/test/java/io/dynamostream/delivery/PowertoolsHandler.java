package io.dynamostream.delivery;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.dynamostream.AwsLocal;

/**
 * The Powertools for AWS Lambda (TypeScript) batch handler of {@code src/test/aws-local/lambda/partial-batch.js},
 * served over HTTP by {@code partial-batch-server.js} on a free loopback port, started by a test and stopped by
 * {@link #close}. Its records fail while their {@code NewImage} asks ({@code fail = "always"}, {@code failTimes = N}).
 */
public final class PowertoolsHandler implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final int port;
    private final Path log;

    private PowertoolsHandler(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    public static PowertoolsHandler start() {
        Path dir = Path.of(System.getProperty(AwsLocal.DIR_PROPERTY, "src/test/aws-local"));
        installIfMissing(dir);
        int port = freePort();
        try {
            Path log = Files.createTempFile("powertools-", ".log");
            Process process = new ProcessBuilder("node", "lambda/partial-batch-server.js", Integer.toString(port))
                    .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            process.getOutputStream().close();
            PowertoolsHandler handler = new PowertoolsHandler(process, port, log);
            try {
                Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("the Powertools handler exited: " + Files.readString(log));
                    }
                    return accepts(port);
                });
            } catch (RuntimeException e) {
                handler.close();
                throw e;
            }
            return handler;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start node (is Node.js installed?)", e);
        }
    }

    /** Where the service POSTs the batches. */
    public URI url() {
        return URI.create("http://127.0.0.1:" + port + "/");
    }

    /** Sequence numbers the handler processed successfully, in order (a record processed twice is listed twice). */
    public List<String> processed() throws IOException, InterruptedException {
        try (HttpClient client = HttpClient.newHttpClient()) {
            String body = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/processed"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
            List<String> out = new ArrayList<>();
            for (JsonNode n : JSON.readTree(body)) {
                out.add(n.asText());
            }
            return out;
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(log);
        } catch (IOException ignored) {
            // a temp file
        }
    }

    /** An older install of the directory may lack the batch utility: {@code npm ci} brings it from the lockfile. */
    private static synchronized void installIfMissing(Path dir) {
        if (Files.isDirectory(dir.resolve("node_modules/@aws-lambda-powertools/batch"))) {
            return;
        }
        try {
            Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(dir.toFile())
                    .inheritIO().redirectInput(ProcessBuilder.Redirect.PIPE).start();
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

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
