package io.dynamostream.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The packaged service ({@code target/quarkus-app/quarkus-run.jar}) as a child process on a free port, with its
 * output in a log file, plus the few API calls the benchmark needs.
 */
final class ServiceProcess implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private ServiceProcess(Process process, URI base) {
        this.process = process;
        this.base = base;
    }

    /**
     * Starts {@code java [jvmArgs] -jar jar} with the service's environment and waits until {@code GET /} answers.
     */
    static ServiceProcess start(Path jar, URI dynamoEndpoint, List<String> jvmArgs, Path log) throws Exception {
        int port = freePort();
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(jvmArgs);
        cmd.add("-jar");
        cmd.add(jar.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        Map<String, String> env = pb.environment();
        env.put("PORT", Integer.toString(port));
        env.put("DYNAMODB_ENDPOINT_URL", dynamoEndpoint.toString());
        env.put("AWS_REGION", "us-east-1");
        env.put("AWS_ACCESS_KEY_ID", "x");
        env.put("AWS_SECRET_ACCESS_KEY", "x");
        Process process = pb.start();
        ServiceProcess service = new ServiceProcess(process, URI.create("http://127.0.0.1:" + port + "/"));
        try {
            service.awaitReady(Duration.ofSeconds(60), log);
        } catch (Exception e) {
            service.close();
            throw e;
        }
        return service;
    }

    private void awaitReady(Duration timeout, Path log) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("service exited with " + process.exitValue() + "; log:\n"
                        + Files.readString(log));
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(base).timeout(Duration.ofSeconds(2)).GET()
                        .build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("service did not answer GET / within " + timeout + "; see " + log);
    }

    long pid() {
        return process.pid();
    }

    ProcessHandle handle() {
        return process.toHandle();
    }

    /** Registers a subscription and returns its id. */
    String subscribe(String table, URI url, String startingPosition) throws Exception {
        String body = JSON.writeValueAsString(Map.of("table_name", table, "url", url.toString(),
                "starting_position", startingPosition));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new IllegalStateException("subscribe failed: HTTP " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body()).get("id").asText();
    }

    JsonNode subscription(String id) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/subscriptions/" + id)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    void unsubscribe(String id) throws Exception {
        http.send(HttpRequest.newBuilder(base.resolve("/" + id)).DELETE().build(),
                HttpResponse.BodyHandlers.discarding());
    }

    /** A field of /proc/&lt;pid&gt;/status in kB (VmRSS, VmHWM), or -1. */
    long procStatusKb(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            // process gone or no procfs
        }
        return -1;
    }

    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        awaitExit(process, 10);
    }

    /** Waits up to {@code seconds} for the process to end, then kills it. */
    static void awaitExit(Process process, long seconds) {
        try {
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
