package io.dynamostream.subscription;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import io.dynamostream.guard.Redaction;
import io.dynamostream.subscription.SamTemplateNode.Fn;
import io.dynamostream.subscription.SamTemplateNode.ListNode;
import io.dynamostream.subscription.SamTemplateNode.MapNode;
import io.dynamostream.subscription.SamTemplateNode.Scalar;

/**
 * Resolves the intrinsic functions of one template to plain values, the way CloudFormation would for a stack
 * deployed locally: {@code Ref} (parameters by their {@code Default}, pseudo parameters, resources),
 * {@code Fn::GetAtt}, {@code Fn::Sub}, {@code Fn::Join}, {@code Fn::Select}, {@code Fn::Split},
 * {@code Fn::FindInMap}, {@code Fn::If} and the {@code Conditions} they use. A resource resolves to the name it has
 * locally: its name property ({@code TableName}, {@code FunctionName}, {@code QueueName}, {@code TopicName}) when
 * set, else its logical id; an ARN is built from that name, the region and the account.
 * <p>
 * What has no local value ({@code Fn::ImportValue}, a parameter without a default, an unknown resource, an attribute
 * this class does not know) is an {@link SubscriptionFile.InvalidFileException} naming the file and the line.
 * {@code AWS::NoValue} resolves to {@link MissingNode}: the caller drops the key or item that holds it.
 * Not thread-safe: one instance reads one template, on one thread.
 */
final class SamTemplateResolver {

    /** The account id {@code sam local} uses for {@code AWS::AccountId}. */
    static final String LOCAL_ACCOUNT = "123456789012";
    /** The stack name {@code sam local} uses for {@code AWS::StackName}. */
    static final String LOCAL_STACK = "local";
    /** Stands for the stream label (a creation time on AWS) in the stream ARN of a table of the template. */
    static final String LOCAL_STREAM_LABEL = "local";

    private static final Pattern SUB_VARIABLE = Pattern.compile("\\$\\{([^}]*)}");
    private static final Set<String> TABLE_TYPES = Set.of("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable");
    private static final Set<String> FUNCTION_TYPES = Set.of("AWS::Serverless::Function", "AWS::Lambda::Function");

    private final Path file;
    private final MapNode parameters;
    private final MapNode mappings;
    private final MapNode conditions;
    private final MapNode resources;
    private final String region;
    private final String account;
    private final Map<String, Boolean> conditionValues = new HashMap<>();
    /** Resources and conditions being resolved, to report a cycle instead of overflowing the stack. */
    private final Set<String> resolving = new HashSet<>();

    SamTemplateResolver(Path file, MapNode template, String region, String account) {
        this.file = file;
        this.parameters = section(template, "Parameters");
        this.mappings = section(template, "Mappings");
        this.conditions = section(template, "Conditions");
        this.resources = section(template, "Resources");
        this.region = region;
        this.account = account;
    }

    private MapNode section(MapNode template, String name) {
        SamTemplateNode node = template.get(name);
        if (node == null || node instanceof Scalar s && s.value().isNull()) {
            return new MapNode(template.line(), Map.of(), Map.of());
        }
        if (!(node instanceof MapNode map)) {
            throw error(node, "'" + name + "' must be a mapping");
        }
        return map;
    }

    Path file() {
        return file;
    }

    String region() {
        return region;
    }

    String account() {
        return account;
    }

    /** The resources of the template, by logical id. */
    MapNode resources() {
        return resources;
    }

    /** The {@code Type} of a resource, or null when it has none (or is no resource). */
    String type(String logicalId) {
        return resources.get(logicalId) instanceof MapNode r && r.get("Type") instanceof Scalar t ? t.text() : null;
    }

    /** Whether a resource exists in the stack: it has no {@code Condition}, or its condition is true. */
    boolean created(String logicalId) {
        if (!(resources.get(logicalId) instanceof MapNode r) || r.get("Condition") == null) {
            return true;
        }
        SamTemplateNode condition = r.get("Condition");
        if (!(condition instanceof Scalar s) || s.text() == null) {
            throw error(condition, "resource " + logicalId + ": 'Condition' must be the name of a condition");
        }
        return condition(s.text(), condition);
    }

    /** The value of a node with every intrinsic function resolved; {@link MissingNode} for {@code AWS::NoValue}. */
    JsonNode resolve(SamTemplateNode node) {
        return switch (node) {
            case Scalar s -> s.value();
            case ListNode list -> {
                ArrayNode out = JsonNodeFactory.instance.arrayNode();
                list.items().forEach(item -> {
                    JsonNode value = resolve(item);
                    if (!value.isMissingNode()) {
                        out.add(value);
                    }
                });
                yield out;
            }
            case MapNode map -> {
                ObjectNode out = JsonNodeFactory.instance.objectNode();
                map.entries().forEach((key, value) -> {
                    JsonNode resolved = resolve(value);
                    if (!resolved.isMissingNode()) {
                        out.set(key, resolved);
                    }
                });
                yield out;
            }
            case Fn fn -> function(fn);
        };
    }

    /** A value that must be text (a name, an ARN); a number or boolean is taken as its text, as CloudFormation does. */
    String text(SamTemplateNode node, String what) {
        JsonNode value = resolve(node);
        if (value.isTextual() || value.isNumber() || value.isBoolean()) {
            return value.asText();
        }
        throw error(node, what + " must be text, not " + (value.isMissingNode() ? "AWS::NoValue"
                : value.isNull() ? "null" : value.isArray() ? "a list" : "a mapping"));
    }

    private JsonNode function(Fn fn) {
        return switch (fn.name()) {
            case "Ref" -> ref(literal(fn.argument(), "Ref"), fn);
            case "Fn::GetAtt" -> getAtt(fn);
            case "Fn::Sub" -> TextNode.valueOf(sub(fn));
            case "Fn::Join" -> join(fn);
            case "Fn::Select" -> select(fn);
            case "Fn::Split" -> split(fn);
            case "Fn::FindInMap" -> findInMap(fn);
            case "Fn::If" -> ifFunction(fn);
            case "Fn::ImportValue" -> throw error(fn, "Fn::ImportValue cannot be resolved locally: it reads an "
                    + "output of another stack; write the value itself here (for a stream, a stream ARN "
                    + "arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>)");
            case "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Condition" -> throw error(fn, fn.name()
                    + " is only for the Conditions section (and Fn::If)");
            default -> throw error(fn, fn.name() + " is not resolved by dynamo-stream (it resolves Ref, Fn::GetAtt, "
                    + "Fn::Sub, Fn::Join, Fn::Select, Fn::Split, Fn::FindInMap and Fn::If)");
        };
    }

    /** A text argument written as is (Ref's name, GetAtt's resource), never a function. */
    private String literal(SamTemplateNode node, String function) {
        if (node instanceof Scalar s && s.text() != null && !s.text().isEmpty()) {
            return s.text();
        }
        throw error(node, function + " takes a name, e.g. !" + (function.equals("Ref") ? "Ref MyTable"
                : "GetAtt MyTable.StreamArn"));
    }

    private JsonNode ref(String name, SamTemplateNode at) {
        switch (name) {
            case "AWS::Region":
                return TextNode.valueOf(region);
            case "AWS::AccountId":
                return TextNode.valueOf(account);
            case "AWS::StackName":
                return TextNode.valueOf(LOCAL_STACK);
            case "AWS::StackId":
                return TextNode.valueOf("arn:aws:cloudformation:" + region + ":" + account + ":stack/" + LOCAL_STACK
                        + "/00000000-0000-0000-0000-000000000000");
            case "AWS::Partition":
                return TextNode.valueOf("aws");
            case "AWS::URLSuffix":
                return TextNode.valueOf("amazonaws.com");
            case "AWS::NoValue":
                return MissingNode.getInstance();
            case "AWS::NotificationARNs":
                return JsonNodeFactory.instance.arrayNode();
            default:
                break;
        }
        if (name.startsWith("AWS::")) {
            throw error(at, "Ref " + name + " is not a pseudo parameter dynamo-stream knows (AWS::Region, "
                    + "AWS::AccountId, AWS::StackName, AWS::StackId, AWS::Partition, AWS::URLSuffix, AWS::NoValue)");
        }
        SamTemplateNode parameter = parameters.get(name);
        if (parameter != null) {
            return parameter(name, parameter, at);
        }
        String type = resource(name, at, "Ref");
        if (TABLE_TYPES.contains(type) || type.equals("AWS::Serverless::SimpleTable")) {
            return TextNode.valueOf(tableName(name));
        }
        if (FUNCTION_TYPES.contains(type)) {
            return TextNode.valueOf(functionName(name));
        }
        if (type.equals("AWS::SNS::Topic")) {
            return TextNode.valueOf(arn("sns", nameProperty(name, "TopicName", "FifoTopic")));
        }
        if (type.equals("AWS::SQS::Queue")) {
            throw error(at, "Ref " + name + " is the queue's URL; an on-failure destination takes its ARN: "
                    + "!GetAtt " + name + ".Arn");
        }
        throw error(at, "Ref " + name + ": a " + type + " has no local value (dynamo-stream resolves tables, "
                + "functions, SQS queues and SNS topics)");
    }

    /** A parameter's Default, as text (a list for the list types), CloudFormation's parameter values being text. */
    private JsonNode parameter(String name, SamTemplateNode parameter, SamTemplateNode at) {
        if (!(parameter instanceof MapNode p)) {
            throw error(parameter, "parameter " + name + " must be a mapping with Type and Default");
        }
        SamTemplateNode fallback = p.get("Default");
        if (fallback == null) {
            throw error(at, "Ref " + name + ": parameter " + name + " (line " + parameters.keyLine(name)
                    + ") has no Default, and dynamo-stream takes no parameter overrides: give it a Default");
        }
        if (!(fallback instanceof Scalar s) || s.value().isNull() || s.value().isContainerNode()) {
            throw error(fallback, "parameter " + name + ": Default must be a text value");
        }
        String value = s.value().asText();
        String type = p.get("Type") instanceof Scalar t && t.text() != null ? t.text() : "String";
        if (type.equals("CommaDelimitedList") || type.startsWith("List<")) {
            ArrayNode list = JsonNodeFactory.instance.arrayNode();
            for (String item : value.split(",", -1)) {
                list.add(item.trim());
            }
            return list;
        }
        return TextNode.valueOf(value);
    }

    /** The type of a resource that must exist; an error naming the function otherwise. */
    private String resource(String name, SamTemplateNode at, String function) {
        if (!(resources.get(name) instanceof MapNode)) {
            throw error(at, function + " " + name + ": no parameter or resource '" + Redaction.text(name)
                    + "' in this template (a value of another stack would need Fn::ImportValue, which cannot be "
                    + "resolved locally)");
        }
        String type = type(name);
        if (type == null) {
            throw error(resources.get(name), "resource " + name + " has no Type");
        }
        return type;
    }

    private JsonNode getAtt(Fn fn) {
        String resource;
        String attribute;
        SamTemplateNode arg = fn.argument();
        if (arg instanceof Scalar s && s.text() != null && s.text().indexOf('.') > 0) {
            resource = s.text().substring(0, s.text().indexOf('.'));
            attribute = s.text().substring(s.text().indexOf('.') + 1);
        } else if (arg instanceof ListNode list && list.items().size() == 2) {
            resource = literal(list.items().get(0), "Fn::GetAtt");
            attribute = text(list.items().get(1), "the attribute of Fn::GetAtt");
        } else {
            throw error(fn, "Fn::GetAtt takes Resource.Attribute (short form) or [Resource, Attribute]");
        }
        return TextNode.valueOf(attribute(resource, attribute, fn));
    }

    private String attribute(String resource, String attribute, SamTemplateNode at) {
        if (parameters.get(resource) != null) {
            throw error(at, "Fn::GetAtt " + resource + "." + attribute + ": " + resource + " is a parameter, not a "
                    + "resource (use !Ref " + resource + ")");
        }
        String type = resource(resource, at, "Fn::GetAtt");
        String value = null;
        if (TABLE_TYPES.contains(type)) {
            String table = tableName(resource);
            if (attribute.equals("StreamArn")) {
                requireStream(resource, at);
                value = arn("dynamodb", "table/" + table + "/stream/" + LOCAL_STREAM_LABEL);
            } else if (attribute.equals("Arn")) {
                value = arn("dynamodb", "table/" + table);
            }
        } else if (FUNCTION_TYPES.contains(type) && attribute.equals("Arn")) {
            value = functionArn(resource);
        } else if (type.equals("AWS::SQS::Queue")) {
            String queue = nameProperty(resource, "QueueName", "FifoQueue");
            value = attribute.equals("Arn") ? arn("sqs", queue) : attribute.equals("QueueName") ? queue : null;
        } else if (type.equals("AWS::SNS::Topic")) {
            String topic = nameProperty(resource, "TopicName", "FifoTopic");
            value = attribute.equals("TopicArn") ? arn("sns", topic) : attribute.equals("TopicName") ? topic : null;
        }
        if (value == null) {
            throw error(at, "Fn::GetAtt " + resource + "." + attribute + ": dynamo-stream does not resolve "
                    + "attribute " + attribute + " of a " + type + " (it resolves a table's StreamArn and Arn, a "
                    + "function's Arn, a queue's Arn and QueueName, a topic's TopicArn and TopicName)");
        }
        return value;
    }

    private void requireStream(String table, SamTemplateNode at) {
        MapNode properties = properties(table);
        SamTemplateNode spec = properties == null ? null : properties.get("StreamSpecification");
        if (spec == null) {
            throw error(at, "Fn::GetAtt " + table + ".StreamArn: table " + table + " (line "
                    + resources.keyLine(table) + ") has no StreamSpecification, so it has no stream; add "
                    + "StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}");
        }
    }

    private String arn(String service, String resource) {
        return "arn:aws:" + service + ":" + region + ":" + account + ":" + resource;
    }

    private MapNode properties(String logicalId) {
        return resources.get(logicalId) instanceof MapNode r && r.get("Properties") instanceof MapNode p ? p : null;
    }

    /** A table's name: its {@code TableName} when set, else its logical id. */
    String tableName(String logicalId) {
        return named(logicalId, "TableName", null);
    }

    /** A function's name: its {@code FunctionName} when set, else its logical id (how sam local knows it). */
    String functionName(String logicalId) {
        return named(logicalId, "FunctionName", null);
    }

    /** A function's ARN in the template's region and account. */
    String functionArn(String logicalId) {
        return arn("lambda", "function:" + functionName(logicalId));
    }

    private String nameProperty(String logicalId, String property, String fifoProperty) {
        return named(logicalId, property, fifoProperty);
    }

    /**
     * The name property of a resource, resolved; without it the logical id, plus {@code .fifo} when the FIFO
     * property is true (as CloudFormation names a FIFO queue or topic).
     */
    private String named(String logicalId, String property, String fifoProperty) {
        MapNode properties = properties(logicalId);
        SamTemplateNode name = properties == null ? null : properties.get(property);
        if (name != null) {
            if (!resolving.add(logicalId)) {
                throw error(name, "resource " + logicalId + ": " + property + " refers to itself");
            }
            try {
                JsonNode value = resolve(name);
                if (!value.isMissingNode()) {
                    return text(name, logicalId + "." + property);
                }
            } finally {
                resolving.remove(logicalId);
            }
        }
        boolean fifo = fifoProperty != null && properties != null && properties.get(fifoProperty) != null
                && resolve(properties.get(fifoProperty)).asText().equalsIgnoreCase("true");
        return fifo ? logicalId + ".fifo" : logicalId;
    }

    private String sub(Fn fn) {
        String template;
        Map<String, SamTemplateNode> variables = Map.of();
        SamTemplateNode arg = fn.argument();
        if (arg instanceof Scalar s && s.text() != null) {
            template = s.text();
        } else if (arg instanceof ListNode list && list.items().size() == 2
                && list.items().get(0) instanceof Scalar s && s.text() != null
                && list.items().get(1) instanceof MapNode vars) {
            template = s.text();
            variables = vars.entries();
        } else {
            throw error(fn, "Fn::Sub takes a text, or [text, {Name: value, ...}]");
        }
        StringBuilder out = new StringBuilder();
        Matcher m = SUB_VARIABLE.matcher(template);
        int at = 0;
        while (m.find()) {
            out.append(template, at, m.start());
            String name = m.group(1).trim();
            if (name.startsWith("!")) {
                out.append("${").append(m.group(1).substring(1)).append('}'); // ${!Literal} writes ${Literal}
            } else if (variables.containsKey(name)) {
                out.append(text(variables.get(name), "Fn::Sub variable " + name));
            } else if (name.indexOf('.') > 0 && !name.startsWith("AWS::")) {
                int dot = name.indexOf('.');
                out.append(attribute(name.substring(0, dot), name.substring(dot + 1), fn));
            } else {
                JsonNode value = ref(name, fn);
                if (!value.isTextual()) {
                    throw error(fn, "Fn::Sub ${" + name + "} is not a text value");
                }
                out.append(value.textValue());
            }
            at = m.end();
        }
        return out.append(template.substring(at)).toString();
    }

    private List<SamTemplateNode> arguments(Fn fn, int count, String shape) {
        if (fn.argument() instanceof ListNode list && list.items().size() == count) {
            return list.items();
        }
        throw error(fn, fn.name() + " takes " + shape);
    }

    private JsonNode join(Fn fn) {
        List<SamTemplateNode> args = arguments(fn, 2, "[delimiter, [value, ...]]");
        String delimiter = text(args.get(0), "the delimiter of Fn::Join");
        JsonNode values = resolve(args.get(1));
        if (!values.isArray()) {
            throw error(args.get(1), "Fn::Join joins a list");
        }
        List<String> parts = new ArrayList<>();
        values.forEach(v -> parts.add(v.asText()));
        return TextNode.valueOf(String.join(delimiter, parts));
    }

    private JsonNode select(Fn fn) {
        List<SamTemplateNode> args = arguments(fn, 2, "[index, [value, ...]]");
        String index = text(args.get(0), "the index of Fn::Select");
        JsonNode values = resolve(args.get(1));
        if (!index.matches("[0-9]+") || !values.isArray() || Integer.parseInt(index) >= values.size()) {
            throw error(fn, "Fn::Select: index " + index + " is not in the list");
        }
        return values.get(Integer.parseInt(index));
    }

    private JsonNode split(Fn fn) {
        List<SamTemplateNode> args = arguments(fn, 2, "[delimiter, text]");
        String delimiter = text(args.get(0), "the delimiter of Fn::Split");
        if (delimiter.isEmpty()) {
            throw error(fn, "Fn::Split needs a delimiter");
        }
        ArrayNode out = JsonNodeFactory.instance.arrayNode();
        for (String part : text(args.get(1), "what Fn::Split splits").split(Pattern.quote(delimiter), -1)) {
            out.add(part);
        }
        return out;
    }

    private JsonNode findInMap(Fn fn) {
        List<SamTemplateNode> args = arguments(fn, 3, "[MapName, TopLevelKey, SecondLevelKey]");
        String name = text(args.get(0), "the map of Fn::FindInMap");
        String top = text(args.get(1), "the top-level key of Fn::FindInMap");
        String second = text(args.get(2), "the second-level key of Fn::FindInMap");
        if (mappings.get(name) instanceof MapNode map && map.get(top) instanceof MapNode level
                && level.get(second) != null) {
            return resolve(level.get(second));
        }
        throw error(fn, "Fn::FindInMap: Mappings has no " + name + "." + top + "." + second);
    }

    private JsonNode ifFunction(Fn fn) {
        List<SamTemplateNode> args = arguments(fn, 3, "[ConditionName, value if true, value if false]");
        String name = literal(args.get(0), "Fn::If");
        return resolve(condition(name, args.get(0)) ? args.get(1) : args.get(2));
    }

    /** The value of a named condition of the Conditions section. */
    private boolean condition(String name, SamTemplateNode at) {
        Boolean known = conditionValues.get(name);
        if (known != null) {
            return known;
        }
        SamTemplateNode body = conditions.get(name);
        if (body == null) {
            throw error(at, "no condition '" + Redaction.text(name) + "' in the Conditions section");
        }
        if (!resolving.add("Conditions." + name)) {
            throw error(body, "condition " + name + " depends on itself");
        }
        try {
            boolean value = evaluate(body);
            conditionValues.put(name, value);
            return value;
        } finally {
            resolving.remove("Conditions." + name);
        }
    }

    private boolean evaluate(SamTemplateNode node) {
        if (node instanceof MapNode map && map.entries().size() == 1 && map.get("Condition") != null) {
            return condition(literal(map.get("Condition"), "Condition"), map);
        }
        if (!(node instanceof Fn fn)) {
            throw error(node, "a condition is Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition");
        }
        return switch (fn.name()) {
            case "Condition" -> condition(literal(fn.argument(), "Condition"), fn);
            case "Fn::Equals" -> {
                List<SamTemplateNode> args = arguments(fn, 2, "[value, value]");
                yield resolve(args.get(0)).asText().equals(resolve(args.get(1)).asText());
            }
            case "Fn::Not" -> !evaluate(arguments(fn, 1, "[condition]").get(0));
            case "Fn::And", "Fn::Or" -> {
                if (!(fn.argument() instanceof ListNode list) || list.items().size() < 2) {
                    throw error(fn, fn.name() + " takes a list of 2 to 10 conditions");
                }
                boolean and = fn.name().equals("Fn::And");
                boolean value = and;
                for (SamTemplateNode item : list.items()) {
                    value = and ? value && evaluate(item) : value || evaluate(item);
                }
                yield value;
            }
            default -> throw error(fn, fn.name() + " is not a condition function (Fn::Equals, Fn::Not, Fn::And, "
                    + "Fn::Or, Condition)");
        };
    }

    SubscriptionFile.InvalidFileException error(SamTemplateNode at, String problem) {
        return new SubscriptionFile.InvalidFileException(file, at == null ? 0 : at.line(), problem);
    }

    SubscriptionFile.InvalidFileException error(int line, String problem) {
        return new SubscriptionFile.InvalidFileException(file, line, problem);
    }
}
