package io.dynamostream;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;

/**
 * The local AWS servers of {@code src/test/aws-local} (npm packages from its lockfile, installed with {@code npm ci}
 * on first use), each started by a test on a free loopback port and stopped by {@link #close}: kinesalite for
 * Kinesis, serverless-offline running {@code lambda/handler.js} for Lambda.
 */
public final class AwsLocal implements AutoCloseable {

    public static final String DIR_PROPERTY = "dynamostream.awslocal.dir";

    private final Process process;
    private final URI endpoint;
    private final Path log;

    private AwsLocal(Process process, URI endpoint, Path log) {
        this.process = process;
        this.endpoint = endpoint;
        this.log = log;
    }

    public URI endpoint() {
        return endpoint;
    }

    /** kinesalite, in memory, streams created and deleted at once. */
    public static AwsLocal kinesalite() {
        int port = freePort();
        return start(List.of("node", "node_modules/kinesalite/cli.js", "--port", Integer.toString(port),
                "--createStreamMs", "0", "--deleteStreamMs", "0", "--updateStreamMs", "0"), Map.of(), port,
                Duration.ofSeconds(30));
    }

    /** serverless-offline's Lambda API (the functions of {@code serverless.yml}), e.g. {@code dynamo-stream-test-dev-records}. */
    public static AwsLocal serverlessOffline() {
        int lambda = freePort();
        return start(List.of("node", "node_modules/serverless/bin/serverless.js", "offline", "start",
                "--lambdaPort", Integer.toString(lambda), "--httpPort", Integer.toString(freePort()),
                "--websocketPort", Integer.toString(freePort()), "--host", "127.0.0.1"),
                Map.of("NODE_OPTIONS", "--no-experimental-require-module", // serverless 3 cannot load ESM plugins
                        // through require(esm), which Node 20.19+ does by default
                        "SLS_TELEMETRY_DISABLED", "1", "SLS_NOTIFICATIONS_MODE", "off", "SLS_DEPRECATION_DISABLE", "*",
                        "AWS_ACCESS_KEY_ID", "x", "AWS_SECRET_ACCESS_KEY", "x", "CI", "true"),
                lambda, Duration.ofSeconds(90));
    }

    private static AwsLocal start(List<String> command, Map<String, String> env, int port, Duration startup) {
        Path dir = dir();
        installIfMissing(dir);
        try {
            Path log = Files.createTempFile("aws-local-", ".log");
            ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().putAll(env);
            Process process = builder.start();
            process.getOutputStream().close();
            AwsLocal server = new AwsLocal(process, URI.create("http://127.0.0.1:" + port), log);
            try {
                Awaitility.await().atMost(startup).pollInterval(Duration.ofMillis(100)).until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException(command.get(1) + " exited: " + Files.readString(log));
                    }
                    return accepts(port);
                });
            } catch (RuntimeException e) {
                server.close();
                throw e;
            }
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    /** What the server printed so far (for failure messages). */
    public String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** The directory of the local AWS servers' npm project ({@code src/test/aws-local}). */
    public static Path dir() {
        return Path.of(System.getProperty(DIR_PROPERTY, "src/test/aws-local"));
    }

    /** Runs {@code npm ci} in {@code dir} unless every dependency of its package.json is installed. */
    public static synchronized void installIfMissing(Path dir) {
        if (installed(dir)) {
            return;
        }
        try {
            Process npm = new ProcessBuilder(List.of("npm", "ci", "--no-audit", "--no-fund")).directory(dir.toFile())
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

    /** Whether every dependency of package.json is in node_modules (an older install may lack a newer one). */
    private static boolean installed(Path dir) {
        try {
            com.fasterxml.jackson.databind.JsonNode deps = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(dir.resolve("package.json").toFile()).path("dependencies");
            for (java.util.Iterator<String> names = deps.fieldNames(); names.hasNext();) {
                if (!Files.isRegularFile(dir.resolve("node_modules").resolve(names.next()).resolve("package.json"))) {
                    return false;
                }
            }
            return Files.isDirectory(dir.resolve("node_modules"));
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether something accepts connections on this loopback port. */
    public static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A free loopback port. */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
        all.add(process.toHandle());
        all.forEach(ProcessHandle::destroy);
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                all.forEach(ProcessHandle::destroyForcibly);
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
