package io.dynamostream.subscription;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import io.dynamostream.guard.Redaction;
import io.dynamostream.subscription.SamTemplateNode.MapNode;
import io.dynamostream.subscription.SamTemplateNode.Scalar;

/**
 * A SAM or CloudFormation template used as the subscription file ({@code CONFIG_PATH=template.yaml}): every
 * {@code AWS::Serverless::Function} event of {@code Type: DynamoDB} and every {@code AWS::Lambda::EventSourceMapping}
 * on a DynamoDB stream becomes one subscription, as Lambda's event-source mapping would be on AWS. The table is the one
 * the stream belongs to ({@code !GetAtt Table.StreamArn} names the table resource, whose {@code TableName} or else
 * logical id is its name; a literal stream ARN names its table); the destination is the function, by its ARN in the
 * template's region and account, so that it is invoked by name (its {@code FunctionName}, else its logical id, which
 * is how {@code sam local start-lambda} knows it) at {@code AWS_ENDPOINT_URL_LAMBDA}. The event's properties are
 * passed on with Lambda's names, their intrinsic functions resolved (see {@link SamTemplateResolver}).
 * <p>
 * Strict like the YAML file: a property of the event that Lambda does not have for a DynamoDB stream, or a value
 * that cannot be resolved locally, is an {@link SubscriptionFile.InvalidFileException} naming the file and the line.
 * {@code KmsKeyArn}, {@code MetricsConfig} and (on an event-source mapping) {@code Tags} have no local effect: they
 * are skipped with a log line. {@code ${NAME}} is not expanded from the environment in a template: there
 * {@code ${...}} belongs to {@code Fn::Sub}.
 */
final class SamTemplate {

    private static final Logger LOG = Logger.getLogger(SamTemplate.class);

    /** Top-level keys that only a template has; one of them makes the file a template. */
    private static final Set<String> TEMPLATE_KEYS = Set.of("Resources", "AWSTemplateFormatVersion", "Transform");

    /** Properties passed on to the subscription with their (resolved) value, in Lambda's names. */
    static final List<String> PROPERTIES = List.of("BatchSize", "BisectBatchOnFunctionError", "DestinationConfig",
            "Enabled", "FilterCriteria", "FunctionResponseTypes", "MaximumBatchingWindowInSeconds",
            "MaximumRecordAgeInSeconds", "MaximumRetryAttempts", "ParallelizationFactor", "StartingPosition",
            "TumblingWindowInSeconds");
    /** Properties that change nothing locally (encryption of the filter criteria, CloudWatch metrics, tags). */
    private static final Set<String> IGNORED = Set.of("KmsKeyArn", "MetricsConfig", "Tags");
    private static final Set<String> INTEGERS = Set.of("BatchSize", "MaximumBatchingWindowInSeconds",
            "MaximumRecordAgeInSeconds", "MaximumRetryAttempts", "ParallelizationFactor", "TumblingWindowInSeconds");
    private static final Set<String> BOOLEANS = Set.of("BisectBatchOnFunctionError", "Enabled");
    private static final Pattern INTEGER = Pattern.compile("-?[0-9]{1,9}");
    /** A DynamoDB stream ARN: group 1 is the table name. */
    private static final Pattern STREAM_ARN = Pattern.compile(
            "arn:aws[a-z-]*:dynamodb:[a-z0-9-]*:[0-9]*:table/([^/]+)/stream/.+");

    /**
     * One subscription of the template, before validation.
     *
     * @param request the subscription's fields: {@code table_name}, {@code FunctionName} (the function's ARN) and the
     *        event's properties in Lambda's names, as {@code SubscriptionRequest.fromJson} reads them
     * @param line the line of the event (or event-source mapping) in the template
     * @param source what the template calls it, e.g. {@code function Processor, event Stream}
     * @param fieldLines the line of each field of {@code request} that the template wrote as a property, so that an
     *        invalid value is reported on its own line
     */
    record Entry(ObjectNode request, int line, String source, Map<String, Integer> fieldLines) {

        /** The line of the field an error names ({@code BatchSize}, {@code DestinationConfig.OnFailure...}). */
        int lineOf(String field) {
            String head = field.split("[.\\[]", 2)[0];
            return fieldLines.getOrDefault(head, line);
        }
    }

    private SamTemplate() {
    }

    /**
     * Whether the file is a template rather than the {@code entries:} file: a top-level {@code Resources},
     * {@code AWSTemplateFormatVersion} or {@code Transform}. A file that cannot be read is not one (the subscription
     * file then reports the problem).
     */
    static boolean isTemplate(Path file) {
        JsonFactory factory = file.getFileName().toString().endsWith(".json") ? new JsonFactory() : new YAMLFactory();
        try (JsonParser parser = factory.createParser(file.toFile())) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                if (TEMPLATE_KEYS.contains(parser.currentName())) {
                    return true;
                }
                parser.nextToken();
                parser.skipChildren();
            }
            return false;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * The subscriptions of a template, validated as requests are. An event with {@code Enabled: false} is not
     * registered (a disabled mapping does not poll); the warnings of a valid one (filters that can never match) are
     * logged with its line.
     *
     * @throws SubscriptionFile.InvalidFileException naming the file, the line and the event of the first problem
     */
    static List<SubscriptionRequest.Valid> read(Path file, Function<String, String> env) {
        List<SubscriptionRequest.Valid> valid = new ArrayList<>();
        for (Entry entry : entries(file, env)) {
            SubscriptionRequest request;
            SubscriptionRequest.Valid subscription;
            try {
                request = SubscriptionRequest.fromJson(entry.request());
                subscription = request.validate();
            } catch (InvalidSubscriptionException e) {
                int line = e.errors().isEmpty() ? entry.line() : entry.lineOf(e.errors().get(0).field());
                throw new SubscriptionFile.InvalidFileException(file, line, entry.source() + " is invalid: "
                        + e.getMessage().replaceFirst("^invalid subscription: ", ""));
            }
            if (request.disabled()) {
                LOG.infof("Template %s, line %d: %s has Enabled: false and is not registered, as a disabled Lambda "
                        + "mapping does not poll", file, entry.line(), entry.source());
                continue;
            }
            for (String warning : subscription.warnings()) {
                LOG.warnf("Template %s, line %d: %s: %s", file, entry.line(), entry.source(), warning);
            }
            valid.add(subscription);
        }
        return valid;
    }

    /**
     * The subscriptions of a template, in the order of its resources and events, before validation.
     *
     * @param env the environment: {@code AWS_REGION} (or {@code AWS_DEFAULT_REGION}) gives {@code AWS::Region},
     *        {@code us-east-1} without it
     * @throws SubscriptionFile.InvalidFileException naming the file and line of what cannot be used
     */
    static List<Entry> entries(Path file, Function<String, String> env) {
        SamTemplateNode root = SamTemplateNode.parse(file);
        if (!(root instanceof MapNode template)) {
            throw new SubscriptionFile.InvalidFileException(file, root.line(), "a template must be a mapping with "
                    + "Resources");
        }
        String region = firstSet(env.apply("AWS_REGION"), env.apply("AWS_DEFAULT_REGION"), "us-east-1");
        SamTemplateResolver resolver = new SamTemplateResolver(file, template, region,
                SamTemplateResolver.LOCAL_ACCOUNT);
        if (template.get("Resources") == null) {
            throw resolver.error(template, "the template has no Resources");
        }
        List<Entry> entries = new ArrayList<>();
        resolver.resources().entries().forEach((id, node) -> {
            String type = resolver.type(id);
            if (type == null || !resolver.created(id)) {
                return;
            }
            if (type.equals("AWS::Serverless::Function")) {
                functionEvents(resolver, id, (MapNode) node, entries);
            } else if (type.equals("AWS::Lambda::EventSourceMapping")) {
                eventSourceMapping(resolver, id, (MapNode) node, entries);
            }
        });
        return entries;
    }

    private static String firstSet(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v.trim();
            }
        }
        return null;
    }

    /** The DynamoDB events of a SAM function; its other events (Api, SQS, ...) are not ours. */
    private static void functionEvents(SamTemplateResolver resolver, String id, MapNode function,
            List<Entry> entries) {
        if (!(function.get("Properties") instanceof MapNode properties)
                || !(properties.get("Events") instanceof MapNode events)) {
            return;
        }
        events.entries().forEach((name, node) -> {
            if (!(node instanceof MapNode event) || !(event.get("Type") instanceof Scalar t)
                    || !"DynamoDB".equals(t.text())) {
                return;
            }
            String source = "function " + id + ", event " + name;
            if (!(event.get("Properties") instanceof MapNode props)) {
                throw resolver.error(event, source + ": a DynamoDB event needs Properties with Stream and "
                        + "StartingPosition");
            }
            ObjectNode request = JsonNodeFactory.instance.objectNode();
            if (props.get("Stream") == null) {
                throw resolver.error(props, source + ": Stream is required (e.g. Stream: !GetAtt MyTable.StreamArn)");
            }
            String table = streamTable(resolver, props.get("Stream"), source + ": Stream");
            if (table == null) {
                throw resolver.error(props.get("Stream"), source + ": Stream must be a DynamoDB stream ARN, e.g. "
                        + "!GetAtt MyTable.StreamArn, not '" + Redaction.text(resolver.text(props.get("Stream"),
                        "Stream")) + "'");
            }
            request.put("table_name", table);
            request.put("FunctionName", resolver.functionArn(id));
            copy(resolver, props, Set.of("Stream"), source, true, request);
            entries.add(new Entry(request, events.keyLine(name), source, fieldLines(props, "Stream")));
        });
    }

    /** An event-source mapping on a DynamoDB stream; one on a queue or a Kinesis stream is not ours. */
    private static void eventSourceMapping(SamTemplateResolver resolver, String id, MapNode mapping,
            List<Entry> entries) {
        String source = "event source mapping " + id;
        if (!(mapping.get("Properties") instanceof MapNode props)) {
            throw resolver.error(mapping, source + ": needs Properties with EventSourceArn and FunctionName");
        }
        SamTemplateNode arn = props.get("EventSourceArn");
        if (arn == null) {
            return; // a Kafka or MQ mapping, which names its source otherwise
        }
        String other = otherSource(resolver, arn);
        String table = other != null ? null : streamTable(resolver, arn, source + ": EventSourceArn");
        if (table == null) {
            LOG.debugf("Template %s: %s is not on a DynamoDB stream; skipped", resolver.file(), source);
            return;
        }
        SamTemplateNode function = props.get("FunctionName");
        if (function == null) {
            throw resolver.error(props, source + ": FunctionName is required");
        }
        ObjectNode request = JsonNodeFactory.instance.objectNode();
        request.put("table_name", table);
        request.put("FunctionName", functionName(resolver, function, source));
        copy(resolver, props, Set.of("EventSourceArn", "FunctionName"), source, false, request);
        entries.add(new Entry(request, resolver.resources().keyLine(id), source, fieldLines(props, "EventSourceArn")));
    }

    /** Each property's line, under the request's field name; the table's under {@code table_name}. */
    private static Map<String, Integer> fieldLines(MapNode props, String tableProperty) {
        Map<String, Integer> lines = new HashMap<>(props.keyLines());
        lines.put("table_name", props.keyLine(tableProperty));
        return Map.copyOf(lines);
    }

    /**
     * The resource an {@code EventSourceArn: !GetAtt Resource.Arn} names when it is no table (a queue, a Kinesis
     * stream, an MQ broker): its mapping is not ours, and its attributes need not resolve. Null otherwise.
     */
    private static String otherSource(SamTemplateResolver resolver, SamTemplateNode arn) {
        if (!(arn instanceof SamTemplateNode.Fn fn) || !fn.name().equals("Fn::GetAtt")) {
            return null;
        }
        String resource = null;
        if (fn.argument() instanceof Scalar s && s.text() != null && s.text().indexOf('.') > 0) {
            resource = s.text().substring(0, s.text().indexOf('.'));
        } else if (fn.argument() instanceof SamTemplateNode.ListNode list && !list.items().isEmpty()
                && list.items().get(0) instanceof Scalar s) {
            resource = s.text();
        }
        String type = resource == null ? null : resolver.type(resource);
        return type == null || type.startsWith("AWS::DynamoDB::") ? null : resource;
    }

    /**
     * The table of a stream ARN ({@code !GetAtt Table.StreamArn} resolves to one); null when the value is another
     * kind of ARN.
     */
    private static String streamTable(SamTemplateResolver resolver, SamTemplateNode node, String what) {
        String arn = resolver.text(node, what);
        Matcher m = STREAM_ARN.matcher(arn);
        return m.matches() ? m.group(1) : null;
    }

    /**
     * The function an event-source mapping invokes: a function of the template ({@code !Ref Fn},
     * {@code !GetAtt Fn.Arn}, or its name written out) by its ARN in the template's region and account; any other
     * value (another function's name or ARN) as written.
     */
    private static String functionName(SamTemplateResolver resolver, SamTemplateNode node, String source) {
        String value = resolver.text(node, source + ": FunctionName");
        for (String id : resolver.resources().entries().keySet()) {
            if (("AWS::Serverless::Function".equals(resolver.type(id))
                    || "AWS::Lambda::Function".equals(resolver.type(id)))
                    && (resolver.functionName(id).equals(value) || resolver.functionArn(id).equals(value))) {
                return resolver.functionArn(id);
            }
        }
        return value;
    }

    /**
     * Copies the event's properties into the request, resolved and typed as CloudFormation would take them.
     * {@code StartingPosition} is required, as Lambda requires it for a stream (the API's LATEST default would hide
     * a template that does not deploy).
     */
    private static void copy(SamTemplateResolver resolver, MapNode props, Set<String> handled, String source,
            boolean sam, ObjectNode request) {
        if (props.get("StartingPosition") == null) {
            throw resolver.error(props, source + ": StartingPosition is required for a DynamoDB stream (LATEST or "
                    + "TRIM_HORIZON), as Lambda requires it");
        }
        props.entries().forEach((key, node) -> {
            if (handled.contains(key)) {
                return;
            }
            int line = props.keyLine(key);
            if (IGNORED.contains(key) && !(sam && key.equals("Tags"))) {
                LOG.infof("Template %s, line %d: %s: %s has no effect locally; ignored", resolver.file(), line,
                        source, key);
                return;
            }
            if (key.equals("StartingPositionTimestamp")) {
                throw resolver.error(line, source + ": StartingPositionTimestamp is for Kinesis streams "
                        + "(StartingPosition AT_TIMESTAMP); a DynamoDB stream starts at LATEST or TRIM_HORIZON");
            }
            if (!PROPERTIES.contains(key)) {
                throw resolver.error(line, source + ": unknown property '" + Redaction.text(key) + "' for a "
                        + "DynamoDB stream (allowed: " + (sam ? "Stream, " : "EventSourceArn, FunctionName, ")
                        + String.join(", ", PROPERTIES) + ", and, ignored locally, KmsKeyArn, MetricsConfig"
                        + (sam ? "" : ", Tags") + ")");
            }
            JsonNode value = resolver.resolve(node);
            if (value.isMissingNode()) {
                return;
            }
            if (key.equals("DestinationConfig") && sam) {
                value = samDestination(resolver, node, value, source);
            }
            request.set(key, typed(key, value));
        });
    }

    /**
     * SAM's {@code OnFailure} may carry {@code Type} (SQS, SNS), which only tells SAM which permission to add; it is
     * dropped. Without {@code Destination} SAM would create the queue or topic: that has no local counterpart.
     */
    private static JsonNode samDestination(SamTemplateResolver resolver, SamTemplateNode node, JsonNode value,
            String source) {
        if (value.get("OnFailure") instanceof ObjectNode failure && failure.has("Type")) {
            ObjectNode copy = failure.deepCopy();
            copy.remove("Type");
            if (!copy.has("Destination")) {
                throw resolver.error(node, source + ": DestinationConfig.OnFailure has no Destination (SAM would "
                        + "create the " + failure.get("Type").asText() + " destination); name it, e.g. Destination: "
                        + "!GetAtt MyQueue.Arn");
            }
            ObjectNode config = ((ObjectNode) value).deepCopy();
            config.set("OnFailure", copy);
            return config;
        }
        return value;
    }

    /** CloudFormation takes "10" for an integer and "true" for a boolean (a parameter's value is always text). */
    private static JsonNode typed(String key, JsonNode value) {
        if (!value.isTextual()) {
            return value;
        }
        String text = value.textValue().trim();
        if (INTEGERS.contains(key) && INTEGER.matcher(text).matches()) {
            return IntNode.valueOf(Integer.parseInt(text));
        }
        if (BOOLEANS.contains(key) && (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false"))) {
            return BooleanNode.valueOf(text.equalsIgnoreCase("true"));
        }
        return value;
    }
}
