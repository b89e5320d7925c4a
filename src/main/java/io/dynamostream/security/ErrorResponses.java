package io.dynamostream.security;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.dynamostream.api.ErrorBody;
import io.quarkus.security.ForbiddenException;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Writes the 401 and 403 of the security layer in the project's error shape ({@link ErrorBody}). Authorization runs
 * before the REST layer, so its failures never reach {@code web.ExceptionMappers}; Quarkus would answer the 403 with
 * an empty body.
 */
@ApplicationScoped
class ErrorResponses {

    private final ObjectMapper json;

    ErrorResponses(ObjectMapper json) {
        this.json = json;
    }

    /** A 403 with a JSON body for a read-only key on a mutating route ({@link AdminApiPolicy} denied it). */
    void register(@Observes Router router) {
        router.route().failureHandler(context -> {
            if (context.failure() instanceof ForbiddenException && !context.response().ended()) {
                send(context, 403, "read-only API key: " + context.request().method()
                        + " needs an admin API key");
            } else {
                context.next();
            }
        });
    }

    void send(RoutingContext context, int status, String message) {
        String body;
        try {
            body = json.writeValueAsString(new ErrorBody(message));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an ErrorBody always serialises", e);
        }
        context.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body);
    }
}
