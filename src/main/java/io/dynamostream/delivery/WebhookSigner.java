package io.dynamostream.delivery;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.WebhookSecret;

/**
 * The headers of one POST, in the <a href="https://www.standardwebhooks.com/">Standard Webhooks</a> format, after
 * the subscription's custom headers:
 * <ul>
 * <li>{@code webhook-id: msg_<32 hex>}, always: the same for every attempt of the same batch (and after a restart,
 * for the same subscription id and records), so a receiver can drop duplicates with it;</li>
 * <li>{@code webhook-timestamp: <epoch seconds>}, always: the time of this attempt;</li>
 * <li>{@code webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>}, only for a signed
 * subscription; during a rotation one {@code v1,...} per secret, separated by a space, current secret first.</li>
 * </ul>
 * The HMAC runs over the exact body bytes that are sent. Pure and thread-safe.
 */
final class WebhookSigner {

    public static final String ID = "webhook-id";
    public static final String TIMESTAMP = "webhook-timestamp";
    public static final String SIGNATURE = "webhook-signature";

    private WebhookSigner() {
    }

    /**
     * The delivery id of a batch: {@code msg_} + the first 16 bytes (hex) of SHA-256 over the subscription id, the
     * shard id and the first and last sequence numbers of the batch. Derived, not stored, so it survives retries and
     * restarts.
     */
    public static String batchId(String subscriptionId, String shardId, String firstSequenceNumber,
            String lastSequenceNumber) {
        return id("batch", subscriptionId, shardId, firstSequenceNumber, lastSequenceNumber);
    }

    /** The delivery id of the error notification that ends a subscription. */
    public static String notificationId(String subscriptionId, String message) {
        return id("error", subscriptionId, message);
    }

    private static String id(String... parts) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : parts) {
                // NUL-separated, so ("ab", "c") and ("a", "bc") differ
                sha.update(String.valueOf(part).getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            byte[] digest = sha.digest();
            return "msg_" + HexFormat.of().formatHex(digest, 0, 16);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /**
     * Every header of one attempt: the subscription's custom headers, {@code webhook-id}, {@code webhook-timestamp}
     * and, when the subscription is signed, {@code webhook-signature}.
     *
     * @param body the exact bytes that will be sent
     * @param epochSecond the time of this attempt
     */
    public static Map<String, String> headers(Subscription subscription, String messageId, byte[] body,
            long epochSecond) {
        Map<String, String> headers = new LinkedHashMap<>(subscription.headers());
        headers.put(ID, messageId);
        headers.put(TIMESTAMP, Long.toString(epochSecond));
        if (subscription.signed()) {
            headers.put(SIGNATURE, signature(subscription.secrets(), messageId, epochSecond, body));
        }
        return headers;
    }

    /**
     * The headers of one attempt of a batch of records: {@link #headers} plus {@code dynamo-stream-subscription-id}
     * and {@code dynamo-stream-shard-id}. Used for every delivery and for the re-delivery of a dead letter.
     */
    public static Map<String, String> batchHeaders(Subscription subscription, String shardId, String messageId,
            byte[] body, long epochSecond) {
        Map<String, String> headers = headers(subscription, messageId, body, epochSecond);
        headers.put("dynamo-stream-subscription-id", subscription.id());
        headers.put("dynamo-stream-shard-id", shardId);
        return headers;
    }

    /** {@code v1,<sig>} per secret, space-separated, in the given order. */
    static String signature(List<WebhookSecret> secrets, String messageId, long epochSecond, byte[] body) {
        byte[] prefix = (messageId + "." + epochSecond + ".").getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder();
        for (WebhookSecret secret : secrets) {
            if (!out.isEmpty()) {
                out.append(' ');
            }
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(secret.key(), "HmacSHA256"));
                mac.update(prefix);
                out.append("v1,").append(Base64.getEncoder().encodeToString(mac.doFinal(body)));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is not available", e);
            }
        }
        return out.toString();
    }
}
