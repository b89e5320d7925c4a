package io.dynamostream.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Optional;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * With no {@code quarkus.dynamodb.api-call-attempt-timeout}, a Streams call attempt is cut at 10 s, as before; with no
 * {@code http.maxConnections}, the pool keeps 5,000 connections.
 */
@QuarkusTest
class StreamsClientDefaultsTest {

    @Inject
    DynamoDbStreamsClient streams;

    @Test
    void givenNoAttemptTimeoutSet_thenStreamsCallAttemptsAreCutAtTenSeconds() {
        assertEquals(Optional.of(Duration.ofSeconds(10)),
                streams.serviceClientConfiguration().overrideConfiguration().apiCallAttemptTimeout());
        assertEquals(Optional.empty(), streams.serviceClientConfiguration().overrideConfiguration().apiCallTimeout());
    }

    /** Without {@code -Dhttp.maxConnections}, up to 5,000 connections are kept for reuse (2 readers × 2,500 shards). */
    @Test
    void givenNoMaxConnectionsSet_thenFiveThousandConnectionsAreKeptForReuse() {
        assertEquals(5000, StreamsClientProducer.DEFAULT_MAX_CONNECTIONS);
        assertEquals("5000", System.getProperty(StreamsClientProducer.MAX_CONNECTIONS_PROPERTY));
    }
}
