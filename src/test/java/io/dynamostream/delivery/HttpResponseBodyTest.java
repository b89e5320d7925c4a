package io.dynamostream.delivery;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

import io.dynamostream.TestRecords;
import io.dynamostream.guard.DestinationGuard;
import io.dynamostream.guard.FakeResolver;
import io.dynamostream.subscription.DeliverySettings;
import io.dynamostream.subscription.MappingOptions;
import io.dynamostream.subscription.StartingPosition;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionStatus;
import io.vertx.core.Vertx;

/**
 * The body of a receiver's 2xx reaches the destination port only for subscriptions that read it (partial batch
 * responses), bounded: a larger one is a failed attempt and is never held in memory whole.
 */
class HttpResponseBodyTest {

    private final Vertx vertx = Vertx.vertx();
    private final HttpPoster poster = new HttpPoster(vertx, DestinationDeliveryTest.settings(), 10,
            DestinationGuard.withDefaults(new FakeResolver()));
    private HttpServer server;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
        // /<status>/<bytes>: answers that status with a JSON string body of that many bytes
        server.createContext("/", exchange -> {
            String[] parts = exchange.getRequestURI().getPath().split("/");
            int status = Integer.parseInt(parts[1]);
            int size = Integer.parseInt(parts[2]);
            exchange.getRequestBody().readAllBytes();
            byte[] body = size == 0 ? new byte[0] : ("\"" + "x".repeat(Math.max(0, size - 2)) + "\"")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
        poster.close();
        vertx.close();
    }

    private URI url(int status, int bytes) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/" + status + "/" + bytes);
    }

    @Test
    void givenAKeptBody_whenTheReceiverAnswers2xx_thenTheBodyIsInTheResponse() {
        HttpPoster.Response r = poster.post("01SUB", url(200, 1000), "{}".getBytes(), Map.of(), 1000);

        assertEquals(200, r.status());
        assertEquals(1000, r.body().length);
        assertFalse(r.responseTooLarge());
    }

    @Test
    void givenNoKeptBody_thenNoneIsHeld() {
        HttpPoster.Response r = poster.post("01SUB", url(200, 1000), "{}".getBytes(), Map.of());

        assertEquals(200, r.status());
        assertNull(r.body());
        assertFalse(r.responseTooLarge());
    }

    @Test
    void givenABodyOverTheLimit_thenItIsDroppedAndMarkedTooLarge() {
        HttpPoster.Response r = poster.post("01SUB", url(200, 1001), "{}".getBytes(), Map.of(), 1000);

        assertEquals(200, r.status());
        assertNull(r.body());
        assertTrue(r.responseTooLarge());
        Destination.Attempt a = HttpDestination.attempt(r);
        assertInstanceOf(Destination.Attempt.Retryable.class, a);
        assertEquals("HTTP 200 with a response body over 6 MB (Lambda's limit for a function's response)",
                a.describe());
    }

    @Test
    void givenAnErrorStatus_thenItsTextIsStillTheHeadOfTheBody() {
        HttpPoster.Response r = poster.post("01SUB", url(500, 5000), "{}".getBytes(), Map.of(), 1000);

        assertEquals(500, r.status());
        assertNull(r.body());
        assertEquals(200, r.error().length());
    }

    @Test
    void givenASubscriptionReportingBatchItemFailures_whenSent_thenTheDeliveredAttemptCarriesTheBody() {
        DeliverySettings reporting = new DeliverySettings(100, Duration.ZERO, 3, null, false,
                DeliverySettings.OnFailure.STOP).withMapping(new MappingOptions(List.of(), true, Duration.ZERO, 1));
        HttpDestination destination = new HttpDestination(poster, Clock.systemUTC());
        List<software.amazon.awssdk.services.dynamodb.model.Record> records = TestRecords.records(1, 2, Instant.now());

        Destination.Attempt kept = destination.send(new Destination.Message(subscription(url(200, 300), reporting),
                "shard-1", "id-1", "{}".getBytes(), records));
        Destination.Attempt ignored = destination.send(new Destination.Message(subscription(url(200, 300),
                new DeliverySettings(100, Duration.ZERO, 3, null, false, DeliverySettings.OnFailure.STOP)),
                "shard-1", "id-1", "{}".getBytes(), records));

        assertEquals(300, assertInstanceOf(Destination.Attempt.Delivered.class, kept, kept.describe()).response()
                .length);
        assertNull(assertInstanceOf(Destination.Attempt.Delivered.class, ignored).response());
    }

    @Test
    void givenAnEmpty2xx_thenTheKeptBodyIsEmpty() {
        HttpPoster.Response r = poster.post("01SUB", url(204, 0), "{}".getBytes(), Map.of(), 1000);

        assertEquals(204, r.status());
        assertArrayEquals(new byte[0], r.body());
    }

    private static Subscription subscription(URI url, DeliverySettings settings) {
        return new Subscription("01SUB", "T", url, StartingPosition.TRIM_HORIZON, Subscription.Source.API,
                Instant.now(), SubscriptionStatus.RUNNING, null, List.of(), Map.of(), List.of(), settings, true);
    }
}
