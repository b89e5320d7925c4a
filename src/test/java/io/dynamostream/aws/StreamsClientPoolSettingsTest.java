package io.dynamostream.aws;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.model.ListStreamsResponse;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * The Streams client's connection pool takes the extension's {@code quarkus.dynamodb.sync-client.apache.*} settings
 * (issue 13.5): here a pool of 2 connections with a 300 ms acquisition timeout, in front of a server that can hold its
 * answers. Two held calls take both connections, a third gets none and fails at the acquisition timeout, not at the
 * attempt timeout; calls one after the other reuse a kept-alive connection.
 */
@QuarkusTest
@TestProfile(StreamsClientPoolSettingsTest.SmallPool.class)
class StreamsClientPoolSettingsTest {

    static final Duration ACQUISITION_TIMEOUT = Duration.ofMillis(300);

    /** The service pointed at a {@link RawHttpServer}, with a pool of 2 connections. */
    public static class SmallPool extends OwnEndpointProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of("quarkus.dynamodb.sync-client.apache.max-connections", "2",
                    "quarkus.dynamodb.sync-client.apache.connection-acquisition-timeout",
                    ACQUISITION_TIMEOUT.toMillis() + "ms");
        }

        @Override
        protected TestResourceEntry endpoint() {
            return rawHttpServerAt("quarkus.dynamodb.endpoint-override");
        }
    }

    @Inject
    DynamoDbStreamsClient streams;

    RawHttpServer server;

    @Test
    void givenTwoConnections_whenBothAreBusy_thenAThirdCallFailsAtTheAcquisitionTimeout() throws Exception {
        server.hold();
        int requestsBefore = server.requestLines().size();
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<ListStreamsResponse> first = callers.submit(() -> streams.listStreams());
            Future<ListStreamsResponse> second = callers.submit(() -> streams.listStreams());
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> server.requestLines().size() == requestsBefore + 2);

            long start = System.nanoTime();
            SdkClientException e = assertThrows(SdkClientException.class, streams::listStreams);
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            // every attempt of the SDK's retries waited 300 ms for a connection; none reached the server
            assertTrue(took.compareTo(StreamsClientProducer.DEFAULT_ATTEMPT_TIMEOUT) < 0, () -> "took " + took);
            assertTrue(took.compareTo(ACQUISITION_TIMEOUT) >= 0, () -> "took " + took);
            assertEquals(requestsBefore + 2, server.requestLines().size(), () -> String.valueOf(e));
            assertTrue(String.valueOf(e).toLowerCase(Locale.ROOT).contains("timeout"),
                    () -> "not a connection wait: " + e);

            server.release();
            assertTrue(first.get().streams().isEmpty());
            assertTrue(second.get().streams().isEmpty());
        } finally {
            server.release();
        }
    }

    @Test
    void givenCallsOneAfterTheOther_thenTheyReuseAKeptAliveConnection() {
        server.release();
        streams.listStreams();
        int connectionsBefore = server.connections();

        for (int i = 0; i < 20; i++) {
            assertTrue(streams.listStreams().streams().isEmpty());
        }

        assertEquals(connectionsBefore, server.connections(), "20 calls opened new connections");
    }
}
