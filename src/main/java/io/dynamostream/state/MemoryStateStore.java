package io.dynamostream.state;

import java.math.BigInteger;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

/** Temporary in-memory store (replaced by the state branch). */
@ApplicationScoped
public class MemoryStateStore implements StateStore {

    private final Map<String, String> subscriptions = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Checkpoint>> checkpoints = new ConcurrentHashMap<>();
    private final Map<String, SortedMap<String, String>> letters = new ConcurrentHashMap<>();

    @Override
    public synchronized SortedMap<String, String> subscriptions() {
        return new TreeMap<>(subscriptions);
    }

    @Override
    public synchronized void putSubscription(String id, String document) {
        subscriptions.put(id, document);
    }

    @Override
    public synchronized void deleteSubscription(String id) {
        subscriptions.remove(id);
        checkpoints.remove(id);
        letters.remove(id);
    }

    @Override
    public synchronized Map<String, Checkpoint> checkpoints(String subscriptionId) {
        return Map.copyOf(checkpoints.getOrDefault(subscriptionId, Map.of()));
    }

    @Override
    public synchronized boolean checkpoint(String subscriptionId, String shardId, String sequenceNumber) {
        Map<String, Checkpoint> m = checkpoints.computeIfAbsent(subscriptionId, k -> new ConcurrentHashMap<>());
        Checkpoint old = m.get(shardId);
        BigInteger n = new BigInteger(sequenceNumber);
        if (old != null && old.sequenceNumber() != null && new BigInteger(old.sequenceNumber()).compareTo(n) >= 0) {
            return false;
        }
        String inFlight = old == null ? null : old.inFlightThrough();
        if (inFlight != null && new BigInteger(inFlight).compareTo(n) <= 0) {
            inFlight = null;
        }
        m.put(shardId, new Checkpoint(sequenceNumber, inFlight, old != null && old.finished()));
        return true;
    }

    @Override
    public synchronized void inFlight(String subscriptionId, String shardId, String lastSequenceNumber) {
        Map<String, Checkpoint> m = checkpoints.computeIfAbsent(subscriptionId, k -> new ConcurrentHashMap<>());
        Checkpoint old = m.get(shardId);
        m.put(shardId, new Checkpoint(old == null ? null : old.sequenceNumber(), lastSequenceNumber,
                old != null && old.finished()));
    }

    @Override
    public synchronized void finish(String subscriptionId, String shardId) {
        Map<String, Checkpoint> m = checkpoints.computeIfAbsent(subscriptionId, k -> new ConcurrentHashMap<>());
        Checkpoint old = m.get(shardId);
        m.put(shardId, new Checkpoint(old == null ? null : old.sequenceNumber(), null, true));
    }

    @Override
    public synchronized SortedMap<String, String> deadLetters(String subscriptionId) {
        return new TreeMap<>(letters.getOrDefault(subscriptionId, new TreeMap<>()));
    }

    @Override
    public synchronized void putDeadLetter(String subscriptionId, String deadLetterId, String document) {
        letters.computeIfAbsent(subscriptionId, k -> new TreeMap<>()).put(deadLetterId, document);
    }

    @Override
    public synchronized boolean deleteDeadLetter(String subscriptionId, String deadLetterId) {
        SortedMap<String, String> m = letters.get(subscriptionId);
        return m != null && m.remove(deadLetterId) != null;
    }

    @Override
    public String describe() {
        return "memory";
    }

    @Override
    public void close() {
    }
}
