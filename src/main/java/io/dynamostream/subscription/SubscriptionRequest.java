package io.dynamostream.subscription;

import io.quarkus.runtime.annotations.RegisterForReflection;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import com.fasterxml.jackson.annotation.JsonProperty;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * What a user asks for, from {@code POST /}, {@code POST /subscriptions} or one YAML entry. Field names follow the
 * original tool (snake_case). {@link #validate()} applies the same rules to both sources.
 */
@RegisterForReflection
@Schema(name = "SubscriptionRequest", description = "A subscription to register: the table whose stream is read "
        + "and the URL every batch of its records is POSTed to.")
public record SubscriptionRequest(
        @Schema(required = true, description = "DynamoDB table with a stream enabled", example = "People",
                pattern = "[a-zA-Z0-9_.-]{3,255}")
        @JsonProperty("table_name") String tableName,
        @Schema(required = true, format = "uri", maxLength = 2048,
                description = "Absolute http or https URL that receives the records as AWS Lambda-shaped POSTs",
                example = "http://localhost:9000/stream")
        @JsonProperty("url") String url,
        @Schema(enumeration = {"LATEST", "TRIM_HORIZON"}, defaultValue = "LATEST",
                description = "LATEST: only records written after registration; TRIM_HORIZON: every record "
                        + "still retained (24 h)")
        @JsonProperty("starting_position") String startingPosition) {

    /** DynamoDB's rule for table names. */
    private static final Pattern TABLE_NAME = Pattern.compile("[a-zA-Z0-9_.-]{3,255}");
    static final int MAX_URL_LENGTH = 2048;

    /**
     * Checks every field and returns the request in its normalised form.
     *
     * @throws InvalidSubscriptionException listing every invalid field
     */
    public Valid validate() {
        List<FieldError> errors = new ArrayList<>();
        List<String> tableErrors = new ArrayList<>();
        if (tableName == null || tableName.isBlank()) {
            tableErrors.add("is required");
        } else if (!TABLE_NAME.matcher(tableName).matches()) {
            tableErrors.add("must be 3 to 255 characters of a-z, A-Z, 0-9, '_', '-' and '.'");
        }
        if (!tableErrors.isEmpty()) {
            errors.add(new FieldError("table_name", tableErrors));
        }
        URI uri = null;
        List<String> urlErrors = new ArrayList<>();
        if (url == null || url.isBlank()) {
            urlErrors.add("is required");
        } else if (url.length() > MAX_URL_LENGTH) {
            urlErrors.add("must be at most " + MAX_URL_LENGTH + " characters");
        } else {
            try {
                uri = new URI(url);
                String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
                if (!scheme.equals("http") && !scheme.equals("https")) {
                    urlErrors.add("must be an absolute http or https URL");
                } else if (uri.getHost() == null || uri.getHost().isBlank()) {
                    urlErrors.add("must name a host");
                }
            } catch (URISyntaxException e) {
                urlErrors.add("is not a valid URL: " + e.getReason());
            }
        }
        if (!urlErrors.isEmpty()) {
            errors.add(new FieldError("url", urlErrors));
        }
        StartingPosition position = StartingPosition.LATEST;
        if (startingPosition != null) {
            try {
                position = StartingPosition.valueOf(startingPosition.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                errors.add(new FieldError("starting_position", List.of("must be LATEST or TRIM_HORIZON")));
            }
        }
        if (!errors.isEmpty()) {
            throw new InvalidSubscriptionException(errors);
        }
        return new Valid(tableName, uri, position);
    }

    /** A request that passed {@link #validate()}. */
    public record Valid(String tableName, URI url, StartingPosition startingPosition) {
    }
}
