package io.dynamostream.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Optional;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/** With no {@code quarkus.dynamodb.api-call-attempt-timeout}, a Streams call attempt is cut at 10 s, as before. */
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
}
