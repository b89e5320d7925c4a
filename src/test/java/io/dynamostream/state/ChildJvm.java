package io.dynamostream.state;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Starts a main class of the test classpath in a child JVM (the same java binary and class path as this one). */
final class ChildJvm {

    private ChildJvm() {
    }

    /**
     * The child's stdout goes to {@code stdout} (a file rather than a pipe: what the child wrote survives its kill
     * and is read after it), stderr is inherited (shows in the test log).
     */
    static Process start(Path stdout, Class<?> main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("-Xmx128m");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT)
                .redirectOutput(stdout.toFile()).start();
    }

    /** Waits until the child printed {@code READY} (its store is open); fails when it exits first. */
    static void awaitReady(Process child, Path stdout) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10)).until(() -> {
            if (!child.isAlive()) {
                throw new AssertionError("child exited with " + child.exitValue() + " before opening the store");
            }
            return Files.exists(stdout) && Files.readString(stdout).startsWith("READY");
        });
    }
}
