package io.dynamostream.subscription;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import io.dynamostream.guard.Redaction;

/**
 * The static subscription file ({@code CONFIG_PATH}), the original tool's format plus optional keys:
 * <pre>
 * entries:
 *   - table_name: People
 *     url: https://hooks.example.com/people?token=${PEOPLE_TOKEN}
 *     starting_position: TRIM_HORIZON   # optional, LATEST by default
 *     secret: ${PEOPLE_WEBHOOK_SECRET}  # optional, whsec_...: signs every POST (Standard Webhooks)
 *     previous_secret: whsec_...        # optional, during a secret rotation
 *     headers:                          # optional, sent with every POST
 *       Authorization: Bearer ${PEOPLE_API_TOKEN}
 *     # optional delivery settings, AWS Lambda's names (see DeliverySettings); the defaults:
 *     batch_size: 100                         # 1 to 10000 records per POST
 *     maximum_batching_window_in_seconds: 0   # 0 to 300
 *     maximum_retry_attempts: 9               # -1 (until too old, or forever) or 0 to 10000
 *     maximum_record_age_in_seconds: -1       # -1 (no limit) or 60 to 604800
 *     bisect_batch_on_function_error: false
 *     on_failure: stop                        # stop, skip or dead_letter
 *   - table_name: Orders                        # an AWS destination: the ARN in url
 *     url: arn:aws:sqs:us-east-1:000000000000:orders.fifo
 *     endpoint_url: http://localhost:9324       # optional: a local server (default: AWS_ENDPOINT_URL_SQS, AWS)
 *     message_format: record                    # optional: record (default) or batch
 *     destination_config:                       # optional, Lambda's on-failure destination (DestinationConfig:
 *       on_failure:                             #   OnFailure: Destination: ... is read too)
 *         destination: https://hooks.example.com/failed
 * </pre>
 * Every text value may use {@code ${NAME}} or {@code ${NAME:default}}: replaced by the environment variable
 * {@code NAME}, or by {@code default} when it is unset or empty; {@code $${} writes a literal {@code ${}. An unset
 * variable without a default is an error naming the variable, the file and the line (an empty one is kept as
 * empty, and the field's own rules then apply). Expansion happens once, at startup; values are never logged.
 * <p>
 * Numbers and booleans are YAML scalars ({@code batch_size: 500}); a value written with {@code ${NAME}} (e.g.
 * {@code batch_size: ${BATCH_SIZE:100}}) is expanded as text and then taken as an integer ({@code -1}, {@code 500})
 * or a boolean ({@code true}, {@code false}, any case) when the result is one. A quoted literal such as
 * {@code "500"} stays text and is refused, as it is in the API.
 * <p>
 * A SAM or CloudFormation template (top-level {@code Resources}, {@code AWSTemplateFormatVersion} or
 * {@code Transform}) is read by {@link SamTemplate} instead: its DynamoDB event sources are the entries, and
 * {@code ${NAME}} is not expanded from the environment, since there {@code ${...}} belongs to {@code Fn::Sub}.
 * <p>
 * Strict on purpose: an unreadable file, a syntax error, an unknown key or an invalid entry is an
 * {@link InvalidFileException} naming the file and the line; the service does not start half-configured.
 */
public final class SubscriptionFile {

    private static final Logger LOG = Logger.getLogger(SubscriptionFile.class);

    /**
     * Keys whose value is a mapping or a list checked by validate() (Lambda's spelling too), and the fields Lambda
     * ignores here, whatever their shape.
     */
    private static final List<String> TREE_KEYS = List.of("destination_config", "DestinationConfig", "filter_criteria",
            "FilterCriteria", "function_response_types", "FunctionResponseTypes", "MetricsConfig", "Tags",
            "LoggingConfig");
    /** Keys whose value is a number or a boolean; read as scalars of any type, checked by validate(). */
    private static final List<String> SCALAR_KEYS = List.of("batch_size", "maximum_batching_window_in_seconds",
            "maximum_retry_attempts", "maximum_record_age_in_seconds", "bisect_batch_on_function_error",
            "tumbling_window_in_seconds", "parallelization_factor", "enabled", "BatchSize",
            "MaximumBatchingWindowInSeconds", "MaximumRetryAttempts", "MaximumRecordAgeInSeconds",
            "BisectBatchOnFunctionError", "TumblingWindowInSeconds", "ParallelizationFactor", "Enabled");
    private static final String ALLOWED_KEYS = SubscriptionRequest.allowedFields();
    private static final Pattern INTEGER = Pattern.compile("[-+]?[0-9]+");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]*");

    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private SubscriptionFile() {
    }

    /** Reads and validates every entry of the file, expanding {@code ${VAR}} from the process environment. */
    public static List<SubscriptionRequest.Valid> read(Path file) {
        return read(file, System::getenv);
    }

    /**
     * Reads and validates every entry of the file. An empty file, or {@code entries:} with no item, has none.
     *
     * @param env looks up an environment variable; null when it is unset
     */
    public static List<SubscriptionRequest.Valid> read(Path file, Function<String, String> env) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidFileException(file, 0, Files.exists(file) ? "is not a regular file" : "does not exist");
        }
        if (SamTemplate.isTemplate(file)) {
            return SamTemplate.read(file, env); // a SAM or CloudFormation template: no ${NAME} expansion there
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
                readEntries(file, parser, entries, env);
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

    private static void readEntries(Path file, JsonParser parser, List<SubscriptionRequest.Valid> entries,
            Function<String, String> env) throws IOException {
        JsonToken token;
        int skipped = 0;
        while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
            int line = line(parser.currentTokenLocation());
            if (token != JsonToken.START_OBJECT) {
                throw new InvalidFileException(file, line, "entry " + (entries.size() + skipped + 1)
                        + " must be a mapping with table_name and url");
            }
            try {
                SubscriptionRequest request = readEntry(file, parser, entries.size() + skipped + 1, env);
                SubscriptionRequest.Valid valid = request.validate();
                if (request.disabled()) {
                    skipped++;
                    LOG.infof("Subscription file %s, line %d: entry %d (table %s) has enabled: false and is not "
                            + "registered, as a disabled Lambda mapping does not poll", file, line,
                            entries.size() + skipped, valid.tableName());
                    continue;
                }
                for (String warning : valid.warnings()) {
                    LOG.warnf("Subscription file %s, line %d: entry %d: %s", file, line, entries.size() + skipped + 1,
                            warning);
                }
                entries.add(valid);
            } catch (InvalidSubscriptionException e) {
                throw new InvalidFileException(file, line, "entry " + (entries.size() + skipped + 1) + " is invalid: "
                        + e.getMessage().replaceFirst("^invalid subscription: ", ""));
            }
        }
    }

    /**
     * Reads one entry mapping into a request, so an unknown key is reported on its own line (Jackson would point past
     * it). Keys may be ours or Lambda's (CreateEventSourceMapping's names).
     */
    private static SubscriptionRequest readEntry(Path file, JsonParser parser, int number,
            Function<String, String> env) throws IOException {
        ObjectNode entry = JsonNodeFactory.instance.objectNode();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            int line = line(parser.currentTokenLocation());
            if (!LambdaNames.isKnown(key)) {
                throw new InvalidFileException(file, line, "entry " + number + ": unknown key '" + Redaction.text(key)
                        + "' (allowed: " + ALLOWED_KEYS + ")");
            }
            JsonToken value = parser.nextToken();
            if (key.equals("headers")) {
                Map<String, String> headers = readHeaders(file, parser, number, env);
                if (headers != null) {
                    ObjectNode h = entry.putObject(key);
                    headers.forEach(h::put);
                }
                continue;
            }
            if (SCALAR_KEYS.contains(key)) {
                entry.set(key, readScalar(file, parser, number, key, env));
                continue;
            }
            if (TREE_KEYS.contains(key)) {
                entry.set(key, value == JsonToken.VALUE_NULL ? null
                        : expandTree(parser.readValueAsTree(), env, file, line, number, key));
                continue;
            }
            if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
                throw new InvalidFileException(file, line, "entry " + number + ": '" + key + "' must be a text value");
            }
            entry.set(key, value == JsonToken.VALUE_NULL ? null : TextNode.valueOf(
                    expand(parser.getText(), env, file, line(parser.currentTokenLocation()), number, key)));
        }
        return SubscriptionRequest.fromJson(entry);
    }

    /**
     * A mapping such as {@code destination_config} with {@code ${NAME}} expanded in its text values (the
     * destination URL may carry a token); its shape is checked by validate(), which names the nested field.
     */
    private static JsonNode expandTree(JsonNode node, Function<String, String> env, Path file, int line, int entry,
            String key) {
        if (node == null) {
            return null;
        }
        if (node.isTextual()) {
            return TextNode.valueOf(expand(node.textValue(), env, file, line, entry, key));
        }
        if (node.isObject()) {
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            node.properties().forEach(e -> out.set(e.getKey(),
                    expandTree(e.getValue(), env, file, line, entry, key + "." + e.getKey())));
            return out;
        }
        return node;
    }

    /**
     * The value of a number or boolean key as YAML typed it, for validate() to check (and to name the key and the
     * allowed range when it is wrong). Text with {@code ${NAME}} is expanded and then typed, since an environment
     * variable can only hold text. A mapping or list is skipped and stands as an empty one: refused all the same.
     */
    private static JsonNode readScalar(Path file, JsonParser parser, int number, String key,
            Function<String, String> env) throws IOException {
        JsonToken token = parser.currentToken();
        if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
            parser.skipChildren();
            return token == JsonToken.START_OBJECT ? JsonNodeFactory.instance.objectNode()
                    : JsonNodeFactory.instance.arrayNode();
        }
        if (token != JsonToken.VALUE_STRING) {
            return parser.readValueAsTree();
        }
        String raw = parser.getText();
        if (!raw.contains("${")) {
            return TextNode.valueOf(raw);
        }
        String text = expand(raw, env, file, line(parser.currentTokenLocation()), number, key).trim();
        if (INTEGER.matcher(text).matches()) {
            BigInteger n = new BigInteger(text);
            return n.bitLength() < 32 ? IntNode.valueOf(n.intValue()) : BigIntegerNode.valueOf(n);
        }
        if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
            return BooleanNode.valueOf(text.equalsIgnoreCase("true"));
        }
        return TextNode.valueOf(text);
    }

    /** {@code headers:} is a mapping of header name to text value; values are expanded, names are not. */
    private static Map<String, String> readHeaders(Path file, JsonParser parser, int number,
            Function<String, String> env) throws IOException {
        if (parser.currentToken() == JsonToken.VALUE_NULL) {
            return null;
        }
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            throw invalid(file, parser, "entry " + number + ": 'headers' must be a mapping of header name to value");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            int line = line(parser.currentTokenLocation());
            if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
                throw new InvalidFileException(file, line, "entry " + number + ": header '" + Redaction.text(name)
                        + "' must be a text value");
            }
            headers.put(name, value == JsonToken.VALUE_NULL ? null
                    : expand(parser.getText(), env, file, line, number, "headers." + name));
        }
        return headers;
    }

    /** Replaces {@code ${NAME}} and {@code ${NAME:default}}; {@code $${} is a literal {@code ${}. */
    static String expand(String text, Function<String, String> env, Path file, int line, int entry, String key) {
        if (text.indexOf('$') < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '$' && text.startsWith("$${", i)) {
                out.append("${");
                i += 3;
            } else if (c == '$' && text.startsWith("${", i)) {
                int close = text.indexOf('}', i + 2);
                if (close < 0) {
                    throw new InvalidFileException(file, line, "entry " + entry + ": '" + key
                            + "' has '${' without a closing '}' (write $${ for a literal ${)");
                }
                String expression = text.substring(i + 2, close);
                int colon = expression.indexOf(':');
                String name = colon < 0 ? expression : expression.substring(0, colon);
                if (!ENV_NAME.matcher(name).matches()) {
                    throw new InvalidFileException(file, line, "entry " + entry + ": '" + key + "' has '${"
                            + Redaction.text(name) + "}', which is not an environment variable name");
                }
                String value = env.apply(name);
                if (colon >= 0 && (value == null || value.isEmpty())) {
                    value = expression.substring(colon + 1);
                } else if (value == null) {
                    throw new InvalidFileException(file, line, "entry " + entry + ": environment variable " + name
                            + " (used in '" + key + "') is not set; set it or write ${" + name + ":default}");
                }
                out.append(value);
                i = close + 1;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
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
