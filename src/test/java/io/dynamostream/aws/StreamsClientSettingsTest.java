package io.dynamostream.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * The DynamoDB Streams client gets the {@code quarkus.dynamodb.*} settings of the DynamoDB client: here a short
 * {@code sync-client.socket-timeout} against an endpoint that takes the connection and does not answer, so each attempt
 * ends at that timeout, long before the per-attempt timeout.
 */
@QuarkusTest
@TestProfile(StreamsClientSettingsTest.SilentDynamoDb.class)
class StreamsClientSettingsTest {

    static final Duration SOCKET_TIMEOUT = Duration.ofMillis(500);
    static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(8);

    /** The service pointed at a {@link RawHttpServer}, with a short socket timeout. */
    public static class SilentDynamoDb extends OwnEndpointProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of("quarkus.dynamodb.sync-client.socket-timeout", SOCKET_TIMEOUT.toMillis() + "ms",
                    "quarkus.dynamodb.api-call-attempt-timeout", ATTEMPT_TIMEOUT.toSeconds() + "s");
        }

        @Override
        protected TestResourceEntry endpoint() {
            return rawHttpServerAt("quarkus.dynamodb.endpoint-override");
        }
    }

    @Inject
    DynamoDbStreamsClient streams;

    /** The endpoint; it answers nothing while it holds. */
    RawHttpServer server;

    @Test
    void givenSocketTimeoutSet_whenTheEndpointNeverAnswers_thenStreamsCallsTimeOutAtIt() {
        server.hold();
        long start = System.nanoTime();
        SdkClientException e;
        try {
            e = assertThrows(SdkClientException.class, () -> streams.listStreams());
        } finally {
            server.release();
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertTrue(causes(e, SocketTimeoutException.class), () -> "no socket timeout in " + e);
        assertTrue(server.connections() >= 1, "the Streams client did not connect to the configured endpoint");
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
