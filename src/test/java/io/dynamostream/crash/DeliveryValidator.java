package io.dynamostream.crash;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Checks what a receiver got against what was written, after any number of crashes (the idea of KCL's
 * {@code RecordValidatorQueue}, extended to batches and repeats). Fed every POST in arrival order, it reports:
 * <ul>
 * <li><b>I1</b> no loss: every written key was delivered at least once to every expected subscription;</li>
 * <li><b>I2</b> order: per (subscription, shard), first deliveries have strictly increasing sequence numbers
 * (compared as big integers);</li>
 * <li><b>I3</b> bounded duplicates: a record delivered again only ever arrives in a POST that repeats the shard's
 * latest batch exactly (same {@code webhook-id} and same body bytes), and per (subscription, shard) no more distinct
 * batches are re-sent than the service was killed (none after graceful stops);</li>
 * <li><b>I4</b> lineage, when the stream's layout is given: a shard's first POST arrives after the last record of its
 * nearest non-empty ancestor;</li>
 * <li><b>CONTRACT</b> the POST itself: a parsable Lambda body, the {@code webhook-id},
 * {@code dynamo-stream-subscription-id} and {@code dynamo-stream-shard-id} headers, and each record in the shard the
 * header names.</li>
 * </ul>
 * {@link #add} is thread-safe (the receiver's handler threads call it); {@link #validate} reads a snapshot.
 */
final class DeliveryValidator {

    /** What the validator checks; {@code CONTRACT} covers headers and body shape. */
    enum Invariant {
        I1, I2, I3, I4, CONTRACT
    }

    /** One broken invariant, with enough detail to find the POST in the service log. */
    record Violation(Invariant invariant, String detail) {
        @Override
        public String toString() {
            return invariant + ": " + detail;
        }
    }

    /** One record of a POST: the item's key ({@code Keys.pk.S}) and its sequence number. */
    record Delivered(String key, String sequenceNumber) {
    }

    /**
     * One POST as the receiver got it. Header values are null when the header was absent.
     *
     * @param received when the body had fully arrived
     * @param records the body's records in body order; empty when {@code malformed} is set
     * @param malformed why the body is not a Lambda DynamoDB event, or null
     */
    record Post(Instant received, String subscriptionId, String shardId, String webhookId, byte[] body,
            List<Delivered> records, String malformed) {

        private static final ObjectMapper JSON = new ObjectMapper();

        /** Parses the body's {@code Records[].dynamodb} for keys ({@code pk}) and sequence numbers. */
        static Post parse(String subscriptionId, String shardId, String webhookId, byte[] body) {
            Instant received = Instant.now();
            List<Delivered> records = new ArrayList<>();
            try {
                JsonNode json = JSON.readTree(body);
                JsonNode list = json.path("Records");
                if (!list.isArray()) {
                    String why = json.path("message").isTextual()
                            ? "is the error notification of a failed subscription: " + json.path("message").asText()
                            : "has no Records array";
                    return new Post(received, subscriptionId, shardId, webhookId, body, List.of(), why);
                }
                for (JsonNode r : list) {
                    JsonNode seq = r.path("dynamodb").path("SequenceNumber");
                    JsonNode keys = r.path("dynamodb").path("Keys");
                    if (!seq.isTextual() || keys.isMissingNode()) {
                        return new Post(received, subscriptionId, shardId, webhookId, body, List.of(),
                                "has a record without dynamodb.SequenceNumber or dynamodb.Keys");
                    }
                    JsonNode pk = keys.path("pk").path("S");
                    records.add(new Delivered(pk.isTextual() ? pk.asText() : keys.toString(), seq.asText()));
                }
            } catch (IOException e) {
                return new Post(received, subscriptionId, shardId, webhookId, body, List.of(),
                        "is not JSON: " + e.getMessage());
            }
            return new Post(received, subscriptionId, shardId, webhookId, body, List.copyOf(records), null);
        }

        private String describe() {
            String range = records.isEmpty() ? "no records"
                    : records.size() + " records " + records.getFirst().sequenceNumber() + ".."
                            + records.getLast().sequenceNumber();
            return "POST webhook-id=" + webhookId + " subscription=" + subscriptionId + " shard=" + shardId + " ("
                    + range + ")";
        }
    }

    /**
     * The outcome of {@link #validate}.
     *
     * @param written keys written
     * @param delivered distinct records delivered (per subscription)
     * @param duplicates record deliveries beyond the first of each record
     * @param resentBatches distinct batches (webhook ids) that arrived more than once
     * @param maxResentPerShard the most distinct re-sent batches of one (subscription, shard)
     * @param kills crashes the service went through (the bound on re-sent batches per shard)
     * @param posts POSTs received
     * @param unexpected keys delivered that were not in the written list (a write whose reply was lost)
     * @param violations every broken invariant, in arrival order within each check
     */
    record Report(long written, long delivered, long duplicates, long resentBatches, long maxResentPerShard,
            int kills, long posts, long unexpected, List<Violation> violations) {

        private static final int SHOWN_PER_INVARIANT = 10;

        boolean passed() {
            return violations.isEmpty();
        }

        /** Whether at least one violation of this invariant was found. */
        boolean broke(Invariant invariant) {
            return violations.stream().anyMatch(v -> v.invariant() == invariant);
        }

        /** One line of figures. */
        String figures() {
            return "written=" + written + " delivered=" + delivered + " duplicates=" + duplicates
                    + " resentBatches=" + resentBatches + " maxResentPerShard=" + maxResentPerShard + " kills=" + kills
                    + " posts=" + posts + " unexpected=" + unexpected;
        }

        /** The figures, then up to ten violations of each invariant with the count of the others. */
        @Override
        public String toString() {
            StringBuilder out = new StringBuilder(figures());
            out.append(passed() ? "\nall invariants hold" : "\n" + violations.size() + " violations:");
            Map<Invariant, Integer> shown = new EnumMap<>(Invariant.class);
            Map<Invariant, Integer> hidden = new EnumMap<>(Invariant.class);
            for (Violation v : violations) {
                if (shown.merge(v.invariant(), 1, Integer::sum) <= SHOWN_PER_INVARIANT) {
                    out.append("\n  ").append(v);
                } else {
                    hidden.merge(v.invariant(), 1, Integer::sum);
                }
            }
            hidden.forEach((inv, n) -> out.append("\n  ").append(inv).append(": ... and ").append(n).append(" more"));
            return out.toString();
        }
    }

    /**
     * The stream as read back after the run.
     *
     * @param shardOfSequence shard id of each sequence number: checks the shard header, groups POSTs that lack it
     * @param parentOfShard parent shard id of each shard that has one: for the lineage check (I4)
     */
    record StreamLayout(Map<String, String> shardOfSequence, Map<String, String> parentOfShard) {

        /** Nothing known: no shard-header check and no lineage check. */
        static final StreamLayout UNKNOWN = new StreamLayout(Map.of(), Map.of());

        /** The last record of each shard that has records. */
        private Map<String, String> lastRecordOfShard() {
            Map<String, BigInteger> last = new HashMap<>();
            shardOfSequence.forEach((seq, shard) -> last.merge(shard, new BigInteger(seq), BigInteger::max));
            Map<String, String> out = new HashMap<>();
            last.forEach((shard, seq) -> out.put(shard, seq.toString()));
            return out;
        }
    }

    private final List<Post> posts = new ArrayList<>();
    /** Keys delivered so far, for "has everything arrived?" polls while the test runs. */
    private final Set<String> deliveredKeys = ConcurrentHashMap.newKeySet();

    /** Records one POST; call in arrival order, before answering it. */
    void add(Post post) {
        synchronized (posts) {
            posts.add(post);
        }
        post.records().forEach(r -> deliveredKeys.add(r.key()));
    }

    /** Whether every key was delivered at least once (to any subscription). */
    boolean deliveredAll(Collection<String> keys) {
        return deliveredKeys.containsAll(keys);
    }

    /** Keys delivered so far (to any subscription). */
    int deliveredKeyCount() {
        return deliveredKeys.size();
    }

    private List<Post> snapshot() {
        synchronized (posts) {
            return List.copyOf(posts);
        }
    }

    /**
     * Checks every invariant over the POSTs received so far.
     *
     * @param subscriptions the subscriptions every written key must reach; when there is one, a POST without the
     *        subscription header counts for it (the missing header is still reported)
     * @param writtenKeys keys whose write succeeded (each one INSERT record)
     * @param kills how often the service was killed (SIGKILL); 0 when it only ever stopped gracefully
     * @param layout the stream's shards as read back after the run, or {@link StreamLayout#UNKNOWN}
     */
    Report validate(Set<String> subscriptions, Collection<String> writtenKeys, int kills, StreamLayout layout) {
        Map<String, String> shardOfSequence = layout.shardOfSequence();
        List<Post> all = snapshot();
        List<Violation> contract = new ArrayList<>();
        List<Violation> order = new ArrayList<>();
        List<Violation> repeats = new ArrayList<>();

        Map<String, Post> firstById = new HashMap<>();
        Map<String, String> latestBatchOfShard = new HashMap<>();
        Map<String, BigInteger> lastFirstDelivery = new HashMap<>();
        Map<String, Set<String>> resentIdsOfShard = new TreeMap<>();
        Map<String, Set<String>> deliveredRecords = new HashMap<>();
        Map<String, Set<String>> keysOfSubscription = new HashMap<>();
        // arrival index of each shard's first POST and of each record's first delivery, per subscription (I4)
        Map<String, Map<String, Integer>> firstPostOfShard = new TreeMap<>();
        Map<String, Map<String, Integer>> firstArrivalOfRecord = new HashMap<>();
        int arrival = -1;
        long recordDeliveries = 0;
        long distinctRecords = 0;
        Set<String> writtenSet = new HashSet<>(writtenKeys);
        Set<String> unexpected = new LinkedHashSet<>();

        for (Post post : all) {
            arrival++;
            if (post.malformed() != null) {
                contract.add(new Violation(Invariant.CONTRACT, post.describe() + ": the body " + post.malformed()));
                continue;
            }
            checkHeaders(post, shardOfSequence, contract);
            String subscription = post.subscriptionId() != null ? post.subscriptionId()
                    : subscriptions.size() == 1 ? subscriptions.iterator().next() : "null";
            String shard = post.shardId() != null ? post.shardId() : actualShard(post, shardOfSequence);
            String stream = subscription + " / " + shard;
            recordDeliveries += post.records().size();

            Post first = post.webhookId() == null ? null : firstById.putIfAbsent(post.webhookId(), post);
            if (first != null) {
                // a repeat: it must be the shard's latest batch again, byte for byte
                if (!Arrays.equals(first.body(), post.body())) {
                    repeats.add(new Violation(Invariant.I3, post.describe() + " repeats the webhook-id of "
                            + first.describe() + " with a different body (sha-256 " + sha256(post.body()) + " vs "
                            + sha256(first.body()) + ")"));
                }
                if (!String.valueOf(first.subscriptionId()).equals(String.valueOf(post.subscriptionId()))
                        || !String.valueOf(first.shardId()).equals(String.valueOf(post.shardId()))) {
                    repeats.add(new Violation(Invariant.I3, post.describe() + " repeats the webhook-id of "
                            + first.describe() + " for another subscription or shard"));
                }
                if (!post.webhookId().equals(latestBatchOfShard.get(stream))) {
                    repeats.add(new Violation(Invariant.I3, post.describe() + " re-sends a batch that is not the "
                            + "latest of its shard (latest: " + latestBatchOfShard.get(stream) + "), so an "
                            + "acknowledged batch was sent again"));
                }
                resentIdsOfShard.computeIfAbsent(stream, s -> new LinkedHashSet<>()).add(post.webhookId());
                continue;
            }
            latestBatchOfShard.put(stream, post.webhookId());
            firstPostOfShard.computeIfAbsent(subscription, s -> new TreeMap<>()).putIfAbsent(shard, arrival);
            Map<String, Integer> arrivals = firstArrivalOfRecord.computeIfAbsent(subscription, s -> new HashMap<>());
            Set<String> seen = deliveredRecords.computeIfAbsent(subscription, s -> new HashSet<>());
            Set<String> keys = keysOfSubscription.computeIfAbsent(subscription, s -> new HashSet<>());
            for (Delivered r : post.records()) {
                if (!seen.add(r.sequenceNumber())) {
                    repeats.add(new Violation(Invariant.I3, "record " + r.sequenceNumber() + " (key " + r.key()
                            + ") delivered again in a new batch, " + post.describe()));
                    continue;
                }
                distinctRecords++;
                keys.add(r.key());
                arrivals.put(r.sequenceNumber(), arrival);
                if (!writtenSet.contains(r.key())) {
                    unexpected.add(r.key());
                }
                BigInteger seq = new BigInteger(r.sequenceNumber());
                BigInteger previous = lastFirstDelivery.put(stream, seq);
                if (previous != null && seq.compareTo(previous) <= 0) {
                    order.add(new Violation(Invariant.I2, "record " + r.sequenceNumber() + " (key " + r.key()
                            + ") first delivered after " + previous + " on " + stream + ", " + post.describe()));
                }
            }
        }

        long resentBatches = 0;
        long maxResentPerShard = 0;
        for (Map.Entry<String, Set<String>> e : resentIdsOfShard.entrySet()) {
            int n = e.getValue().size();
            resentBatches += n;
            maxResentPerShard = Math.max(maxResentPerShard, n);
            if (n > kills) {
                repeats.add(new Violation(Invariant.I3, e.getKey() + ": " + n + " distinct batches re-sent, more than "
                        + "the " + kills + " kills allow: " + e.getValue()));
            }
        }

        List<Violation> loss = new ArrayList<>();
        for (String subscription : new TreeSet<>(subscriptions)) {
            Set<String> got = keysOfSubscription.getOrDefault(subscription, Set.of());
            List<String> missing = writtenKeys.stream().filter(k -> !got.contains(k)).toList();
            if (!missing.isEmpty()) {
                loss.add(new Violation(Invariant.I1, missing.size() + " of " + writtenKeys.size() + " written keys "
                        + "never reached subscription " + subscription + ", e.g. "
                        + missing.subList(0, Math.min(10, missing.size()))));
            }
        }

        List<Violation> lineage = new ArrayList<>();
        Map<String, String> lastRecordOfShard = layout.lastRecordOfShard();
        firstPostOfShard.forEach((subscription, shards) -> shards.forEach((shard, first) -> {
            String ancestor = layout.parentOfShard().get(shard);
            while (ancestor != null && !lastRecordOfShard.containsKey(ancestor)) {
                ancestor = layout.parentOfShard().get(ancestor);
            }
            if (ancestor == null) {
                return;
            }
            String last = lastRecordOfShard.get(ancestor);
            Integer delivered = firstArrivalOfRecord.getOrDefault(subscription, Map.of()).get(last);
            if (delivered == null || delivered > first) {
                lineage.add(new Violation(Invariant.I4, "subscription " + subscription + ": shard " + shard
                        + " was first delivered (POST #" + (first + 1) + ") before the last record " + last
                        + " of its ancestor " + ancestor + (delivered == null ? " (never delivered)"
                                : " (POST #" + (delivered + 1) + ")")));
            }
        }));

        List<Violation> violations = new ArrayList<>(loss);
        violations.addAll(order);
        violations.addAll(repeats);
        violations.addAll(lineage);
        violations.addAll(contract);
        return new Report(writtenKeys.size(), distinctRecords, recordDeliveries - distinctRecords, resentBatches,
                maxResentPerShard, kills, all.size(), unexpected.size(), List.copyOf(violations));
    }

    private static void checkHeaders(Post post, Map<String, String> shardOfSequence, List<Violation> out) {
        List<String> absent = new ArrayList<>();
        if (post.webhookId() == null) {
            absent.add("webhook-id");
        }
        if (post.subscriptionId() == null) {
            absent.add("dynamo-stream-subscription-id");
        }
        if (post.shardId() == null) {
            absent.add("dynamo-stream-shard-id");
        }
        if (!absent.isEmpty()) {
            out.add(new Violation(Invariant.CONTRACT, post.describe() + " lacks header(s) " + absent));
        }
        if (post.records().isEmpty()) {
            out.add(new Violation(Invariant.CONTRACT, post.describe() + " has no records"));
        }
        for (Delivered r : post.records()) {
            String actual = shardOfSequence.get(r.sequenceNumber());
            if (actual != null && post.shardId() != null && !actual.equals(post.shardId())) {
                out.add(new Violation(Invariant.CONTRACT, "record " + r.sequenceNumber() + " is in shard " + actual
                        + " but came in " + post.describe()));
            }
        }
    }

    /** The shard of a POST without the shard header: the stream's shard of its first record, when known. */
    private static String actualShard(Post post, Map<String, String> shardOfSequence) {
        return post.records().isEmpty() ? "null"
                : String.valueOf(shardOfSequence.get(post.records().getFirst().sequenceNumber()));
    }

    /** Writes one line per POST (arrival order, ids, range, body hash) for reading a failed run. */
    void writeLog(Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        int i = 0;
        for (Post p : snapshot()) {
            lines.add(++i + " " + p.received() + " " + p.describe() + " sha256=" + sha256(p.body())
                    + (p.malformed() != null ? " MALFORMED " + p.malformed() : ""));
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, lines);
    }

    private static String sha256(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
