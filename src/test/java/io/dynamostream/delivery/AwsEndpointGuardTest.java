package io.dynamostream.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.dynamostream.TestRecords;
import io.dynamostream.config.DynamoStreamConfig;
import io.dynamostream.config.GuardSettings;
import io.dynamostream.guard.DestinationGuard;
import io.dynamostream.metrics.StreamMetrics.AttemptOutcome;
import io.dynamostream.subscription.Subscription;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** The SSRF guard applies to an AWS destination's endpoint host, before every call, as to an HTTP URL. */
class AwsEndpointGuardTest {

    /** A guard that refuses the host {@code internal.test} (which resolves to the loopback address). */
    private static DestinationGuard denying(String host) {
        GuardSettings settings = (GuardSettings) Proxy.newProxyInstance(GuardSettings.class.getClassLoader(),
                new Class<?>[] {GuardSettings.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "deny" -> Optional.of(List.of(host));
                    case "allow" -> Optional.empty();
                    case "allowPrivate" -> true;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        DynamoStreamConfig config = (DynamoStreamConfig) Proxy.newProxyInstance(
                DynamoStreamConfig.class.getClassLoader(), new Class<?>[] {DynamoStreamConfig.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("guard")) {
                        return settings;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        return new DestinationGuard(config, name -> List.of(InetAddress.getLoopbackAddress()));
    }

    @Test
    void givenAnEndpointTheGuardRefuses_whenDelivering_thenNoConnectionIsOpenedAndTheAttemptSaysWhy()
            throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            listener.setSoTimeout(1);
            AwsClients clients = new AwsClients(Duration.ofSeconds(2), denying("internal.test"),
                    StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "x")), name -> null);
            Destinations destinations = new Destinations(m -> {
                throw new AssertionError("no HTTP");
            }, clients);
            Subscription s = AwsDestinations.subscription("{\"table_name\": \"People\", \"url\": \"arn:aws:sqs:us-east-1:"
                    + "123456789012:q\", \"endpoint_url\": \"http://internal.test:" + listener.getLocalPort() + "\"}");

            Destination.Attempt attempt = destinations.of(s).send(AwsDestinations.batch(s,
                    TestRecords.records(1, 2, Instant.now())));

            assertInstanceOf(Destination.Attempt.Retryable.class, attempt);
            assertEquals(AttemptOutcome.REFUSED, attempt.outcome());
            assertTrue(attempt.describe().startsWith("endpoint http://internal.test:" + listener.getLocalPort()
                    + ": refused destination"), attempt.describe());
            assertTrue(assertAcceptsNothing(listener), "nothing connected to the refused endpoint");
            clients.close();
        }
    }

    private static boolean assertAcceptsNothing(ServerSocket listener) throws Exception {
        try {
            listener.accept().close();
            return false;
        } catch (java.net.SocketTimeoutException e) {
            return true;
        }
    }
}
