package io.dynamostream.reading;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The shard tree of one stream, built from DescribeStream listings that may arrive in any order and in several
 * pages. Pure: no I/O, not thread-safe (owned by one {@link TableStream}, used under its lock).
 *
 * <p>A shard may be read once its parent has been read to its end (I4). A parent that is not in the listing (it
 * fell out of the 24-hour retention, or the stream began with it) does not hold its children back.
 */
final class ShardLineage {

    /** One shard as DescribeStream reports it; {@code endingSequenceNumber} is null while the shard is open. */
    record Shard(String shardId, String parentShardId, String startingSequenceNumber, String endingSequenceNumber) {

        boolean isOpen() {
            return endingSequenceNumber == null;
        }
    }

    private final Map<String, Shard> shards = new LinkedHashMap<>();

    /**
     * Merges a listing (all pages, or a CHILD_SHARDS answer). Known shards keep their place; a shard that closed since
     * the last listing gets its ending sequence number. Returns the shards that were not known before.
     */
    List<Shard> merge(Collection<Shard> listing) {
        List<Shard> added = new ArrayList<>();
        for (Shard s : listing) {
            Shard known = shards.get(s.shardId());
            if (known == null) {
                shards.put(s.shardId(), s);
                added.add(s);
            } else if (known.isOpen() && !s.isOpen()) {
                shards.put(s.shardId(), s);
            }
        }
        return added;
    }

    Optional<Shard> get(String shardId) {
        return Optional.ofNullable(shards.get(shardId));
    }

    /** Every known shard, in the order first seen. */
    List<Shard> all() {
        return List.copyOf(shards.values());
    }

    /** Whether the shard's parent is known to this lineage (and so must be finished before the shard is read). */
    boolean hasKnownParent(Shard shard) {
        return shard.parentShardId() != null && shards.containsKey(shard.parentShardId());
    }

    /**
     * The shards a reader may start on now: not finished, not already started, and whose parent is finished or not
     * known. Parents come before their children in the result.
     *
     * @param finished shards whose every record was acknowledged (for one subscription)
     * @param started shards already being read (for that subscription)
     */
    List<Shard> ready(Set<String> finished, Set<String> started) {
        List<Shard> ready = new ArrayList<>();
        for (Shard s : shards.values()) {
            if (finished.contains(s.shardId()) || started.contains(s.shardId())) {
                continue;
            }
            if (!hasKnownParent(s) || finished.contains(s.parentShardId())) {
                ready.add(s);
            }
        }
        return ready;
    }

    /** The children of a shard that are known so far. */
    List<Shard> children(String shardId) {
        List<Shard> children = new ArrayList<>();
        for (Shard s : shards.values()) {
            if (shardId.equals(s.parentShardId())) {
                children.add(s);
            }
        }
        return children;
    }
}
