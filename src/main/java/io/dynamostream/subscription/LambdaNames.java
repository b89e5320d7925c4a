package io.dynamostream.subscription;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

/**
 * Lambda's own names for a subscription's fields, so that the body of a CreateEventSourceMapping call (or an
 * {@code AWS::Lambda::EventSourceMapping}'s properties) is a subscription as it is: {@code BatchSize} is
 * {@code batch_size}, and so on; {@code EventSourceArn} (a stream ARN) names the table and {@code FunctionName} (a
 * name, a partial or a full ARN, with a qualifier or not) the Lambda destination. Both spellings may be mixed in one
 * entry, but not for the same field. Errors about a field name it as the request spelled it.
 */
final class LambdaNames {

    /** Lambda's name → ours, for the fields that only differ in spelling. */
    static final Map<String, String> RENAMED = renamed();
    /** Lambda's fields that name something in another form: the stream's ARN and the function. */
    static final String EVENT_SOURCE_ARN = "EventSourceArn";
    static final String FUNCTION_NAME = "FunctionName";
    /** Every Lambda name accepted, in the order the README lists them. */
    static final List<String> NAMES = names();
    /** CreateEventSourceMapping fields about AWS's own bookkeeping: accepted and ignored, with a warning. */
    static final Set<String> IGNORED = Set.of("MetricsConfig", "Tags", "KMSKeyArn", "LoggingConfig");
    /** CreateEventSourceMapping fields of other event sources (queues, Kafka, MQ, DocumentDB) or not for streams. */
    static final Set<String> NOT_FOR_STREAMS = Set.of("Topics", "Queues", "SourceAccessConfigurations",
            "SelfManagedEventSource", "SelfManagedKafkaEventSourceConfig", "AmazonManagedKafkaEventSourceConfig",
            "ScalingConfig", "DocumentDBEventSourceConfig", "ProvisionedPollerConfig", "StartingPositionTimestamp");

    /** arn:aws:dynamodb:region:account:table/Name[/stream/label] */
    private static final Pattern DYNAMODB_ARN = Pattern.compile(
            "arn:(aws[a-zA-Z-]*):dynamodb:([a-z0-9-]+):([0-9]{12}):table/([^/]+)(/stream/[^/]+)?");
    /** [arn:aws:lambda:region:]account:function:name[:qualifier], or name[:qualifier] */
    private static final Pattern FUNCTION = Pattern.compile("(?:arn:(aws[a-zA-Z-]*):lambda:([a-z0-9-]+):)?"
            + "(?:([0-9]{12}):)?(?:function:)?([a-zA-Z0-9_-]{1,140})(?::([a-zA-Z0-9$_-]{1,128}))?");
    private static final String DEFAULT_ACCOUNT = "000000000000";

    /**
     * What the request said beyond its fields: how it spelled them (for error messages) and what it asked that is
     * ignored.
     *
     * @param spelled our field name → the name the request used, for the fields given under Lambda's name
     * @param warnings fields accepted but ignored
     */
    record Given(Map<String, String> spelled, List<String> warnings) {
        static final Given NONE = new Given(Map.of(), List.of());

        String name(String field) {
            int dot = field.indexOf('.');
            String head = dot < 0 ? field : field.substring(0, dot);
            String given = spelled.get(head);
            return given == null ? field : given + (dot < 0 ? "" : field.substring(dot));
        }
    }

    /** The entry in our names, how it was spelled, and the problems found. */
    record Normalised(ObjectNode entry, Given given, List<FieldError> errors) {
    }

    private LambdaNames() {
    }

    private static Map<String, String> renamed() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("BatchSize", "batch_size");
        m.put("MaximumBatchingWindowInSeconds", "maximum_batching_window_in_seconds");
        m.put("StartingPosition", "starting_position");
        m.put("MaximumRetryAttempts", "maximum_retry_attempts");
        m.put("MaximumRecordAgeInSeconds", "maximum_record_age_in_seconds");
        m.put("BisectBatchOnFunctionError", "bisect_batch_on_function_error");
        m.put("ParallelizationFactor", "parallelization_factor");
        m.put("TumblingWindowInSeconds", "tumbling_window_in_seconds");
        m.put("FunctionResponseTypes", "function_response_types");
        m.put("FilterCriteria", "filter_criteria");
        m.put("DestinationConfig", "destination_config");
        m.put("Enabled", "enabled");
        return Map.copyOf(m);
    }

    private static List<String> names() {
        List<String> n = new ArrayList<>(List.of(EVENT_SOURCE_ARN, FUNCTION_NAME, "BatchSize",
                "MaximumBatchingWindowInSeconds", "StartingPosition", "MaximumRetryAttempts",
                "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError", "ParallelizationFactor",
                "TumblingWindowInSeconds", "FunctionResponseTypes", "FilterCriteria", "DestinationConfig", "Enabled"));
        return List.copyOf(n);
    }

    /** Whether {@code key} is a field name an entry may have, in either spelling. */
    static boolean isKnown(String key) {
        return SubscriptionRequest.FIELDS.contains(key) || NAMES.contains(key) || IGNORED.contains(key);
    }

    /**
     * The entry with Lambda's names turned into ours. Unknown fields, a field given in both spellings and an
     * invalid {@code EventSourceArn} or {@code FunctionName} are errors.
     */
    static Normalised normalise(ObjectNode in) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        Map<String, String> spelled = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        List<FieldError> errors = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        String region = null;
        String account = null;
        JsonNode source = in.get(EVENT_SOURCE_ARN);
        if (source != null && !source.isNull()) {
            Matcher m = source.isTextual() ? DYNAMODB_ARN.matcher(source.textValue()) : null;
            if (m == null || !m.matches()) {
                errors.add(new FieldError(EVENT_SOURCE_ARN, List.of("must be the ARN of a DynamoDB stream: "
                        + "arn:aws:dynamodb:<region>:<account>:table/<table>/stream/<label>")));
            } else {
                region = m.group(2);
                account = m.group(3);
                put(out, spelled, errors, "table_name", EVENT_SOURCE_ARN, TextNode.valueOf(m.group(4)), in);
            }
        }
        JsonNode function = in.get(FUNCTION_NAME);
        if (function != null && !function.isNull()) {
            String arn = function.isTextual() ? functionArn(function.textValue(), region, account) : null;
            if (arn == null) {
                errors.add(new FieldError(FUNCTION_NAME, List.of("must name a Lambda function: its name, "
                        + "name:alias, <account>:function:<name> or its ARN arn:aws:lambda:<region>:<account>:function:"
                        + "<name>[:<alias|version>]")));
            } else {
                put(out, spelled, errors, "url", FUNCTION_NAME, TextNode.valueOf(arn), in);
            }
        }
        in.properties().forEach(e -> {
            String key = e.getKey();
            if (key.equals(EVENT_SOURCE_ARN) || key.equals(FUNCTION_NAME)) {
                return;
            }
            if (SubscriptionRequest.FIELDS.contains(key)) {
                if (!out.has(key)) {
                    out.set(key, e.getValue());
                }
            } else if (RENAMED.containsKey(key)) {
                put(out, spelled, errors, RENAMED.get(key), key, e.getValue(), in);
            } else if (IGNORED.contains(key)) {
                warnings.add(key + " is ignored: it configures AWS's own metrics, tags or encryption of a mapping");
            } else if (NOT_FOR_STREAMS.contains(key)) {
                errors.add(new FieldError(key, List.of("is a CreateEventSourceMapping field of other event sources "
                        + "(queues, Kafka, MQ, DocumentDB) or of AT_TIMESTAMP, which DynamoDB streams do not have")));
            } else {
                unknown.add(key);
            }
        });
        for (String key : unknown) {
            errors.add(new FieldError(key, List.of("unknown field (allowed: " + allowed() + ")")));
        }
        return new Normalised(out, spelled.isEmpty() && warnings.isEmpty() ? Given.NONE
                : new Given(Map.copyOf(spelled), List.copyOf(warnings)), errors);
    }

    /** Every accepted field, for "unknown field (allowed: ...)". */
    static String allowed() {
        return String.join(", ", SubscriptionRequest.FIELDS) + " (or Lambda's " + String.join(", ", NAMES) + ")";
    }

    /** Sets our field from a Lambda-named one; an error when the request also gave it under our name. */
    private static void put(ObjectNode out, Map<String, String> spelled, List<FieldError> errors, String ours,
            String theirs, JsonNode value, ObjectNode in) {
        if (in.has(ours) || spelled.containsKey(ours)) {
            String other = in.has(ours) ? ours : spelled.get(ours);
            errors.add(new FieldError(theirs, List.of("gives " + ours + " again (also given as " + other
                    + "): give it once")));
            return;
        }
        spelled.put(ours, theirs);
        out.set(ours, value);
    }

    /**
     * The function's ARN from what Lambda's FunctionName accepts. A name alone takes the region and account of the
     * event source, else the SDK's region variables and the local default account.
     */
    private static String functionArn(String name, String region, String account) {
        Matcher m = FUNCTION.matcher(name.trim());
        if (!m.matches()) {
            return null;
        }
        String partition = m.group(1) == null ? "aws" : m.group(1);
        String r = m.group(2) != null ? m.group(2) : region != null ? region : defaultRegion();
        String a = m.group(3) != null ? m.group(3) : account != null ? account : DEFAULT_ACCOUNT;
        if (m.group(1) != null && m.group(3) == null) {
            return null; // arn:aws:lambda:region:function:name has no account
        }
        return "arn:" + partition + ":lambda:" + r + ":" + a + ":function:" + m.group(4)
                + (m.group(5) == null ? "" : ":" + m.group(5));
    }

    /** AWS_REGION, AWS_DEFAULT_REGION or aws.region, as the SDK reads them; us-east-1 without any. */
    private static String defaultRegion() {
        for (String v : new String[] {System.getProperty("aws.region"), System.getenv("AWS_REGION"),
                System.getenv("AWS_DEFAULT_REGION")}) {
            if (v != null && v.matches("[a-z0-9-]+")) {
                return v;
            }
        }
        return "us-east-1";
    }
}
