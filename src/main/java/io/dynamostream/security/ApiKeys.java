package io.dynamostream.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.dynamostream.config.DynamoStreamConfig;
import io.quarkus.runtime.StartupEvent;

/**
 * The configured API keys and the role each one grants. Only SHA-256 digests of the keys are kept, and a presented
 * key is compared with every configured one in constant time, so neither its content, its length nor which key
 * matched shows in the response time. Immutable, safe for concurrent use.
 */
@Singleton
class ApiKeys {

    /** Role of the keys in {@code dynamo-stream.auth.api-keys}: every route and method. */
    public static final String ADMIN = "admin";
    /** Role of the keys in {@code dynamo-stream.auth.read-only-api-keys}: {@code GET} and {@code HEAD} only. */
    public static final String READER = "reader";

    private static final Logger LOG = Logger.getLogger(ApiKeys.class);

    private final List<byte[]> adminDigests;
    private final List<byte[]> readerDigests;
    private final String port;

    @Inject
    ApiKeys(DynamoStreamConfig config, @ConfigProperty(name = "quarkus.http.port") String port) {
        this(config.auth().apiKeys().orElse(List.of()), config.auth().readOnlyApiKeys().orElse(List.of()), port);
    }

    ApiKeys(List<String> adminKeys, List<String> readOnlyKeys, String port) {
        this.adminDigests = digests(adminKeys);
        this.readerDigests = digests(readOnlyKeys);
        this.port = port;
    }

    /** True when at least one key is configured: every admin route then needs one. */
    public boolean enabled() {
        return !adminDigests.isEmpty() || !readerDigests.isEmpty();
    }

    /**
     * The role the presented key grants: {@link #ADMIN} when it is an admin key, {@link #READER} when it is a
     * read-only key, empty otherwise. Every configured key is compared, whichever matches.
     */
    public Optional<String> roleOf(String presented) {
        byte[] digest = sha256(presented);
        boolean admin = matchesAny(digest, adminDigests);
        boolean reader = matchesAny(digest, readerDigests);
        return admin ? Optional.of(ADMIN) : reader ? Optional.of(READER) : Optional.empty();
    }

    /**
     * Constant-time equality of two keys: their SHA-256 digests are compared with {@link MessageDigest#isEqual}, so
     * the time taken depends neither on where they differ nor on their lengths.
     */
    static boolean sameKey(String a, String b) {
        return MessageDigest.isEqual(sha256(a), sha256(b));
    }

    void logMode(@Observes StartupEvent event) {
        if (!enabled()) {
            LOG.warnf("Admin API is open: no API key set (dynamo-stream.auth.api-keys / DYNAMO_STREAM_AUTH_API_KEYS);"
                    + " anyone who can reach port %s can add or remove subscriptions", port);
        } else if (adminDigests.isEmpty()) {
            LOG.warnf("Admin API is read-only: %d read-only API key(s) and no admin key"
                    + " (dynamo-stream.auth.api-keys / DYNAMO_STREAM_AUTH_API_KEYS); no one can add or remove"
                    + " subscriptions through the API", readerDigests.size());
        } else {
            LOG.infof("Admin API authentication on: %d admin API key(s), %d read-only API key(s)",
                    adminDigests.size(), readerDigests.size());
        }
    }

    private static boolean matchesAny(byte[] digest, List<byte[]> candidates) {
        boolean match = false;
        for (byte[] candidate : candidates) {
            // no early exit: the time must not tell which key matched
            match |= MessageDigest.isEqual(digest, candidate);
        }
        return match;
    }

    private static List<byte[]> digests(List<String> keys) {
        return keys.stream().map(String::strip).filter(k -> !k.isEmpty()).map(ApiKeys::sha256).toList();
    }

    private static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
