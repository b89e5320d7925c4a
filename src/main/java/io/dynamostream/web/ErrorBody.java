package io.dynamostream.web;

import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

import io.dynamostream.subscription.FieldError;

/** Every error response: {@code {"message": ..., "errors": [{"field", "messages"}]}}, errors omitted when empty. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@RegisterForReflection
public record ErrorBody(String message, List<FieldError> errors) {

    public ErrorBody(String message) {
        this(message, List.of());
    }
}
