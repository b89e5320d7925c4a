package io.dynamostream.delivery;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.random.RandomGenerator;

import org.junit.jupiter.api.Test;

import io.dynamostream.TestClock;
import io.dynamostream.metrics.StreamMetrics.AttemptOutcome;
import io.dynamostream.state.StateStores;
import io.dynamostream.subscription.DeliverySettings;
import io.dynamostream.subscription.StartingPosition;
import io.dynamostream.subscription.StopNotification;
import io.dynamostream.subscription.StopNotification.State;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionRequest;
import io.dynamostream.subscription.SubscriptionStatus;
import io.dynamostream.subscription.SubscriptionStore;

/**
 * The retries of the stop notification ({@link StopNotifications}): backoff, Retry-After, the bound, 410, a deleted
 * subscription, a second stop, the state kept in the store and resumed after a restart. A scripted destination, a fake
 * clock, a sleeper that only moves that clock and an executor that runs on the test's thread: nothing waits.
 */
class StopNotificationsTest {

    private static final Instant STOP = Instant.parse("2026-12-01T12:00:00Z");
    private static final String ID = "01STOPPED";
    private static final String ERROR = "table People was deleted";
    /** The jitter always at its ceiling, so each wait is exactly min(max, initial * 2^(n-1)). */
    private static final RandomGenerator CEILING = new RandomGenerator() {
        @Override
        public long nextLong() {
            return 0;
        }

        @Override
        public long nextLong(long bound) {
            return bound - 1;
        }
    };
    private static final RetryPolicy POLICY = new RetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(30), CEILING);

    private final TestClock clock = new TestClock(STOP);
    private final StateStores stores = StateStores.inMemory();
    private final Map<String, Subscription> registry = new ConcurrentHashMap<>();
    private final ScriptedDestination destination = new ScriptedDestination();
    private final List<Duration> waits = new ArrayList<>();
    /** Run during the next wait (before the clock moves), once. */
    private Runnable duringNextWait;
    /** Whether the sleeper's waits pass (false: as when the service stops during a wait). */
    private boolean waitsPass = true;

    /** Answers from a script, then delivers; records every message and when it was sent. */
    private final class ScriptedDestination implements Destination {
        final List<Message> sent = new ArrayList<>();
        final List<Instant> sentAt = new ArrayList<>();
        final Deque<Attempt> script = new ArrayDeque<>();
        Attempt otherwise = delivered();

        ScriptedDestination then(Attempt... attempts) {
            script.addAll(List.of(attempts));
            return this;
        }

        @Override
        public Attempt send(Message message) {
            sent.add(message);
            sentAt.add(clock.instant());
            return script.isEmpty() ? otherwise : script.poll();
        }
    }

    private static Destination.Attempt delivered() {
        return new Destination.Attempt.Delivered("HTTP 200", AttemptOutcome.SUCCESS, Duration.ofMillis(5));
    }

    private static Destination.Attempt down() {
        return new Destination.Attempt.Retryable("connection refused", null, AttemptOutcome.ERROR, Duration.ZERO);
    }

    private static Destination.Attempt unavailable(Duration retryAfter) {
        return new Destination.Attempt.Retryable("HTTP 503", retryAfter, AttemptOutcome.SERVER_ERROR,
                Duration.ofMillis(5));
    }

    private static Destination.Attempt gone() {
        return new Destination.Attempt.Permanent("receiver answered 410 Gone: HTTP 410", AttemptOutcome.CLIENT_ERROR,
                Duration.ofMillis(5));
    }

    private Subscription stoppedSubscription() {
        Subscription s = new Subscription(ID, "People", URI.create("http://127.0.0.1:9/in?token=secret"),
                StartingPosition.LATEST, Subscription.Source.API, STOP.minusSeconds(3600), SubscriptionStatus.ERROR,
                ERROR, List.of(), Map.of(), List.of(), DeliverySettings.DEFAULTS, true);
        stores.put(new SubscriptionStore.Stored(s.id(), SubscriptionRequest.of("People", s.url().toString(),
                "LATEST"), s.source(), s.createdAt(), SubscriptionStatus.ERROR, ERROR, true));
        registry.put(s.id(), s);
        return s;
    }

    /** The notifier as the service builds it, with this test's clock, sleeper and store, on the test's thread. */
    private StopNotifications notifier(Duration retryFor) {
        return new StopNotifications(stores, new Destinations(destination),
                id -> Optional.ofNullable(registry.get(id)), POLICY, retryFor, clock, (d, keepWaiting) -> {
                    waits.add(d);
                    Runnable during = duringNextWait;
                    duringNextWait = null;
                    if (during != null) {
                        during.run();
                    }
                    if (!waitsPass || !keepWaiting.getAsBoolean()) {
                        return false;
                    }
                    clock.advance(d);
                    return true;
                }, Runnable::run);
    }

    private StopNotification stored() {
        List<StopNotification> all = stores.notifications((id, reason) -> {
            throw new AssertionError(reason);
        });
        return all.stream().filter(n -> n.subscriptionId().equals(ID)).findFirst().orElse(null);
    }

    private static List<Duration> seconds(long... values) {
        List<Duration> out = new ArrayList<>();
        for (long v : values) {
            out.add(Duration.ofSeconds(v));
        }
        return out;
    }

    @Test
    void givenReceiverDownAtFirst_whenItComesBack_thenRetriedWithExponentialBackoffAndDelivered() {
        destination.then(down(), down(), down());
        StopNotifications notifier = notifier(Duration.ofHours(1));

        notifier.stopped(stoppedSubscription());

        assertEquals(4, destination.sent.size(), "three failures, then the receiver took it");
        assertEquals(seconds(1, 2, 4), waits, "1 s, doubled after each failure");
        assertEquals(List.of(STOP, STOP.plusSeconds(1), STOP.plusSeconds(3), STOP.plusSeconds(7)),
                destination.sentAt);
        StopNotification n = notifier.status(ID).orElseThrow();
        assertEquals(State.DELIVERED, n.state());
        assertEquals(4, n.attempts());
        assertNull(n.lastError());
        assertEquals(STOP.plusSeconds(7), n.lastAttemptAt());
        assertNull(n.nextAttemptAt());
        assertEquals(n, stored(), "the fate is stored too");
    }

    @Test
    void givenRetries_thenEveryAttemptSendsTheSameBodyAndWebhookIdAsTheOriginalNotification() {
        destination.then(down(), down());
        notifier(Duration.ofHours(1)).stopped(stoppedSubscription());

        byte[] expected = "{\"table_name\":\"People\",\"message\":\"table People was deleted\"}"
                .getBytes(StandardCharsets.UTF_8);
        for (Destination.Message m : destination.sent) {
            assertArrayEquals(expected, m.body(), new String(m.body(), StandardCharsets.UTF_8));
            assertEquals(WebhookSigner.notificationId(ID, ERROR), m.deliveryId());
            assertNull(m.shardId(), "a notification, not a batch");
            assertEquals(ID, m.subscription().id());
        }
    }

    @Test
    void givenFailedAttempt_thenThePendingStateIsStoredBeforeTheWait() {
        destination.then(down(), down());
        List<StopNotification> seenDuringWaits = new ArrayList<>();
        StopNotifications notifier = notifier(Duration.ofHours(1));
        duringNextWait = () -> {
            seenDuringWaits.add(stored());
            duringNextWait = () -> seenDuringWaits.add(stored());
        };

        notifier.stopped(stoppedSubscription());

        assertEquals(2, seenDuringWaits.size());
        StopNotification first = seenDuringWaits.get(0);
        assertEquals(State.PENDING, first.state());
        assertEquals(1, first.attempts());
        assertEquals("connection refused", first.lastError());
        assertEquals(STOP, first.lastAttemptAt());
        assertEquals(STOP.plusSeconds(1), first.nextAttemptAt());
        assertEquals(2, seenDuringWaits.get(1).attempts());
        assertEquals(STOP.plusSeconds(3), seenDuringWaits.get(1).nextAttemptAt());
    }

    @Test
    void givenReceiverDownForLongerThanTheBound_thenTheLastAttemptIsAtTheBoundAndItIsGivenUp() {
        destination.otherwise = down();
        StopNotifications notifier = notifier(Duration.ofMinutes(2));

        notifier.stopped(stoppedSubscription());

        // 1+2+4+8+16+30+30 = 91 s; the next 30 s wait is cut to 29 s so that the last attempt is at the bound
        assertEquals(seconds(1, 2, 4, 8, 16, 30, 30, 29), waits);
        assertEquals(STOP.plus(Duration.ofMinutes(2)), destination.sentAt.get(destination.sentAt.size() - 1));
        StopNotification n = notifier.status(ID).orElseThrow();
        assertEquals(State.GAVE_UP, n.state());
        assertEquals(9, n.attempts());
        assertEquals("connection refused", n.lastError());
        assertNull(n.nextAttemptAt());
        assertEquals(n, stored());
    }

    @Test
    void givenRetryForZero_thenOneAttemptOnlyLikeTheOriginal() {
        destination.otherwise = down();

        StopNotifications notifier = notifier(Duration.ZERO);
        notifier.stopped(stoppedSubscription());

        assertEquals(1, destination.sent.size());
        assertEquals(List.of(), waits);
        assertEquals(State.GAVE_UP, notifier.status(ID).orElseThrow().state());
    }

    @Test
    void givenReceiverAnswers410_thenGivenUpAtOnce() {
        destination.then(down(), gone());
        StopNotifications notifier = notifier(Duration.ofHours(1));

        notifier.stopped(stoppedSubscription());

        assertEquals(2, destination.sent.size());
        StopNotification n = notifier.status(ID).orElseThrow();
        assertEquals(State.GAVE_UP, n.state());
        assertEquals("receiver answered 410 Gone: HTTP 410", n.lastError());
    }

    @Test
    void givenRetryAfter_thenTheWaitIsAtLeastWhatItAsksButNeverPastTheBound() {
        destination.then(unavailable(Duration.ofSeconds(20)), unavailable(Duration.ofMinutes(10)));
        StopNotifications notifier = notifier(Duration.ofMinutes(5));

        notifier.stopped(stoppedSubscription());

        assertEquals(List.of(Duration.ofSeconds(20), Duration.ofSeconds(280)), waits,
                "20 s as asked (more than the 1 s backoff), then the 280 s left until the bound");
        assertEquals(State.DELIVERED, notifier.status(ID).orElseThrow().state());
    }

    @Test
    void givenDestinationThrows_thenItCountsAsAFailedAttemptAndIsRetried() {
        Destination throwing = m -> {
            throw new IllegalArgumentException("port out of range:99999");
        };
        List<Destination.Attempt> script = new ArrayList<>(List.of(delivered()));
        Destination flaky = new Destination() {
            int calls;

            @Override
            public Attempt send(Message m) {
                return calls++ == 0 ? throwing.send(m) : script.get(0);
            }
        };
        StopNotifications notifier = new StopNotifications(stores, new Destinations(flaky),
                id -> Optional.ofNullable(registry.get(id)), POLICY, Duration.ofHours(1), clock,
                (d, keepWaiting) -> {
                    clock.advance(d);
                    return true;
                }, Runnable::run);

        notifier.stopped(stoppedSubscription());

        StopNotification n = notifier.status(ID).orElseThrow();
        assertEquals(State.DELIVERED, n.state());
        assertEquals(2, n.attempts());
    }

    @Test
    void givenSubscriptionDeletedWhileWaiting_thenNoFurtherAttemptAndNothingStored() {
        destination.otherwise = down();
        StopNotifications notifier = notifier(Duration.ofHours(1));
        duringNextWait = () -> {
            registry.remove(ID);
            stores.delete(ID);
            notifier.cancel(ID);
        };

        notifier.stopped(stoppedSubscription());

        assertEquals(1, destination.sent.size(), "the attempt before the delete, none after");
        assertEquals(Optional.empty(), notifier.status(ID));
        assertNull(stored());
    }

    @Test
    void givenSubscriptionGoneFromTheRegistry_whenTheNextAttemptIsDue_thenItIsDropped() {
        destination.otherwise = down();
        StopNotifications notifier = notifier(Duration.ofHours(1));
        duringNextWait = () -> registry.remove(ID);

        notifier.stopped(stoppedSubscription());

        assertEquals(1, destination.sent.size());
        assertEquals(Optional.empty(), notifier.status(ID));
    }

    @Test
    void givenSecondStopWhileTheFirstIsPending_thenTheNewOneReplacesItAndTheOldRetriesEnd() {
        destination.then(down(), down());
        StopNotifications notifier = notifier(Duration.ofHours(1));
        Subscription first = stoppedSubscription();
        Subscription second = new Subscription(ID, "People", first.url(), first.startingPosition(), first.source(),
                first.createdAt(), SubscriptionStatus.ERROR, "table People does not exist", List.of(), Map.of(),
                List.of(), first.settings(), true);
        duringNextWait = () -> {
            registry.put(ID, second);
            notifier.stopped(second); // restarted, then failed again: runs to its end on this thread
        };

        notifier.stopped(first);

        List<String> messages = destination.sent.stream()
                .map(m -> new String(m.body(), StandardCharsets.UTF_8)).toList();
        assertEquals(3, messages.size(), messages.toString());
        assertTrue(messages.get(0).contains(ERROR));
        assertTrue(messages.get(1).contains("does not exist") && messages.get(2).contains("does not exist"),
                "the first notification is not attempted again: " + messages);
        StopNotification n = notifier.status(ID).orElseThrow();
        assertEquals("table People does not exist", n.message());
        assertEquals(State.DELIVERED, n.state());
        assertEquals(n, stored(), "the old one's retries did not overwrite the new one");
    }

    @Test
    void givenPendingNotificationStored_whenTheServiceRestarts_thenItIsResumedWhenDueAndDelivered() {
        destination.otherwise = down();
        StopNotifications before = notifier(Duration.ofHours(1));
        destination.then(down(), down());
        duringNextWait = () -> duringNextWait = () -> waitsPass = false; // stopped during the second wait
        before.stopped(stoppedSubscription());
        before.close();
        StopNotification atStop = stored();
        assertEquals(State.PENDING, atStop.state());
        assertEquals(2, atStop.attempts());
        assertEquals(STOP.plusSeconds(3), atStop.nextAttemptAt());

        // restarted a second later, a second before the next attempt was due; backoff goes on from attempt 3
        clock.advance(Duration.ofSeconds(1));
        waits.clear();
        waitsPass = true;
        destination.script.clear();
        destination.then(down());
        destination.otherwise = delivered();
        StopNotifications after = notifier(Duration.ofHours(1));
        after.resume();

        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(4)), waits);
        StopNotification n = after.status(ID).orElseThrow();
        assertEquals(State.DELIVERED, n.state());
        assertEquals(4, n.attempts(), "attempts are counted across the restart");
        assertEquals(n, stored());
    }

    @Test
    void givenPendingNotificationWhoseBoundPassedWhileDown_whenResumed_thenOneLastAttemptThenGivenUp() {
        stoppedSubscription();
        stores.putNotification(StopNotification.pending(ID, "People", ERROR, STOP)
                .retrying(STOP, "connection refused", STOP.plusSeconds(1)));
        clock.advance(Duration.ofHours(2));
        destination.otherwise = down();

        StopNotifications notifier = notifier(Duration.ofHours(1));
        notifier.resume();

        assertEquals(1, destination.sent.size());
        StopNotification n = notifier.status(ID).orElseThrow();
        assertEquals(State.GAVE_UP, n.state());
        assertEquals(2, n.attempts());
    }

    @Test
    void givenFinishedNotificationsStored_whenResumed_thenTheirFateShowsAndNothingIsSent() {
        stoppedSubscription();
        StopNotification delivered = StopNotification.pending(ID, "People", ERROR, STOP).delivered(STOP);
        stores.putNotification(delivered);
        stores.put(new SubscriptionStore.Stored("01UNKNOWN", SubscriptionRequest.of("People", "http://127.0.0.1:9/",
                "LATEST"), Subscription.Source.API, STOP, SubscriptionStatus.ERROR, ERROR, true));
        assertTrue(stores.putNotification(StopNotification.pending("01UNKNOWN", "People", ERROR, STOP)));

        StopNotifications notifier = notifier(Duration.ofHours(1));
        notifier.resume();

        assertEquals(List.of(), destination.sent);
        assertEquals(Optional.of(delivered), notifier.status(ID));
        assertEquals(Optional.empty(), notifier.status("01UNKNOWN"), "its subscription is not registered");
    }

    @Test
    void givenServiceStoppingDuringAnAttempt_thenTheFailureIsNotRecordedAndItStaysPending() {
        StopNotifications[] notifier = new StopNotifications[1];
        Destination closingMidAttempt = m -> {
            notifier[0].close();
            return down();
        };
        notifier[0] = new StopNotifications(stores, new Destinations(closingMidAttempt),
                id -> Optional.ofNullable(registry.get(id)), POLICY, Duration.ofHours(1), clock,
                (d, keepWaiting) -> {
                    throw new AssertionError("no wait after the service stopped");
                }, Runnable::run);

        notifier[0].stopped(stoppedSubscription());

        StopNotification n = stored();
        assertEquals(State.PENDING, n.state());
        assertEquals(0, n.attempts(), "made again after the restart");
        assertFalse(n.nextAttemptAt().isAfter(STOP));
    }
}
