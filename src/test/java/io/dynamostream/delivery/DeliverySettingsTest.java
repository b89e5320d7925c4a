package io.dynamostream.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import io.dynamostream.config.DynamoStreamConfig;

/**
 * The connection settings as the service maps them: their defaults, the pool size per host they give, and the
 * startup error of a value out of range, which must name the setting, the range and the value.
 */
class DeliverySettingsTest {

    @Test
    void givenNoSettings_thenSixteenPerSubscriptionAndAPoolWithRoomForEverySubscriptionsShare() {
        DynamoStreamConfig config = HttpIsolationTest.config(Map.of());

        assertEquals(16, config.delivery().maxConnectionsPerSubscription());
        assertEquals(Optional.empty(), config.delivery().maxConnectionsPerHost());
        assertEquals(10_000, config.limits().maxSubscriptions());
        assertEquals(16_000, HttpPoster.poolSize(config.delivery(), config.limits().maxSubscriptions()),
                "1,000 subscriptions' full share, not 10,000 x 16: the slot array is allocated per host in use");
    }

    @Test
    void givenMoreSubscriptionsAllowed_thenThePoolGrowsWithThemUpToItsBound() {
        DynamoStreamConfig config = HttpIsolationTest.config(Map.of(
                "dynamo-stream.delivery.max-connections-per-subscription", "4"));

        assertEquals(200 * 4, HttpPoster.poolSize(config.delivery(), 200));
        assertEquals(16_000, HttpPoster.poolSize(config.delivery(), 1_000_000));
    }

    @Test
    void givenAnExplicitLimitPerHost_thenItIsThePoolSize() {
        DynamoStreamConfig config = HttpIsolationTest.config(Map.of(
                "dynamo-stream.delivery.max-connections-per-host", "64"));

        assertEquals(Optional.of(64), config.delivery().maxConnectionsPerHost());
        assertEquals(64, HttpPoster.poolSize(config.delivery(), 1000));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "max-connections-per-subscription | 0     | must be from 1 to 1024, not 0",
            "max-connections-per-subscription | -3    | must be from 1 to 1024, not -3",
            "max-connections-per-subscription | 5000  | must be from 1 to 1024, not 5000",
            "max-connections-per-subscription | many  | must be a whole number from 1 to 1024, not \"many\"",
            "max-connections-per-host         | 0     | must be from 1 to 65536, not 0",
            "max-connections-per-host         | 70000 | must be from 1 to 65536, not 70000",
            "max-connections-per-host         | 1.5   | must be a whole number from 1 to 65536, not \"1.5\""})
    void givenAValueOutOfRange_thenTheStartFailsNamingTheSettingTheRangeAndTheValue(String setting, String value,
            String expected) {
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> HttpIsolationTest.config(Map.of("dynamo-stream.delivery." + setting, value)).delivery()
                        .maxConnectionsPerSubscription());

        String message = messages(e);
        assertTrue(message.contains("dynamo-stream.delivery." + setting + " " + expected), message);
    }

    private static String messages(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            all.append(t.getMessage()).append(" | ");
        }
        return all.toString();
    }
}
