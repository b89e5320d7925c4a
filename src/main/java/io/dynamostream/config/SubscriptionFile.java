package io.dynamostream.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import io.dynamostream.subscription.InvalidSubscriptionException;
import io.dynamostream.subscription.SubscriptionRequest;

/**
 * The static subscription file ({@code CONFIG_PATH}), the original tool's format:
 * <pre>
 * entries:
 *   - table_name: People
 *     url: http://localhost:9000/streams
 *     starting_position: TRIM_HORIZON   # optional, LATEST by default
 * </pre>
 * Strict on purpose: an unreadable file, a syntax error, an unknown key or an invalid entry is an
 * {@link InvalidFileException} naming the file and the line; the service does not start half-configured.
 */
public final class SubscriptionFile {

    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private SubscriptionFile() {
    }

    /** Reads and validates every entry of the file. An empty file, or {@code entries:} with no item, has none. */
    public static List<SubscriptionRequest.Valid> read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidFileException(file, 0, Files.exists(file) ? "is not a regular file" : "does not exist");
        }
        List<SubscriptionRequest.Valid> entries = new ArrayList<>();
        try (JsonParser parser = YAML.createParser(file.toFile())) {
            JsonToken token = parser.nextToken();
            if (token == null) {
                return entries;
            }
            if (token != JsonToken.START_OBJECT) {
                throw invalid(file, parser, "must be a mapping with an 'entries' list");
            }
            while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
                String key = parser.currentName();
                if (!"entries".equals(key)) {
                    throw invalid(file, parser, "unknown key '" + key + "' (the file has one key: 'entries')");
                }
                token = parser.nextToken();
                if (token == JsonToken.VALUE_NULL) {
                    continue;
                }
                if (token != JsonToken.START_ARRAY) {
                    throw invalid(file, parser, "'entries' must be a list of {table_name, url}");
                }
                readEntries(file, parser, entries);
            }
        } catch (NoSuchFileException e) {
            throw new InvalidFileException(file, 0, "does not exist");
        } catch (JsonProcessingException e) {
            throw new InvalidFileException(file, line(e.getLocation()), e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidFileException(file, 0, "cannot be read: " + e.getMessage());
        }
        return entries;
    }

    private static void readEntries(Path file, JsonParser parser, List<SubscriptionRequest.Valid> entries)
            throws IOException {
        JsonToken token;
        while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
            int line = line(parser.currentTokenLocation());
            if (token != JsonToken.START_OBJECT) {
                throw new InvalidFileException(file, line, "entry " + (entries.size() + 1)
                        + " must be a mapping with table_name and url");
            }
            SubscriptionRequest request = readEntry(file, parser, entries.size() + 1);
            try {
                entries.add(request.validate());
            } catch (InvalidSubscriptionException e) {
                throw new InvalidFileException(file, line, "entry " + (entries.size() + 1) + " is invalid: "
                        + e.getMessage().replaceFirst("^invalid subscription: ", ""));
            }
        }
    }

    /** Reads one entry mapping, so an unknown key is reported on its own line (Jackson would point past it). */
    private static SubscriptionRequest readEntry(Path file, JsonParser parser, int number) throws IOException {
        String table = null;
        String url = null;
        String position = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            int line = line(parser.currentTokenLocation());
            if (!key.equals("table_name") && !key.equals("url") && !key.equals("starting_position")) {
                throw new InvalidFileException(file, line, "entry " + number + ": unknown key '" + key
                        + "' (allowed: table_name, url, starting_position)");
            }
            JsonToken value = parser.nextToken();
            if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
                throw new InvalidFileException(file, line, "entry " + number + ": '" + key + "' must be a text value");
            }
            String text = value == JsonToken.VALUE_NULL ? null : parser.getText();
            switch (key) {
                case "table_name" -> table = text;
                case "url" -> url = text;
                default -> position = text;
            }
        }
        return new SubscriptionRequest(table, url, position);
    }

    private static InvalidFileException invalid(Path file, JsonParser parser, String message) {
        return new InvalidFileException(file, line(parser.currentTokenLocation()), message);
    }

    private static int line(JsonLocation location) {
        return location == null ? 0 : location.getLineNr();
    }

    /** The subscription file cannot be used; the message names the file and, when known, the line. */
    public static final class InvalidFileException extends RuntimeException {

        private final int line;

        public InvalidFileException(Path file, int line, String problem) {
            super("Subscription file " + file.toAbsolutePath() + (line > 0 ? ", line " + line : "") + ": " + problem);
            this.line = line;
        }

        /** 1-based line of the problem, 0 when it concerns the whole file. */
        public int line() {
            return line;
        }
    }
}
