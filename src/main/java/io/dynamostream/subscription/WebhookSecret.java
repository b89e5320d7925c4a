package io.dynamostream.subscription;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import io.dynamostream.guard.Redaction;

/**
 * A Standard Webhooks signing key: written {@code whsec_<base64>}, the key is the base64-decoded part after the
 * prefix (24 to 64 bytes, the range the specification recommends). Never printed: {@link #toString()} is masked, and
 * no API view carries it.
 */
public final class WebhookSecret {

    /** The prefix every secret is written with. */
    public static final String PREFIX = "whsec_";
    static final int MIN_BYTES = 24;
    static final int MAX_BYTES = 64;
    static final String FORMAT = "must be '" + PREFIX + "' followed by the base64 of " + MIN_BYTES + " to " + MAX_BYTES
            + " random bytes (e.g. " + PREFIX + "$(openssl rand -base64 32))";

    private final byte[] key;

    private WebhookSecret(byte[] key) {
        this.key = key;
    }

    /** The secret, or the reason it is refused (the reason never repeats the value). */
    static Result parse(String text) {
        if (text == null || text.isBlank()) {
            return new Result(Optional.empty(), "must not be empty (omit the field for unsigned deliveries)");
        }
        if (!text.startsWith(PREFIX)) {
            return new Result(Optional.empty(), FORMAT);
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(text.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            return new Result(Optional.empty(), FORMAT + "; the part after '" + PREFIX + "' is not valid base64");
        }
        if (key.length < MIN_BYTES || key.length > MAX_BYTES) {
            return new Result(Optional.empty(), FORMAT + "; it decodes to " + key.length + " bytes");
        }
        return new Result(Optional.of(new WebhookSecret(key)), null);
    }

    /** Parses a secret known to be valid (tests, and values that already passed validation). */
    public static WebhookSecret of(String text) {
        Result r = parse(text);
        return r.secret().orElseThrow(() -> new IllegalArgumentException("secret " + r.problem()));
    }

    /** A copy of the HMAC key. */
    /** The secret in its {@code whsec_<base64>} form, for the state store only (never log it). */
    String encoded() {
        return PREFIX + java.util.Base64.getEncoder().encodeToString(key());
    }

    public byte[] key() {
        return key.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WebhookSecret other && MessageDigest.isEqual(key, other.key);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(key);
    }

    @Override
    public String toString() {
        return "WebhookSecret[" + Redaction.MASK + "]";
    }

    record Result(Optional<WebhookSecret> secret, String problem) {
    }
}
