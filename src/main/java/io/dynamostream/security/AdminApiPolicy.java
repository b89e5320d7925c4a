package io.dynamostream.security;

import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.HttpSecurityPolicy;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;

/**
 * The permission of every admin route ({@code quarkus.http.auth.permission.admin-api.policy=admin-api} in
 * application.properties, for {@code /*}; {@code /q/*} and the dev receiver are permitted there). With no key
 * configured everything is permitted, like the original tool. Otherwise an admin key may do anything, a read-only
 * key may only read ({@code GET}, {@code HEAD}, {@code OPTIONS}); a denied anonymous request gets the 401 challenge,
 * a denied read-only key a 403 ({@link ErrorResponses}).
 */
@ApplicationScoped
class AdminApiPolicy implements HttpSecurityPolicy {

    static final String NAME = "admin-api";
    private static final Set<HttpMethod> READS = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);

    private final ApiKeys keys;

    AdminApiPolicy(ApiKeys keys) {
        this.keys = keys;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Uni<CheckResult> checkPermission(RoutingContext request, Uni<SecurityIdentity> identity,
            AuthorizationRequestContext requestContext) {
        if (!keys.enabled()) {
            return CheckResult.permit();
        }
        return identity.map(id -> allowed(id, request.request().method()) ? CheckResult.PERMIT : CheckResult.DENY);
    }

    private static boolean allowed(SecurityIdentity identity, HttpMethod method) {
        return identity.hasRole(ApiKeys.ADMIN) || identity.hasRole(ApiKeys.READER) && READS.contains(method);
    }
}
