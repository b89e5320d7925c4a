package io.dynamostream.api;

import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.dynamostream.subscription.FieldError;

/** Every error response: {@code {"message": ..., "errors": [{"field", "messages"}]}}, errors omitted when empty. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@RegisterForReflection
@Schema(name = "ErrorBody", description = "Body of every 4xx/5xx response")
public record ErrorBody(
        @Schema(required = true, example = "invalid subscription") String message,
        @Schema(description = "Every invalid field; omitted when the error is not about fields")
        List<FieldError> errors) {

    public ErrorBody(String message) {
        this(message, List.of());
    }
}
