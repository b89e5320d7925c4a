package io.dynamostream.reading;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.dynamostream.reading.ShardLineage.Shard;

class ShardLineageTest {

    private static final Set<String> NONE = Set.of();

    private static Shard open(String id, String parent, String start) {
        return new Shard(id, parent, start, null);
    }

    private static Shard closed(String id, String parent, String start, String end) {
        return new Shard(id, parent, start, end);
    }

    private static List<String> ids(List<Shard> shards) {
        return shards.stream().map(Shard::shardId).toList();
    }

    // ---------------------------------------------------------------- hand-written cases

    @Test
    void givenSingleOpenShard_whenNothingStarted_thenItIsReady() {
        ShardLineage lineage = new ShardLineage();
        lineage.merge(List.of(open("s1", null, "100")));

        assertEquals(List.of("s1"), ids(lineage.ready(NONE, NONE)));
    }

    @Test
    void givenShard_whenStartedOrFinished_thenNotReady() {
        ShardLineage lineage = new ShardLineage();
        lineage.merge(List.of(open("s1", null, "100")));

        assertEquals(List.of(), lineage.ready(NONE, Set.of("s1")));
        assertEquals(List.of(), lineage.ready(Set.of("s1"), NONE));
    }

    @Test
    void givenChildListedBeforeParent_whenParentUnfinished_thenChildNotReady() {
        ShardLineage lineage = new ShardLineage();
        lineage.merge(List.of(open("child", "parent", "200"), closed("parent", null, "100", "199")));

        assertEquals(List.of("parent"), ids(lineage.ready(NONE, NONE)));
    }

    @Test
    void givenParentBeingRead_whenNotFinished_thenChildStillNotReady() {
        ShardLineage lineage = new ShardLineage();
        lineage.merge(List.of(closed("parent", null, "100", "199"), open("child", "parent", "200")));

        assertEquals(List.of(), lineage.ready(NONE, Set.of("parent")));
    }

    @Test
    void givenChildListedBeforeParent_whenParentFinished_thenChildReady() {
        ShardLineage lineage = new ShardLineage();
        lineage.merge(List.of(open("child", "parent", "200"), closed("parent", null, "100", "199")));

        assertEquals(List.of("child"), ids(lineage.ready(Set.of("parent"), NONE)));
    }

    @Test
    void givenParentTrimmedFromListing_whenChildListed_thenChildReady() {
        ShardLineage lineage = new ShardLineage();
        lineage.merge(List.of(open("child", "trimmed-parent", "200")));

        assertFalse(lineage.hasKnownParent(lineage.get("child").orElseThrow()));
        assertEquals(List.of("child"), ids(lineage.ready(NONE, NONE)));
    }

    @Test
    void givenSplit_whenParentUnfinished_thenNeitherChildReady() {
        ShardLineage lineage = splitLineage();

        assertEquals(List.of("parent"), ids(lineage.ready(NONE, NONE)));
    }

    @Test
    void givenSplit_whenParentFinished_thenBothChildrenReady() {
        ShardLineage lineage = splitLineage();

        assertEquals(List.of("left", "right"), ids(lineage.ready(Set.of("parent"), NONE)));
    }

    @Test
    void givenSplit_whenOneChildStarted_thenOnlyTheOtherIsReady() {
        ShardLineage lineage = splitLineage();

        assertEquals(List.of("right"), ids(lineage.ready(Set.of("parent"), Set.of("left"))));
    }

    @Test
    void givenSplit_whenChildrenAsked_thenBothChildrenInListingOrder() {
        ShardLineage lineage = splitLineage();

        assertEquals(List.of("left", "right"), ids(lineage.children("parent")));
        assertEquals(List.of(), lineage.children("left"));
        assertEquals(List.of(), lineage.children("unknown"));
    }

    @Test
    void givenChildrenMergedLater_whenChildrenAsked_thenNewChildrenIncluded() {
        ShardLineage lineage = new ShardLineage();
        lineage.merge(List.of(open("parent", null, "100")));
        assertEquals(List.of(), lineage.children("parent"));

        lineage.merge(List.of(open("kid", "parent", "300")));

        assertEquals(List.of("kid"), ids(lineage.children("parent")));
    }

    @Test
    void givenOpenShardKnown_whenListedAgainClosed_thenEndingSequenceNumberRecorded() {
        ShardLineage lineage = new ShardLineage();
        lineage.merge(List.of(open("s1", null, "100")));
        assertTrue(lineage.get("s1").orElseThrow().isOpen());

        List<Shard> added = lineage.merge(List.of(closed("s1", null, "100", "555"), open("s2", "s1", "556")));

        Shard s1 = lineage.get("s1").orElseThrow();
        assertFalse(s1.isOpen());
        assertEquals("555", s1.endingSequenceNumber());
        assertEquals(List.of("s2"), ids(added), "a shard that only closed is not new");
        assertEquals(List.of("s1", "s2"), ids(lineage.all()), "known shards keep their place");
    }

    @Test
    void givenClosedShardKnown_whenStaleOpenListingArrives_thenStaysClosed() {
        ShardLineage lineage = new ShardLineage();
        lineage.merge(List.of(closed("s1", null, "100", "555")));

        lineage.merge(List.of(open("s1", null, "100")));

        assertEquals("555", lineage.get("s1").orElseThrow().endingSequenceNumber());
    }

    @Test
    void givenKnownShards_whenMergedAgain_thenOnlyNewShardsReturned() {
        ShardLineage lineage = new ShardLineage();
        List<Shard> first = lineage.merge(List.of(open("a", null, "1"), open("b", null, "2")));
        assertEquals(List.of("a", "b"), ids(first));

        List<Shard> second = lineage.merge(List.of(open("b", null, "2"), open("c", null, "3"), open("a", null, "1")));
        List<Shard> third = lineage.merge(List.of(open("a", null, "1")));

        assertEquals(List.of("c"), ids(second));
        assertEquals(List.of(), third);
        assertEquals(List.of("a", "b", "c"), ids(lineage.all()));
    }

    @Test
    void givenSameShardTwiceInOneListing_whenMerged_thenReturnedAndKeptOnce() {
        ShardLineage lineage = new ShardLineage();

        List<Shard> added = lineage.merge(List.of(open("a", null, "1"), open("a", null, "1")));

        assertEquals(List.of("a"), ids(added));
        assertEquals(List.of("a"), ids(lineage.all()));
    }

    @Test
    void givenUnknownShard_whenLookedUp_thenEmpty() {
        ShardLineage lineage = splitLineage();

        assertEquals(Optional.empty(), lineage.get("nope"));
        assertTrue(lineage.hasKnownParent(lineage.get("left").orElseThrow()));
        assertFalse(lineage.hasKnownParent(lineage.get("parent").orElseThrow()));
    }

    @Test
    void givenListingSplitInPages_whenMergedOneByOne_thenSameAsOneListing() {
        List<Shard> listing = List.of(
                closed("root", "trimmed", "10", "99"),
                closed("a", "root", "100", "199"),
                open("b", "root", "101"),
                open("a1", "a", "200"),
                open("a2", "a", "201"),
                open("other", null, "50"));
        ShardLineage whole = new ShardLineage();
        List<Shard> addedWhole = whole.merge(listing);

        ShardLineage paged = new ShardLineage();
        List<Shard> addedPaged = new ArrayList<>();
        addedPaged.addAll(paged.merge(listing.subList(0, 2)));
        addedPaged.addAll(paged.merge(listing.subList(2, 3)));
        addedPaged.addAll(paged.merge(listing.subList(3, 6)));

        assertEquals(addedWhole, addedPaged);
        assertEquals(whole.all(), paged.all());
        for (Set<String> finished : List.of(NONE, Set.of("root"), Set.of("root", "a"), Set.of("root", "a", "b"))) {
            assertEquals(whole.ready(finished, NONE), paged.ready(finished, NONE), "finished " + finished);
        }
        assertEquals(List.of("root", "other"), ids(paged.ready(NONE, NONE)));
        assertEquals(List.of("a1", "a2", "other"), ids(paged.ready(Set.of("root", "a"), Set.of("b"))));
    }

    private static ShardLineage splitLineage() {
        ShardLineage lineage = new ShardLineage();
        lineage.merge(List.of(
                closed("parent", null, "100", "199"),
                open("left", "parent", "200"),
                open("right", "parent", "201")));
        return lineage;
    }

    // ---------------------------------------------------------------- property-style test

    private static final int ITERATIONS = 200;

    /**
     * Random shard trees, merged in random order and random pages (sometimes an open version of a closed shard comes
     * first), then read by a simulated reader that starts and finishes shards in random interleavings.
     * Reproduce a failure with {@code -DshardLineage.seed=<printed seed>}.
     */
    @Test
    void givenRandomShardTrees_whenListedInRandomPagesAndRead_thenEveryShardReadOnceAfterItsParent() {
        long base = Long.getLong("shardLineage.seed", new Random().nextLong());
        for (int i = 0; i < ITERATIONS; i++) {
            long seed = base + i;
            try {
                runOnce(new Random(seed));
            } catch (AssertionError e) {
                throw new AssertionError("failed with seed " + seed + " (-DshardLineage.seed=" + seed + "): "
                        + e.getMessage(), e);
            }
        }
    }

    private static void runOnce(Random rnd) {
        // --- generate
        Map<String, Shard> tree = new LinkedHashMap<>();
        int[] counter = {0};
        long[] seq = {1000};
        int roots = 1 + rnd.nextInt(4);
        for (int r = 0; r < roots; r++) {
            String parent = rnd.nextInt(3) == 0 ? "trimmed-" + r : null;
            grow(rnd, tree, parent, 1 + rnd.nextInt(6), counter, seq);
        }

        // --- present to merge(): random order, random pages, some shards first seen while still open
        List<Shard> listing = new ArrayList<>(tree.values());
        Collections.shuffle(listing, rnd);
        List<Shard> presented = new ArrayList<>();
        for (Shard s : listing) {
            if (!s.isOpen() && rnd.nextInt(4) == 0) {
                presented.add(open(s.shardId(), s.parentShardId(), s.startingSequenceNumber()));
            }
        }
        presented.addAll(listing);
        ShardLineage lineage = new ShardLineage();
        Set<String> addedIds = new HashSet<>();
        int from = 0;
        while (from < presented.size()) {
            int to = Math.min(presented.size(), from + 1 + rnd.nextInt(5));
            for (Shard added : lineage.merge(presented.subList(from, to))) {
                assertTrue(addedIds.add(added.shardId()), "merge returned " + added.shardId() + " twice");
            }
            from = to;
        }
        assertEquals(tree.keySet(), addedIds, "merge returns each shard once, as new");
        assertEquals(tree.keySet(), Set.copyOf(ids(lineage.all())));
        for (Shard s : tree.values()) {
            assertEquals(s, lineage.get(s.shardId()).orElseThrow(), "closing recorded for " + s.shardId());
        }

        // --- simulate a reader
        Set<String> finished = new HashSet<>();
        Set<String> started = new HashSet<>();
        Map<String, Integer> reads = new HashMap<>();
        int steps = 0;
        while (true) {
            assertTrue(++steps < 10 * tree.size() + 10, "reader does not terminate");
            List<Shard> ready = lineage.ready(Set.copyOf(finished), Set.copyOf(started));
            List<String> readyIds = ids(ready);
            for (int k = 0; k < ready.size(); k++) {
                Shard s = ready.get(k);
                String id = s.shardId();
                // (c) never a finished or started shard
                assertFalse(finished.contains(id), id + " ready although finished");
                assertFalse(started.contains(id), id + " ready although started");
                // (b) I4: a known parent is finished
                if (s.parentShardId() != null && tree.containsKey(s.parentShardId())) {
                    assertTrue(finished.contains(s.parentShardId()),
                            id + " ready before its parent " + s.parentShardId() + " finished");
                }
                // (d) parents before children within one result
                int parentAt = s.parentShardId() == null ? -1 : readyIds.indexOf(s.parentShardId());
                assertTrue(parentAt < k, id + " listed before its parent in " + readyIds);
            }
            // completeness: every shard that may be read is offered
            for (Shard s : tree.values()) {
                boolean mayRead = !finished.contains(s.shardId()) && !started.contains(s.shardId())
                        && (!tree.containsKey(s.parentShardId()) || finished.contains(s.parentShardId()));
                assertEquals(mayRead, readyIds.contains(s.shardId()), "ready() and " + s.shardId());
            }
            if (ready.isEmpty() && started.isEmpty()) {
                break;
            }
            if (!ready.isEmpty() && (started.isEmpty() || rnd.nextBoolean())) {
                String id = readyIds.get(rnd.nextInt(readyIds.size()));
                started.add(id);
                reads.merge(id, 1, Integer::sum);
            } else {
                List<String> inFlight = new ArrayList<>(started);
                Collections.sort(inFlight);
                String id = inFlight.get(rnd.nextInt(inFlight.size()));
                started.remove(id);
                finished.add(id);
            }
        }
        // (a) every shard read exactly once
        assertEquals(tree.keySet(), finished, "every shard finished");
        for (String id : tree.keySet()) {
            assertEquals(1, reads.getOrDefault(id, 0), "reads of " + id);
        }
    }

    private static void grow(Random rnd, Map<String, Shard> tree, String parent, int depth, int[] counter, long[] seq) {
        String id = String.format("shardId-%05d", counter[0]++);
        String start = Long.toString(seq[0]);
        seq[0] += 1 + rnd.nextInt(1000);
        boolean hasChildren = depth > 1 && rnd.nextInt(5) != 0;
        boolean closed = hasChildren || rnd.nextInt(3) == 0;
        String end = closed ? Long.toString(seq[0]++) : null;
        tree.put(id, new Shard(id, parent, start, end));
        if (hasChildren) {
            int children = 1 + rnd.nextInt(2);
            for (int c = 0; c < children; c++) {
                grow(rnd, tree, id, depth - 1, counter, seq);
            }
        }
    }
}
