package io.dynamostream;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./dynamo-stream} launcher on a machine whose default {@code java} is 17 (a fake that answers
 * {@code -version} like OpenJDK 17 and fails otherwise, as a real 17 does on the service's classes): it must run the
 * jar on a Java 21 or newer, say which, or fail with a message the user can act on. The script runs from a copy of
 * its files in a temporary directory; the JDKs it may find are fakes there too ({@code MVNW_JDK_DIRS}).
 */
class LauncherScriptTest {

    private static final List<String> SCRIPT_FILES = List.of("dynamo-stream", ".mvn/wrapper/select-jdk.sh",
            ".mvn/wrapper/maven-wrapper.properties");

    /** The launcher's JAVA_OPTS when none is set (README "Memory"; the same as the container image's). */
    private static final String DEFAULT_HEAP = "-XX:+UseG1GC -Xms32m -Xmx512m -XX:MinHeapFreeRatio=10 "
            + "-XX:MaxHeapFreeRatio=60 -XX:G1PeriodicGCInterval=30000 -XX:+ExitOnOutOfMemoryError";

    @TempDir
    Path tmp;

    private Path project;
    private Path jar;
    private Path oldJavaBin;

    @BeforeEach
    void copyLauncherAndFakeAnOldDefaultJava() throws IOException {
        project = copyLauncher(tmp.resolve("project"));
        jar = project.resolve("target/quarkus-app/quarkus-run.jar");
        oldJavaBin = fakeJava(tmp.resolve("old-jdk-17"), "17.0.15", false).resolve("bin");
    }

    @Test
    void givenDefaultJava17AndAJdk21Installed_whenLaunched_thenItRunsTheJarOnTheJdk21AndSaysSo() throws Exception {
        packagedJar();
        Path jdks = Files.createDirectories(tmp.resolve("jdks"));
        Path jdk21 = fakeJava(jdks.resolve("fake-21"), "21.0.5", true);

        Result r = launch(jdks, "--some-arg");

        assertEquals(0, r.status(), r.toString());
        assertEquals("java 21.0.5 ran: " + cds() + " " + DEFAULT_HEAP + " -jar " + jar.toRealPath() + " --some-arg",
                r.stdout().strip());
        assertEquals("dynamo-stream: using Java 21 at " + jdk21.toRealPath()
                + " (JAVA_HOME unset, default java is 17)", r.stderr().strip());
    }

    /** Issue 13.6: the heap policy is the default, JAVA_OPTS replaces it, JAVA_OPTS_APPEND adds to it. */
    @Test
    void givenJavaOptsOrJavaOptsAppend_whenLaunched_thenTheyReplaceOrFollowTheDefaultHeapPolicy() throws Exception {
        packagedJar();
        Path jdks = Files.createDirectories(tmp.resolve("jdks"));
        fakeJava(jdks.resolve("fake-21"), "21.0.5", true);
        String run = " -jar " + jar.toRealPath();

        assertEquals("java 21.0.5 ran: " + cds() + " " + DEFAULT_HEAP + " -Xmx1g" + run,
                launch(jdks, Map.of("JAVA_OPTS_APPEND", "-Xmx1g")).stdout().strip());
        assertEquals("java 21.0.5 ran: " + cds() + " -XX:+UseSerialGC -Xmx2g -Dx=1" + run,
                launch(jdks, Map.of("JAVA_OPTS", "-XX:+UseSerialGC -Xmx2g", "JAVA_OPTS_APPEND", "-Dx=1")).stdout()
                        .strip());
        assertEquals("java 21.0.5 ran: " + cds() + run, launch(jdks, Map.of("JAVA_OPTS", "")).stdout().strip(),
                "JAVA_OPTS set empty: the JVM's own defaults");
    }

    /** Issue 13.3: the class data sharing archive next to the jar; DYNAMO_STREAM_CDS=false leaves it out. */
    @Test
    void givenDynamoStreamCdsFalse_whenLaunched_thenNoArchiveOptionIsGiven() throws Exception {
        packagedJar();
        Path jdks = Files.createDirectories(tmp.resolve("jdks"));
        fakeJava(jdks.resolve("fake-21"), "21.0.5", true);

        assertEquals("java 21.0.5 ran: " + DEFAULT_HEAP + " -jar " + jar.toRealPath(),
                launch(jdks, Map.of("DYNAMO_STREAM_CDS", "false")).stdout().strip());
    }

    /** An archive older than a jar (written before a rebuild) is removed, so that the JVM writes it again. */
    @Test
    void givenAnArchiveOlderThanTheJar_whenLaunched_thenItIsRemovedAndAnUpToDateOneKept() throws Exception {
        packagedJar();
        Path jdks = Files.createDirectories(tmp.resolve("jdks"));
        fakeJava(jdks.resolve("fake-21"), "21.0.5", true);
        Path archive = jar.resolveSibling("dynamo-stream.jsa");
        Files.writeString(archive, "an archive");
        FileTime jarTime = Files.getLastModifiedTime(jar);

        Files.setLastModifiedTime(archive, FileTime.fromMillis(jarTime.toMillis() + 60_000));
        assertEquals(0, launch(jdks).status());
        assertTrue(Files.exists(archive), "newer than every jar: kept");

        Files.setLastModifiedTime(archive, FileTime.fromMillis(jarTime.toMillis() - 60_000));
        Result r = launch(jdks);
        assertEquals(0, r.status(), r.toString());
        assertTrue(Files.notExists(archive), "older than the jar: removed");
        assertEquals("java 21.0.5 ran: " + cds() + " " + DEFAULT_HEAP + " -jar " + jar.toRealPath(),
                r.stdout().strip());
    }

    /** The launcher's class data sharing options for the packaged jar. */
    private String cds() throws IOException {
        return "-XX:SharedArchiveFile=" + jar.toRealPath().resolveSibling("dynamo-stream.jsa")
                + " -XX:+AutoCreateSharedArchive -Xlog:cds=off,cds+dynamic=off";
    }

    @Test
    void givenDefaultJava17AndNoNewerJdk_whenLaunched_thenItFailsSayingWhatToInstall() throws Exception {
        packagedJar();
        Path empty = Files.createDirectories(tmp.resolve("no-jdks"));

        Result r = launch(empty);

        assertEquals(1, r.status(), r.toString());
        assertEquals("dynamo-stream: error: no JDK >= 21 found (JAVA_HOME unset, default java is 17; nothing "
                + "suitable under " + empty + "). Install a JDK 21 or newer and set JAVA_HOME to it.",
                r.stderr().strip());
        assertThat("the old java must not be asked to run the jar", r.stdout(), not(containsString("ran")));
    }

    @Test
    void givenNoPackagedJar_whenLaunched_thenItFailsSayingHowToBuildIt() throws Exception {
        Path jdks = Files.createDirectories(tmp.resolve("jdks"));
        fakeJava(jdks.resolve("fake-21"), "21.0.5", true);

        Result r = launch(jdks);

        assertEquals(1, r.status(), r.toString());
        assertEquals("dynamo-stream: error: " + project.toRealPath().resolve("target/quarkus-app/quarkus-run.jar")
                + " not found; build it first with ./mvnw package -DskipTests", r.stderr().strip());
        assertEquals("", r.stdout());
    }

    /** The launcher and the wrapper files it reads, copied into {@code project}; returns {@code project}. */
    static Path copyLauncher(Path project) throws IOException {
        for (String file : SCRIPT_FILES) {
            Path target = project.resolve(file);
            Files.createDirectories(target.getParent());
            Files.copy(Path.of(file), target, StandardCopyOption.COPY_ATTRIBUTES);
        }
        return project;
    }

    private void packagedJar() throws IOException {
        Files.createDirectories(jar.getParent());
        Files.writeString(jar, "not a real jar: the fake java only prints its arguments");
    }

    /**
     * A Java home whose {@code bin/java} prints {@code openjdk version "<version>"} to stderr for {@code -version}
     * and otherwise, when {@code runs}, its arguments to stdout; a Java that cannot run the service exits 1 silently.
     */
    private static Path fakeJava(Path home, String version, boolean runs) throws IOException {
        Path bin = Files.createDirectories(home.resolve("bin"));
        String script = """
                #!/bin/sh
                if [ "$1" = "-version" ]; then
                  echo 'openjdk version "%s" 2025-04-15' >&2
                  exit 0
                fi
                %s
                """.formatted(version, runs ? "echo \"java " + version + " ran: $*\"" : "exit 1");
        Path java = Files.writeString(bin.resolve("java"), script);
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        return home;
    }

    private Result launch(Path jdkDirs, String... args) throws Exception {
        return launch(jdkDirs, Map.of(), args);
    }

    private Result launch(Path jdkDirs, Map<String, String> extraEnv, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(project.resolve("dynamo-stream").toString()));
        command.addAll(List.of(args));
        Path out = tmp.resolve("stdout");
        Path err = tmp.resolve("stderr");
        ProcessBuilder pb = new ProcessBuilder(command).directory(tmp.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.equals("JAVA_HOME") || k.startsWith("JAVA_OPTS") || k.startsWith("MVNW_")
                || k.startsWith("DYNAMO_STREAM_"));
        env.putAll(extraEnv);
        env.put("PATH", oldJavaBin + ":/usr/bin:/bin");
        env.put("HOME", tmp.toString());
        env.put("MVNW_JDK_DIRS", jdkDirs.toString());
        Process p = pb.start();
        try {
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the launcher must end by itself");
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            p.destroyForcibly();
        }
    }

    private record Result(int status, String stdout, String stderr) {
    }
}
