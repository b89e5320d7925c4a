package io.dynamostream.state;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

import org.h2.mvstore.Cursor;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;
import org.h2.mvstore.type.StringDataType;

/**
 * One H2 MVStore file, {@code <dir>/state.mv.db} ({@code dynamo-stream.state.store=embedded}, the default).
 *
 * <p>Durability: every mutating call returns only after an MVStore commit that contains its change. A commit writes a
 * new chunk (with checksums) and leaves alone what the previous complete commit needs, so a process killed at any
 * moment leaves that commit or the new one readable: the old or the new value, never a damaged store
 * ({@code EmbeddedStateStoreCrashTest}). A commit hands the bytes to the operating system without waiting for the
 * disk ({@code fsync}); that is all a {@code kill -9}, an out-of-memory kill or a container restart needs, since the
 * operating system still writes them. For a power loss or kernel crash, written data is forced to the disk every
 * {@value StoreWriter#SYNC_MILLIS} ms, well within the chunk retention time, which is the condition MVStore's design
 * names for surviving one (not tested here); the changes of that last fraction of a second can be lost, and the
 * readers then re-deliver from the older checkpoint (duplicates, no loss).
 *
 * <p>Speed: every call runs on one thread that owns the store ({@link StoreWriter}); changes that queue up during a
 * commit share the next one (group commit). See {@code CheckpointBenchmark} for figures.
 *
 * <p>The file holds webhook secrets: it is created readable by its owner only (on POSIX file systems), and so is the
 * directory when this store creates it. Only one process may open the file (MVStore takes a file lock); a second
 * instance fails at startup naming the path. Thread-safe.
 */
final class EmbeddedStateStore implements StateStore {

    /** File name inside {@code dynamo-stream.state.dir}. */
    public static final String FILE_NAME = "state.mv.db";

    /**
     * How old a chunk that is no longer needed must be before its space is reused. MVStore's default, 45 s, lets the
     * file grow to about (commits per second x 45) chunks of 8 to 16 KB: hundreds of MB under load. 0 keeps it tiny
     * but is not safe: in {@code EmbeddedStateStoreCrashTest} soaks (60 kills each), 3 runs out of 5 reopened an
     * older state than acknowledged (checkpoints back, a subscription lost, a deleted dead letter back). With 1 s,
     * 220 kills passed, and the file stays within 20 to 30 MB at the highest commit rate {@link StoreWriter} allows
     * (a few MB at ordinary rates). It is also well above the sync interval, which is MVStore's own condition for the
     * retention time ("the file system and hard disk flush all write buffers within this time").
     */
    static final int CHUNK_RETENTION_MILLIS = 1000;

    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");

    private final Path file;
    private final MVStore store;
    private final MVMap<String, String> subscriptions;
    /** {@link MapKeys} key → checkpoint in {@link Checkpoints#encode} form. */
    private final MVMap<String, String> checkpoints;
    private final MVMap<String, String> deadLetters;
    /** Subscription id → stop notification document. */
    private final MVMap<String, String> notifications;
    /** {@link MapKeys} key (subscription, shard) → tumbling-window document. */
    private final MVMap<String, String> windows;
    private final StoreWriter writer;

    private EmbeddedStateStore(Path file, MVStore store) {
        this.file = file;
        this.store = store;
        store.setRetentionTime(CHUNK_RETENTION_MILLIS);
        this.subscriptions = openMap(store, "subscriptions");
        this.checkpoints = openMap(store, "checkpoints");
        this.deadLetters = openMap(store, "deadLetters");
        this.notifications = openMap(store, "notifications");
        this.windows = openMap(store, "windows");
        // opening the maps of a new file is itself a change: write it now, not with the first caller's commit
        store.commit();
        this.writer = new StoreWriter("the state file " + file, store::commit, () -> store.getFileStore().sync());
    }

    /**
     * Opens (creating when missing) {@code dir/state.mv.db}.
     *
     * @throws IllegalStateException naming the path when the directory cannot be created or written, the file is
     *         locked by another running process, or it is not a readable store
     */
    public static EmbeddedStateStore open(Path dir) {
        Path directory = dir.toAbsolutePath().normalize();
        Path file = directory.resolve(FILE_NAME);
        prepare(directory, file);
        MVStore store;
        try {
            store = new MVStore.Builder()
                    .fileName(file.toString())
                    // no background writer: every commit is ours (StoreWriter), synchronous, on one thread
                    .autoCommitDisabled()
                    .open();
        } catch (MVStoreException e) {
            throw openFailure(file, e);
        }
        try {
            return new EmbeddedStateStore(file, store);
        } catch (RuntimeException e) {
            store.closeImmediately();
            throw e instanceof MVStoreException m ? openFailure(file, m) : e;
        }
    }

    /** Where the data lives. */
    public Path file() {
        return file;
    }

    @Override
    public SortedMap<String, String> subscriptions() {
        return writer.read(() -> Collections.unmodifiableSortedMap(new TreeMap<>(subscriptions)));
    }

    @Override
    public void putSubscription(String id, String document) {
        Checkpoints.requireId("subscription", id);
        MemoryStateStore.requireDocument(document);
        writer.write(() -> subscriptions.put(id, document), r -> true);
    }

    /** One batch, one commit for them all. */
    @Override
    public void putSubscriptions(Map<String, String> documents) {
        documents.forEach((id, document) -> {
            Checkpoints.requireId("subscription", id);
            MemoryStateStore.requireDocument(document);
        });
        if (!documents.isEmpty()) {
            writer.write(() -> {
                documents.forEach(subscriptions::put);
                return Boolean.TRUE;
            }, r -> true);
        }
    }

    @Override
    public void deleteSubscription(String id) {
        Checkpoints.requireId("subscription", id);
        // one batch, one commit: the subscription disappears with all its entries or not at all
        writer.write(() -> {
            boolean existed = subscriptions.remove(id) != null;
            boolean notified = notifications.remove(id) != null;
            return removeAll(checkpoints, id) | removeAll(deadLetters, id) | removeAll(windows, id) | existed
                    | notified;
        }, changed -> changed);
    }

    @Override
    public Map<String, Checkpoint> checkpoints(String subscriptionId) {
        Checkpoints.requireId("subscription", subscriptionId);
        return writer.read(() -> {
            SortedMap<String, Checkpoint> out = new TreeMap<>();
            MapKeys.collect(subscriptionId, entries(checkpoints, subscriptionId))
                    .forEach((shard, text) -> out.put(shard, Checkpoints.decode(text)));
            return Collections.unmodifiableSortedMap(out);
        });
    }

    @Override
    public boolean checkpoint(String subscriptionId, String shardId, String sequenceNumber) {
        Checkpoints.requireSequenceNumber(sequenceNumber);
        String key = MapKeys.checkpointKey(subscriptionId, shardId);
        return writer.write(() -> Checkpoints.update(checkpoints, key, c -> Checkpoints.advance(c, sequenceNumber)),
                moved -> moved);
    }

    @Override
    public void inFlight(String subscriptionId, String shardId, String lastSequenceNumber) {
        Checkpoints.requireSequenceNumber(lastSequenceNumber);
        String key = MapKeys.checkpointKey(subscriptionId, shardId);
        writer.write(() -> Checkpoints.update(checkpoints, key, c -> Checkpoints.inFlight(c, lastSequenceNumber)),
                changed -> changed);
    }

    @Override
    public void checkpointAndInFlight(String subscriptionId, String shardId, String sequenceNumber,
            String nextLastSequenceNumber) {
        Checkpoints.requireSequenceNumber(sequenceNumber);
        Checkpoints.requireSequenceNumber(nextLastSequenceNumber);
        String key = MapKeys.checkpointKey(subscriptionId, shardId);
        writer.write(() -> Checkpoints.update(checkpoints, key,
                c -> Checkpoints.advanceAndInFlight(c, sequenceNumber, nextLastSequenceNumber)), changed -> changed);
    }

    @Override
    public void finish(String subscriptionId, String shardId) {
        String key = MapKeys.checkpointKey(subscriptionId, shardId);
        writer.write(() -> Checkpoints.update(checkpoints, key, Checkpoints::finish), changed -> changed);
    }

    @Override
    public SortedMap<String, String> deadLetters(String subscriptionId) {
        Checkpoints.requireId("subscription", subscriptionId);
        return writer.read(() -> Collections.unmodifiableSortedMap(
                MapKeys.collect(subscriptionId, entries(deadLetters, subscriptionId))));
    }

    @Override
    public void putDeadLetter(String subscriptionId, String deadLetterId, String document) {
        String key = MapKeys.deadLetterKey(subscriptionId, deadLetterId);
        MemoryStateStore.requireDocument(document);
        writer.write(() -> deadLetters.put(key, document), r -> true);
    }

    @Override
    public boolean deleteDeadLetter(String subscriptionId, String deadLetterId) {
        String key = MapKeys.deadLetterKey(subscriptionId, deadLetterId);
        return writer.write(() -> deadLetters.remove(key) != null, existed -> existed);
    }

    @Override
    public SortedMap<String, String> notifications() {
        return writer.read(() -> Collections.unmodifiableSortedMap(new TreeMap<>(notifications)));
    }

    @Override
    public void putNotification(String subscriptionId, String document) {
        Checkpoints.requireId("subscription", subscriptionId);
        MemoryStateStore.requireDocument(document);
        writer.write(() -> notifications.put(subscriptionId, document), r -> true);
    }

    @Override
    public String window(String subscriptionId, String shardId) {
        String key = MapKeys.checkpointKey(subscriptionId, shardId);
        return writer.read(() -> windows.get(key));
    }

    @Override
    public void putWindow(String subscriptionId, String shardId, String document) {
        String key = MapKeys.checkpointKey(subscriptionId, shardId);
        MemoryStateStore.requireDocument(document);
        writer.write(() -> windows.put(key, document), r -> true);
    }

    @Override
    public String describe() {
        return "embedded (H2 MVStore) at " + file;
    }

    /** Commits made so far; calls per commit shows how well group commit works. */
    long commitCount() {
        return writer.commits();
    }

    /**
     * Lets queued calls finish, writes what is pending, and releases the file and its lock. (No compaction: the file
     * stays small by reusing space, and MVStore's chunk-moving compaction trips its own assertions here.)
     * Idempotent; later calls fail with {@link IllegalStateException}.
     */
    @Override
    public void close() {
        writer.close(store::close);
    }

    private static MVMap<String, String> openMap(MVStore store, String name) {
        // explicit String types: the default ObjectDataType serialises by reflection, which a native image lacks
        return store.openMap(name, new MVMap.Builder<String, String>()
                .keyType(StringDataType.INSTANCE).valueType(StringDataType.INSTANCE));
    }

    /** Entries from the subscription's first key on, in key order. */
    private static Iterator<Map.Entry<String, String>> entries(MVMap<String, String> map, String subscriptionId) {
        Cursor<String, String> cursor = map.cursor(MapKeys.prefix(subscriptionId));
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return cursor.hasNext();
            }

            @Override
            public Map.Entry<String, String> next() {
                String k = cursor.next();
                return new AbstractMap.SimpleImmutableEntry<>(k, cursor.getValue());
            }
        };
    }

    /** Removes every entry of the subscription; returns whether there was one. */
    private static boolean removeAll(MVMap<String, String> map, String subscriptionId) {
        List<String> keys = new ArrayList<>(MapKeys.collect(subscriptionId, entries(map, subscriptionId)).keySet());
        keys.forEach(id -> map.remove(MapKeys.key(subscriptionId, id)));
        return !keys.isEmpty();
    }

    /** Creates the directory (owner-only) and the file (owner-only), and checks both can be written. */
    private static void prepare(Path directory, Path file) {
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        try {
            if (!Files.isDirectory(directory)) {
                if (posix) {
                    Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
                } else {
                    Files.createDirectories(directory);
                }
            }
        } catch (IOException | SecurityException e) {
            throw new IllegalStateException("Cannot create the state directory " + directory + " (" + e
                    + "); set dynamo-stream.state.dir (DYNAMO_STREAM_STATE_DIR) to a writable directory", e);
        }
        if (!Files.isWritable(directory)) {
            throw new IllegalStateException("The state directory " + directory + " is not writable by this user; "
                    + "set dynamo-stream.state.dir (DYNAMO_STREAM_STATE_DIR) to a writable directory");
        }
        try {
            if (posix) {
                FileAttribute<Set<PosixFilePermission>> ownerOnly = PosixFilePermissions.asFileAttribute(
                        OWNER_ONLY_FILE);
                try {
                    // created before MVStore opens it, so it is never readable by others, not even briefly
                    Files.createFile(file, ownerOnly);
                } catch (FileAlreadyExistsException exists) {
                    // a file from an earlier version or copied by hand: tighten it too
                    if (Files.isWritable(file)) {
                        Files.setPosixFilePermissions(file, OWNER_ONLY_FILE);
                    }
                }
            }
        } catch (IOException | SecurityException e) {
            throw new IllegalStateException("Cannot create the state file " + file + " (" + e + ")", e);
        }
        if (Files.exists(file) && !Files.isWritable(file)) {
            throw new IllegalStateException("The state file " + file + " is not writable by this user");
        }
    }

    private static IllegalStateException openFailure(Path file, MVStoreException e) {
        String message = switch (e.getErrorCode()) {
            case DataUtils.ERROR_FILE_LOCKED -> "The state file " + file + " is in use by another process (is "
                    + "another dynamo-stream running with the same dynamo-stream.state.dir?); only one process may "
                    + "open it";
            case DataUtils.ERROR_FILE_CORRUPT, DataUtils.ERROR_UNSUPPORTED_FORMAT, DataUtils.ERROR_CHUNK_NOT_FOUND ->
                    "The state file " + file + " is not a readable dynamo-stream state store (" + e.getMessage()
                            + "); restore it from a backup, or move it away to start empty";
            default -> "Cannot open the state file " + file + " (" + e.getMessage() + ")";
        };
        return new IllegalStateException(message, e);
    }
}
