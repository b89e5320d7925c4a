package io.dynamostream.config;

import java.util.List;
import java.util.Optional;

/**
 * Admin API authentication ({@code dynamo-stream.auth.*}). Clients send {@code Authorization: Bearer <key>} or
 * {@code X-Api-Key: <key>}. Keys are secrets: they are compared in constant time and never logged nor returned.
 */
public interface AuthSettings {

    /**
     * API keys accepted for every admin route ({@code DYNAMO_STREAM_AUTH_API_KEYS=key1,key2}; several, for rotation).
     * When neither this nor {@link #readOnlyApiKeys()} is set, the API is open, like the original tool, and a warning
     * is logged at startup.
     */
    Optional<List<String>> apiKeys();

    /**
     * API keys accepted for {@code GET} (and {@code HEAD}) routes only; a mutation with one of them gets 403
     * ({@code DYNAMO_STREAM_AUTH_READ_ONLY_API_KEYS}).
     */
    Optional<List<String>> readOnlyApiKeys();
}
