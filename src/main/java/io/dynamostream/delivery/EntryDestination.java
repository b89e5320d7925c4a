package io.dynamostream.delivery;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.dynamostream.metrics.StreamMetrics.AttemptOutcome;
import io.dynamostream.subscription.AwsArn;
import io.dynamostream.subscription.DestinationOptions.MessageFormat;

/**
 * What SQS, SNS, Kinesis and EventBridge have in common: a message is cut into entries ({@link RecordEntries}), the
 * entries go out in the service's batch calls (at most so many entries and bytes a call), and the service answers per
 * entry. Delivered means every entry was accepted.
 *
 * <p>Entry-level failures retry only what failed: the entries accepted are remembered (by de-duplication id, so the
 * halves of a split batch and the records left after expired ones skip them too) until a message is delivered whole,
 * and the next attempt sends only the others. First deliveries per item stay in stream order: a call never carries
 * two entries of the same item (their order inside one call is not guaranteed by every service), calls go one after
 * the other, and once an entry failed no later entry of the same item is sent in that attempt.
 *
 * <p>Sizes are checked before anything is sent: an entry over the service's limit makes the attempt
 * {@link Attempt.Rejected} (split; a single record over it goes to {@code on_failure} with a reason naming the limit).
 * Thread-safe: attempts of one instance are serialised.
 */
abstract class EntryDestination implements Destination {

    /** One entry the service did not take, by its position in the call. */
    record EntryFailure(int position, String code, String message) {
    }

    protected final AwsClients clients;
    protected final AwsArn arn;
    protected final URI endpoint;
    protected final MessageFormat format;
    private final Limits limits;
    /** De-duplication ids accepted since the last message delivered whole; guarded by this. */
    private final Set<String> accepted = new HashSet<>();

    /**
     * What the service takes at most.
     *
     * @param entries entries per call
     * @param callBytes bytes per call (as the service counts them)
     * @param entryBytes bytes per entry
     * @param entryLimit how that limit is named in a refusal ("SQS's limit of 1 MiB ... per message")
     */
    record Limits(int entries, long callBytes, long entryBytes, String entryLimit) {
    }

    EntryDestination(AwsClients clients, AwsArn arn, URI configuredEndpoint, MessageFormat format, Limits limits) {
        this.limits = limits;
        this.clients = clients;
        this.arn = arn;
        this.endpoint = clients.endpoint(arn.service(), configuredEndpoint);
        this.format = format;
    }

    /** "SQS queue orders.fifo": for messages. */
    String what() {
        return arn.service().what() + " " + arn.name();
    }

    @Override
    public String type() {
        return arn.service().id();
    }

    /** The size of a message with the {@code webhook-id} string attribute (SQS, SNS), as those services count it. */
    static long withIdAttribute(RecordEntries.Entry e) {
        return e.body().length + WebhookSigner.ID.length() + "String".length() + e.dedupId().length();
    }

    /** The size of an entry as the service counts it against its limits. */
    abstract long size(RecordEntries.Entry entry);

    /**
     * One batch call with these entries; returns the ones not accepted.
     *
     * @throws RuntimeException the call itself failed (nothing in it is taken as accepted)
     */
    abstract List<EntryFailure> put(List<RecordEntries.Entry> entries);

    @Override
    public synchronized Attempt send(Message m) {
        long started = System.nanoTime();
        List<RecordEntries.Entry> entries = RecordEntries.of(m, format);
        for (RecordEntries.Entry e : entries) {
            long size = size(e);
            if (size > limits.entryBytes()) {
                boolean single = entries.size() == 1 && m.records().size() <= 1;
                String which = format == MessageFormat.BATCH || entries.size() == 1 ? "message"
                        : "record " + e.dedupId();
                return new Attempt.Rejected(what() + ": " + which + " of " + size + " bytes is over "
                        + limits.entryLimit(),
                        !single, AttemptOutcome.CLIENT_ERROR, took(started));
            }
        }
        String refused = clients.refusal(endpoint);
        if (refused != null) {
            return new Attempt.Retryable(refused, null, AttemptOutcome.REFUSED, took(started));
        }
        Set<String> blocked = new HashSet<>();
        List<RecordEntries.Entry> pending = new ArrayList<>();
        for (RecordEntries.Entry e : entries) {
            if (!accepted.contains(e.dedupId())) {
                pending.add(e);
            }
        }
        int sent = 0;
        int failed = 0;
        String firstFailure = null;
        while (!pending.isEmpty()) {
            List<RecordEntries.Entry> call = new ArrayList<>();
            Set<String> keys = new HashSet<>();
            long bytes = 0;
            List<RecordEntries.Entry> later = new ArrayList<>();
            // an entry of an item whose earlier entry waits for a later call must not overtake it
            Set<String> laterKeys = new HashSet<>();
            for (RecordEntries.Entry e : pending) {
                if (blocked.contains(e.orderKey())) {
                    continue; // an earlier record of this item failed: it waits for the next attempt
                }
                long size = size(e);
                boolean fits = call.size() < limits.entries() && bytes + size <= limits.callBytes();
                if (!fits || keys.contains(e.orderKey()) || laterKeys.contains(e.orderKey())) {
                    later.add(e);
                    laterKeys.add(e.orderKey());
                    continue;
                }
                call.add(e);
                keys.add(e.orderKey());
                bytes += size;
            }
            if (call.isEmpty()) {
                break;
            }
            List<EntryFailure> failures;
            try {
                failures = put(call);
            } catch (RuntimeException ex) {
                Attempt a = AwsErrors.of(ex, what(), started);
                if (sent > 0 && a instanceof Attempt.Retryable r) {
                    return new Attempt.Retryable(sent + " of " + entries.size() + " messages sent, then " + r.describe(),
                            r.delay(), r.outcome(), r.took());
                }
                return a;
            }
            Set<Integer> failedPositions = new HashSet<>();
            for (EntryFailure f : failures) {
                failedPositions.add(f.position());
                if (firstFailure == null) {
                    firstFailure = f.code() + ": " + f.message();
                }
            }
            for (int i = 0; i < call.size(); i++) {
                RecordEntries.Entry e = call.get(i);
                if (failedPositions.contains(i)) {
                    blocked.add(e.orderKey());
                    failed++;
                } else {
                    accepted.add(e.dedupId());
                    sent++;
                }
            }
            pending = later;
        }
        int left = 0;
        for (RecordEntries.Entry e : entries) {
            if (!accepted.contains(e.dedupId())) {
                left++;
            }
        }
        if (left == 0) {
            accepted.clear();
            return new Attempt.Delivered(what() + ": " + entries.size() + (entries.size() == 1 ? " message" : " messages")
                    + " accepted", AttemptOutcome.SUCCESS, took(started));
        }
        return new Attempt.Retryable(what() + ": " + left + " of " + entries.size() + " messages not accepted ("
                + failed + " failed" + (firstFailure == null ? "" : ", first: " + firstFailure)
                + "); only those are sent again", null, AttemptOutcome.SERVER_ERROR, took(started));
    }

    static Duration took(long started) {
        return Duration.ofNanos(System.nanoTime() - started);
    }
}
