package io.dynamostream.config;

import java.util.List;
import java.util.Optional;

/** Admin API authentication ({@code dynamo-stream.auth.*}). */
public interface AuthSettings {

    /**
     * API keys accepted for every admin route (several, for rotation). When neither this nor
     * {@link #readOnlyApiKeys()} is set, the API is open, like the original tool.
     */
    Optional<List<String>> apiKeys();

    /** API keys accepted for {@code GET} routes only. */
    Optional<List<String>> readOnlyApiKeys();
}
