package io.dynamostream.e2e;

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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The packaged service ({@code target/quarkus-app/quarkus-run.jar}) as a child process on a free port, its output
 * appended to a log file, with the API calls and stops the crash tests and the benchmark need: {@link #kill()}
 * (SIGKILL) and {@link #stop} (SIGTERM).
 */
public final class ServiceProcess implements AutoCloseable {

    /** Exit status of a process ended by SIGKILL (128 + 9). */
    public static final int SIGKILLED = 137;

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
     * Starts {@code java [jvmArgs] -jar jar} with {@code env} added to this JVM's environment and {@code PORT} set to
     * a free port, and waits until {@code GET /} answers 200.
     */
    public static ServiceProcess start(Path jar, List<String> jvmArgs, Map<String, String> env, Path log,
            Duration readyTimeout) throws Exception {
        ServiceProcess service = launch(jar, jvmArgs, env, log);
        try {
            service.awaitReady(readyTimeout, log);
        } catch (Exception | Error e) {
            service.close();
            throw e;
        }
        return service;
    }

    /**
     * Like {@link #start} but returns as soon as the process runs, without waiting for the HTTP port (the benchmark
     * times the startup itself, see {@link #answering}).
     */
    public static ServiceProcess launch(Path jar, List<String> jvmArgs, Map<String, String> env, Path log)
            throws IOException {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar.toAbsolutePath() + " not found: package the service first");
        }
        int port = freePort();
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(jvmArgs);
        cmd.add("-jar");
        cmd.add(jar.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> environment = new HashMap<>(env);
        environment.put("PORT", Integer.toString(port));
        pb.environment().putAll(environment);
        return new ServiceProcess(pb.start(), URI.create("http://127.0.0.1:" + port + "/"));
    }

    /** Waits until {@code GET /} answers 200 (fails when the process exits or the timeout passes). */
    public void answering(Duration timeout, Path log) throws Exception {
        awaitReady(timeout, log);
    }

    /** The base URI, {@code http://127.0.0.1:<port>/}. */
    public URI base() {
        return base;
    }

    /** Whether the process is still running. */
    public boolean isAlive() {
        return process.isAlive();
    }

    private void awaitReady(Duration timeout, Path log) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("service exited with " + process.exitValue() + " at startup; see "
                        + log.toAbsolutePath());
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
        throw new IllegalStateException("service did not answer GET / within " + timeout + "; see "
                + log.toAbsolutePath());
    }

    public long pid() {
        return process.pid();
    }

    public ProcessHandle handle() {
        return process.toHandle();
    }

    /** Registers a subscription through the original API ({@code POST /}) and returns its id. */
    public String subscribe(String table, URI url, String startingPosition) throws Exception {
        String body = JSON.writeValueAsString(Map.of("table_name", table, "url", url.toString(),
                "starting_position", startingPosition));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new IllegalStateException("subscribe failed: HTTP " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body()).get("id").asText();
    }

    /** {@code GET /subscriptions/{id}}. */
    public JsonNode subscription(String id) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/subscriptions/" + id)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    /** {@code DELETE /{id}}. */
    public void unsubscribe(String id) throws Exception {
        http.send(HttpRequest.newBuilder(base.resolve("/" + id)).DELETE().build(),
                HttpResponse.BodyHandlers.discarding());
    }

    /** The ids {@code GET /} lists. */
    public Set<String> subscriptionIds() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        Set<String> ids = new TreeSet<>();
        JSON.readTree(r.body()).fieldNames().forEachRemaining(ids::add);
        return ids;
    }

    /** {@code GET /} as text, for failure messages. */
    public String subscriptionsText() {
        try {
            return http.send(HttpRequest.newBuilder(base).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            return "(GET / failed: " + e + ")";
        }
    }

    /**
     * Sends SIGKILL ({@link Process#destroyForcibly()} on Linux) and waits for the process to be gone.
     *
     * @return the exit status, {@link #SIGKILLED} when the signal was SIGKILL
     */
    public int kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("service pid " + process.pid() + " still alive 30 s after SIGKILL");
        }
        return process.exitValue();
    }

    /**
     * Sends SIGTERM ({@link Process#destroy()} on Linux) and waits up to {@code timeout} for the exit; a process still
     * alive then is killed.
     *
     * @return the exit status, or empty when the process did not exit in time
     */
    public OptionalInt stop(Duration timeout) throws InterruptedException {
        process.destroy();
        if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            return OptionalInt.of(process.exitValue());
        }
        kill();
        return OptionalInt.empty();
    }

    /** Kills the process if it still runs (test teardown). */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A field of /proc/&lt;pid&gt;/status in kB (VmRSS, VmHWM), or -1. */
    public long procStatusKb(String field) {
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

    /** Waits up to {@code seconds} for a process to end, then kills it. */
    public static void awaitExit(Process process, long seconds) {
        try {
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    /**
     * The first ERROR record of a JSON console log ({@code output}, one object per line; other lines, such as JVM
     * warnings on stderr, are skipped), or fails when there is none.
     */
    public static JsonNode firstErrorRecord(String output) {
        for (String line : output.split("\\R")) {
            if (!line.startsWith("{")) {
                continue;
            }
            try {
                JsonNode record = JSON.readTree(line);
                if ("ERROR".equals(record.path("level").asText())) {
                    return record;
                }
            } catch (IOException notJson) {
                // not a log record
            }
        }
        throw new AssertionError("no ERROR record in:\n" + output);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
