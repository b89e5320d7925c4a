package io.dynamostream.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * The DynamoDB Streams client gets the {@code quarkus.dynamodb.*} settings of the DynamoDB client: here a short
 * {@code sync-client.socket-timeout} against an endpoint that takes the connection and never answers, so each attempt
 * ends at that timeout, long before the per-attempt timeout.
 */
@QuarkusTest
@TestProfile(StreamsClientSettingsTest.SilentDynamoDb.class)
class StreamsClientSettingsTest {

    static final Duration SOCKET_TIMEOUT = Duration.ofMillis(500);
    static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(8);

    /** The service pointed at {@link SilentServer}, with a short socket timeout. */
    public static class SilentDynamoDb extends OwnEndpointProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of("quarkus.dynamodb.sync-client.socket-timeout", SOCKET_TIMEOUT.toMillis() + "ms",
                    "quarkus.dynamodb.api-call-attempt-timeout", ATTEMPT_TIMEOUT.toSeconds() + "s");
        }

        @Override
        protected TestResourceEntry endpoint() {
            return new TestResourceEntry(SilentServer.class);
        }
    }

    /** Accepts connections on 127.0.0.1 and never sends a byte back; counts the connections. */
    public static class SilentServer implements QuarkusTestResourceLifecycleManager {

        private final AtomicInteger connections = new AtomicInteger();
        private final List<Socket> open = new CopyOnWriteArrayList<>();
        private ServerSocket server;

        @Override
        public Map<String, String> start() {
            try {
                server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Thread accept = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        open.add(server.accept());
                        connections.incrementAndGet();
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "silent-dynamodb");
            accept.setDaemon(true);
            accept.start();
            return Map.of("quarkus.dynamodb.endpoint-override", "http://127.0.0.1:" + server.getLocalPort());
        }

        @Override
        public void inject(TestInjector testInjector) {
            testInjector.injectIntoFields(connections, new TestInjector.MatchesType(AtomicInteger.class));
        }

        @Override
        public void stop() {
            try {
                server.close();
                for (Socket socket : open) {
                    socket.close();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Inject
    DynamoDbStreamsClient streams;

    /** Connections the silent server accepted. */
    AtomicInteger connections;

    @Test
    void givenSocketTimeoutSet_whenTheEndpointNeverAnswers_thenStreamsCallsTimeOutAtIt() {
        long start = System.nanoTime();
        SdkClientException e = assertThrows(SdkClientException.class, () -> streams.listStreams());
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertTrue(causes(e, SocketTimeoutException.class), () -> "no socket timeout in " + e);
        assertTrue(connections.get() >= 1, "the Streams client did not connect to the configured endpoint");
        // every attempt (the SDK retries) ended at the 500 ms socket timeout; none ran into the attempt timeout
        assertTrue(took.compareTo(ATTEMPT_TIMEOUT) < 0, () -> "took " + took);
    }

    @Test
    void givenApiCallAttemptTimeoutSet_thenStreamsCallsHaveIt() {
        assertEquals(Optional.of(ATTEMPT_TIMEOUT),
                streams.serviceClientConfiguration().overrideConfiguration().apiCallAttemptTimeout());
    }

    private static boolean causes(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }
}
