package io.dynamostream.api;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The 413 for a request body declared larger than {@code quarkus.http.limits.max-body-size}, as JSON
 * {@code {"message": ...}} like every other error: Quarkus's own check (route order
 * {@link RouteConstants#ROUTE_ORDER_UPLOAD_LIMIT}) answers with an empty body before any exception mapper runs, so
 * this route runs just ahead of it. A chunked body without Content-Length still meets Quarkus's check while it is
 * read, which answers 413 with an empty body.
 */
@ApplicationScoped
class BodyLimit {

    private final long maxBodySize;

    BodyLimit(@ConfigProperty(name = "quarkus.http.limits.max-body-size") MemorySize maxBodySize) {
        this.maxBodySize = maxBodySize.asLongValue();
    }

    void install(@Observes Router router) {
        router.route().order(RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT - 1).handler(this::check);
    }

    private void check(RoutingContext ctx) {
        String declared = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        long length;
        try {
            length = declared == null ? -1 : Long.parseLong(declared.trim());
        } catch (NumberFormatException e) {
            length = -1;
        }
        if (length <= maxBodySize) {
            ctx.next();
            return;
        }
        var response = ctx.response().setStatusCode(413).putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
        if (ctx.request().version() != HttpVersion.HTTP_2) {
            // the body is not read: close the connection after the answer, as Quarkus does
            response.putHeader(HttpHeaders.CONNECTION, "close").endHandler(v -> ctx.request().connection().close());
        }
        response.end("{\"message\":\"request body too large: at most " + maxBodySize + " bytes\"}");
    }
}
