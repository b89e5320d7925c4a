package io.dynamostream.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

import io.dynamostream.config.DynamoStreamConfig;
import io.vertx.core.Vertx;
import io.dynamostream.guard.DestinationGuard;
import io.dynamostream.guard.FakeResolver;

/** {@link HttpPoster} with the guard: what reaches the network for allowed, rebound and refused destinations. */
class DestinationDeliveryTest {

    private final Vertx vertx = Vertx.vertx();
    private final FakeResolver dns = new FakeResolver();
    private final HttpPoster delivery = new HttpPoster(vertx, settings(), 10,
            DestinationGuard.withDefaults(dns));

    @AfterEach
    void close() {
        delivery.close();
        vertx.close();
    }

    @Test
    void givenNameOnlyTheGuardCanResolve_whenPosting_thenConnectsToCheckedIpWithOriginalHostHeader()
            throws IOException {
        List<String> hosts = new CopyOnWriteArrayList<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
        server.createContext("/", exchange -> {
            hosts.add(exchange.getRequestHeaders().getFirst("Host") + " " + exchange.getRequestURI());
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
        try {
            int port = server.getAddress().getPort();
            dns.map("hooks.guard.test", "127.0.0.1");

            HttpPoster.Response attempt = delivery.post(URI.create("http://hooks.guard.test:" + port + "/in?x=1"),
                    "{}".getBytes(), Map.of());

            assertEquals(204, attempt.status(), String.valueOf(attempt.error()));
            assertEquals(List.of("hooks.guard.test:" + port + " /in?x=1"), hosts);
            assertEquals(List.of("hooks.guard.test"), dns.asked);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void givenNameWithOneRefusedAddress_whenPosting_thenFailedAttemptAndNoConnectionToTheAllowedOne()
            throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 8, InetAddress.getByName("127.0.0.1"))) {
            AtomicInteger accepted = new AtomicInteger();
            Thread.ofVirtual().start(() -> {
                while (!socket.isClosed()) {
                    try {
                        socket.accept().close();
                        accepted.incrementAndGet();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            dns.map("mixed.guard.test", "127.0.0.1", "169.254.169.254");

            HttpPoster.Response attempt = delivery.post(
                    URI.create("http://mixed.guard.test:" + socket.getLocalPort() + "/"), "{}".getBytes(), Map.of());

            assertEquals(0, attempt.status());
            assertEquals("refused destination: mixed.guard.test (169.254.169.254) is a link-local / cloud metadata"
                    + " address", attempt.describe());
            Thread.sleep(300);
            assertEquals(0, accepted.get(), "no connection may be opened for a refused destination");
        }
    }

    @Test
    void givenRefusedDestination_whenPostingTwice_thenEachAttemptResolvesAgainAndFailsWithTheReason() {
        dns.map("rebound.guard.test", "169.254.169.254");

        for (int i = 0; i < 2; i++) {
            HttpPoster.Response attempt = delivery.post(URI.create("http://rebound.guard.test/"), "{}".getBytes(),
                    Map.of());
            assertEquals("refused destination: rebound.guard.test (169.254.169.254) is a link-local / cloud metadata"
                    + " address", attempt.describe());
        }
        assertEquals(2, dns.asked.size(), "each attempt resolves again (DNS rebinding)");
    }

    @Test
    void givenUnresolvableHost_whenPosting_thenFailedAttemptNamingTheHost() {
        HttpPoster.Response attempt = delivery.post(URI.create("http://gone.guard.test/"), "{}".getBytes(),
                Map.of());
        assertEquals("cannot resolve host gone.guard.test", attempt.describe());
    }

    /** Issue 10 D: was "AnnotatedConnectException: Connection refused: /127.0.0.1:9" in last_error and the logs. */
    @Test
    void givenClosedPort_whenPosting_thenFailedAttemptSaysConnectionRefusedWithoutAClassName() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = socket.getLocalPort();
        }

        HttpPoster.Response attempt = delivery.post(URI.create("http://127.0.0.1:" + port + "/hook"),
                "{}".getBytes(), Map.of());

        assertEquals(0, attempt.status());
        assertEquals("connection refused: 127.0.0.1:" + port, attempt.describe());
    }

    @Test
    void givenNameOnAClosedPort_whenPosting_thenRefusalNamesTheHostAndTheAddressTried() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = socket.getLocalPort();
        }
        dns.map("closed.guard.test", "127.0.0.1");

        HttpPoster.Response attempt = delivery.post(URI.create("http://closed.guard.test:" + port + "/"),
                "{}".getBytes(), Map.of());

        assertEquals("connection refused: closed.guard.test:" + port + " (127.0.0.1)", attempt.describe());
    }

    @Test
    void givenReceiverThatResetsTheConnection_whenPosting_thenFailedAttemptSaysConnectionReset() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 8, InetAddress.getByName("127.0.0.1"))) {
            Thread server = Thread.ofVirtual().start(() -> {
                try (var client = socket.accept()) {
                    client.setSoLinger(true, 0); // RST instead of FIN
                    client.getInputStream().read();
                } catch (IOException ignored) {
                    // the test asserts what the poster saw
                }
            });
            HttpPoster.Response attempt = delivery.post(URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/"),
                    "{}".getBytes(), Map.of());
            server.join();

            assertTrue(List.of("connection reset", "connection closed before the response")
                    .contains(attempt.describe()), attempt.describe());
        }
    }

    @Test
    void givenPlainHttpReceiverForAnHttpsUrl_whenPosting_thenFailedAttemptSaysTheTlsHandshakeFailed()
            throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 8, InetAddress.getByName("127.0.0.1"))) {
            Thread server = Thread.ofVirtual().start(() -> {
                try (var client = socket.accept()) {
                    client.getOutputStream().write("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes());
                    client.getOutputStream().flush();
                    client.getInputStream().read();
                } catch (IOException ignored) {
                    // the test asserts what the poster saw
                }
            });
            HttpPoster.Response attempt = delivery.post(URI.create("https://127.0.0.1:" + socket.getLocalPort() + "/"),
                    "{}".getBytes(), Map.of());
            server.join();

            assertTrue(attempt.describe().startsWith("TLS handshake failed: "), attempt.describe());
            assertTrue(!attempt.describe().contains("Exception"), attempt.describe());
        }
    }

    static DynamoStreamConfig.Delivery settings() {
        return new DynamoStreamConfig.Delivery() {
            public Duration timeout() {
                return Duration.ofSeconds(2);
            }

            public Duration initialBackoff() {
                return Duration.ofMillis(1);
            }

            public Duration maxBackoff() {
                return Duration.ofMillis(5);
            }

            public int maxConnectionsPerSubscription() {
                return 4;
            }

            public java.util.Optional<Integer> maxConnectionsPerHost() {
                return java.util.Optional.empty();
            }
        };
    }
}
