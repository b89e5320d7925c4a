package io.dynamostream.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Optional;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkiverse.amazon.dynamodb.runtime.DynamoDbConfig;
import io.quarkus.test.junit.QuarkusTest;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * With no {@code quarkus.dynamodb.api-call-attempt-timeout}, a Streams call attempt is cut at 10 s, as before; with no
 * {@code quarkus.dynamodb.sync-client.apache.max-connections}, the Streams client's pool has room for 500
 * connections; with no {@code http.maxConnections}, the clients on the JDK's HTTP client keep 5,000.
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

    @Inject
    DynamoDbConfig dynamoDb;

    /** Room for the calls that run at once at 2,500 shards, not one connection per reader. */
    @Test
    void givenNoMaxConnectionsSet_thenTheStreamsPoolHasRoomForFiveHundredConnections() {
        assertEquals(500, dynamoDb.syncClient().apache().maxConnections());
    }

    /** The JDK's keep-alive cache (DynamoDB client, AWS destinations) keeps 5,000 connections, not the JDK's 5. */
    @Test
    void givenNoHttpMaxConnectionsSet_thenTheJdkClientsKeepFiveThousandConnections() {
        assertEquals(5000, StreamsClientProducer.DEFAULT_MAX_CONNECTIONS);
        assertEquals("5000", System.getProperty(StreamsClientProducer.MAX_CONNECTIONS_PROPERTY));
    }
}
