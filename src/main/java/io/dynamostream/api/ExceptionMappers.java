package io.dynamostream.api;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;

import io.dynamostream.subscription.FieldError;
import io.dynamostream.subscription.InvalidSubscriptionException;
import io.dynamostream.subscription.SubscriptionRequest;
import io.dynamostream.subscription.SubscriptionStateException;
import io.dynamostream.subscription.TooManySubscriptionsException;

import java.util.List;

/** The one place where exceptions become HTTP responses; every body is an {@link ErrorBody}. */
public class ExceptionMappers {

    private static final Logger LOG = Logger.getLogger(ExceptionMappers.class);

    @ServerExceptionMapper
    public Response invalid(InvalidSubscriptionException e) {
        return json(400, new ErrorBody("invalid subscription", e.errors()));
    }

    @ServerExceptionMapper
    public Response wrongState(SubscriptionStateException e) {
        return json(409, new ErrorBody(e.getMessage()));
    }

    /** A body Jackson cannot even decode (e.g. an unsupported UCS-4 byte order): malformed, like any other. */
    @ServerExceptionMapper
    public Response undecodable(java.io.CharConversionException e) {
        return json(400, new ErrorBody("malformed JSON: " + e.getMessage()));
    }

    @ServerExceptionMapper
    public Response tooMany(TooManySubscriptionsException e) {
        return json(409, new ErrorBody(e.getMessage()));
    }

    @ServerExceptionMapper
    public Response mismatchedJson(MismatchedInputException e) {
        return malformedJson(e);
    }

    @ServerExceptionMapper
    public Response malformedJson(JsonProcessingException e) {
        if (e instanceof UnrecognizedPropertyException unknown) {
            return unknownFields(List.of(unknown.getPropertyName()));
        }
        if (e instanceof MismatchedInputException mismatch && !mismatch.getPath().isEmpty()) {
            String field = mismatch.getPath().get(mismatch.getPath().size() - 1).getFieldName();
            String expected = mismatch instanceof InvalidFormatException ? "has an invalid value" : expected(mismatch);
            return json(400, new ErrorBody("invalid subscription",
                    List.of(new FieldError(field == null ? "body" : field, List.of(expected)))));
        }
        if (e instanceof MismatchedInputException) {
            return json(400, new ErrorBody("request body must be a JSON object: {\"table_name\": ..., \"url\": ...}"));
        }
        String detail = e.getOriginalMessage();
        var location = e.getLocation();
        if (location != null) {
            detail += " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
        }
        return json(400, new ErrorBody("malformed JSON: " + detail));
    }

    /** Each unknown field of a request, with every field the request may have (as the YAML file lists them). */
    private static Response unknownFields(List<String> fields) {
        List<String> message = List.of("unknown field (allowed: " + SubscriptionRequest.allowedFields() + ")");
        return json(400, new ErrorBody("invalid subscription",
                fields.stream().map(field -> new FieldError(field, message)).toList()));
    }

    /** What the field should have been, from the type Jackson tried to read. */
    private static String expected(MismatchedInputException mismatch) {
        Class<?> type = mismatch.getTargetType();
        if (type == null || type == String.class) {
            return "must be a string";
        }
        if (java.util.Map.class.isAssignableFrom(type)) {
            return "must be an object";
        }
        if (java.util.Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "must be an array";
        }
        return "has the wrong type";
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        if (e.getCause() instanceof JsonProcessingException json) {
            return malformedJson(json);
        }
        if (e.getCause() instanceof InvalidSubscriptionException invalid) {
            return invalid(invalid);
        }
        int status = e.getResponse().getStatus();
        String message = switch (status) {
            case 415 -> "unsupported content type: send Content-Type: application/json";
            case 405 -> "method not allowed on this path";
            case 406 -> "this API only produces application/json";
            default -> e.getMessage() == null || e.getMessage().startsWith("HTTP ")
                    ? Response.Status.fromStatusCode(status) == null ? "error"
                            : Response.Status.fromStatusCode(status).getReasonPhrase()
                    : e.getMessage();
        };
        return json(status, new ErrorBody(message));
    }

    @ServerExceptionMapper
    public Response unexpected(RuntimeException e) {
        LOG.error("Unexpected error while serving a request", e);
        return json(500, new ErrorBody("internal error: " + e.getClass().getSimpleName()));
    }

    private static Response json(int status, ErrorBody body) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(body).build();
    }
}
