package io.dynamostream.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.dynamostream.e2e.ServiceProcess;

/**
 * {@link BareLoop#main} as a child JVM (same java, the benchmark's class path), fed one drain at a time; its errors go
 * to a log file.
 */
final class BareLoopProcess implements AutoCloseable {

    private final Process process;
    private final Path log;
    private final PrintStream commands;
    private final BufferedReader answers;

    private BareLoopProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
        this.commands = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
        this.answers = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    static BareLoopProcess start(URI dynamoEndpoint, List<String> jvmArgs, Path log) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(BareLoop.class.getName());
        cmd.add(dynamoEndpoint.toString());
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.to(log.toFile())).start();
        BareLoopProcess bare = new BareLoopProcess(p, log);
        try {
            bare.await("ready", 60);
        } catch (Exception e) {
            bare.close();
            throw e;
        }
        return bare;
    }

    ProcessHandle handle() {
        return process.toHandle();
    }

    /** Reads {@code records} records of the stream and POSTs them to {@code url}; returns when done. */
    void run(String streamArn, long records, URI url) throws Exception {
        commands.println(streamArn + " " + records + " " + url);
        await("ok", 300);
    }

    /** Waits for the line {@code expected}; other lines (e.g. a JVM agent's) are skipped, {@code failed ...} throws. */
    private void await(String expected, long seconds) throws Exception {
        String line = CompletableFuture.supplyAsync(() -> {
            try {
                for (String l; (l = answers.readLine()) != null;) {
                    if (l.equals(expected) || l.startsWith("failed")) {
                        return l;
                    }
                }
                return null;
            } catch (IOException e) {
                return null;
            }
        }).get(seconds, TimeUnit.SECONDS);
        if (!expected.equals(line)) {
            throw new IllegalStateException("bare loop process: expected '" + expected + "', got '" + line
                    + "' (its errors: " + log + ")");
        }
    }

    /** The class path the benchmark runs with (exec:java puts it in a URLClassLoader, not in java.class.path). */
    private static String classPath() throws URISyntaxException {
        if (Thread.currentThread().getContextClassLoader() instanceof URLClassLoader loader) {
            List<String> entries = new ArrayList<>();
            for (URL url : loader.getURLs()) {
                entries.add(Path.of(url.toURI()).toString());
            }
            return String.join(File.pathSeparator, entries);
        }
        return System.getProperty("java.class.path");
    }

    @Override
    public void close() {
        commands.close(); // the loop ends at the end of its input
        ServiceProcess.awaitExit(process, 5);
    }
}
