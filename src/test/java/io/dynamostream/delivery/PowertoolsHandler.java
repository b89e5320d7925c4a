package io.dynamostream.delivery;

import java.io.IOException;
import java.io.UncheckedIOException;
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
        Path dir = AwsLocal.dir();
        AwsLocal.installIfMissing(dir);
        int port = AwsLocal.freePort();
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
                    return AwsLocal.accepts(port);
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
}
