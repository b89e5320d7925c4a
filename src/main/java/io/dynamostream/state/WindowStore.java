package io.dynamostream.state;

import java.time.Instant;
import java.util.Optional;

/**
 * The tumbling window of each (subscription, shard) ({@code tumbling_window_in_seconds}): its bounds, the
 * {@code state} the receiver returned last, and the last record that state includes. Written by a shard's delivery
 * after each invoke that returned a state, and once more when the window's final invoke succeeded; read when the
 * delivery starts again (after a restart, a pause or a rebalance).
 *
 * <p>Consistency with the checkpoint: the window is stored before the checkpoint of the records it includes, and
 * {@link Window#through} names the last of them. After a crash between the two writes, the records up to
 * {@code through} are read again but not sent again (the state already includes them): a record is in the state
 * exactly once, whatever the moment of the crash. A final invoke that succeeded just before a crash may be sent again.
 *
 * <p>Contract: thread-safe; durable on return; a write for a deleted subscription is ignored; the window goes with
 * its subscription.
 */
public interface WindowStore {

    /** The stored window of a shard, if one was ever written. */
    Optional<Window> window(String subscriptionId, String shardId);

    /** Replaces the shard's window; returns false when the subscription is not stored (deleted). */
    boolean putWindow(String subscriptionId, String shardId, Window window);

    /** A store that keeps windows in this process only (tests; deliveries built without the state store). */
    static WindowStore inMemory() {
        java.util.Map<String, Window> windows = new java.util.concurrent.ConcurrentHashMap<>();
        return new WindowStore() {
            @Override
            public Optional<Window> window(String subscriptionId, String shardId) {
                return Optional.ofNullable(windows.get(subscriptionId + '\0' + shardId));
            }

            @Override
            public boolean putWindow(String subscriptionId, String shardId, Window window) {
                windows.put(subscriptionId + '\0' + shardId, window);
                return true;
            }
        };
    }

    /**
     * One (subscription, shard)'s window.
     *
     * @param start inclusive, a multiple of the window's length since the epoch
     * @param end exclusive
     * @param state the JSON object the receiver returned last ({@code {}} for a fresh window)
     * @param through the last sequence number whose record {@code state} includes; null when none
     * @param closed the final invoke succeeded: the window is over and its state dropped
     */
    record Window(Instant start, Instant end, String state, String through, boolean closed) {
    }
}
