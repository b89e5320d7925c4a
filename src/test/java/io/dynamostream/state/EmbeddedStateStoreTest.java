package io.dynamostream.state;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.dynamostream.state.CheckpointStore.Checkpoint;

/** The embedded (H2 MVStore) store: the {@link StateStore} contract, persistence, and its startup errors. */
class EmbeddedStateStoreTest extends StateStoreContract {

    @TempDir
    Path dir;

    @Override
    protected StateStore store() {
        return EmbeddedStateStore.open(dir.resolve("contract"));
    }

    @Override
    protected void afterTest(StateStore used) {
        used.close();
    }

    @Test
    void givenStoredState_whenReopened_thenEverythingIsStillThere() {
        store.close();
        Path data = dir.resolve("reopen");
        try (StateStore first = EmbeddedStateStore.open(data)) {
            first.putSubscription("s1", "{\"table_name\":\"People\"}");
            first.checkpoint("s1", "shardId-1", SEQ_40);
            first.inFlight("s1", "shardId-2", SEQ_21);
            first.finish("s1", "shardId-0");
            first.putDeadLetter("s1", "dl-1", "{\"Records\":[]}");
            first.putNotification("s1", "{\"state\":\"PENDING\"}");
        }

        try (StateStore second = EmbeddedStateStore.open(data)) {
            assertEquals(Map.of("s1", "{\"table_name\":\"People\"}"), second.subscriptions());
            assertEquals(Map.of("shardId-0", new Checkpoint(null, null, true),
                    "shardId-1", new Checkpoint(SEQ_40, null, false),
                    "shardId-2", new Checkpoint(null, SEQ_21, false)), second.checkpoints("s1"));
            assertEquals(Map.of("dl-1", "{\"Records\":[]}"), second.deadLetters("s1"));
            assertEquals(Map.of("s1", "{\"state\":\"PENDING\"}"), second.notifications());
        }
    }

    /** A subscription file's thousands of new entries: one commit, all of them there after a reopen. */
    @Test
    void givenManySubscriptions_whenPutTogether_thenOneCommitAndAllAreThereAfterAReopen() {
        store.close();
        Path data = dir.resolve("batch");
        Map<String, String> documents = new java.util.TreeMap<>();
        for (int i = 0; i < 2_000; i++) {
            documents.put(String.format("s%04d", i), "{\"table_name\":\"T" + i + "\"}");
        }
        try (EmbeddedStateStore first = EmbeddedStateStore.open(data)) {
            long before = first.commitCount();
            first.putSubscriptions(documents);
            assertEquals(1, first.commitCount() - before);
        }
        try (StateStore second = EmbeddedStateStore.open(data)) {
            assertEquals(documents, second.subscriptions());
        }
    }

    @Test
    void givenNewDirectory_whenOpened_thenItIsCreatedAndOnlyTheOwnerCanReadTheFile() throws Exception {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
        Path data = dir.resolve("new/nested");

        try (EmbeddedStateStore opened = EmbeddedStateStore.open(data)) {
            opened.putSubscription("s1", "{\"secret\":\"whsec_...\"}");
            assertEquals(data.resolve(EmbeddedStateStore.FILE_NAME).toAbsolutePath(), opened.file());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(opened.file())));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));
            assertThat(opened.describe(), containsString(opened.file().toString()));
        }
    }

    @Test
    void givenExistingFileReadableByOthers_whenOpened_thenItIsRestrictedToTheOwner() throws Exception {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
        Path data = dir.resolve("loose");
        EmbeddedStateStore.open(data).close();
        Path file = data.resolve(EmbeddedStateStore.FILE_NAME);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        EmbeddedStateStore.open(data).close();

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }

    @Test
    void givenDirectoryPathIsAFile_whenOpened_thenTheErrorNamesThePath() throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("occupied"), "x");

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> EmbeddedStateStore.open(notADirectory.resolve("state")));

        assertThat(e.getMessage(), containsString("Cannot create the state directory " + notADirectory));
        assertThat(e.getMessage(), containsString("DYNAMO_STREAM_STATE_DIR"));
    }

    @Test
    void givenReadOnlyDirectory_whenOpened_thenTheErrorNamesThePath() throws Exception {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
        Path readOnly = Files.createDirectory(dir.resolve("read-only"));
        Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-x------"));
        try {
            assumeTrue(!Files.isWritable(readOnly), "running as a user who can write anywhere (root)");

            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> EmbeddedStateStore.open(readOnly));

            assertThat(e.getMessage(), containsString("The state directory " + readOnly + " is not writable"));
        } finally {
            Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void givenFileThatIsNoStore_whenOpened_thenTheErrorNamesThePath() throws Exception {
        Path data = Files.createDirectory(dir.resolve("garbage"));
        Path file = data.resolve(EmbeddedStateStore.FILE_NAME);
        Files.writeString(file, "this is not an MVStore file\n".repeat(500));

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> EmbeddedStateStore.open(data));

        assertThat(e.getMessage(), containsString("The state file " + file));
    }

    @Test
    void givenAnotherProcessHasTheStoreOpen_whenOpened_thenTheErrorNamesThePathAndTheCause() throws Exception {
        Path data = dir.resolve("locked");
        Path stdout = dir.resolve("holder.out");
        Process holder = ChildJvm.start(stdout, StateStoreCrashChild.class, "hold", data.toString());
        try {
            ChildJvm.awaitReady(holder, stdout);

            IllegalStateException e = assertThrows(IllegalStateException.class, () -> EmbeddedStateStore.open(data));

            assertThat(e.getMessage(), containsString("The state file "
                    + data.resolve(EmbeddedStateStore.FILE_NAME).toAbsolutePath() + " is in use by another process"));
        } finally {
            holder.destroyForcibly();
            holder.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void givenStoreOpenInThisProcess_whenOpenedAgain_thenTheSecondOpenIsRefused() {
        Path data = dir.resolve("twice");
        try (StateStore first = EmbeddedStateStore.open(data)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> EmbeddedStateStore.open(data));

            assertThat(e.getMessage(), containsString(data.resolve(EmbeddedStateStore.FILE_NAME).toString()));
        }
    }

    @Test
    void givenCallerThreadInterrupted_whenItCheckpoints_thenTheCallCompletesAndTheStoreKeepsWorking()
            throws Exception {
        // an interrupt during file I/O would close MVStore's FileChannel for good; callers never touch it
        String s = id("s");
        CompletableFuture<List<Boolean>> outcome = new CompletableFuture<>();
        Thread.ofPlatform().start(() -> {
            Thread.currentThread().interrupt();
            try {
                boolean moved = store.checkpoint(s, "sh", SEQ_21);
                outcome.complete(List.of(moved, Thread.currentThread().isInterrupted()));
            } catch (Throwable t) {
                outcome.completeExceptionally(t);
            }
        });

        assertEquals(List.of(true, true), outcome.get(30, TimeUnit.SECONDS), "moved, and still interrupted");
        assertTrue(store.checkpoint(s, "sh", SEQ_40));
        assertEquals(SEQ_40, store.checkpoints(s).get("sh").sequenceNumber());
    }

    @Test
    void givenClosedStore_whenUsed_thenItSaysSoAndClosingAgainIsHarmless() {
        store.close();

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> store.subscriptions());
        assertThat(e.getMessage(), containsString("closed"));
        store.close();
    }
}
