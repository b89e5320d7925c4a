package io.dynamostream.config;

import io.smallrye.config.WithDefault;

/**
 * Input limits ({@code dynamo-stream.limits.*}). Fixed limits that need no setting: a URL has at most 2,048
 * characters; a subscription has at most 20 custom headers of at most 4,096 printable ASCII characters each. The
 * admin API's request body size is Quarkus's {@code quarkus.http.limits.max-body-size} (64K by default here, 413
 * above it).
 */
public interface LimitSettings {

    /**
     * Subscriptions at most, API and file together. One more is refused with 409 Conflict and a message saying so
     * (at startup, a file with more entries stops the service).
     */
    @WithDefault("10000")
    int maxSubscriptions();
}
