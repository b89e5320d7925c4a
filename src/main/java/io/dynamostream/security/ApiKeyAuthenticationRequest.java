package io.dynamostream.security;

import io.quarkus.security.identity.request.BaseAuthenticationRequest;

/** An API key presented by a client, on its way from {@link ApiKeyAuthenticationMechanism} to the identity provider. */
final class ApiKeyAuthenticationRequest extends BaseAuthenticationRequest {

    private final String key;

    ApiKeyAuthenticationRequest(String key) {
        this.key = key;
    }

    String key() {
        return key;
    }

    /** Never shows the key: requests may end up in debug logs of the security layer. */
    @Override
    public String toString() {
        return "ApiKeyAuthenticationRequest[key=***]";
    }
}
