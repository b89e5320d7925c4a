package io.dynamostream.subscription;

import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/** One invalid field of a request or of a YAML entry, with every reason it was refused. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@RegisterForReflection
public record FieldError(String field, List<String> messages) {
}
