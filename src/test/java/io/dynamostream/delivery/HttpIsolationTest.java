package io.dynamostream.delivery;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.dynamostream.config.DynamoStreamConfig;
import io.dynamostream.guard.DestinationGuard;
import io.dynamostream.subscription.DeliverySettings;
import io.dynamostream.subscription.StartingPosition;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionStatus;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.vertx.core.Vertx;

/**
 * I6 at the HTTP client (issue 10): receivers that accept the connection and never answer hold it for the whole
 * attempt timeout, and must delay only their own subscription. Every hanging and healthy receiver here is on the
 * same host:port (one {@link LoopbackReceiver}, told apart by path), with the shipped default settings (10 s
 * timeout): with one pool of 64 connections per host shared by all subscriptions, the healthy subscription waited
 * for a hanging one to time out before it got a connection.
 */
class HttpIsolationTest {

    private static final int HANGING = 100;

    private final Vertx vertx = Vertx.vertx();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    private HttpPoster poster;
    private LoopbackReceiver receiver;

    @AfterEach
    void close() throws Exception {
        stop.set(true);
        if (receiver != null) {
            receiver.close(); // the hanging attempts end with a closed connection
        }
        for (Thread t : threads) {
            t.interrupt();
            t.join(TimeUnit.SECONDS.toMillis(15));
        }
        if (poster != null) {
            poster.close();
        }
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void givenHundredHangingSubscriptionsOnAHost_whenAHealthyOneDeliversToTheSameHost_thenItsBatchesArrivePromptly()
            throws Exception {
        receiver = new LoopbackReceiver();
        poster = new HttpPoster(vertx, config(Map.of()), guard());
        HttpDestination destination = new HttpDestination(poster, Clock.systemUTC());
        for (int i = 0; i < HANGING; i++) {
            Subscription hanging = subscription("01HANG" + i, receiver.url("/hang/" + i));
            threads.add(Thread.ofVirtual().name("hanging-" + i).start(() -> {
                while (!stop.get()) {
                    destination.send(message(hanging, "shard-1"));
                }
            }));
        }
        // the old shared pool let 64 of them in; the others waited in its queue
        await().atMost(Duration.ofSeconds(5)).until(() -> receiver.hanging() >= 64);

        Subscription healthy = subscription("01HEALTHY", receiver.url("/ok"));
        List<Destination.Attempt> attempts = new CopyOnWriteArrayList<>();
        threads.add(Thread.ofVirtual().name("healthy").start(() -> {
            for (int i = 0; i < 20 && !stop.get(); i++) {
                attempts.add(destination.send(message(healthy, "shard-1")));
            }
        }));

        // each POST to a receiver that answers at once takes milliseconds; the old code made the first one wait
        // about 10 s (a hanging attempt's timeout) for a pooled connection
        try {
            await().atMost(Duration.ofSeconds(3)).until(() -> attempts.size() == 20);
        } finally {
            System.out.printf("HttpIsolationTest: %d hanging requests held, healthy attempts %d, slowest %s%n",
                    receiver.hanging(), attempts.size(), attempts.stream().map(Destination.Attempt::took)
                            .max(Duration::compareTo).orElse(null));
        }
        assertTrue(attempts.stream().allMatch(Destination.Attempt::isSuccess), attempts.toString());
        assertEquals(20, receiver.answered());
        // the hanging subscriptions do not starve each other either: each got its connection
        await().atMost(Duration.ofSeconds(3)).until(() -> receiver.hanging() == HANGING);
    }

    /** A subscription's concurrency is its open shards; the cap bounds what one hanging receiver can hold. */
    @Test
    void givenOneSubscriptionWithMoreShardsThanItsCap_whenItsReceiverHangs_thenItHoldsOnlyItsCapOfConnections()
            throws Exception {
        receiver = new LoopbackReceiver();
        DynamoStreamConfig config = config(Map.of());
        int cap = config.delivery().maxConnectionsPerSubscription();
        poster = new HttpPoster(vertx, config, guard());
        HttpDestination destination = new HttpDestination(poster, Clock.systemUTC());
        Subscription hanging = subscription("01MANYSHARDS", receiver.url("/hang/many"));
        for (int shard = 0; shard < cap * 2; shard++) {
            String shardId = "shard-" + shard;
            threads.add(Thread.ofVirtual().name("hanging-" + shard).start(() -> {
                while (!stop.get()) {
                    destination.send(message(hanging, shardId));
                }
            }));
        }
        Subscription healthy = subscription("01HEALTHY", receiver.url("/ok"));

        await().atMost(Duration.ofSeconds(5)).until(() -> receiver.hanging("/hang/many") == cap);
        // the other shards wait for a turn without a connection, and another subscription is not held up
        assertTrue(destination.send(message(healthy, "shard-1")).isSuccess());
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> receiver.hanging("/hang/many") == cap && poster.inFlight(hanging.id()) == cap);
    }

    /** A receiver that sends its answer a byte at a time never trips an idle timeout; the attempt's timeout ends it. */
    @Test
    void givenAReceiverThatTricklesItsAnswer_whenTheAttemptTimesOut_thenItsConnectionIsClosed() throws Exception {
        receiver = new LoopbackReceiver();
        poster = new HttpPoster(vertx, config(Map.of("dynamo-stream.delivery.timeout", "1s")), guard());
        HttpDestination destination = new HttpDestination(poster, Clock.systemUTC());
        Subscription slow = subscription("01TRICKLE", receiver.url("/trickle/1"));

        Destination.Attempt attempt = destination.send(message(slow, "shard-1"));

        assertEquals("timed out after 1000 ms", attempt.describe());
        // before: the connection stayed busy until the receiver finished (here 10,000 s), one more per retry
        await().atMost(Duration.ofSeconds(2)).until(() -> receiver.openConnections() == 0);
        assertEquals(0, poster.inFlight(slow.id()));
    }

    static Subscription subscription(String id, URI url) {
        return new Subscription(id, "People", url, StartingPosition.TRIM_HORIZON, Subscription.Source.API,
                Instant.now(), SubscriptionStatus.RUNNING, null, List.of(), Map.of(), List.of(),
                DeliverySettings.DEFAULTS, true);
    }

    static Destination.Message message(Subscription s, String shardId) {
        return new Destination.Message(s, shardId, "msg_" + s.id() + "_" + shardId,
                "{\"Records\":[]}".getBytes(StandardCharsets.UTF_8), List.of());
    }

    static DestinationGuard guard() {
        return DestinationGuard.withDefaults(host -> List.of(InetAddress.getAllByName(host)));
    }

    /** The settings as the service reads them: the shipped application.properties, then these overrides. */
    static DynamoStreamConfig config(Map<String, String> overrides) {
        URL properties = HttpIsolationTest.class.getClassLoader().getResource("application.properties");
        try {
            SmallRyeConfig config = new SmallRyeConfigBuilder()
                    .withProfile("prod")
                    .addDefaultInterceptors()
                    .withSources(new PropertiesConfigSource(properties, 250))
                    .withSources(new PropertiesConfigSource(overrides, "overrides", 400))
                    .withConverter(Duration.class, 100, new DurationConverter())
                    .withMapping(DynamoStreamConfig.class)
                    .build();
            return config.getConfigMapping(DynamoStreamConfig.class);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
