package io.dynamostream.state;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Keeps everything in memory: nothing survives a restart, which is the original tool's behaviour
 * ({@code dynamo-stream.state.store=memory}). Useful with an emulator that itself forgets its tables on restart, and
 * in tests. Thread-safe; "durable on return" holds trivially for as long as the process lives.
 */
final class MemoryStateStore implements StateStore {

    private final ConcurrentSkipListMap<String, String> subscriptions = new ConcurrentSkipListMap<>();
    /** {@link MapKeys} key → checkpoint in {@link Checkpoints#encode} form. */
    private final ConcurrentSkipListMap<String, String> checkpoints = new ConcurrentSkipListMap<>();
    private final ConcurrentSkipListMap<String, String> deadLetters = new ConcurrentSkipListMap<>();
    /** Subscription id → stop notification document. */
    private final ConcurrentSkipListMap<String, String> notifications = new ConcurrentSkipListMap<>();
    /** {@link MapKeys} key (subscription, shard) → window document. */
    private final ConcurrentSkipListMap<String, String> windows = new ConcurrentSkipListMap<>();

    @Override
    public SortedMap<String, String> subscriptions() {
        return Collections.unmodifiableSortedMap(new TreeMap<>(subscriptions));
    }

    @Override
    public void putSubscription(String id, String document) {
        subscriptions.put(Checkpoints.requireId("subscription", id), requireDocument(document));
    }

    @Override
    public void deleteSubscription(String id) {
        Checkpoints.requireId("subscription", id);
        subscriptions.remove(id);
        range(checkpoints, id).clear();
        range(deadLetters, id).clear();
        range(windows, id).clear();
        notifications.remove(id);
    }

    @Override
    public Map<String, Checkpoint> checkpoints(String subscriptionId) {
        Checkpoints.requireId("subscription", subscriptionId);
        SortedMap<String, Checkpoint> out = new TreeMap<>();
        MapKeys.collect(subscriptionId, range(checkpoints, subscriptionId).entrySet().iterator())
                .forEach((shard, text) -> out.put(shard, Checkpoints.decode(text)));
        return Collections.unmodifiableSortedMap(out);
    }

    @Override
    public boolean checkpoint(String subscriptionId, String shardId, String sequenceNumber) {
        Checkpoints.requireSequenceNumber(sequenceNumber);
        return Checkpoints.update(checkpoints, MapKeys.checkpointKey(subscriptionId, shardId),
                c -> Checkpoints.advance(c, sequenceNumber));
    }

    @Override
    public void inFlight(String subscriptionId, String shardId, String lastSequenceNumber) {
        Checkpoints.requireSequenceNumber(lastSequenceNumber);
        Checkpoints.update(checkpoints, MapKeys.checkpointKey(subscriptionId, shardId),
                c -> Checkpoints.inFlight(c, lastSequenceNumber));
    }

    @Override
    public void checkpointAndInFlight(String subscriptionId, String shardId, String sequenceNumber,
            String nextLastSequenceNumber) {
        Checkpoints.requireSequenceNumber(sequenceNumber);
        Checkpoints.requireSequenceNumber(nextLastSequenceNumber);
        Checkpoints.update(checkpoints, MapKeys.checkpointKey(subscriptionId, shardId),
                c -> Checkpoints.advanceAndInFlight(c, sequenceNumber, nextLastSequenceNumber));
    }

    @Override
    public void finish(String subscriptionId, String shardId) {
        Checkpoints.update(checkpoints, MapKeys.checkpointKey(subscriptionId, shardId), Checkpoints::finish);
    }

    @Override
    public SortedMap<String, String> deadLetters(String subscriptionId) {
        Checkpoints.requireId("subscription", subscriptionId);
        return Collections.unmodifiableSortedMap(
                MapKeys.collect(subscriptionId, range(deadLetters, subscriptionId).entrySet().iterator()));
    }

    @Override
    public void putDeadLetter(String subscriptionId, String deadLetterId, String document) {
        deadLetters.put(MapKeys.deadLetterKey(subscriptionId, deadLetterId), requireDocument(document));
    }

    @Override
    public boolean deleteDeadLetter(String subscriptionId, String deadLetterId) {
        return deadLetters.remove(MapKeys.deadLetterKey(subscriptionId, deadLetterId)) != null;
    }

    @Override
    public SortedMap<String, String> notifications() {
        return Collections.unmodifiableSortedMap(new TreeMap<>(notifications));
    }

    @Override
    public void putNotification(String subscriptionId, String document) {
        notifications.put(Checkpoints.requireId("subscription", subscriptionId), requireDocument(document));
    }

    @Override
    public String window(String subscriptionId, String shardId) {
        return windows.get(MapKeys.checkpointKey(subscriptionId, shardId));
    }

    @Override
    public void putWindow(String subscriptionId, String shardId, String document) {
        windows.put(MapKeys.checkpointKey(subscriptionId, shardId), requireDocument(document));
    }

    @Override
    public String describe() {
        return "memory (nothing survives a restart)";
    }

    @Override
    public void close() {
        // nothing to release
    }

    static String requireDocument(String document) {
        if (document == null) {
            throw new IllegalArgumentException("document must not be null");
        }
        return document;
    }

    /** The live view of one subscription's entries. */
    private static ConcurrentNavigableMap<String, String> range(ConcurrentSkipListMap<String, String> map,
            String subscriptionId) {
        // every key of the subscription starts with the prefix "<id>\0"; the next possible prefix is "<id>\1"
        return map.subMap(MapKeys.prefix(subscriptionId), subscriptionId + '\1');
    }
}
