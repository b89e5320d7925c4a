package io.dynamostream.security;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;

/**
 * Turns a presented API key into an identity: an admin key gets roles {@code admin} and {@code reader}, a read-only
 * key gets {@code reader}. The principal is the role name, never the key. An unknown key fails with
 * {@link AuthenticationFailedException}.
 */
@ApplicationScoped
class ApiKeyIdentityProvider implements IdentityProvider<ApiKeyAuthenticationRequest> {

    private final ApiKeys keys;

    ApiKeyIdentityProvider(ApiKeys keys) {
        this.keys = keys;
    }

    @Override
    public Class<ApiKeyAuthenticationRequest> getRequestType() {
        return ApiKeyAuthenticationRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(ApiKeyAuthenticationRequest request,
            AuthenticationRequestContext context) {
        return keys.roleOf(request.key())
                .map(role -> {
                    var identity = QuarkusSecurityIdentity.builder()
                            .setPrincipal(new QuarkusPrincipal(role + "-api-key"))
                            .addRole(role);
                    if (ApiKeys.ADMIN.equals(role)) {
                        identity.addRole(ApiKeys.READER);
                    }
                    return Uni.createFrom().<SecurityIdentity>item(identity.build());
                })
                .orElseGet(() -> Uni.createFrom().failure(new AuthenticationFailedException("invalid API key")));
    }
}
