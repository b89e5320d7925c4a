package io.dynamostream.subscription;

import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** One invalid field of a request or of a YAML entry, with every reason it was refused. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@RegisterForReflection
@Schema(name = "FieldError", description = "One invalid field with every reason it was refused")
public record FieldError(
        @Schema(required = true, example = "url") String field,
        @Schema(required = true, example = "[\"must be an absolute http or https URL\"]") List<String> messages) {
}
