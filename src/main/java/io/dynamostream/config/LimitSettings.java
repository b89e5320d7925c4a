package io.dynamostream.config;

import io.smallrye.config.WithDefault;

/** Input limits ({@code dynamo-stream.limits.*}). */
public interface LimitSettings {

    /** Subscriptions at most (API and file together). */
    @WithDefault("1000")
    int maxSubscriptions();
}
