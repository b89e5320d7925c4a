package io.dynamostream.delivery;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.standardwebhooks.Webhook;
import com.standardwebhooks.exceptions.WebhookVerificationException;

import io.dynamostream.subscription.StartingPosition;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionStatus;
import io.dynamostream.subscription.WebhookSecret;

/** Signatures checked with the independent Standard Webhooks Java library (com.standardwebhooks). */
class WebhookSignerTest {

    static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    static final String OLD_SECRET = "whsec_" + java.util.Base64.getEncoder()
            .encodeToString("an-older-secret-of-32-bytes-long".getBytes(StandardCharsets.US_ASCII));
    static final byte[] BODY = "{\"Records\":[{\"eventID\":\"1\",\"dynamodb\":{\"NewImage\":{\"name\":{\"S\":\"Zoë\"}}}}]}"
            .getBytes(StandardCharsets.UTF_8);

    private static Subscription subscription(Map<String, String> headers, String... secrets) {
        return new Subscription("01J0000000000000000000000", "People", URI.create("http://h/x"),
                StartingPosition.LATEST, Subscription.Source.API, Instant.EPOCH, SubscriptionStatus.RUNNING, null,
                List.of(), headers, java.util.Arrays.stream(secrets).map(WebhookSecret::of).toList(),
                io.dynamostream.subscription.DeliverySettings.DEFAULTS, false);
    }

    private static Map<String, List<String>> multi(Map<String, String> headers) {
        Map<String, List<String>> out = new java.util.HashMap<>();
        headers.forEach((k, v) -> out.put(k, List.of(v)));
        return out;
    }

    private static long now() {
        return Instant.now().getEpochSecond();
    }

    @Test
    void givenSignedSubscription_whenHeaders_thenIndependentVerifierAcceptsTheExactBody() throws Exception {
        Map<String, String> headers = WebhookSigner.headers(subscription(Map.of(), SECRET), "msg_1", BODY, now());

        assertTrue(headers.get("webhook-signature").matches("v1,[A-Za-z0-9+/]{43}="), headers.toString());
        new Webhook(SECRET).verify(new String(BODY, StandardCharsets.UTF_8), multi(headers));
    }

    @Test
    void givenTamperedBodyOrWrongSecret_whenVerified_thenRefused() throws Exception {
        Map<String, String> headers = WebhookSigner.headers(subscription(Map.of(), SECRET), "msg_1", BODY, now());
        String tampered = new String(BODY, StandardCharsets.UTF_8).replace("Zoë", "Zoe");

        assertThrows(WebhookVerificationException.class, () -> new Webhook(SECRET).verify(tampered, multi(headers)));
        assertThrows(WebhookVerificationException.class,
                () -> new Webhook(OLD_SECRET).verify(new String(BODY, StandardCharsets.UTF_8), multi(headers)));
    }

    @Test
    void givenRotation_whenHeaders_thenTwoSignaturesAndEitherSecretVerifies() {
        Map<String, String> headers = WebhookSigner.headers(subscription(Map.of(), SECRET, OLD_SECRET), "msg_1", BODY,
                now());

        String[] signatures = headers.get("webhook-signature").split(" ");
        assertEquals(2, signatures.length);
        String body = new String(BODY, StandardCharsets.UTF_8);
        assertDoesNotThrow(() -> new Webhook(SECRET).verify(body, multi(headers)));
        assertDoesNotThrow(() -> new Webhook(OLD_SECRET).verify(body, multi(headers)));
    }

    @Test
    void givenUnsignedSubscriptionWithHeaders_whenHeaders_thenCustomHeadersAndIdButNoSignature() {
        Map<String, String> headers = WebhookSigner.headers(subscription(Map.of("Authorization", "Bearer xyz")),
                "msg_1", BODY, 1_700_000_000L);

        assertEquals(Map.of("Authorization", "Bearer xyz", "webhook-id", "msg_1", "webhook-timestamp", "1700000000"),
                headers);
        assertFalse(headers.containsKey("webhook-signature"));
    }

    @Test
    void givenSameBatch_whenIdDerivedTwice_thenSameIdAndAnyOtherBatchDiffers() {
        String id = WebhookSigner.batchId("sub", "shard-1", "100", "200");

        assertEquals(id, WebhookSigner.batchId("sub", "shard-1", "100", "200"));
        assertTrue(id.matches("msg_[0-9a-f]{32}"), id);
        assertNotEquals(id, WebhookSigner.batchId("sub", "shard-1", "100", "201"));
        assertNotEquals(id, WebhookSigner.batchId("sub", "shard-2", "100", "200"));
        assertNotEquals(id, WebhookSigner.batchId("other", "shard-1", "100", "200"));
        assertNotEquals(WebhookSigner.batchId("sub", "shard-1", "1", "00"), WebhookSigner.batchId("sub", "shard-1", "10", "0"));
    }
}
