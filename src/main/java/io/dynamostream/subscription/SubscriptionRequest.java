package io.dynamostream.subscription;

import io.quarkus.runtime.annotations.RegisterForReflection;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.dynamostream.guard.Redaction;

/**
 * What a user asks for, from {@code POST /}, {@code POST /subscriptions} or one YAML entry. Field names follow the
 * original tool (snake_case). {@link #validate()} applies the same rules to both sources.
 *
 * @param secret optional Standard Webhooks signing secret {@code whsec_<base64>}; when set, every POST is signed
 * @param previousSecret optional second secret during a rotation (requires {@code secret}); each POST then carries
 *        two signatures, so a receiver holding either secret accepts it
 * @param headers optional extra HTTP headers sent with every POST to the URL (e.g. {@code Authorization})
 * @param batchSize optional {@code batch_size}; this and the other delivery settings are kept as the JSON (or YAML)
 *        value given, so that {@link #validate()} reports a wrong type like any other rule, naming the field and
 *        the allowed range: Jackson's own binding to {@code Integer} would silently turn 1.5 into 1 and "100" into
 *        100, and report {@code true} as a 400 that says "must be a string". See {@link DeliverySettings} for the
 *        meaning and range of each one.
 * @param maximumBatchingWindowInSeconds optional {@code maximum_batching_window_in_seconds}
 * @param maximumRetryAttempts optional {@code maximum_retry_attempts}
 * @param maximumRecordAgeInSeconds optional {@code maximum_record_age_in_seconds}
 * @param bisectBatchOnFunctionError optional {@code bisect_batch_on_function_error}
 * @param onFailure optional {@code on_failure}: {@code stop}, {@code skip} or {@code dead_letter}, in any case
 * @param endpointUrl optional {@code endpoint_url}: the endpoint of the AWS service an ARN {@code url} names
 * @param messageFormat optional {@code message_format}: {@code record} (default) or {@code batch}
 * @param destinationConfig optional {@code destination_config: {on_failure: {destination}}} (also under Lambda's
 *        names {@code DestinationConfig: {OnFailure: {Destination}}}), kept as given and checked by
 *        {@link #validate()}
 */
@RegisterForReflection
@Schema(name = "SubscriptionRequest", description = "A subscription to register: the table whose stream is read "
        + "and the destination of its records: an HTTP URL every batch is POSTed to, or the ARN of a Lambda function, "
        + "SQS queue, SNS topic, Kinesis stream or EventBridge event bus.")
public record SubscriptionRequest(
        @Schema(required = true, description = "DynamoDB table with a stream enabled", example = "People",
                pattern = "[a-zA-Z0-9_.-]{3,255}")
        @JsonProperty("table_name") String tableName,
        @Schema(required = true, maxLength = 2048,
                description = "Absolute http or https URL that receives the records as AWS Lambda-shaped POSTs, or "
                        + "an ARN: arn:aws:lambda:<region>:<account>:function:<name>[:<alias|version>] (one "
                        + "synchronous invoke per batch), arn:aws:sqs:...:<queue>, arn:aws:sns:...:<topic> (standard "
                        + "or .fifo), arn:aws:kinesis:...:stream/<name>, arn:aws:events:...:event-bus/<name>",
                example = "http://localhost:9000/stream")
        @JsonProperty("url") String url,
        @Schema(enumeration = {"LATEST", "TRIM_HORIZON"}, defaultValue = "LATEST",
                description = "LATEST: only records written after registration; TRIM_HORIZON: every record "
                        + "still retained (24 h)")
        @JsonProperty("starting_position") String startingPosition,
        @JsonProperty("secret") String secret,
        @JsonProperty("previous_secret") String previousSecret,
        @JsonProperty("headers") Map<String, String> headers,
        @Schema(implementation = Integer.class, minimum = "1", maximum = "10000", defaultValue = "100",
                description = "Records at most per POST (Lambda: BatchSize)", example = "100")
        @JsonProperty("batch_size") JsonNode batchSize,
        @Schema(implementation = Integer.class, minimum = "0", maximum = "300", defaultValue = "0",
                description = "Seconds to wait for a full batch before POSTing what there is; 0 POSTs at once "
                        + "(Lambda: MaximumBatchingWindowInSeconds)")
        @JsonProperty("maximum_batching_window_in_seconds") JsonNode maximumBatchingWindowInSeconds,
        @Schema(implementation = Integer.class, minimum = "-1", maximum = "10000", defaultValue = "9",
                description = "Retries of a failed batch after its first attempt, then on_failure applies; -1 retries "
                        + "until the records are older than maximum_record_age_in_seconds, or forever without it "
                        + "(Lambda: MaximumRetryAttempts, whose default is -1)")
        @JsonProperty("maximum_retry_attempts") JsonNode maximumRetryAttempts,
        @Schema(implementation = Integer.class, minimum = "-1", maximum = "604800", defaultValue = "-1",
                description = "A batch whose oldest record is older than this many seconds is given up (on_failure); "
                        + "-1 for no limit, otherwise 60 to 604800 (Lambda: MaximumRecordAgeInSeconds)")
        @JsonProperty("maximum_record_age_in_seconds") JsonNode maximumRecordAgeInSeconds,
        @Schema(implementation = Boolean.class, defaultValue = "false",
                description = "Split a failing batch in two and retry each half, to isolate a bad record; a split does "
                        + "not count as a retry (Lambda: BisectBatchOnFunctionError)")
        @JsonProperty("bisect_batch_on_function_error") JsonNode bisectBatchOnFunctionError,
        @Schema(enumeration = {"stop", "skip", "dead_letter"}, defaultValue = "stop",
                description = "What happens to a batch that is given up. stop: error notification to the URL and "
                        + "status ERROR (the original tool's behaviour); skip: report it and go on; dead_letter: keep "
                        + "it in the dead-letter store and go on (Lambda: DestinationConfig.OnFailure)")
        @JsonProperty("on_failure") String onFailure,
        @Schema(format = "uri", description = "Endpoint of the AWS service the ARN url names, e.g. "
                + "http://localhost:3001 for sam local start-lambda, http://localhost:9324 for ElasticMQ; default: "
                + "AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, else AWS. Only with an ARN url",
                example = "http://localhost:9324")
        @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("endpoint_url") String endpointUrl,
        @Schema(enumeration = {"record", "batch"}, defaultValue = "record",
                description = "SQS, SNS, Kinesis and EventBridge: one message per record (the record's JSON, as "
                        + "EventBridge Pipes sends it) or the whole batch {\"Records\": [...]} as one message")
        @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("message_format") String messageFormat,
        @Schema(implementation = DestinationConfigSchema.class, description = "Lambda's on-failure destination: "
                + "{\"on_failure\": {\"destination\": <HTTP URL or ARN>}} (Lambda's names DestinationConfig.OnFailure"
                + ".Destination are accepted too). Every batch given up is sent there as Lambda's invocation record, and "
                + "the subscription goes on (on_failure then defaults to skip)")
        @JsonAlias("DestinationConfig") @JsonInclude(JsonInclude.Include.NON_NULL)
        @JsonProperty("destination_config") JsonNode destinationConfig,
        @Schema(implementation = FilterCriteriaSchema.class, description = "Lambda's event filtering: "
                + "{\"filters\": [{\"pattern\": \"<JSON pattern>\"}]} (Lambda's FilterCriteria.Filters[].Pattern "
                + "too), up to 5 filters; a record is delivered when it matches any of them, the others are counted "
                + "and their checkpoint advances. Patterns see the record as Lambda sends it, e.g. "
                + "{\"dynamodb\": {\"NewImage\": {\"status\": {\"S\": [\"active\"]}}}}")
        @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("filter_criteria") JsonNode filterCriteria,
        @Schema(type = SchemaType.ARRAY, implementation = String.class, enumeration = {"ReportBatchItemFailures"},
                description = "[\"ReportBatchItemFailures\"]: a 2xx body {\"batchItemFailures\": [{\"itemIdentifier\": "
                        + "\"<SequenceNumber>\"}]} acknowledges only the records before the lowest failed one, and "
                        + "the batch is retried from there (Lambda: FunctionResponseTypes)")
        @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("function_response_types")
        JsonNode functionResponseTypes,
        @Schema(implementation = Integer.class, minimum = "0", maximum = "900", defaultValue = "0",
                description = "Tumbling window in seconds: each invoke carries Lambda's window fields and the state "
                        + "the receiver returned for the window (Lambda: TumblingWindowInSeconds); 0 for none")
        @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("tumbling_window_in_seconds")
        JsonNode tumblingWindowInSeconds,
        @Schema(implementation = Integer.class, minimum = "1", maximum = "10", defaultValue = "1",
                description = "Batches of one shard in flight at once, records spread by a hash of the item's Keys "
                        + "so that changes of one item stay in order (Lambda: ParallelizationFactor)")
        @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("parallelization_factor")
        JsonNode parallelizationFactor,
        @Schema(implementation = Boolean.class, defaultValue = "true", description = "false registers the "
                + "subscription PAUSED (API) or leaves the entry out (file, template), as a disabled Lambda mapping "
                + "(Lambda: Enabled)")
        @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("enabled") JsonNode enabled,
        @Schema(hidden = true) @JsonIgnore LambdaNames.Given given) {

    /** The canonical form without the event-source-mapping fields (as before they existed). */
    public SubscriptionRequest(String tableName, String url, String startingPosition, String secret,
            String previousSecret, Map<String, String> headers, JsonNode batchSize,
            JsonNode maximumBatchingWindowInSeconds, JsonNode maximumRetryAttempts, JsonNode maximumRecordAgeInSeconds,
            JsonNode bisectBatchOnFunctionError, String onFailure, String endpointUrl, String messageFormat,
            JsonNode destinationConfig) {
        this(tableName, url, startingPosition, secret, previousSecret, headers, batchSize,
                maximumBatchingWindowInSeconds, maximumRetryAttempts, maximumRecordAgeInSeconds,
                bisectBatchOnFunctionError, onFailure, endpointUrl, messageFormat, destinationConfig, null, null,
                null, null, null, null);
    }

    /**
     * Every field a request may have, in the order of the components. The API refuses any other field and the YAML
     * file any other key, both listing these: one list, so the two cannot drift apart.
     */
    public static final List<String> FIELDS = List.of("table_name", "url", "starting_position", "secret",
            "previous_secret", "headers", "batch_size", "maximum_batching_window_in_seconds", "maximum_retry_attempts",
            "maximum_record_age_in_seconds", "bisect_batch_on_function_error", "on_failure", "endpoint_url",
            "message_format", "destination_config", "filter_criteria", "function_response_types",
            "tumbling_window_in_seconds", "parallelization_factor", "enabled");

    /** Lambda's names a request may use instead (CreateEventSourceMapping's fields), see {@link LambdaNames}. */
    public static final List<String> ALIASES = LambdaNames.NAMES;

    private static final ObjectMapper BINDER = new ObjectMapper();

    /** Every field a request may have, in both spellings, for "unknown field (allowed: ...)". */
    public static String allowedFields() {
        return LambdaNames.allowed();
    }

    /**
     * A request from a JSON object (an API body, a YAML entry, a template's mapping) whose fields use our names,
     * Lambda's CreateEventSourceMapping names, or both.
     *
     * @throws InvalidSubscriptionException for unknown fields, a field given twice, an invalid EventSourceArn or
     *         FunctionName, or a value of a type that cannot be read (e.g. headers that are not an object)
     */
    public static SubscriptionRequest fromJson(ObjectNode node) {
        LambdaNames.Normalised n = LambdaNames.normalise(node);
        if (!n.errors().isEmpty()) {
            throw new InvalidSubscriptionException(n.errors());
        }
        SubscriptionRequest bound;
        try {
            bound = BINDER.treeToValue(n.entry(), SubscriptionRequest.class);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            String field = "body";
            if (e instanceof JsonMappingException m && !m.getPath().isEmpty()
                    && m.getPath().get(0).getFieldName() != null) {
                field = m.getPath().get(0).getFieldName();
            }
            String expected = field.equals("headers") ? "must be an object of header name to text value"
                    : "must be a string";
            throw new InvalidSubscriptionException(List.of(new FieldError(n.given().name(field), List.of(expected))));
        }
        return bound.withGiven(n.given());
    }

    private SubscriptionRequest withGiven(LambdaNames.Given how) {
        return new SubscriptionRequest(tableName, url, startingPosition, secret, previousSecret, headers, batchSize,
                maximumBatchingWindowInSeconds, maximumRetryAttempts, maximumRecordAgeInSeconds,
                bisectBatchOnFunctionError, onFailure, endpointUrl, messageFormat, destinationConfig, filterCriteria,
                functionResponseTypes, tumblingWindowInSeconds, parallelizationFactor, enabled, how);
    }

    /** The name of one of our fields as this request spelled it ({@code url} may have been {@code FunctionName}). */
    public String fieldName(String field) {
        return (given == null ? LambdaNames.Given.NONE : given).name(field);
    }

    /** The on-failure destination's field as this request spelled it. */
    public String onFailureDestinationField() {
        return destinationConfig != null && destinationConfig.has("OnFailure")
                ? "DestinationConfig.OnFailure.Destination"
                : "destination_config.on_failure.destination";
    }

    /** Whether the request asks to be registered disabled ({@code enabled: false}, Lambda's {@code Enabled}). */
    public boolean disabled() {
        return enabled != null && enabled.isBoolean() && !enabled.booleanValue();
    }

    /** The shape of {@code destination_config}, for the OpenAPI document. */
    @Schema(name = "DestinationConfig")
    record DestinationConfigSchema(@JsonProperty("on_failure") OnFailureSchema onFailure) {
    }

    /** The shape of {@code filter_criteria}, for the OpenAPI document. */
    @Schema(name = "FilterCriteria")
    record FilterCriteriaSchema(@JsonProperty("filters") List<FilterSchema> filters) {
    }

    /** One filter of {@code filter_criteria}, for the OpenAPI document. */
    @Schema(name = "Filter")
    record FilterSchema(@Schema(description = "A JSON pattern, as text (event-ruler / EventBridge syntax)",
            example = "{\"eventName\": [\"INSERT\", \"MODIFY\"]}") @JsonProperty("pattern") String pattern) {
    }

    /** The shape of {@code destination_config.on_failure}, for the OpenAPI document. */
    @Schema(name = "OnFailureDestination")
    record OnFailureSchema(@Schema(description = "HTTP URL or ARN (Lambda, SQS, SNS, Kinesis, EventBridge)",
            example = "arn:aws:sqs:us-east-1:000000000000:failed-batches") @JsonProperty("destination")
            String destination) {
    }

    /** A request with every field of the version before destinations (no endpoint, format or destination config). */
    public SubscriptionRequest(String tableName, String url, String startingPosition, String secret,
            String previousSecret, Map<String, String> headers, JsonNode batchSize,
            JsonNode maximumBatchingWindowInSeconds, JsonNode maximumRetryAttempts, JsonNode maximumRecordAgeInSeconds,
            JsonNode bisectBatchOnFunctionError, String onFailure) {
        this(tableName, url, startingPosition, secret, previousSecret, headers, batchSize,
                maximumBatchingWindowInSeconds, maximumRetryAttempts, maximumRecordAgeInSeconds,
                bisectBatchOnFunctionError, onFailure, null, null, null);
    }

    /** A request without delivery settings (each one takes its default); the shape before they existed. */
    public SubscriptionRequest(String tableName, String url, String startingPosition, String secret,
            String previousSecret, Map<String, String> headers) {
        this(tableName, url, startingPosition, secret, previousSecret, headers, null, null, null, null, null, null);
    }

    /** A request with only the original tool's fields. */
    public static SubscriptionRequest of(String tableName, String url, String startingPosition) {
        return new SubscriptionRequest(tableName, url, startingPosition, null, null, null);
    }

    /**
     * This request with every delivery setting given explicitly, as the JSON values a client would send. The inverse
     * of the settings part of {@link #validate()}.
     */
    public SubscriptionRequest withSettings(DeliverySettings settings) {
        DestinationOptions d = settings.destination();
        boolean arn = AwsArn.looksLikeArn(url);
        ObjectNode config = null;
        if (d.onFailure() != null) {
            config = JsonNodeFactory.instance.objectNode();
            config.putObject("on_failure").put("destination", d.onFailure().toString());
        }
        MappingOptions m = settings.mapping();
        ObjectNode filters = null;
        if (m.filtered()) {
            filters = JsonNodeFactory.instance.objectNode();
            ArrayNode list = filters.putArray("filters");
            m.filterPatterns().forEach(pattern -> list.addObject().put("pattern", pattern));
        }
        ArrayNode types = null;
        if (m.reportBatchItemFailures()) {
            types = JsonNodeFactory.instance.arrayNode().add(MappingOptions.REPORT_BATCH_ITEM_FAILURES);
        }
        // the mapping options are written only when set: their defaults are Lambda's and never change
        return new SubscriptionRequest(tableName, url, startingPosition, secret, previousSecret, headers,
                IntNode.valueOf(settings.batchSize()), IntNode.valueOf(seconds(settings.batchingWindow())),
                IntNode.valueOf(settings.maximumRetryAttempts()),
                IntNode.valueOf(settings.maximumRecordAge() == null ? -1 : seconds(settings.maximumRecordAge())),
                BooleanNode.valueOf(settings.bisectOnError()), settings.onFailure().name().toLowerCase(Locale.ROOT),
                d.endpointUrl() == null ? null : d.endpointUrl().toString(),
                arn && isQueueLike(url) ? d.messageFormat().name().toLowerCase(Locale.ROOT) : null, config, filters,
                types, m.windowed() ? IntNode.valueOf(seconds(m.tumblingWindow())) : null,
                m.parallelizationFactor() == 1 ? null : IntNode.valueOf(m.parallelizationFactor()), null, null);
    }

    private static boolean isQueueLike(String url) {
        return AwsArn.parse(url).value().map(a -> a.service() != AwsArn.Service.LAMBDA).orElse(false);
    }

    private static int seconds(Duration duration) {
        return Math.toIntExact(duration.toSeconds());
    }

    /** DynamoDB's rule for table names. */
    private static final Pattern TABLE_NAME = Pattern.compile("[a-zA-Z0-9_.-]{3,255}");
    static final int MAX_URL_LENGTH = 2048;
    static final int MAX_HEADERS = 20;
    static final int MAX_HEADER_VALUE_LENGTH = 4096;
    /** RFC 9110 token: the characters a header name may have. */
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}");
    /** Headers dynamo-stream sets itself, or that would break the HTTP framing (lower case). */
    static final Set<String> RESERVED_HEADERS = Set.of("content-type", "content-length", "host", "transfer-encoding",
            "connection", "upgrade", "te", "trailer", "keep-alive", "expect");

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
        List<String> urlErrors = new ArrayList<>();
        URI uri = destination(url, urlErrors);
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
        List<WebhookSecret> secrets = secrets(errors);
        Map<String, String> validHeaders = headers(errors);
        DestinationOptions destination = destinationOptions(uri, errors);
        DeliverySettings settings = settings(errors, destination);
        List<String> warnings = new ArrayList<>();
        MappingOptions mapping = mappingOptions(uri, errors, warnings);
        if (enabled != null && !enabled.isNull() && !enabled.isBoolean()) {
            errors.add(new FieldError("enabled", List.of("must be true or false, not " + kind(enabled))));
        }
        LambdaNames.Given how = given == null ? LambdaNames.Given.NONE : given;
        if (!errors.isEmpty()) {
            throw new InvalidSubscriptionException(errors.stream()
                    .map(e -> new FieldError(how.name(e.field()), e.messages())).toList());
        }
        warnings.addAll(0, how.warnings());
        return new Valid(tableName, uri, position, validHeaders, secrets, settings.withMapping(mapping),
                List.copyOf(warnings));
    }

    /**
     * filter_criteria, function_response_types, tumbling_window_in_seconds and parallelization_factor; warnings
     * about filter patterns that can never match a record.
     */
    private MappingOptions mappingOptions(URI url, List<FieldError> errors, List<String> warnings) {
        String filterField = given != null && given.spelled().containsKey("filter_criteria") ? "FilterCriteria"
                : "filter_criteria";
        FilterPatterns.Checked filters = FilterPatterns.check(filterCriteria, filterField, errors);
        warnings.addAll(filters.warnings());
        boolean report = false;
        if (functionResponseTypes != null && !functionResponseTypes.isNull()) {
            String rule = "must be a list of response types: [] or [\"" + MappingOptions.REPORT_BATCH_ITEM_FAILURES
                    + "\"] (the only type Lambda has for streams)";
            if (!functionResponseTypes.isArray()) {
                errors.add(new FieldError("function_response_types", List.of(rule + ", not "
                        + kind(functionResponseTypes))));
            } else {
                for (JsonNode type : functionResponseTypes) {
                    if (type.isTextual() && type.textValue().equals(MappingOptions.REPORT_BATCH_ITEM_FAILURES)) {
                        report = true;
                    } else {
                        errors.add(new FieldError("function_response_types", List.of(rule + "; "
                                + (type.isTextual() ? "'" + shown(type.textValue()) + "' is not one" : "not "
                                        + kind(type)))));
                    }
                }
            }
        }
        int window = integer(tumblingWindowInSeconds, "tumbling_window_in_seconds", 0, false, 0,
                MappingOptions.MAX_TUMBLING_WINDOW_SECONDS, errors);
        int factor = integer(parallelizationFactor, "parallelization_factor", 1, false, 1,
                MappingOptions.MAX_PARALLELIZATION_FACTOR, errors);
        // a queue, topic, stream or bus answers nothing a response type or a window's state could be read from
        AwsArn arn = url != null && "arn".equals(url.getScheme()) ? AwsArn.parse(url.toString()).arn() : null;
        if (arn != null && arn.service() != AwsArn.Service.LAMBDA) {
            String why = "is only for an HTTP url or a Lambda function, whose answer can carry it (a "
                    + arn.service().what() + " answers nothing)";
            if (report) {
                errors.add(new FieldError("function_response_types", List.of(why)));
            }
            if (window > 0) {
                errors.add(new FieldError("tumbling_window_in_seconds", List.of(why)));
            }
        }
        if (window > 0 && factor > 1) {
            errors.add(new FieldError("tumbling_window_in_seconds", List.of("cannot be combined with "
                    + "parallelization_factor " + factor + ": a window's state belongs to one shard, delivered one "
                    + "batch at a time (set parallelization_factor to 1)")));
        }
        return new MappingOptions(filters.patterns(), report, Duration.ofSeconds(window), factor);
    }

    /**
     * A destination: an absolute http(s) URL with a host and a valid port, or the ARN of a Lambda function, SQS
     * queue, SNS topic, Kinesis stream or EventBridge event bus (in normal form); null when invalid, with the
     * problems added to {@code problems}.
     */
    private static URI destination(String text, List<String> problems) {
        if (text == null || text.isBlank()) {
            problems.add("is required");
            return null;
        }
        if (text.length() > MAX_URL_LENGTH) {
            problems.add("must be at most " + MAX_URL_LENGTH + " characters");
            return null;
        }
        if (AwsArn.looksLikeArn(text)) {
            AwsArn.Parsed arn = AwsArn.parse(text);
            if (arn.arn() == null) {
                problems.add(arn.problem());
                return null;
            }
            return URI.create(arn.arn().toString());
        }
        return httpUrl(text, problems, "must be an absolute http or https URL, or the ARN of a Lambda function, SQS "
                + "queue, SNS topic, Kinesis stream or EventBridge event bus");
    }

    private static URI httpUrl(String text, List<String> problems, String notHttp) {
        try {
            URI uri = new URI(text);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                problems.add(notHttp);
            } else if (uri.getHost() == null || uri.getHost().isBlank()) {
                problems.add("must name a host");
            } else if (uri.getPort() == 0 || uri.getPort() > 65535) {
                problems.add("port must be 1 to 65535");
            } else {
                return uri;
            }
        } catch (URISyntaxException e) {
            problems.add("is not a valid URL: " + e.getReason());
        }
        return null;
    }

    /** endpoint_url, message_format and destination_config; errors name the field as the request spelled it. */
    private DestinationOptions destinationOptions(URI url, List<FieldError> errors) {
        AwsArn arn = url != null && "arn".equals(url.getScheme()) ? AwsArn.parse(url.toString()).arn() : null;
        URI endpoint = null;
        if (endpointUrl != null) {
            List<String> problems = new ArrayList<>();
            if (url != null && arn == null) {
                problems.add("is only for an ARN url (an HTTP url is its own endpoint)");
            } else if (endpointUrl.length() > MAX_URL_LENGTH) {
                problems.add("must be at most " + MAX_URL_LENGTH + " characters");
            } else {
                endpoint = httpUrl(endpointUrl, problems, "must be an absolute http or https URL");
                if (endpoint != null && (endpoint.getRawUserInfo() != null || endpoint.getRawQuery() != null)) {
                    problems.add("must have no user info and no query: credentials come from the default chain");
                    endpoint = null;
                }
            }
            if (!problems.isEmpty()) {
                errors.add(new FieldError("endpoint_url", problems));
            }
        }
        DestinationOptions.MessageFormat format = DestinationOptions.MessageFormat.RECORD;
        if (messageFormat != null) {
            String name = messageFormat.trim().toLowerCase(Locale.ROOT);
            if (!name.equals("record") && !name.equals("batch")) {
                errors.add(new FieldError("message_format", List.of("must be record or batch")));
            } else if (url != null && arn == null) {
                errors.add(new FieldError("message_format", List.of("is only for the ARN of an SQS queue, SNS topic, "
                        + "Kinesis stream or EventBridge event bus (an HTTP url gets the whole batch)")));
            } else if (arn != null && arn.service() == AwsArn.Service.LAMBDA) {
                errors.add(new FieldError("message_format", List.of("is only for queues, topics, streams and event "
                        + "buses: a Lambda function is always invoked with the whole batch")));
            } else {
                format = name.equals("batch") ? DestinationOptions.MessageFormat.BATCH
                        : DestinationOptions.MessageFormat.RECORD;
            }
        }
        return new DestinationOptions(endpoint, format, onFailureDestination(errors));
    }

    /**
     * {@code destination_config.on_failure.destination}, or Lambda's {@code DestinationConfig.OnFailure.Destination}:
     * an HTTP URL or an ARN; other keys are refused like unknown fields.
     */
    private URI onFailureDestination(List<FieldError> errors) {
        if (destinationConfig == null || destinationConfig.isNull()) {
            return null;
        }
        boolean lambdaNames = destinationConfig.has("OnFailure");
        String top = lambdaNames ? "DestinationConfig" : "destination_config";
        String failureKey = lambdaNames ? "OnFailure" : "on_failure";
        String destinationKey = lambdaNames ? "Destination" : "destination";
        if (!destinationConfig.isObject()) {
            errors.add(new FieldError(top, List.of("must be an object: {\"" + failureKey + "\": {\"" + destinationKey
                    + "\": <HTTP URL or ARN>}}, not " + kind(destinationConfig))));
            return null;
        }
        List<String> unknown = new ArrayList<>();
        destinationConfig.fieldNames().forEachRemaining(n -> {
            if (!n.equals(failureKey)) {
                unknown.add(n);
            }
        });
        if (!unknown.isEmpty()) {
            errors.add(new FieldError(top, unknown.stream().map(n -> "unknown field '" + shown(n) + "' (allowed: "
                    + failureKey + ")").toList()));
            return null;
        }
        JsonNode failure = destinationConfig.get(failureKey);
        String failureField = top + "." + failureKey;
        if (failure == null || failure.isNull()) {
            return null;
        }
        if (!failure.isObject()) {
            errors.add(new FieldError(failureField, List.of("must be an object: {\"" + destinationKey
                    + "\": <HTTP URL or ARN>}, not " + kind(failure))));
            return null;
        }
        List<String> unknownInner = new ArrayList<>();
        failure.fieldNames().forEachRemaining(n -> {
            if (!n.equals(destinationKey)) {
                unknownInner.add(n);
            }
        });
        if (!unknownInner.isEmpty()) {
            errors.add(new FieldError(failureField, unknownInner.stream().map(n -> "unknown field '" + shown(n)
                    + "' (allowed: " + destinationKey + ")").toList()));
            return null;
        }
        JsonNode value = failure.get(destinationKey);
        String field = failureField + "." + destinationKey;
        if (value == null || value.isNull()) {
            errors.add(new FieldError(field, List.of("is required")));
            return null;
        }
        if (!value.isTextual()) {
            errors.add(new FieldError(field, List.of("must be an HTTP URL or an ARN, not " + kind(value))));
            return null;
        }
        List<String> problems = new ArrayList<>();
        URI destination = destination(value.textValue(), problems);
        if (!problems.isEmpty()) {
            errors.add(new FieldError(field, problems));
        }
        return destination;
    }

    /** The delivery settings, each absent or null one at its default; errors name the snake_case field. */
    private DeliverySettings settings(List<FieldError> errors, DestinationOptions destination) {
        int size = integer(batchSize, "batch_size", DeliverySettings.DEFAULT_BATCH_SIZE, false, 1,
                DeliverySettings.MAX_BATCH_SIZE, errors);
        int window = integer(maximumBatchingWindowInSeconds, "maximum_batching_window_in_seconds", 0, false, 0,
                DeliverySettings.MAX_BATCHING_WINDOW_SECONDS, errors);
        int retries = integer(maximumRetryAttempts, "maximum_retry_attempts",
                DeliverySettings.DEFAULT_MAXIMUM_RETRY_ATTEMPTS, true, 0, DeliverySettings.MAX_RETRY_ATTEMPTS, errors);
        int age = integer(maximumRecordAgeInSeconds, "maximum_record_age_in_seconds", -1, true,
                DeliverySettings.MIN_RECORD_AGE_SECONDS, DeliverySettings.MAX_RECORD_AGE_SECONDS, errors);
        boolean bisect = false;
        if (bisectBatchOnFunctionError != null && !bisectBatchOnFunctionError.isNull()) {
            if (bisectBatchOnFunctionError.isBoolean()) {
                bisect = bisectBatchOnFunctionError.booleanValue();
            } else {
                errors.add(new FieldError("bisect_batch_on_function_error",
                        List.of("must be true or false, not " + kind(bisectBatchOnFunctionError))));
            }
        }
        // Lambda with an on-failure destination sends the batch there and goes on: skip, unless on_failure says more
        DeliverySettings.OnFailure failure = destination.onFailure() != null ? DeliverySettings.OnFailure.SKIP
                : DeliverySettings.OnFailure.STOP;
        if (onFailure != null) {
            String name = onFailure.trim();
            // ASCII only: toUpperCase would turn "ſkip" (long s) into SKIP
            if (name.matches("[A-Za-z_]+")) {
                try {
                    failure = DeliverySettings.OnFailure.valueOf(name.toUpperCase(Locale.ROOT));
                    name = null;
                } catch (IllegalArgumentException e) {
                    // reported below
                }
            }
            if (name != null) {
                errors.add(new FieldError("on_failure", List.of("must be stop, skip or dead_letter")));
            }
        }
        return new DeliverySettings(size, Duration.ofSeconds(window), retries,
                age < 0 ? null : Duration.ofSeconds(age), bisect, failure, destination);
    }

    /**
     * An integer setting: absent or null gives {@code fallback}; otherwise a JSON integer from {@code min} to
     * {@code max}, or -1 when {@code minusOne} ("no limit"). Anything else, 1.5 and "100" included, is an error.
     */
    private static int integer(JsonNode value, String field, int fallback, boolean minusOne, int min, int max,
            List<FieldError> errors) {
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (value.isIntegralNumber() && value.canConvertToInt()) {
            int n = value.intValue();
            if (n >= min && n <= max || minusOne && n == -1) {
                return n;
            }
        }
        String rule = (minusOne ? "must be -1 (" + (field.equals("maximum_retry_attempts")
                ? "retry until the records are too old, or forever" : "no limit") + ") or an integer from "
                : "must be an integer from ") + min + " to " + max;
        errors.add(new FieldError(field, List.of(value.isIntegralNumber() ? rule : rule + ", not " + kind(value))));
        return fallback;
    }

    /** The JSON type of a value of the wrong type, for "must be ..., not a string"; never the value itself. */
    private static String kind(JsonNode value) {
        if (value.isIntegralNumber()) {
            return "a number";
        }
        if (value.isNumber()) {
            return "a decimal number";
        }
        if (value.isTextual()) {
            return "a string";
        }
        if (value.isBoolean()) {
            return "a boolean";
        }
        if (value.isArray()) {
            return "an array";
        }
        return value.isObject() ? "an object" : "a " + value.getNodeType().name().toLowerCase(Locale.ROOT) + " value";
    }

    /** Current secret first, then the previous one; empty when deliveries are not signed. */
    private List<WebhookSecret> secrets(List<FieldError> errors) {
        List<WebhookSecret> secrets = new ArrayList<>(2);
        if (secret != null) {
            WebhookSecret.Result current = WebhookSecret.parse(secret);
            current.secret().ifPresentOrElse(secrets::add,
                    () -> errors.add(new FieldError("secret", List.of(current.problem()))));
        }
        if (previousSecret != null) {
            WebhookSecret.Result previous = WebhookSecret.parse(previousSecret);
            if (secret == null) {
                errors.add(new FieldError("previous_secret", List.of("requires 'secret' (the new secret)")));
            } else if (previous.secret().isEmpty()) {
                errors.add(new FieldError("previous_secret", List.of(previous.problem())));
            } else if (!secrets.contains(previous.secret().get())) {
                secrets.add(previous.secret().get());
            }
        }
        return List.copyOf(secrets);
    }

    /** The custom headers in their given order; errors name {@code headers} or {@code headers.<name>}. */
    private Map<String, String> headers(List<FieldError> errors) {
        if (headers == null || headers.isEmpty()) {
            return Map.of();
        }
        if (headers.size() > MAX_HEADERS) {
            errors.add(new FieldError("headers", List.of("at most " + MAX_HEADERS + " headers")));
            return Map.of();
        }
        Map<String, String> valid = new LinkedHashMap<>();
        Map<String, String> seen = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (Map.Entry<String, String> h : headers.entrySet()) {
            String name = h.getKey();
            String value = h.getValue();
            if (name == null || !HEADER_NAME.matcher(name).matches()) {
                errors.add(new FieldError("headers", List.of("'" + shown(name) + "' is not a valid header name "
                        + "(1 to 256 letters, digits or !#$%&'*+-.^_`|~)")));
                continue;
            }
            String field = "headers." + name;
            String lower = name.toLowerCase(Locale.ROOT);
            List<String> problems = new ArrayList<>();
            if (RESERVED_HEADERS.contains(lower) || lower.startsWith("webhook-")) {
                problems.add("cannot be set: dynamo-stream sets Content-Type, Content-Length, Host and the webhook-* "
                        + "headers itself, and connection headers would break the request");
            }
            if (seen.put(name, name) != null) {
                problems.add("is given more than once (header names are case-insensitive)");
            }
            if (value == null) {
                problems.add("must be a string");
            } else if (value.length() > MAX_HEADER_VALUE_LENGTH) {
                problems.add("must be at most " + MAX_HEADER_VALUE_LENGTH + " characters");
            } else if (!value.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
                problems.add("must be printable ASCII: no CR, LF or other control characters");
            }
            if (problems.isEmpty()) {
                valid.put(name, value);
            } else {
                errors.add(new FieldError(field, problems));
            }
        }
        return Collections.unmodifiableMap(valid);
    }

    private static String shown(String name) {
        if (name == null) {
            return "null";
        }
        String text = Redaction.text(name);
        return text.length() > 64 ? text.substring(0, 64) + "..." : text;
    }

    /** Masks the secrets and header values, so a logged request leaks nothing. */
    @Override
    public String toString() {
        return "SubscriptionRequest[table_name=" + Redaction.text(tableName) + ", url="
                + Redaction.url(safeUri(url)) + (endpointUrl == null ? "" : ", endpoint_url="
                + Redaction.url(safeUri(endpointUrl))) + ", starting_position=" + Redaction.text(startingPosition)
                + ", signed=" + (secret != null) + ", headers=" + (headers == null ? "{}" : headers.keySet()) + "]";
    }

    private static URI safeUri(String url) {
        try {
            return url == null ? null : new URI(url);
        } catch (URISyntaxException e) {
            return URI.create("invalid:" + Redaction.MASK);
        }
    }

    /**
     * A request that passed {@link #validate()}.
     *
     * @param headers custom headers, in the given order, unmodifiable
     * @param secrets signing secrets, current first; empty when deliveries are not signed
     * @param settings batching and failure handling
     * @param warnings what was accepted but cannot work as written (a filter pattern that never matches a record,
     *        an ignored Lambda field), for the response and the log; not stored
     */
    public record Valid(String tableName, URI url, StartingPosition startingPosition, Map<String, String> headers,
            List<WebhookSecret> secrets, DeliverySettings settings, List<String> warnings) {

        public Valid {
            warnings = warnings == null ? List.of() : List.copyOf(warnings);
        }

        /** Equal when everything but the warnings is (they follow from the rest, or from ignored fields). */
        @Override
        public boolean equals(Object o) {
            return o instanceof Valid v && tableName.equals(v.tableName) && url.equals(v.url)
                    && startingPosition == v.startingPosition && headers.equals(v.headers)
                    && secrets.equals(v.secrets) && settings.equals(v.settings);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(tableName, url, startingPosition, headers, secrets, settings);
        }

        /** A valid request without warnings. */
        public Valid(String tableName, URI url, StartingPosition startingPosition, Map<String, String> headers,
                List<WebhookSecret> secrets, DeliverySettings settings) {
            this(tableName, url, startingPosition, headers, secrets, settings, List.of());
        }

        /** A valid request without headers or secrets, with the default delivery settings. */
        public Valid(String tableName, URI url, StartingPosition startingPosition) {
            this(tableName, url, startingPosition, Map.of(), List.of(), DeliverySettings.DEFAULTS);
        }

        /**
         * The request this was validated from, in normal form: {@code toRequest().validate()} equals this. Used to
         * keep subscriptions in the state store (secrets included: the store is as sensitive as the config file).
         * Every delivery setting is written out, defaults included, so that a stored subscription keeps the
         * settings it was registered with even if a later version changes a default.
         */
        public SubscriptionRequest toRequest() {
            return new SubscriptionRequest(tableName, url.toString(), startingPosition.name(),
                    secrets.isEmpty() ? null : secrets.get(0).encoded(),
                    secrets.size() < 2 ? null : secrets.get(1).encoded(), headers.isEmpty() ? null : headers)
                    .withSettings(settings);
        }

        @Override
        public String toString() {
            return "Valid[table_name=" + tableName + ", url=" + Redaction.url(url) + ", starting_position="
                    + startingPosition + ", signed=" + !secrets.isEmpty() + ", headers=" + headers.keySet()
                    + ", settings=" + settings + "]";
        }
    }
}
