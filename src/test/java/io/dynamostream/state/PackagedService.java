package io.dynamostream.state;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The packaged service ({@code target/quarkus-app}) as a child process of a restart test: start it, stop it. */
final class PackagedService {

    private static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar");

    private PackagedService() {
    }

    /** Starts the service on {@code port} with {@code env} (its output discarded), in the prod profile. */
    static Process start(Map<String, String> env, int port) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "-jar", JAR.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(env);
        pb.environment().put("PORT", Integer.toString(port));
        pb.environment().remove("QUARKUS_PROFILE");
        return pb.start();
    }

    /** SIGTERM, then (after 30 s) SIGKILL; the exit status, -1 when it had to be killed. */
    static int stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            return -1;
        }
        return p.exitValue();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
