package io.dynamostream.security;

import java.util.Locale;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.AuthenticationRequest;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;

/**
 * Reads the API key from {@code Authorization: Bearer <key>} (or {@code X-Api-Key: <key>}) and has
 * {@link ApiKeyIdentityProvider} check it. A request without a key, with an unknown key, or made while no key is
 * configured stays anonymous: whether that is allowed is {@link AdminApiPolicy}'s decision, so the open paths
 * ({@code /q/*}) answer whatever header a client sends. When the policy denies an anonymous request, the challenge is
 * a 401 with {@code WWW-Authenticate: Bearer} and a JSON {@code {"message"}} body saying whether the key was missing
 * or wrong.
 */
@ApplicationScoped
class ApiKeyAuthenticationMechanism implements HttpAuthenticationMechanism {

    static final String API_KEY_HEADER = "X-Api-Key";
    private static final String BEARER = "bearer ";
    private static final String INVALID_KEY = ApiKeyAuthenticationMechanism.class.getName() + ".invalid";
    private static final String CHALLENGE = "Bearer realm=\"dynamo-stream\"";

    private static final Logger LOG = Logger.getLogger(ApiKeyAuthenticationMechanism.class);

    private final ApiKeys keys;
    private final ErrorResponses errors;

    ApiKeyAuthenticationMechanism(ApiKeys keys, ErrorResponses errors) {
        this.keys = keys;
        this.errors = errors;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(RoutingContext context, IdentityProviderManager identityProviderManager) {
        if (!keys.enabled()) {
            return Uni.createFrom().nullItem();
        }
        String key = presentedKey(context);
        if (key == null) {
            return Uni.createFrom().nullItem();
        }
        return identityProviderManager.authenticate(new ApiKeyAuthenticationRequest(key))
                .onFailure(AuthenticationFailedException.class).recoverWithItem(() -> {
                    context.put(INVALID_KEY, Boolean.TRUE);
                    LOG.debugf("Unknown API key on %s %s", context.request().method(), context.normalizedPath());
                    return null;
                });
    }

    @Override
    public Uni<ChallengeData> getChallenge(RoutingContext context) {
        return Uni.createFrom().item(new ChallengeData(401, "WWW-Authenticate", CHALLENGE));
    }

    @Override
    public Uni<Boolean> sendChallenge(RoutingContext context) {
        String message = Boolean.TRUE.equals(context.get(INVALID_KEY))
                ? "invalid API key"
                : "authentication required: send Authorization: Bearer <API key> (or " + API_KEY_HEADER + ": <API key>)";
        context.response().putHeader("WWW-Authenticate", CHALLENGE);
        errors.send(context, 401, message);
        return Uni.createFrom().item(Boolean.TRUE);
    }

    @Override
    public Set<Class<? extends AuthenticationRequest>> getCredentialTypes() {
        return Set.of(ApiKeyAuthenticationRequest.class);
    }

    /** The key of {@code Authorization: Bearer <key>}, else of {@code X-Api-Key}, else null. */
    static String presentedKey(RoutingContext context) {
        String authorization = context.request().getHeader("Authorization");
        if (authorization != null && authorization.length() > BEARER.length()
                && authorization.substring(0, BEARER.length()).toLowerCase(Locale.ROOT).equals(BEARER)) {
            String key = authorization.substring(BEARER.length()).strip();
            if (!key.isEmpty()) {
                return key;
            }
        }
        String header = context.request().getHeader(API_KEY_HEADER);
        return header == null || header.isBlank() ? null : header.strip();
    }
}
