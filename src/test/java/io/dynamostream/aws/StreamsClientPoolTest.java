package io.dynamostream.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import javax.management.ObjectName;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.dynamostream.TcpForwarder;
import io.dynamostream.dev.LocalDynamoDbServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * Many readers polling through the service's Streams client reuse their connections (at most one per concurrent
 * caller, not one per call), and a call leaves nothing behind in the timer of the per-attempt timeout (issue 13.5).
 * The bundled local server is reached through a TCP proxy here that counts the connections the service opens.
 */
@QuarkusTest
@TestProfile(StreamsClientPoolTest.CountedDynamoDb.class)
class StreamsClientPoolTest {

    static final int POLLERS = 200;
    static final int ROUNDS = 6;

    /** The service pointed at {@link CountingProxy}, in front of the bundled local server. */
    public static class CountedDynamoDb extends OwnEndpointProfile {

        @Override
        protected TestResourceEntry endpoint() {
            return new TestResourceEntry(CountingProxy.class);
        }
    }

    /** The local server, and a proxy in front of it that counts accepted connections. */
    public static class CountingProxy implements QuarkusTestResourceLifecycleManager {

        static volatile URI server;
        private LocalDynamoDbServer db;
        private TcpForwarder proxy;

        @Override
        public Map<String, String> start() {
            db = LocalDynamoDbServer.start();
            server = db.endpoint();
            try {
                proxy = new TcpForwarder(0, server.getPort());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return Map.of("quarkus.dynamodb.endpoint-override", "http://127.0.0.1:" + proxy.port());
        }

        @Override
        public void inject(TestInjector testInjector) {
            testInjector.injectIntoFields(proxy.accepted(), new TestInjector.MatchesType(AtomicInteger.class));
        }

        @Override
        public void stop() {
            try {
                proxy.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                db.close();
            }
        }
    }

    @Inject
    DynamoDbStreamsClient streams;

    /** Connections the proxy accepted. */
    AtomicInteger connections;

    @Test
    void givenManyPollers_whenTheyCallRepeatedly_thenConnectionsAreReusedAndNoTimerTasksAccumulate()
            throws Exception {
        String streamArn = createTable();
        String shard = streams.describeStream(r -> r.streamArn(streamArn)).streamDescription().shards().get(0)
                .shardId();
        int connectionsBefore = connections.get();
        long tasksBefore = liveScheduledFutureTasks();
        AtomicLong calls = new AtomicLong();
        List<Thread> pollers = new ArrayList<>();
        for (int i = 0; i < POLLERS; i++) {
            pollers.add(Thread.ofVirtual().name("poller-" + i).start(() -> {
                String iterator = streams.getShardIterator(r -> r.streamArn(streamArn).shardId(shard)
                        .shardIteratorType(ShardIteratorType.LATEST)).shardIterator();
                calls.incrementAndGet();
                for (int round = 0; round < ROUNDS; round++) {
                    String it = iterator;
                    iterator = streams.getRecords(r -> r.shardIterator(it)).nextShardIterator();
                    calls.incrementAndGet();
                    if (round % 3 == 0) {
                        streams.describeStream(r -> r.streamArn(streamArn));
                        calls.incrementAndGet();
                    }
                    idleWait();
                }
            }));
        }
        for (Thread poller : pollers) {
            poller.join();
        }
        int opened = connections.get() - connectionsBefore;
        long tasksLeft = liveScheduledFutureTasks() - tasksBefore;

        assertTrue(opened <= POLLERS + 5 && tasksLeft <= POLLERS,
                () -> opened + " connections opened and " + tasksLeft + " timer tasks left after " + calls.get()
                        + " calls");
        assertEquals(POLLERS * (1 + ROUNDS + ROUNDS / 3), calls.get());
        // at most one connection per concurrent caller (a pool of 5, the JDK's default, opened ~1 per call)
        assertTrue(opened <= POLLERS + 5, () -> opened + " connections opened for " + calls.get() + " calls");
        // the SDK's own timer kept one cancelled 10 s timeout task per call
        assertTrue(tasksLeft <= POLLERS, () -> tasksLeft + " timer tasks left after " + calls.get() + " calls");
    }

    /**
     * The wait of a reader between two polls of an idle shard (200 ms by default): callers take turns on the
     * connections instead of all being in flight at once, as between the service's readers.
     */
    private static void idleWait() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String createTable() {
        var credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));
        try (DynamoDbClient dynamo = DynamoDbClient.builder().endpointOverride(CountingProxy.server)
                .region(Region.US_EAST_1).credentialsProvider(credentials)
                .httpClient(UrlConnectionHttpClient.create()).build()) {
            dynamo.createTable(r -> r.tableName("pooled").billingMode(BillingMode.PAY_PER_REQUEST)
                    .attributeDefinitions(a -> a.attributeName("pk").attributeType(ScalarAttributeType.S))
                    .keySchema(k -> k.attributeName("pk").keyType(KeyType.HASH))
                    .streamSpecification(s -> s.streamEnabled(true).streamViewType(StreamViewType.NEW_IMAGE)));
            return dynamo.describeTable(r -> r.tableName("pooled")).table().latestStreamArn();
        }
    }

    /** Live {@code ScheduledFutureTask} objects after a full GC (the JVM's class histogram, in-process). */
    static long liveScheduledFutureTasks() throws Exception {
        String histogram = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                new Object[] {null}, new String[] {String[].class.getName()});
        return histogram.lines()
                .filter(l -> l.contains("java.util.concurrent.ScheduledThreadPoolExecutor$ScheduledFutureTask "))
                .mapToLong(l -> Long.parseLong(l.trim().split("\\s+")[1])).findFirst().orElse(0);
    }
}
