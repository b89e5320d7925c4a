package io.dynamostream.delivery;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.jboss.logging.Logger;

import io.dynamostream.guard.Redaction;
import io.dynamostream.metrics.StreamMetrics;
import io.dynamostream.state.WindowStore;
import io.dynamostream.subscription.DeliveryIncident;
import io.dynamostream.subscription.DeliverySettings;
import io.dynamostream.subscription.Subscription;
import software.amazon.awssdk.services.dynamodb.model.Record;

/**
 * Takes one batch of one (subscription, shard) to a final outcome, the way Lambda's event-source mapping does:
 * attempts through the {@link Destination}, backoff with jitter between them ({@link RetryPolicy}, at least what a
 * {@code Retry-After} asks, at most {@link #MAX_RETRY_AFTER}), {@code maximum_retry_attempts}, records older than
 * {@code maximum_record_age_in_seconds} given up before an attempt, {@code bisect_batch_on_function_error} (a split
 * does not use up retries), a permanent refusal (410 Gone) ending the subscription, and {@code on_failure} (stop,
 * skip, dead letter) for a batch that is given up.
 *
 * <p>With {@code function_response_types: [ReportBatchItemFailures]} a delivered attempt's answer is read
 * ({@link BatchItemFailures}): the records before the lowest failed one are acknowledged at once and the rest is
 * retried as a counted attempt. With {@code tumbling_window_in_seconds} every invoke carries the shard's window and
 * the state the receiver returned last ({@link WindowResponse}, kept in the {@link WindowStore} before the
 * checkpoint), batches are split at window boundaries, and a window ends with a final invoke retried until it
 * succeeds: when a record of a later window comes, when the cursor finds it due ({@link #closeWindowIfDue}) or at the
 * shard's end ({@link #closeWindowAtShardEnd}).
 *
 * <p>It owns no position and no checkpoint: what was acknowledged or handed over is told to the {@link Listener} (the
 * shard cursor), which stores it. Time comes from the injected clock and sleeper, so every rule is tested without
 * waiting. One instance per (subscription, shard); not thread-safe: used by that cursor's thread only.
 *
 * <p>Every attempt of the same records sends the same bytes with the same delivery id (I3); bisected halves, the
 * records left after expired ones and the rest after a partial batch response are new batches with their own bytes
 * and id, as after a restart.
 */
public final class BatchDelivery {

    private static final Logger LOG = Logger.getLogger(BatchDelivery.class);
    /** Longest wait a destination's {@code Retry-After} can impose on one attempt. */
    public static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(15);

    /** What the cursor learns while a batch is delivered; called on the delivering thread. */
    public interface Listener {
        /** An attempt ended (metrics). */
        void attempted(Destination.Attempt attempt);

        /** An attempt failed and the batch is retried; {@code message} is shown as the shard's {@code last_error}. */
        void failed(String message);

        /**
         * These records were delivered. {@code wholeBatch}: they are the batch given to {@link #deliver}, whose
         * checkpoint the cursor may store together with the next batch's in-flight mark; otherwise (a bisected half,
         * the records left after expired ones) the checkpoint must be stored at once.
         */
        void delivered(List<Record> records, boolean wholeBatch);

        /** These records were given up (skipped or dead-lettered) and the cursor moves past them: checkpoint now. */
        void handedOver(String lastSequenceNumber);

        /** Adds to one of Lambda's event counts (metrics). */
        default void counted(StreamMetrics.EventCount kind, int records) {
        }
    }

    /** How a batch ended. */
    public sealed interface Outcome {
        /** Delivered, or handed to {@code on_failure: skip / dead_letter}: the cursor moves on. */
        record Done() implements Outcome {
        }

        /** The subscription stopped or paused, or the service is stopping: nothing more; the batch is sent again later. */
        record Stopped() implements Outcome {
        }

        /** The subscription must end in ERROR with this message (on_failure stop, 410 Gone). */
        record Failed(String message) implements Outcome {
        }
    }

    private static final Outcome DONE = new Outcome.Done();
    private static final Outcome STOPPED = new Outcome.Stopped();

    private final Subscription subscription;
    private final DeliverySettings settings;
    private final String streamArn;
    private final String shardId;
    private final Destination destination;
    private final RetryPolicy backoff;
    private final Clock clock;
    private final Sleeper sleeper;
    private final DeadLetters deadLetters;
    private final Incidents incidents;
    private final BooleanSupplier running;
    private final WindowStore windows;
    /** The subscription's filter_criteria; {@link RecordFilter#ALL} without. */
    private final RecordFilter filter;
    /** {@code tumbling_window_in_seconds}; zero: no window. */
    private final Duration windowLength;
    /** The shard's window (open, or the last one closed), read from {@link #windows} on first use; null: none yet. */
    private WindowStore.Window window;
    private boolean windowLoaded;
    /** The wake-up of a parked cursor at its window's end ({@link #wakeWhenWindowDue}). */
    private ScheduledFuture<?> windowWake;

    /**
     * @param running whether deliveries may go on (the subscription is RUNNING and the cursor is not stopping);
     *        looked at before each attempt and while waiting
     */
    public BatchDelivery(Subscription subscription, String streamArn, String shardId, Destination destination,
            RetryPolicy backoff, Clock clock, Sleeper sleeper, DeadLetters deadLetters, Incidents incidents,
            BooleanSupplier running) {
        this(subscription, streamArn, shardId, destination, backoff, clock, sleeper, deadLetters, incidents, running,
                WindowStore.inMemory());
    }

    /** @param windows where the shard's tumbling window and its state are kept (used when the subscription has one) */
    public BatchDelivery(Subscription subscription, String streamArn, String shardId, Destination destination,
            RetryPolicy backoff, Clock clock, Sleeper sleeper, DeadLetters deadLetters, Incidents incidents,
            BooleanSupplier running, WindowStore windows) {
        this.subscription = subscription;
        this.settings = subscription.settings();
        this.streamArn = streamArn;
        this.shardId = shardId;
        this.destination = destination;
        this.backoff = backoff;
        this.clock = clock;
        this.sleeper = sleeper;
        this.deadLetters = deadLetters;
        this.incidents = incidents;
        this.running = running;
        this.windows = windows;
        // only a destination that answers can return a window's state: HTTP and Lambda (queues, topics, streams
        // and buses answer nothing, so a window there would never get a state and never move)
        this.filter = RecordFilter.of(settings.mapping().filterPatterns());
        this.windowLength = "http".equals(destination.type()) || "lambda".equals(destination.type())
                ? settings.mapping().tumblingWindow() : Duration.ZERO;
        if (windowLength.isZero() && settings.mapping().windowed()) {
            LOG.warnf("Subscription %s, shard %s: tumbling_window_in_seconds is ignored: a %s destination returns no "
                    + "state", subscription.id(), shardId, destination.type());
        }
    }

    /**
     * Delivers one batch (records of this shard in stream order, at least one) to its final outcome.
     *
     * @throws InterruptedException when the thread is interrupted while waiting (the cursor is stopping)
     */
    public Outcome deliver(List<Record> records, Listener listener) throws InterruptedException {
        listener.counted(StreamMetrics.EventCount.POLLED, records.size());
        if (filter.filters()) {
            List<Record> kept = new java.util.ArrayList<>(records.size());
            for (Record r : records) {
                if (filter.matches(r, streamArn)) {
                    kept.add(r);
                }
            }
            int out = records.size() - kept.size();
            if (out > 0) {
                // not sent; the cursor moves past them as past delivered ones (handedOver when they end the batch)
                listener.counted(StreamMetrics.EventCount.FILTERED_OUT, out);
                String last = records.get(records.size() - 1).dynamodb().sequenceNumber();
                if (kept.isEmpty()) {
                    listener.handedOver(last);
                    return DONE;
                }
                Outcome outcome = deliverMatching(kept, listener);
                if (outcome == DONE && kept.get(kept.size() - 1) != records.get(records.size() - 1)) {
                    listener.handedOver(last); // the records filtered out after the last one sent
                }
                return outcome;
            }
        }
        return deliverMatching(records, listener);
    }

    private Outcome deliverMatching(List<Record> records, Listener listener) throws InterruptedException {
        if (windowed()) {
            return deliverInWindows(records, listener);
        }
        return deliver(records, 0, true, listener);
    }

    /**
     * @param failedAttempts failed attempts already made for these records (carried into the halves of a split)
     * @param whole whether these are the records given to {@link #deliver}
     */
    private Outcome deliver(List<Record> records, int failedAttempts, boolean whole, Listener listener)
            throws InterruptedException {
        String first = records.get(0).dynamodb().sequenceNumber();
        String last = records.get(records.size() - 1).dynamodb().sequenceNumber();
        byte[] body = body(records);
        Destination.Message message = message(records, first, last, body);
        int failed = failedAttempts;
        while (true) {
            if (!running.getAsBoolean()) {
                return STOPPED;
            }
            int expired = expired(records);
            if (expired > 0) {
                // the records too old to deliver (the oldest come first) are given up, the others go on
                List<Record> old = records.subList(0, expired);
                String oldLast = old.get(old.size() - 1).dynamodb().sequenceNumber();
                Outcome r = giveUp(old, first, oldLast, LambdaPayload.body(old, streamArn), "records older than "
                        + "maximum_record_age_in_seconds (" + settings.maximumRecordAge().toSeconds() + " s): the "
                        + "oldest was created " + old.get(0).dynamodb().approximateCreationDateTime(), listener,
                        new InvocationRecord.Failure(InvocationRecord.RECORD_AGE_EXCEEDED, failed, null));
                if (r != DONE || expired == records.size()) {
                    return r;
                }
                return deliver(records.subList(expired, records.size()), failed, false, listener);
            }
            Destination.Attempt attempt = destination.send(message);
            listener.attempted(attempt);
            listener.counted(StreamMetrics.EventCount.INVOKED, records.size());
            if (!attempt.isSuccess()) {
                listener.counted(StreamMetrics.EventCount.FAILED_INVOKE, records.size());
            }
            if (attempt instanceof Destination.Attempt.Delivered d && readsResponse()) {
                String state = null;
                if (windowed()) {
                    WindowResponse.Read read = WindowResponse.read(d.response());
                    if (read.failure() != null) {
                        // Lambda: an answer without a state is a failed invoke (bisected like any other)
                        attempt = new Destination.Attempt.Retryable(d.describe() + " " + read.failure(), null,
                                d.outcome(), d.took());
                    }
                    state = read.state();
                }
                BatchItemFailures.Verdict verdict = attempt != d || !settings.mapping().reportBatchItemFailures()
                        ? null : BatchItemFailures.read(d.response(), records);
                if (verdict instanceof BatchItemFailures.WholeBatchFailed w) {
                    // an answer that acknowledges nothing for sure is a failed invoke, bisected like any other
                    attempt = new Destination.Attempt.Retryable(d.describe() + " but its batchItemFailures fail "
                            + "the whole batch: " + w.reason(), null, d.outcome(), d.took());
                } else if (verdict instanceof BatchItemFailures.DoneBefore partial) {
                    String reason = d.describe() + " reporting " + partial.reported() + " failed record"
                            + (partial.reported() == 1 ? "" : "s") + ", the first at sequence number "
                            + partial.sequenceNumber();
                    if (partial.firstFailed() > 0) {
                        // the records before the first failure are done: checkpointed now, never sent again
                        List<Record> done = records.subList(0, partial.firstFailed());
                        if (state != null) {
                            keepState(state, done.get(done.size() - 1));
                        }
                        listener.delivered(done, false);
                        if (state != null && tooLarge(state)) {
                            Outcome early = closeWindow(listener, true);
                            if (early != DONE) {
                                return early;
                            }
                        }
                        reason += ": " + partial.firstFailed() + " record" + (partial.firstFailed() == 1 ? "" : "s")
                                + " before it acknowledged, the " + (records.size() - partial.firstFailed())
                                + " from it retried";
                        records = records.subList(partial.firstFailed(), records.size());
                        whole = false;
                        first = records.get(0).dynamodb().sequenceNumber();
                        body = body(records);
                        message = message(records, first, last, body);
                    } else {
                        reason += " (the first of the batch): nothing acknowledged, the batch retried";
                    }
                    // the retry from the first failed record counts as an attempt, as on Lambda; split or not
                    Destination.Attempt.Retryable retry = new Destination.Attempt.Retryable(reason, null,
                            d.outcome(), d.took());
                    failed++;
                    listener.failed(attempt(failed) + " failed: " + reason);
                    if (!settings.retriesForever() && failed > settings.maximumRetryAttempts()) {
                        return giveUp(records, first, last, body, "delivery to " + redactedUrl() + " failed after "
                                + failed + " attempts; last: " + reason, listener, new InvocationRecord.Failure(
                                        InvocationRecord.RETRY_ATTEMPTS_EXHAUSTED, failed, retry));
                    }
                    if (!pause(backoff.backoff(failed), retry, attempt(failed), "")) {
                        return STOPPED;
                    }
                    continue;
                } else if (state != null) {
                    // the whole batch is in the returned state: kept before the checkpoint may move past it
                    keepState(state, records.get(records.size() - 1));
                    listener.delivered(records, whole);
                    return tooLarge(state) ? closeWindow(listener, true) : DONE;
                }
            }
            switch (attempt) {
                case Destination.Attempt.Delivered d -> {
                    listener.delivered(records, whole);
                    return DONE;
                }
                case Destination.Attempt.Permanent p -> {
                    return new Outcome.Failed(p.describe());
                }
                case Destination.Attempt.Rejected rejected -> {
                    if (rejected.split() && records.size() > 1) {
                        // too large for the destination as one message: halves, at once and without using a retry
                        listener.failed("batch of " + records.size() + " records refused (" + rejected.describe()
                                + "); splitting it in two");
                        int half = records.size() / 2;
                        Outcome left = deliver(records.subList(0, half), failed, false, listener);
                        if (left != DONE) {
                            return left;
                        }
                        return deliver(records.subList(half, records.size()), failed, false, listener);
                    }
                    listener.failed("refused: " + rejected.describe());
                    return giveUp(records, first, last, body, "refused by " + redactedUrl() + ": "
                            + rejected.describe(), listener, new InvocationRecord.Failure(
                                    InvocationRecord.RETRY_ATTEMPTS_EXHAUSTED, failed + 1, rejected));
                }
                case Destination.Attempt.Retryable retry -> {
                    if (!running.getAsBoolean()) {
                        // the attempt that a graceful stop let finish failed: sent again after the restart
                        LOG.infof("Subscription %s, shard %s: the attempt in flight when stopping failed (%s); its "
                                + "batch (%s to %s) is sent again later", subscription.id(), shardId,
                                Redaction.text(retry.describe()), first, last);
                        return STOPPED;
                    }
                    String reason = retry.describe();
                    if (settings.bisectOnError() && records.size() > 1) {
                        listener.failed("batch of " + records.size() + " records failed (" + reason
                                + "); splitting it in two");
                        if (!pause(backoff.backoff(failed + 1), retry, attempt(failed + 1), "; splitting the batch of "
                                + records.size() + " records in two (a split is not counted as a retry)")) {
                            return STOPPED;
                        }
                        int half = records.size() / 2;
                        Outcome left = deliver(records.subList(0, half), failed, false, listener);
                        if (left != DONE) {
                            return left;
                        }
                        return deliver(records.subList(half, records.size()), failed, false, listener);
                    }
                    failed++;
                    listener.failed(attempt(failed) + " failed: " + reason);
                    if (!settings.retriesForever() && failed > settings.maximumRetryAttempts()) {
                        return giveUp(records, first, last, body, "delivery to " + redactedUrl() + " failed after "
                                + failed + " attempts; last: " + reason, listener, new InvocationRecord.Failure(
                                        InvocationRecord.RETRY_ATTEMPTS_EXHAUSTED, failed, retry));
                    }
                    if (!pause(backoff.backoff(failed), retry, attempt(failed), "")) {
                        return STOPPED;
                    }
                }
            }
        }
    }

    // ---- tumbling windows (tumbling_window_in_seconds)

    /** Lambda's margin for records still being read: a window is closed on time this long after its end. */
    static final Duration WINDOW_GRACE = Duration.ofSeconds(5);

    /** The one timer thread of every window's wake-up, started by the first subscription with a window. */
    private static final class WindowTimer {
        static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tumbling-window-timer");
            t.setDaemon(true);
            return t;
        });
    }

    /** Whether the subscription has a tumbling window. */
    public boolean windowed() {
        return !windowLength.isZero();
    }

    /** Whether the body of a delivered attempt means something: partial batch responses or a window's state. */
    private boolean readsResponse() {
        return settings.mapping().reportBatchItemFailures() || windowed();
    }

    /** The invoke body of these records: with the window's fields and state when the subscription has a window. */
    private byte[] body(List<Record> records) {
        if (!windowed()) {
            return LambdaPayload.body(records, streamArn);
        }
        return LambdaPayload.windowBody(records, streamArn, shardId, window.start(), window.end(), window.state(),
                false, false);
    }

    private static boolean tooLarge(String state) {
        return state.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > WindowResponse.MAX_STATE_BYTES;
    }

    /** The shard's window, read once from the store. */
    private WindowStore.Window window() {
        if (!windowLoaded) {
            window = windows.window(subscription.id(), shardId).orElse(null);
            windowLoaded = true;
        }
        return window;
    }

    private boolean windowOpen() {
        WindowStore.Window w = window();
        return w != null && !w.closed();
    }

    /** Stores the state the receiver returned: it includes every record of the window through {@code through}. */
    private void keepState(String state, Record through) {
        window = new WindowStore.Window(window.start(), window.end(), state, through.dynamodb().sequenceNumber(),
                false);
        windows.putWindow(subscription.id(), shardId, window);
    }

    /**
     * The start of the window a record goes to: the one its stream time ({@code ApproximateCreationDateTime}) falls
     * in, aligned to multiples of the window's length since the epoch, as Lambda aligns them; a record read after
     * its window was closed (or older than the open window) goes to the window after the closed one (or the open
     * one), so windows never repeat and never go back.
     */
    private Instant windowOf(Record r) {
        Instant created = r.dynamodb().approximateCreationDateTime();
        long length = windowLength.toSeconds();
        WindowStore.Window w = window();
        Instant floor = w == null ? null : w.closed() ? w.end() : w.start();
        if (created == null) {
            return floor != null ? floor : Instant.ofEpochSecond(Math.floorDiv(clock.instant().getEpochSecond(),
                    length) * length);
        }
        Instant own = Instant.ofEpochSecond(Math.floorDiv(created.getEpochSecond(), length) * length);
        return floor != null && own.isBefore(floor) ? floor : own;
    }

    /**
     * Delivers a batch of a subscription with a tumbling window: records its stored state already includes (a crash
     * between storing the state and the checkpoint) are acknowledged without being sent; the rest go out in runs of
     * one window each (a batch never spans two windows); a record of a later window first closes the open one.
     */
    private Outcome deliverInWindows(List<Record> records, Listener listener) throws InterruptedException {
        int total = records.size();
        WindowStore.Window stored = window();
        if (stored != null && stored.through() != null) {
            // sequence numbers compare as numbers, never as strings
            java.math.BigInteger through = new java.math.BigInteger(stored.through());
            int included = 0;
            while (included < records.size() && new java.math.BigInteger(records.get(included).dynamodb()
                    .sequenceNumber()).compareTo(through) <= 0) {
                included++;
            }
            if (included > 0) {
                LOG.infof("Subscription %s, shard %s: %d records through %s are already in the stored state of the "
                        + "window starting %s; not sent again", subscription.id(), shardId, included,
                        stored.through(), stored.start());
                listener.delivered(records.subList(0, included), false);
                records = records.subList(included, records.size());
            }
        }
        boolean whole = records.size() == total;
        while (!records.isEmpty()) {
            Instant start = windowOf(records.get(0));
            if (windowOpen() && start.isAfter(window.start())) {
                Outcome closed = closeWindow(listener, false);
                if (closed != DONE) {
                    return closed;
                }
            }
            if (window == null || window.closed() || !window.start().equals(start)) {
                window = new WindowStore.Window(start, start.plus(windowLength), "{}", null, false);
            }
            int n = 1;
            while (n < records.size() && windowOf(records.get(n)).equals(start)) {
                n++;
            }
            whole &= n == records.size();
            Outcome outcome = deliver(records.subList(0, n), 0, whole, listener);
            if (outcome != DONE) {
                return outcome;
            }
            whole = false;
            records = records.subList(n, records.size());
        }
        return DONE;
    }

    /**
     * Sends the final invoke of the open window when its end has passed (plus {@link #WINDOW_GRACE}) and no record of
     * it came since: called by the cursor before it waits for records. Done when there is nothing to close.
     */
    public Outcome closeWindowIfDue(Listener listener) throws InterruptedException {
        if (!windowed() || !windowOpen() || clock.instant().isBefore(window.end().plus(WINDOW_GRACE))) {
            return DONE;
        }
        return closeWindow(listener, false);
    }

    /** The shard ended: its open window is closed (Lambda: "when the shard ends, Lambda considers the window closed"). */
    public Outcome closeWindowAtShardEnd(Listener listener) throws InterruptedException {
        if (!windowed() || !windowOpen()) {
            return DONE;
        }
        return closeWindow(listener, false);
    }

    /**
     * Has {@code wake} run (once) when the open window is due to close, so a cursor parked on a quiet shard sends
     * the final invoke on time; nothing when no window is open. Replaces an earlier wake-up.
     */
    public void wakeWhenWindowDue(Runnable wake) {
        if (windowWake != null) {
            windowWake.cancel(false);
            windowWake = null;
        }
        if (!windowed() || !windowOpen()) {
            return;
        }
        Duration until = Duration.between(clock.instant(), window.end().plus(WINDOW_GRACE));
        windowWake = WindowTimer.TIMER.schedule(wake, Math.max(0, until.toMillis()) + 50, TimeUnit.MILLISECONDS);
    }

    /**
     * The final invoke of the open window (no records, its state, {@code isFinalInvokeForWindow: true}), retried
     * until it succeeds, whatever maximum_retry_attempts says (Lambda: "if invocation is unsuccessful, your Lambda
     * function suspends further processing until a successful invocation"); then the window is stored as closed and
     * its state dropped. {@code early}: the state grew over 1 MB; {@code isWindowTerminatedEarly} is true too and
     * the same window goes on with a fresh state. A 410 Gone or a refusal ends the subscription.
     */
    private Outcome closeWindow(Listener listener, boolean early) throws InterruptedException {
        WindowStore.Window w = window;
        byte[] body = LambdaPayload.windowBody(List.of(), streamArn, shardId, w.start(), w.end(), w.state(), true,
                early);
        String what = (early ? "early final invoke" : "final invoke") + " of the window " + w.start() + " to "
                + w.end();
        Destination.Message message = new Destination.Message(subscription, shardId,
                WebhookSigner.batchId(subscription.id(), shardId, "window-" + w.start().getEpochSecond(),
                        early ? "early-" + w.through() : "final"), body, List.of());
        int failed = 0;
        while (true) {
            if (!running.getAsBoolean()) {
                return STOPPED;
            }
            Destination.Attempt attempt = destination.send(message);
            listener.attempted(attempt);
            switch (attempt) {
                case Destination.Attempt.Delivered d -> {
                    window = early ? new WindowStore.Window(w.start(), w.end(), "{}", w.through(), false)
                            : new WindowStore.Window(w.start(), w.end(), "{}", w.through(), true);
                    windows.putWindow(subscription.id(), shardId, window);
                    if (early) {
                        LOG.warnf("Subscription %s, shard %s: the state of the window %s to %s grew over 1 MB: the "
                                + "window was terminated early and goes on with a fresh state", subscription.id(),
                                shardId, w.start(), w.end());
                    }
                    return DONE;
                }
                case Destination.Attempt.Permanent p -> {
                    return new Outcome.Failed(what + ": " + p.describe());
                }
                case Destination.Attempt.Rejected r -> {
                    return new Outcome.Failed(what + " refused by " + redactedUrl() + ": " + r.describe());
                }
                case Destination.Attempt.Retryable retry -> {
                    failed++;
                    listener.failed(what + ", attempt " + failed + ", failed: " + retry.describe()
                            + " (retried until it succeeds)");
                    if (!pause(backoff.backoff(failed), retry, what + ", attempt " + failed, "")) {
                        return STOPPED;
                    }
                }
            }
        }
    }

    /** The message of these records: its delivery id is the same for the same records, across restarts too. */
    private Destination.Message message(List<Record> records, String first, String last, byte[] body) {
        return new Destination.Message(subscription, shardId,
                WebhookSigner.batchId(subscription.id(), shardId, first, last), body, records);
    }

    /** "attempt 2/10", or "attempt 2" when retrying forever: the number the README promises in the WARN line. */
    private String attempt(int number) {
        return "attempt " + number + (settings.retriesForever() ? "" : "/" + (settings.maximumRetryAttempts() + 1));
    }

    /**
     * Logs the failed attempt and waits the backoff, or longer when the destination asked with {@code Retry-After};
     * false when stopped. The line keeps "; retrying in " (the benchmark counts retries by it).
     *
     * @param what which attempt failed, e.g. {@code attempt 2/10}
     * @param next what happens to the records besides the retry (a split), or empty
     */
    private boolean pause(Duration wait, Destination.Attempt.Retryable attempt, String what, String next)
            throws InterruptedException {
        Duration retryAfter = attempt.delay();
        if (retryAfter != null && retryAfter.compareTo(wait) > 0) {
            wait = retryAfter.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : retryAfter;
        }
        LOG.warnf("Subscription %s, shard %s: %s to %s failed: %s%s; retrying in %d ms", subscription.id(), shardId,
                what, redactedUrl(), Redaction.text(attempt.describe()), next, wait.toMillis());
        return sleeper.sleep(wait, running);
    }

    /** How many records at the head of the batch are older than maximum_record_age_in_seconds. */
    private int expired(List<Record> records) {
        Duration max = settings.maximumRecordAge();
        if (max == null) {
            return 0;
        }
        Instant limit = clock.instant().minus(max);
        int n = 0;
        for (Record r : records) {
            Instant created = r.dynamodb().approximateCreationDateTime();
            if (created == null || !created.isBefore(limit)) {
                break;
            }
            n++;
        }
        return n;
    }

    /**
     * Applies on_failure to records that will not be delivered; first, when the subscription has an on-failure
     * destination, sends it Lambda's invocation record of them (a few attempts): only once it took the record does
     * the subscription go on (or, with dead_letter, once the batch is kept), never past a batch nobody has.
     */
    private Outcome giveUp(List<Record> records, String first, String last, byte[] body, String reason,
            Listener listener, InvocationRecord.Failure failure) throws InterruptedException {
        String range = " (shard " + shardId + ", sequence numbers " + first + " to " + last + ", " + records.size()
                + " records)";
        Destination onFailure = destination.onFailure();
        if (onFailure != null) {
            Destination.Attempt sent = InvocationRecord.send(onFailure, new Destination.Message(subscription, shardId,
                    WebhookSigner.batchId(subscription.id(), shardId, first, last) + "-failure",
                    InvocationRecord.body(redactedUrl(), streamArn, shardId, records, reason, failure, clock.instant()),
                    List.of()), backoff, sleeper, running);
            if (sent == null) {
                return STOPPED;
            }
            listener.attempted(sent);
            if (sent.isSuccess()) {
                listener.counted(StreamMetrics.EventCount.ON_FAILURE_DELIVERED, records.size());
            }
            if (!sent.isSuccess() && settings.onFailure() != DeliverySettings.OnFailure.DEAD_LETTER) {
                return new Outcome.Failed(reason + range + "; the on-failure destination "
                        + Redaction.url(settings.destination().onFailure()) + " did not take its invocation record: "
                        + sent.describe());
            }
        }
        listener.counted(StreamMetrics.EventCount.DROPPED, records.size());
        switch (settings.onFailure()) {
            case STOP -> {
                return new Outcome.Failed(reason + range);
            }
            case SKIP -> incidents.report(new DeliveryIncident(DeliveryIncident.Kind.SKIPPED, subscription, shardId,
                    first, last, records.size(), "skipped " + records.size() + " records: " + reason + range));
            case DEAD_LETTER -> deadLetters.keep(subscription, shardId, first, last, records.size(), reason, body);
        }
        listener.handedOver(last);
        return DONE;
    }

    private String redactedUrl() {
        return Redaction.url(subscription.url());
    }
}
