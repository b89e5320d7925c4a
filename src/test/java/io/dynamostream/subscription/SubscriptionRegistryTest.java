package io.dynamostream.subscription;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import io.dynamostream.guard.DestinationGuard;
import io.dynamostream.guard.FakeResolver;
import io.dynamostream.state.StateStores;
import io.dynamostream.subscription.SubscriptionChanged.Kind;
import io.dynamostream.subscription.SubscriptionStore.Stored;

/**
 * The registry without the framework: lifecycle transitions, the events observers (metrics, error notification) get,
 * admission, persistence across a restart (a second registry over the same store) and the subscription file.
 */
class SubscriptionRegistryTest {

    private static final Instant NOW = Instant.parse("2026-03-30T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final String RECEIVER = "http://receiver.example:9000/stream";
    private static final String SEQ_10 = "100000000000000000010";
    private static final String SEQ_25 = "100000000000000000025";
    private static final String SECRET = "whsec_" + "A".repeat(44);

    private final List<SubscriptionChanged> events = new CopyOnWriteArrayList<>();
    private final FakeResolver dns = new FakeResolver()
            .map("receiver.example", "203.0.113.10")
            .map("metadata.example", "169.254.169.254");
    private final StateStores store = StateStores.inMemory();
    private final SubscriptionRegistry registry = registry(10);

    private SubscriptionRegistry registry(int max) {
        return registry(max, events);
    }

    private SubscriptionRegistry registry(int max, List<SubscriptionChanged> sink) {
        return new SubscriptionRegistry(sink::add, CLOCK, max, DestinationGuard.withDefaults(dns), store);
    }

    private static SubscriptionRequest.Valid request(String table, String url) {
        return SubscriptionRequest.of(table, url, "TRIM_HORIZON").validate();
    }

    private static SubscriptionRequest.Valid request(String table) {
        return request(table, RECEIVER);
    }

    /** A request with non-default delivery settings, headers and a secret: what must survive a restart. */
    private static SubscriptionRequest.Valid detailedRequest(String table, int batchSize) {
        return new SubscriptionRequest(table, RECEIVER, "LATEST", SECRET, null, Map.of("Authorization", "Bearer t"))
                .withSettings(new DeliverySettings(batchSize, Duration.ofSeconds(5), 3, Duration.ofSeconds(3600),
                        true, DeliverySettings.OnFailure.DEAD_LETTER))
                .validate();
    }

    /** Registers and, as the supervisor does once the table's shards are known, marks reading as started. */
    private Subscription register(String table) {
        Subscription s = registry.register(request(table), Subscription.Source.API);
        registry.streamReadable(s.id());
        return registry.find(s.id()).orElseThrow();
    }

    /** A registered subscription brought to {@code status} the way the engine gets it there. */
    private String subscriptionIn(SubscriptionStatus status) {
        String id = register("People").id();
        switch (status) {
            case RUNNING -> {
            }
            case RETRYING -> registry.deliveryFailed(id, "shard-1", "HTTP 503");
            case PAUSED -> registry.pause(id);
            case ERROR -> registry.fail(id, "retries exhausted: HTTP 500");
            case CLOSED -> registry.close(id, "stream disabled");
        }
        assertEquals(status, status(id));
        events.clear();
        return id;
    }

    private SubscriptionStatus status(String id) {
        return registry.find(id).orElseThrow().status();
    }

    private List<Kind> kinds() {
        return events.stream().map(SubscriptionChanged::kind).toList();
    }

    /** What a restarted service sees: the subscription as stored. */
    private Stored stored(String id) {
        return store.load((bad, reason) -> {
            throw new AssertionError("unreadable " + bad + ": " + reason);
        }).stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
    }

    // ---- pause / resume / restart ----

    @ParameterizedTest
    @EnumSource(value = SubscriptionStatus.class, names = {"RUNNING", "RETRYING"})
    void givenActiveSubscription_whenPaused_thenPausedStoredAndAnnouncedOnce(SubscriptionStatus from) {
        String id = subscriptionIn(from);

        Subscription paused = registry.pause(id).orElseThrow();

        assertEquals(SubscriptionStatus.PAUSED, paused.status());
        assertEquals(SubscriptionStatus.PAUSED, status(id));
        assertFalse(registry.isRunning(id));
        assertEquals(SubscriptionStatus.PAUSED, stored(id).status());
        assertEquals(List.of(Kind.PAUSED), kinds());
        assertEquals(SubscriptionStatus.PAUSED, events.get(0).subscription().status());
    }

    @ParameterizedTest
    @EnumSource(value = SubscriptionStatus.class, names = {"PAUSED", "ERROR", "CLOSED"})
    void givenInactiveSubscription_whenPaused_thenRefusedNamingStatusAndRule(SubscriptionStatus from) {
        String id = subscriptionIn(from);

        SubscriptionStateException e = assertThrows(SubscriptionStateException.class, () -> registry.pause(id));

        assertEquals("cannot pause subscription " + id + ": it is " + from
                + "; only a STARTING, RUNNING or RETRYING subscription can be paused", e.getMessage());
        assertEquals(from, status(id));
        assertEquals(from, stored(id).status());
        assertEquals(List.of(), kinds());
    }

    @Test
    void givenPausedSubscription_whenResumed_thenRunningStoredAndAnnounced() {
        String id = subscriptionIn(SubscriptionStatus.PAUSED);

        Subscription resumed = registry.resume(id).orElseThrow();

        assertEquals(SubscriptionStatus.STARTING, resumed.status(), "until the supervisor attached it again");
        assertTrue(registry.isRunning(id));
        registry.streamReadable(id);
        assertEquals(SubscriptionStatus.RUNNING, status(id));
        assertEquals(SubscriptionStatus.RUNNING, stored(id).status());
        assertEquals(List.of(Kind.RESUMED), kinds());
    }

    @ParameterizedTest
    @EnumSource(value = SubscriptionStatus.class, names = {"RUNNING", "RETRYING", "ERROR", "CLOSED"})
    void givenSubscriptionNotPaused_whenResumed_thenRefusedNamingStatusAndRule(SubscriptionStatus from) {
        String id = subscriptionIn(from);

        SubscriptionStateException e = assertThrows(SubscriptionStateException.class, () -> registry.resume(id));

        assertEquals("cannot resume subscription " + id + ": it is " + from
                + "; only a PAUSED subscription can be resumed", e.getMessage());
        assertEquals(from, status(id));
        assertEquals(List.of(), kinds());
    }

    @ParameterizedTest
    @EnumSource(value = SubscriptionStatus.class, names = {"ERROR", "CLOSED"})
    void givenEndedSubscription_whenRestarted_thenRunningWithErrorClearedAndAnnounced(SubscriptionStatus from) {
        String id = subscriptionIn(from);

        Subscription restarted = registry.restart(id).orElseThrow();

        assertEquals(SubscriptionStatus.STARTING, restarted.status(), "until the supervisor attached it again");
        assertNull(restarted.error());
        assertTrue(registry.isRunning(id));
        assertEquals(SubscriptionStatus.RUNNING, stored(id).status());
        assertNull(stored(id).error());
        assertEquals(List.of(Kind.RESUMED), kinds());
    }

    @ParameterizedTest
    @EnumSource(value = SubscriptionStatus.class, names = {"RUNNING", "RETRYING", "PAUSED"})
    void givenSubscriptionNotEnded_whenRestarted_thenRefusedNamingStatusAndRule(SubscriptionStatus from) {
        String id = subscriptionIn(from);

        SubscriptionStateException e = assertThrows(SubscriptionStateException.class, () -> registry.restart(id));

        assertEquals("cannot restart subscription " + id + ": it is " + from
                + "; only a subscription in ERROR or CLOSED can be restarted (resume a PAUSED one)", e.getMessage());
        assertEquals(from, status(id));
        assertEquals(List.of(), kinds());
    }

    @Test
    void givenUnknownId_whenAnyTransitionIsAsked_thenEmptyWithoutEvent() {
        assertEquals(Optional.empty(), registry.pause("01UNKNOWN"));
        assertEquals(Optional.empty(), registry.resume("01UNKNOWN"));
        assertEquals(Optional.empty(), registry.restart("01UNKNOWN"));
        assertEquals(Optional.empty(), registry.fail("01UNKNOWN", "boom"));
        assertEquals(Optional.empty(), registry.close("01UNKNOWN", "done"));
        assertEquals(List.of(), kinds());
    }

    // ---- fail / close ----

    @ParameterizedTest
    @EnumSource(value = SubscriptionStatus.class, names = {"RUNNING", "RETRYING"})
    void givenActiveSubscription_whenFailedTwice_thenOnlyTheFirstCallGetsItAndOneNotificationGoesOut(
            SubscriptionStatus from) {
        String id = subscriptionIn(from);

        Optional<Subscription> first = registry.fail(id, "retries exhausted: HTTP 500");
        Optional<Subscription> second = registry.fail(id, "410 Gone");

        assertEquals(SubscriptionStatus.ERROR, first.orElseThrow().status());
        assertEquals("retries exhausted: HTTP 500", first.get().error());
        assertEquals(Optional.empty(), second);
        assertEquals(List.of(Kind.FAILED), kinds());
        assertEquals("retries exhausted: HTTP 500", events.get(0).subscription().error());
        assertEquals("retries exhausted: HTTP 500", registry.find(id).orElseThrow().error());
        assertEquals(SubscriptionStatus.ERROR, stored(id).status());
        assertEquals("retries exhausted: HTTP 500", stored(id).error());
    }

    @Test
    void givenActiveSubscription_whenClosedTwice_thenOnlyTheFirstCallGetsItAndOneNotificationGoesOut() {
        String id = subscriptionIn(SubscriptionStatus.RUNNING);

        Optional<Subscription> first = registry.close(id, "stream disabled");
        Optional<Subscription> second = registry.close(id, "stream disabled");

        assertEquals(SubscriptionStatus.CLOSED, first.orElseThrow().status());
        assertEquals("stream disabled", first.get().error());
        assertEquals(Optional.empty(), second);
        assertEquals(List.of(Kind.CLOSED), kinds());
        assertEquals(SubscriptionStatus.CLOSED, stored(id).status());
    }

    @ParameterizedTest
    @EnumSource(value = SubscriptionStatus.class, names = {"PAUSED", "ERROR", "CLOSED"})
    void givenInactiveSubscription_whenFailedOrClosed_thenNothingChangesAndNothingIsAnnounced(
            SubscriptionStatus from) {
        String id = subscriptionIn(from);
        String errorBefore = registry.find(id).orElseThrow().error();

        assertEquals(Optional.empty(), registry.fail(id, "late failure of a stopping reader"));
        assertEquals(Optional.empty(), registry.close(id, "late end of stream"));

        assertEquals(from, status(id));
        assertEquals(errorBefore, registry.find(id).orElseThrow().error());
        assertEquals(from, stored(id).status());
        assertEquals(List.of(), kinds());
    }

    @Test
    void givenSubscription_whenItGoesThroughItsWholeLifecycle_thenEachStepIsAnnouncedOnceInOrder() {
        String id = register("People").id();
        registry.pause(id);
        registry.resume(id);
        registry.fail(id, "410 Gone");
        registry.restart(id);
        registry.close(id, "stream disabled");
        registry.restart(id);
        registry.remove(id);

        assertEquals(List.of(Kind.ADDED, Kind.PAUSED, Kind.RESUMED, Kind.FAILED, Kind.RESUMED, Kind.CLOSED,
                Kind.RESUMED, Kind.REMOVED), kinds());
        // announced before the supervisor attached it: STARTING; nothing in between marked it readable again
        assertEquals(List.of(SubscriptionStatus.STARTING, SubscriptionStatus.PAUSED, SubscriptionStatus.STARTING,
                SubscriptionStatus.ERROR, SubscriptionStatus.STARTING, SubscriptionStatus.CLOSED,
                SubscriptionStatus.STARTING, SubscriptionStatus.STARTING),
                events.stream().map(e -> e.subscription().status()).toList());
        assertTrue(events.stream().allMatch(e -> e.subscription().id().equals(id)));
    }

    // ---- RETRYING ----

    @Test
    void givenShardDeliveryFailing_whenViewed_thenRetryingWithTheLastError() {
        String id = register("People").id();
        registry.delivered(id, "shard-1", SEQ_10, 10);

        registry.deliveryFailed(id, "shard-1", "HTTP 503 Service Unavailable");
        registry.deliveryFailed(id, "shard-1", "HTTP 502 Bad Gateway");

        Subscription s = registry.find(id).orElseThrow();
        assertEquals(SubscriptionStatus.RETRYING, s.status());
        assertTrue(registry.isRunning(id), "a retrying subscription is still reading");
        assertEquals(new ShardProgress("shard-1", null, ShardState.RETRYING, SEQ_10, 10, "HTTP 502 Bad Gateway"),
                s.shards().get(0));
        assertEquals(SubscriptionStatus.RUNNING, stored(id).status(), "RETRYING is not stored");
    }

    @Test
    void givenStreamUnreadable_whenViewed_thenRetryingWithTheReasonNotStoredNotAnnounced_andRunningWhenReadable() {
        String id = register("People").id();
        events.clear();

        registry.streamRetrying(id, "cannot reach DynamoDB: connection refused");

        Subscription s = registry.find(id).orElseThrow();
        assertEquals(SubscriptionStatus.RETRYING, s.status());
        assertEquals("cannot reach DynamoDB: connection refused", s.error());
        assertTrue(registry.isRunning(id), "a retrying subscription is still reading");
        assertEquals(SubscriptionStatus.RUNNING, stored(id).status(), "RETRYING is not stored");
        assertNull(stored(id).error());
        assertTrue(events.isEmpty(), "not a transition: " + events);

        registry.streamReadable(id);

        s = registry.find(id).orElseThrow();
        assertEquals(SubscriptionStatus.RUNNING, s.status());
        assertNull(s.error());
    }

    @Test
    void givenStreamUnreadable_whenTheSubscriptionFails_thenItsOwnErrorIsShown() {
        String id = register("People").id();
        registry.streamRetrying(id, "cannot reach DynamoDB: connection refused");

        registry.fail(id, "table People does not exist");

        Subscription s = registry.find(id).orElseThrow();
        assertEquals(SubscriptionStatus.ERROR, s.status());
        assertEquals("table People does not exist", s.error());
        registry.restart(id);
        registry.streamReadable(id);
        assertEquals(SubscriptionStatus.RUNNING, registry.find(id).orElseThrow().status());
        assertNull(registry.find(id).orElseThrow().error());
    }

    @Test
    void givenRetryingShard_whenItsBatchIsDelivered_thenRunningAgainWithoutError() {
        String id = register("People").id();
        registry.deliveryFailed(id, "shard-1", "HTTP 503");

        registry.delivered(id, "shard-1", SEQ_10, 4);

        Subscription s = registry.find(id).orElseThrow();
        assertEquals(SubscriptionStatus.RUNNING, s.status());
        assertEquals(new ShardProgress("shard-1", null, ShardState.READING, SEQ_10, 4, null), s.shards().get(0));
    }

    @Test
    void givenTwoShardsRetrying_whenOnlyOneRecovers_thenStillRetrying() {
        String id = register("People").id();
        registry.deliveryFailed(id, "shard-1", "HTTP 503");
        registry.deliveryFailed(id, "shard-2", "HTTP 503");

        registry.delivered(id, "shard-1", SEQ_10, 1);

        assertEquals(SubscriptionStatus.RETRYING, status(id));
        registry.delivered(id, "shard-2", SEQ_25, 1);
        assertEquals(SubscriptionStatus.RUNNING, status(id));
    }

    @Test
    void givenRetryingSubscriptionFailed_whenRestarted_thenRunningAndTheShardErrorIsCleared() {
        String id = register("People").id();
        registry.deliveryFailed(id, "shard-1", "HTTP 500");
        registry.fail(id, "retries exhausted: HTTP 500");
        assertEquals(SubscriptionStatus.ERROR, status(id));

        registry.restart(id);
        registry.streamReadable(id);

        Subscription s = registry.find(id).orElseThrow();
        assertEquals(SubscriptionStatus.RUNNING, s.status());
        assertEquals(ShardState.READING, s.shards().get(0).state());
        assertNull(s.shards().get(0).lastError());
    }

    @Test
    void givenRetryingSubscriptionPaused_whenResumed_thenRunningAndTheShardErrorIsCleared() {
        String id = register("People").id();
        registry.deliveryFailed(id, "shard-1", "HTTP 500");
        registry.pause(id);
        assertEquals(SubscriptionStatus.PAUSED, status(id), "PAUSED shows over a retrying shard");

        registry.resume(id);
        registry.streamReadable(id);

        Subscription s = registry.find(id).orElseThrow();
        assertEquals(SubscriptionStatus.RUNNING, s.status());
        assertEquals(ShardState.READING, s.shards().get(0).state());
        assertNull(s.shards().get(0).lastError());
    }

    // ---- STARTING ----

    @Test
    void givenNewSubscription_whenItsShardsAreNotKnownYet_thenStartingUntilReadingStarts() throws Exception {
        String id = registry.register(request("People"), Subscription.Source.API).id();

        assertEquals(SubscriptionStatus.STARTING, status(id));
        assertTrue(registry.isRunning(id), "a starting subscription is active: it may be paused");
        assertEquals(SubscriptionStatus.RUNNING, stored(id).status(), "STARTING is not stored");
        long t = System.nanoTime();
        registry.awaitStarted(id, Duration.ofMillis(50));
        assertTrue(System.nanoTime() - t >= 50_000_000L, "waited for the whole bound");

        registry.streamReadable(id);

        assertEquals(SubscriptionStatus.RUNNING, status(id));
        registry.awaitStarted(id, Duration.ofMinutes(1)); // returns at once
    }

    @Test
    void givenStartingSubscription_whenReadingStartsOnAnotherThread_thenTheWaiterReturnsAtOnce() throws Exception {
        String id = registry.register(request("People"), Subscription.Source.API).id();
        Thread.ofVirtual().start(() -> registry.streamReadable(id));

        long t = System.nanoTime();
        registry.awaitStarted(id, Duration.ofMinutes(1));

        assertTrue(System.nanoTime() - t < Duration.ofSeconds(30).toNanos());
        assertEquals(SubscriptionStatus.RUNNING, status(id));
    }

    @Test
    void givenStartingSubscription_whenItFailsOrIsPaused_thenTheWaiterReturnsWithThatStatus() throws Exception {
        String failing = registry.register(request("People"), Subscription.Source.API).id();
        String paused = registry.register(request("Orders"), Subscription.Source.API).id();

        registry.fail(failing, "table People does not exist");
        registry.pause(paused);
        registry.awaitStarted(failing, Duration.ofMinutes(1));
        registry.awaitStarted(paused, Duration.ofMinutes(1));

        assertEquals(SubscriptionStatus.ERROR, status(failing));
        assertEquals(SubscriptionStatus.PAUSED, status(paused));
    }

    @Test
    void givenStartingSubscription_whenTheStreamCannotBeRead_thenRetryingWithTheReason() {
        String id = registry.register(request("People"), Subscription.Source.API).id();

        registry.streamRetrying(id, "cannot reach DynamoDB: connection refused");

        assertEquals(SubscriptionStatus.RETRYING, status(id));
        assertEquals("cannot reach DynamoDB: connection refused", registry.find(id).orElseThrow().error());
    }

    // ---- admission ----

    @Test
    void givenLimitReached_whenOneMoreIsRegistered_thenRefusedAndNothingStoredOrAnnounced() {
        SubscriptionRegistry capped = registry(2);
        capped.register(request("People"), Subscription.Source.API);
        capped.register(request("Orders"), Subscription.Source.API);
        events.clear();

        TooManySubscriptionsException e = assertThrows(TooManySubscriptionsException.class,
                () -> capped.register(request("Invoices"), Subscription.Source.API));

        assertTrue(e.getMessage().contains("subscription limit reached: 2"), e.getMessage());
        assertEquals(List.of("People", "Orders"), capped.list().stream().map(Subscription::tableName).toList());
        assertEquals(2, store.load((id, reason) -> {
        }).size());
        assertEquals(List.of(), kinds());
    }

    @Test
    void givenLimitReached_whenOneIsRemoved_thenANewOneIsAdmitted() {
        SubscriptionRegistry capped = registry(1);
        String first = capped.register(request("People"), Subscription.Source.API).id();
        assertThrows(TooManySubscriptionsException.class,
                () -> capped.register(request("Orders"), Subscription.Source.API));

        capped.remove(first);

        assertEquals("Orders", capped.register(request("Orders"), Subscription.Source.API).tableName());
    }

    @Test
    void givenConcurrentRegistrations_whenMoreThanTheLimitArrive_thenExactlyTheLimitIsAdmitted() throws Exception {
        int max = 5;
        int threads = 8;
        int perThread = 4;
        SubscriptionRegistry capped = registry(max);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> admitted = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            for (int t = 0; t < threads; t++) {
                int thread = t;
                admitted.add(pool.submit(() -> {
                    go.await();
                    int ok = 0;
                    for (int i = 0; i < perThread; i++) {
                        try {
                            // an IP literal: the guard does not ask the (single-threaded) fake DNS
                            capped.register(request("Table_" + thread + "_" + i, "http://203.0.113.10:9000/stream"),
                                    Subscription.Source.API);
                            ok++;
                        } catch (TooManySubscriptionsException e) {
                            // expected beyond the cap
                        }
                    }
                    return ok;
                }));
            }
            go.countDown();
            int total = 0;
            for (Future<Integer> f : admitted) {
                total += f.get(5, TimeUnit.SECONDS);
            }
            assertEquals(max, total);
        }
        assertEquals(max, capped.list().size());
        assertEquals(max, store.load((id, reason) -> {
        }).size());
        assertEquals(max, kinds().stream().filter(k -> k == Kind.ADDED).count());
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://metadata.example/hook",
            "http://169.254.169.254/latest/meta-data"})
    void givenUrlRefusedByTheGuard_whenRegistered_thenInvalidOnUrlAndNothingStored(String url) {
        InvalidSubscriptionException e = assertThrows(InvalidSubscriptionException.class,
                () -> registry.register(request("People", url), Subscription.Source.API));

        assertEquals(1, e.errors().size());
        assertEquals("url", e.errors().get(0).field());
        assertTrue(e.errors().get(0).messages().get(0).startsWith("refused destination:"),
                e.errors().get(0).messages().toString());
        assertEquals(List.of(), registry.list());
        assertEquals(List.of(), store.load((id, reason) -> {
        }));
        assertEquals(List.of(), kinds());
    }

    // ---- persistence ----

    @Test
    void givenSubscriptionsInEveryStatus_whenAnotherRegistryLoadsTheStore_thenTheyComeBackAndOnlyActiveOnesRestart() {
        String running = register("Running").id();
        registry.started(running);
        String retrying = register("Retrying").id();
        registry.deliveryFailed(retrying, "shard-1", "HTTP 503");
        String paused = register("Paused").id();
        registry.started(paused);
        registry.pause(paused);
        String failed = register("Failed").id();
        registry.fail(failed, "410 Gone");
        String closed = register("Closed").id();
        registry.close(closed, "stream disabled");
        List<SubscriptionChanged> afterRestart = new ArrayList<>();

        SubscriptionRegistry restarted = registry(10, afterRestart);
        List<Subscription> active = restarted.load();

        assertEquals(List.of(running, retrying), active.stream().map(Subscription::id).toList());
        assertEquals(List.of(Kind.ADDED, Kind.ADDED), afterRestart.stream().map(SubscriptionChanged::kind).toList());
        assertEquals(List.of(running, retrying, paused, failed, closed),
                restarted.list().stream().map(Subscription::id).toList());
        Subscription r = restarted.find(running).orElseThrow();
        assertEquals(SubscriptionStatus.STARTING, r.status(), "active, until the supervisor attached it");
        assertTrue(r.started());
        assertEquals(SubscriptionStatus.STARTING, restarted.find(retrying).orElseThrow().status(),
                "retries are not carried over a restart");
        assertFalse(restarted.find(retrying).orElseThrow().started());
        Subscription p = restarted.find(paused).orElseThrow();
        assertEquals(SubscriptionStatus.PAUSED, p.status());
        assertTrue(p.started());
        Subscription f = restarted.find(failed).orElseThrow();
        assertEquals(SubscriptionStatus.ERROR, f.status());
        assertEquals("410 Gone", f.error());
        Subscription c = restarted.find(closed).orElseThrow();
        assertEquals(SubscriptionStatus.CLOSED, c.status());
        assertEquals("stream disabled", c.error());
    }

    @Test
    void givenSubscriptionWithSettingsHeadersAndSecret_whenReloaded_thenNothingIsLost() {
        Subscription original = registry.register(detailedRequest("People", 10), Subscription.Source.CONFIG_FILE);

        SubscriptionRegistry restarted = registry(10, new ArrayList<>());
        restarted.load();

        Subscription loaded = restarted.find(original.id()).orElseThrow();
        assertEquals(original, loaded);
        assertEquals(NOW, loaded.createdAt());
        assertEquals(Subscription.Source.CONFIG_FILE, loaded.source());
        assertEquals(StartingPosition.LATEST, loaded.startingPosition());
        assertEquals(URI.create(RECEIVER), loaded.url());
        assertEquals(Map.of("Authorization", "Bearer t"), loaded.headers());
        assertEquals(List.of(WebhookSecret.of(SECRET)), loaded.secrets());
        assertEquals(new DeliverySettings(10, Duration.ofSeconds(5), 3, Duration.ofSeconds(3600), true,
                DeliverySettings.OnFailure.DEAD_LETTER), loaded.settings());
    }

    @Test
    void givenStoredDocumentThatNoLongerValidates_whenLoaded_thenItIsSkippedAndTheOthersLoad() {
        String good = register("People").id();
        store.put(new Stored("01BADBADBADBADBADBADBADBAD", SubscriptionRequest.of("x", RECEIVER,
                null), Subscription.Source.API, NOW, SubscriptionStatus.RUNNING, null, true));

        SubscriptionRegistry restarted = registry(10, new ArrayList<>());
        List<Subscription> active = restarted.load();

        assertEquals(List.of(good), active.stream().map(Subscription::id).toList());
        assertEquals(List.of(good), restarted.list().stream().map(Subscription::id).toList());
        assertEquals(Optional.empty(), restarted.find("01BADBADBADBADBADBADBADBAD"));
    }

    @Test
    void givenStartedBeingStored_whenPausedMeanwhile_thenThePauseSurvivesARestart() throws Exception {
        CountDownLatch storing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        SubscriptionStore slowStore = new SubscriptionStore() {
            @Override
            public List<Stored> load(BiConsumer<String, String> unreadable) {
                return store.load(unreadable);
            }

            @Override
            public void put(Stored subscription) {
                if (subscription.started() && subscription.status() == SubscriptionStatus.RUNNING) {
                    storing.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(e);
                    }
                }
                store.put(subscription);
            }

            @Override
            public void delete(String id) {
                store.delete(id);
            }

            @Override
            public String describe() {
                return "slow";
            }
        };
        SubscriptionRegistry slow = new SubscriptionRegistry(events::add, CLOCK, 10, DestinationGuard.withDefaults(dns),
                slowStore);
        String id = slow.register(request("People"), Subscription.Source.API).id();
        Thread reader = Thread.ofVirtual().start(() -> slow.started(id));
        await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2))
                .until(() -> storing.getCount() == 0);

        // the pause comes while the older save is still on its way to the store
        java.util.concurrent.atomic.AtomicReference<Subscription> paused = new java.util.concurrent.atomic.AtomicReference<>();
        Thread api = Thread.ofVirtual().start(() -> paused.set(slow.pause(id).orElseThrow()));
        release.countDown();
        reader.join(Duration.ofSeconds(5));
        api.join(Duration.ofSeconds(5));

        assertFalse(reader.isAlive());
        assertFalse(api.isAlive());
        assertEquals(SubscriptionStatus.PAUSED, paused.get().status());
        assertEquals(SubscriptionStatus.PAUSED, slow.find(id).orElseThrow().status());
        SubscriptionRegistry restarted = registry(10, new ArrayList<>());
        assertEquals(List.of(), restarted.load(), "a paused subscription must not be read again after a restart");
        assertEquals(SubscriptionStatus.PAUSED, restarted.find(id).orElseThrow().status());
        assertTrue(restarted.find(id).orElseThrow().started());
    }

    // ---- remove ----

    @Test
    void givenSubscriptionWithCheckpointsAndDeadLetters_whenRemoved_thenItsStateIsGoneAndLateWritesAreIgnored() {
        String id = register("People").id();
        String other = register("Orders").id();
        assertTrue(store.checkpoint(id, "shard-1", SEQ_10));
        assertTrue(store.checkpoint(other, "shard-1", SEQ_10));
        assertTrue(store.putDeadLetter(deadLetter(id, "01DL1")));
        events.clear();

        Subscription removed = registry.remove(id).orElseThrow();

        assertEquals(id, removed.id());
        assertEquals(List.of(Kind.REMOVED), kinds());
        assertEquals(Optional.empty(), registry.find(id));
        assertFalse(registry.isRunning(id));
        assertEquals(List.of(other), registry.list().stream().map(Subscription::id).toList());
        assertEquals(Map.of(), store.checkpoints(id));
        assertEquals(List.of(), store.deadLetters(id));
        assertFalse(store.checkpoint(id, "shard-1", SEQ_25), "a stopping cursor's late checkpoint");
        assertFalse(store.putDeadLetter(deadLetter(id, "01DL2")));
        assertEquals(Map.of(), store.checkpoints(id));
        assertEquals(List.of(), store.deadLetters(id));
        assertEquals(SEQ_10, store.checkpoints(other).get("shard-1").sequenceNumber(), "others keep theirs");
        SubscriptionRegistry restarted = registry(10, new ArrayList<>());
        restarted.load();
        assertEquals(List.of(other), restarted.list().stream().map(Subscription::id).toList());
    }

    @Test
    void givenRemovedSubscription_whenItsReaderReportsLate_thenNothingIsStoredOrAnnounced() {
        String id = register("People").id();
        registry.remove(id);
        events.clear();

        registry.started(id);
        registry.delivered(id, "shard-1", SEQ_10, 3);
        registry.deliveryFailed(id, "shard-1", "HTTP 500");

        assertEquals(Optional.empty(), registry.fail(id, "retries exhausted"));
        assertEquals(Optional.empty(), registry.find(id));
        assertEquals(List.of(), kinds(), "no error notification for a deleted subscription");
        assertEquals(List.of(), store.load((bad, reason) -> {
        }));
    }

    @Test
    void givenUnknownId_whenRemoved_thenEmptyWithoutEvent() {
        register("People");
        events.clear();

        assertEquals(Optional.empty(), registry.remove("01UNKNOWN"));

        assertEquals(1, registry.list().size());
        assertEquals(List.of(), kinds());
    }

    private static DeadLetter deadLetter(String subscriptionId, String id) {
        return new DeadLetter(id, subscriptionId, "shard-1", SEQ_10, SEQ_25, 2, "HTTP 500", NOW, "msg_" + id,
                "eyJSZWNvcmRzIjpbXX0=");
    }

    // ---- progress ----

    @Test
    void givenShardsDiscovered_whenViewed_thenEachShowsItsParentAndStateInDiscoveryOrder() {
        String id = register("People").id();

        registry.shardProgress(id, "shard-2", "shard-1", ShardState.WAITING_FOR_PARENT);
        registry.shardProgress(id, "shard-1", null, ShardState.READING);

        assertEquals(List.of(new ShardProgress("shard-2", "shard-1", ShardState.WAITING_FOR_PARENT, null, 0, null),
                new ShardProgress("shard-1", null, ShardState.READING, null, 0, null)),
                registry.find(id).orElseThrow().shards());
        registry.shardProgress(id, "shard-2", null, ShardState.READING);
        assertEquals(new ShardProgress("shard-2", "shard-1", ShardState.READING, null, 0, null),
                registry.find(id).orElseThrow().shards().get(0), "a later call keeps the known parent");
    }

    @Test
    void givenBatchesDelivered_whenViewed_thenRecordsAddUpAndTheLastSequenceNumberShows() {
        String id = register("People").id();
        registry.shardProgress(id, "shard-1", null, ShardState.READING);

        registry.delivered(id, "shard-1", SEQ_10, 10);
        registry.delivered(id, "shard-1", SEQ_25, 15);

        assertEquals(new ShardProgress("shard-1", null, ShardState.READING, SEQ_25, 25, null),
                registry.find(id).orElseThrow().shards().get(0));
    }

    @Test
    void givenRetryingShard_whenItMovesOnWithoutDelivery_thenReadingAgainAndTheCountIsUnchanged() {
        String id = register("People").id();
        registry.delivered(id, "shard-1", SEQ_10, 10);
        registry.deliveryFailed(id, "shard-1", "HTTP 500");

        registry.movedOn(id, "shard-1");

        Subscription s = registry.find(id).orElseThrow();
        assertEquals(SubscriptionStatus.RUNNING, s.status());
        assertEquals(new ShardProgress("shard-1", null, ShardState.READING, SEQ_10, 10, null), s.shards().get(0));
    }

    @Test
    void givenShardFullyDelivered_whenFinished_thenFinishedWithItsCountKept() {
        String id = register("People").id();
        registry.delivered(id, "shard-1", SEQ_25, 25);

        registry.finished(id, "shard-1");

        assertEquals(new ShardProgress("shard-1", null, ShardState.FINISHED, SEQ_25, 25, null),
                registry.find(id).orElseThrow().shards().get(0));
    }

    // ---- the subscription file ----

    private FileAndRegistry restartWithFile(List<SubscriptionRequest.Valid> file) {
        List<SubscriptionChanged> sink = new ArrayList<>();
        SubscriptionRegistry restarted = registry(10, sink);
        restarted.load();
        sink.clear();
        return new FileAndRegistry(restarted, restarted.registerFromFile(file), sink);
    }

    private record FileAndRegistry(SubscriptionRegistry registry, SubscriptionRegistry.FileChanges changes,
            List<SubscriptionChanged> events) {
    }

    private static List<String> ids(List<Subscription> subscriptions) {
        return subscriptions.stream().map(Subscription::id).toList();
    }

    @Test
    void givenNewFileEntry_whenApplied_thenAddedFromTheFileAndAnnounced() {
        SubscriptionRegistry.FileChanges changes = registry.registerFromFile(List.of(request("People")));

        assertEquals(1, changes.added().size());
        assertEquals(List.of(), changes.changed());
        assertEquals(List.of(), changes.removed());
        Subscription added = changes.added().get(0);
        assertEquals(Subscription.Source.CONFIG_FILE, added.source());
        assertEquals(List.of(added.id()), ids(registry.list()));
        assertEquals(List.of(Kind.ADDED), kinds());
    }

    /** The file's new entries are stored in one write, in the file's order, each announced after it is stored. */
    @Test
    void givenManyNewFileEntries_whenApplied_thenAllAreStoredAnnouncedAndComeBackAfterARestart() {
        SubscriptionRegistry big = registry(1_000);
        List<SubscriptionRequest.Valid> file = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            file.add(request("T" + (i % 7) + "x", RECEIVER + "?n=" + i));
        }

        SubscriptionRegistry.FileChanges changes = big.registerFromFile(file);

        assertEquals(1_000, changes.added().size());
        assertEquals(file.stream().map(r -> r.url().toString()).toList(),
                changes.added().stream().map(a -> a.url().toString()).toList(), "in the file's order");
        assertEquals(1_000, events.stream().filter(e -> e.kind() == Kind.ADDED).count());
        SubscriptionRegistry restarted = registry(1_000, new ArrayList<>());
        assertEquals(ids(changes.added()), ids(restarted.load()));
    }

    @Test
    void givenFileWithMoreNewEntriesThanTheLimitAllows_whenApplied_thenRefusedAndNoneIsRegistered() {
        registry.register(request("People"), Subscription.Source.API);
        List<SubscriptionRequest.Valid> file = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            file.add(request("People", RECEIVER + "?n=" + i));
        }
        events.clear();

        assertThrows(TooManySubscriptionsException.class, () -> registry.registerFromFile(file));

        assertEquals(1, registry.list().size(), "only the subscription registered before");
        assertEquals(List.of(), events);
        assertEquals(1, registry(10, new ArrayList<>()).load().size(), "nothing more stored");
    }

    @Test
    void givenFileEntryRefusedByTheGuard_whenApplied_thenInvalidOnUrlAndNoEntryOfTheFileIsRegistered() {
        List<SubscriptionRequest.Valid> file = List.of(request("People"),
                request("Orders", "http://metadata.example/latest"));

        InvalidSubscriptionException e = assertThrows(InvalidSubscriptionException.class,
                () -> registry.registerFromFile(file));

        assertEquals("url", e.errors().get(0).field());
        assertEquals(List.of(), registry.list());
        assertEquals(List.of(), events);
        assertEquals(List.of(), registry(10, new ArrayList<>()).load());
    }

    @Test
    void givenUnchangedFile_whenAppliedAfterARestart_thenEveryEntryKeepsItsIdAndNothingIsReported() {
        List<SubscriptionRequest.Valid> file = List.of(request("People"), request("Orders"));
        List<String> before = ids(registry.registerFromFile(file).added());
        registry.started(before.get(0));

        FileAndRegistry after = restartWithFile(file);

        assertEquals(new SubscriptionRegistry.FileChanges(List.of(), List.of(), List.of()), after.changes());
        assertEquals(before, ids(after.registry().list()));
        assertTrue(after.registry().find(before.get(0)).orElseThrow().started(),
                "it resumes from its checkpoints, not at LATEST");
        assertEquals(List.of(), after.events());
    }

    @Test
    void givenActiveEntryWithNewSettings_whenApplied_thenSameIdNewSettingsStoredAndReportedChanged() {
        String id = registry.registerFromFile(List.of(detailedRequest("People", 10))).added().get(0).id();

        FileAndRegistry after = restartWithFile(List.of(detailedRequest("People", 500)));

        assertEquals(List.of(), after.changes().added());
        assertEquals(List.of(), after.changes().removed());
        assertEquals(List.of(id), ids(after.changes().changed()));
        assertEquals(500, after.changes().changed().get(0).settings().batchSize());
        assertEquals(500, after.registry().find(id).orElseThrow().settings().batchSize());
        SubscriptionRegistry third = registry(10, new ArrayList<>());
        third.load();
        assertEquals(500, third.find(id).orElseThrow().settings().batchSize(), "the new settings are stored");
    }

    @ParameterizedTest
    @EnumSource(value = SubscriptionStatus.class, names = {"PAUSED", "ERROR", "CLOSED"})
    void givenInactiveEntryWithNewSettings_whenApplied_thenSettingsAppliedButNotReportedChanged(
            SubscriptionStatus status) {
        String id = registry.registerFromFile(List.of(detailedRequest("People", 10))).added().get(0).id();
        switch (status) {
            case PAUSED -> registry.pause(id);
            case ERROR -> registry.fail(id, "410 Gone");
            default -> registry.close(id, "stream disabled");
        }

        FileAndRegistry after = restartWithFile(List.of(detailedRequest("People", 500)));

        assertEquals(new SubscriptionRegistry.FileChanges(List.of(), List.of(), List.of()), after.changes(),
                "an inactive subscription must not be started by the file");
        Subscription s = after.registry().find(id).orElseThrow();
        assertEquals(status, s.status());
        assertEquals(500, s.settings().batchSize());
        assertEquals(500, stored(id).request().validate().settings().batchSize());
    }

    @Test
    void givenEntryThatLeftTheFile_whenApplied_thenRemovedWithItsStateAndAnnounced() {
        List<Subscription> added = registry.registerFromFile(List.of(request("People"), request("Orders"))).added();
        String people = added.get(0).id();
        String orders = added.get(1).id();
        String api = registry.register(request("Orders"), Subscription.Source.API).id();
        store.checkpoint(orders, "shard-1", SEQ_10);

        FileAndRegistry after = restartWithFile(List.of(request("People")));

        assertEquals(List.of(orders), ids(after.changes().removed()));
        assertEquals(List.of(), after.changes().added());
        assertEquals(List.of(people, api), ids(after.registry().list()), "API subscriptions are not the file's");
        assertEquals(Map.of(), store.checkpoints(orders));
        assertEquals(List.of(Kind.REMOVED), after.events().stream().map(SubscriptionChanged::kind).toList());
        SubscriptionRegistry third = registry(10, new ArrayList<>());
        third.load();
        assertEquals(List.of(people, api), ids(third.list()), "it does not come back at the next start");
    }

    @Test
    void givenTwoIdenticalEntries_whenApplied_thenTwoSubscriptionsThatKeepTheirIdsAcrossRestarts() {
        List<SubscriptionRequest.Valid> file = List.of(request("People"), request("People"));

        List<String> first = ids(registry.registerFromFile(file).added());
        FileAndRegistry after = restartWithFile(file);

        assertEquals(2, first.size());
        assertNotEquals(first.get(0), first.get(1));
        assertEquals(new SubscriptionRegistry.FileChanges(List.of(), List.of(), List.of()), after.changes());
        assertEquals(first, ids(after.registry().list()));
    }

    @Test
    void givenApiSubscriptionWithTheSameTableAndUrl_whenTheFileNamesIt_thenTheFileGetsItsOwn() {
        String api = registry.register(request("People"), Subscription.Source.API).id();

        SubscriptionRegistry.FileChanges changes = registry.registerFromFile(List.of(request("People")));

        assertEquals(1, changes.added().size());
        assertNotEquals(api, changes.added().get(0).id());
        assertEquals(2, registry.list().size());
    }
}
