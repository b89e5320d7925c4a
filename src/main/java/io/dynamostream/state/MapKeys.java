package io.dynamostream.state;

import java.util.Iterator;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Keys of the map-based stores (memory, embedded): {@code <subscription id> NUL <shard or dead-letter id>}. NUL
 * sorts before every other character, so one subscription's entries are contiguous and ordered by the second part.
 */
final class MapKeys {

    private MapKeys() {
    }

    static String key(String subscriptionId, String id) {
        return prefix(subscriptionId) + id;
    }

    /** The key of a (subscription, shard) checkpoint; both ids checked. */
    static String checkpointKey(String subscriptionId, String shardId) {
        return key(Checkpoints.requireId("subscription", subscriptionId), Checkpoints.requireId("shard", shardId));
    }

    /** The key of a dead letter; both ids checked. */
    static String deadLetterKey(String subscriptionId, String deadLetterId) {
        return key(Checkpoints.requireId("subscription", subscriptionId),
                Checkpoints.requireId("dead letter", deadLetterId));
    }

    /** Every key of the subscription starts with this, and no key of another subscription does. */
    static String prefix(String subscriptionId) {
        return subscriptionId + '\0';
    }

    /**
     * The entries of one subscription, read from an iterator positioned at its first key (the iterator may run past
     * the subscription; reading stops there): second part → value.
     */
    static <V> SortedMap<String, V> collect(String subscriptionId, Iterator<? extends Map.Entry<String, V>> from) {
        String prefix = prefix(subscriptionId);
        SortedMap<String, V> out = new TreeMap<>();
        while (from.hasNext()) {
            Map.Entry<String, V> e = from.next();
            if (!e.getKey().startsWith(prefix)) {
                break;
            }
            out.put(e.getKey().substring(prefix.length()), e.getValue());
        }
        return out;
    }
}
