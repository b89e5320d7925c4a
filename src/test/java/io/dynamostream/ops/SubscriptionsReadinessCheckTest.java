package io.dynamostream.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

import io.dynamostream.subscription.DeliverySettings;
import io.dynamostream.subscription.StartingPosition;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionStatus;

/** The readiness data stays small with thousands of subscriptions, and the ones needing attention are always in it. */
class SubscriptionsReadinessCheckTest {

    private static Subscription subscription(int i, SubscriptionStatus status, String error) {
        return new Subscription(String.format("01SUB%05d", i), "People", URI.create("http://hooks.example.com/" + i),
                StartingPosition.LATEST, Subscription.Source.API, Instant.EPOCH, status, error, List.of(), Map.of(),
                List.of(), DeliverySettings.DEFAULTS, true);
    }

    private static Map<String, Object> data(List<Subscription> all) {
        HealthCheckResponse r = SubscriptionsReadinessCheck.describe(true, all, Map.of());
        assertEquals(HealthCheckResponse.Status.UP, r.getStatus());
        return r.getData().orElseThrow();
    }

    @Test
    void givenTenThousandSubscriptions_thenCountsPerStatusAndAtMostAHundredListed_errorsFirst() {
        List<Subscription> all = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            all.add(subscription(i, i == 7_777 ? SubscriptionStatus.ERROR : i % 1000 == 1 ? SubscriptionStatus.STARTING
                    : SubscriptionStatus.RUNNING, i == 7_777 ? "table People was deleted" : null));
        }

        Map<String, Object> data = data(all);

        assertEquals(10_000L, data.get("subscriptions"));
        assertEquals(9_989L, data.get("running"));
        assertEquals(10L, data.get("starting"));
        assertEquals(1L, data.get("error"));
        assertEquals(0L, data.get("paused"));
        assertEquals(9_900L, data.get("not_listed"));
        long listed = data.keySet().stream().filter(k -> k.endsWith(".status")).count();
        assertEquals(100, listed);
        assertEquals("ERROR", data.get("01SUB07777.status"), "the one needing attention is listed");
        assertEquals("table People was deleted", data.get("01SUB07777.error"));
        assertEquals("STARTING", data.get("01SUB00001.status"));
        assertTrue(data.size() < 600, "a small answer: " + data.size() + " keys");
    }

    @Test
    void givenFewSubscriptions_thenEachIsListedAndNothingIsLeftOut() {
        Map<String, Object> data = data(List.of(subscription(1, SubscriptionStatus.RUNNING, null),
                subscription(2, SubscriptionStatus.PAUSED, null)));

        assertEquals("RUNNING", data.get("01SUB00001.status"));
        assertEquals("PAUSED", data.get("01SUB00002.status"));
        assertEquals("People", data.get("01SUB00001.table"));
        assertFalse(data.containsKey("not_listed"));
        assertFalse(data.values().stream().anyMatch(v -> String.valueOf(v).contains("hooks.example.com")),
                "never a URL");
    }
}
