package io.dynamostream.subscription;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import software.amazon.event.ruler.JsonRuleCompiler;

/**
 * Checks {@code filter_criteria} (Lambda's {@code FilterCriteria}) the way Lambda does: up to
 * {@link MappingOptions#MAX_FILTERS} filters, each a JSON pattern that AWS's own engine, event-ruler, compiles; an
 * invalid one is refused naming the filter. A pattern that compiles but cannot match a DynamoDB stream record is
 * accepted, as Lambda accepts it, with a warning naming the mistake: a field records never have, a matcher on an
 * image attribute above its type key ({@code NewImage.name} instead of {@code NewImage.name.S}, {@code exists}
 * included), numeric matching or a number on an {@code N} or {@code S} value (DynamoDB sends numbers as strings), an
 * {@code eventName} that is not INSERT, MODIFY or REMOVE.
 */
final class FilterPatterns {

    /** Lambda's limit on one pattern. */
    static final int MAX_PATTERN_LENGTH = 4096;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The fields of a record as Lambda sends it. */
    private static final Set<String> RECORD_FIELDS = Set.of("eventID", "eventName", "eventVersion", "eventSource",
            "awsRegion", "dynamodb", "eventSourceARN", "userIdentity");
    private static final Set<String> DYNAMODB_FIELDS = Set.of("ApproximateCreationDateTime", "Keys", "NewImage",
            "OldImage", "SequenceNumber", "SizeBytes", "StreamViewType");
    private static final Set<String> USER_IDENTITY_FIELDS = Set.of("type", "principalId");
    private static final Set<String> IMAGES = Set.of("Keys", "NewImage", "OldImage");
    private static final Set<String> TYPES = Set.of("S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS");
    private static final Set<String> EVENT_NAMES = Set.of("INSERT", "MODIFY", "REMOVE");

    /** The patterns in normal form (compact JSON), in the order given, and the warnings about them. */
    record Checked(List<String> patterns, List<String> warnings) {
        static final Checked NONE = new Checked(List.of(), List.of());
    }

    private FilterPatterns() {
    }

    /**
     * @param criteria the value of {@code filter_criteria} / {@code FilterCriteria} (null: no filter)
     * @param top the field's name as the request spelled it
     */
    static Checked check(JsonNode criteria, String top, List<FieldError> errors) {
        if (criteria == null || criteria.isNull()) {
            return Checked.NONE;
        }
        boolean lambda = top.equals("FilterCriteria") || criteria.has("Filters");
        String filtersKey = lambda ? "Filters" : "filters";
        String patternKey = lambda ? "Pattern" : "pattern";
        String shape = "{\"" + filtersKey + "\": [{\"" + patternKey + "\": \"<JSON pattern>\"}]}";
        if (!criteria.isObject()) {
            errors.add(new FieldError(top, List.of("must be an object: " + shape)));
            return Checked.NONE;
        }
        List<String> unknown = unknownKeys(criteria, Set.of(filtersKey));
        if (!unknown.isEmpty()) {
            errors.add(new FieldError(top, unknown.stream().map(k -> "unknown field '" + k + "' (allowed: "
                    + filtersKey + ")").toList()));
            return Checked.NONE;
        }
        JsonNode filters = criteria.get(filtersKey);
        String filtersField = top + "." + filtersKey;
        if (filters == null || filters.isNull()) {
            return Checked.NONE;
        }
        if (!filters.isArray()) {
            errors.add(new FieldError(filtersField, List.of("must be an array of {\"" + patternKey
                    + "\": \"<JSON pattern>\"}")));
            return Checked.NONE;
        }
        if (filters.size() > MappingOptions.MAX_FILTERS) {
            errors.add(new FieldError(filtersField, List.of("at most " + MappingOptions.MAX_FILTERS
                    + " filters (a record is delivered when it matches any of them), not " + filters.size())));
            return Checked.NONE;
        }
        List<String> patterns = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        for (int i = 0; i < filters.size(); i++) {
            String field = filtersField + "[" + i + "]";
            JsonNode filter = filters.get(i);
            if (filter == null || !filter.isObject()) {
                errors.add(new FieldError(field, List.of("must be an object {\"" + patternKey
                        + "\": \"<JSON pattern>\"}")));
                continue;
            }
            List<String> extra = unknownKeys(filter, Set.of(patternKey));
            if (!extra.isEmpty()) {
                errors.add(new FieldError(field, extra.stream().map(k -> "unknown field '" + k + "' (allowed: "
                        + patternKey + ")").toList()));
                continue;
            }
            String patternField = field + "." + patternKey;
            String pattern = pattern(filter.get(patternKey), patternField, errors);
            if (pattern == null) {
                continue;
            }
            patterns.add(pattern);
            try {
                warn(JSON.readTree(pattern), "", patternField, warnings);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("a compiled pattern is not JSON", e);
            }
        }
        return new Checked(patterns, warnings);
    }

    /** The pattern in compact form, or null when it is refused (the reason added to errors). */
    private static String pattern(JsonNode value, String field, List<FieldError> errors) {
        String text;
        if (value == null || value.isNull()) {
            errors.add(new FieldError(field, List.of("is required: a JSON pattern such as "
                    + "{\"eventName\": [\"INSERT\"]}")));
            return null;
        } else if (value.isTextual()) {
            text = value.textValue();
        } else if (value.isObject()) {
            text = value.toString(); // YAML and JSON may give the pattern as an object; Lambda takes its text
        } else {
            errors.add(new FieldError(field, List.of("must be a JSON pattern (a string holding a JSON object)")));
            return null;
        }
        if (text.length() > MAX_PATTERN_LENGTH) {
            errors.add(new FieldError(field, List.of("must be at most " + MAX_PATTERN_LENGTH + " characters")));
            return null;
        }
        JsonNode tree;
        try {
            tree = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            errors.add(new FieldError(field, List.of("is not valid JSON: " + e.getOriginalMessage())));
            return null;
        }
        if (tree == null || !tree.isObject() || tree.isEmpty()) {
            errors.add(new FieldError(field, List.of("must be a non-empty JSON object, e.g. "
                    + "{\"eventName\": [\"INSERT\"]}")));
            return null;
        }
        String compact = tree.toString();
        String problem = JsonRuleCompiler.check(compact);
        if (problem != null) {
            errors.add(new FieldError(field, List.of("is not a valid filter pattern: " + problem)));
            return null;
        }
        return compact;
    }

    private static List<String> unknownKeys(JsonNode object, Set<String> allowed) {
        List<String> unknown = new ArrayList<>();
        object.fieldNames().forEachRemaining(k -> {
            if (!allowed.contains(k)) {
                unknown.add(k.length() > 64 ? k.substring(0, 64) + "..." : k);
            }
        });
        return unknown;
    }

    /**
     * Walks the pattern along the shape of a DynamoDB stream record and adds a warning for each part that can
     * never match one.
     *
     * @param path the dotted path of {@code node} in the record ("" at the top)
     */
    private static void warn(JsonNode node, String path, String field, List<String> warnings) {
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> e = fields.next();
            String key = e.getKey();
            JsonNode value = e.getValue();
            if (key.equals("$or") && value.isArray()) {
                value.forEach(alternative -> {
                    if (alternative.isObject()) {
                        warn(alternative, path, field, warnings);
                    }
                });
                continue;
            }
            String at = path.isEmpty() ? key : path + "." + key;
            Set<String> known = known(path);
            if (known != null && !known.contains(key)) {
                warnings.add(field + ": '" + at + "' is not a field of a DynamoDB stream record (" + (path.isEmpty()
                        ? "records have " : path + " has ") + String.join(", ", sorted(known))
                        + "); this part of the pattern never matches");
                continue;
            }
            if (value.isObject()) {
                warn(value, at, field, warnings);
            } else if (value.isArray()) {
                matchers(value, path, key, at, field, warnings);
            }
        }
    }

    /** The fields an object at {@code path} can have; null when any name is possible (image attributes, maps). */
    private static Set<String> known(String path) {
        if (path.isEmpty()) {
            return RECORD_FIELDS;
        }
        if (path.equals("dynamodb")) {
            return DYNAMODB_FIELDS;
        }
        if (path.equals("userIdentity")) {
            return USER_IDENTITY_FIELDS;
        }
        if (isAttribute(path)) {
            return TYPES; // dynamodb.NewImage.<attr> (or an attribute of a map) holds {"<type>": value}
        }
        return null; // an image or a map: any attribute name
    }

    /** Whether {@code path} names an attribute of an image (or of a map value inside one). */
    private static boolean isAttribute(String path) {
        String[] parts = path.split("\\.");
        if (parts.length < 3 || !parts[0].equals("dynamodb") || !IMAGES.contains(parts[1])) {
            return false;
        }
        // dynamodb.Image.attr, dynamodb.Image.attr.M.attr, ...: attributes sit at odd depths after the image
        for (int i = 3; i < parts.length; i += 2) {
            if (!parts[i].equals("M")) {
                return false;
            }
        }
        return parts.length % 2 == 1;
    }

    /** Warnings about a list of matchers (the leaf of a pattern) at {@code at}. */
    private static void matchers(JsonNode list, String path, String key, String at, String field,
            List<String> warnings) {
        if (isAttribute(at)) {
            warnings.add(field + ": '" + at + "' is an attribute, whose value is typed ({\"S\": ...}, {\"N\": ...}):"
                    + " match '" + at + ".S' (or .N, .BOOL, ...) instead" + (hasExists(list)
                            ? "; 'exists' above the type key never sees a value" : "")
                    + "; as written it " + (matchesOnlyAbsence(list) ? "matches every record" : "never matches"));
            return;
        }
        boolean typedScalar = isAttribute(path) && (key.equals("N") || key.equals("S"));
        for (JsonNode m : list) {
            if (typedScalar && m.isNumber()) {
                warnings.add(field + ": '" + at + "' holds text (DynamoDB sends numbers as strings, \"N\": \"5\"): "
                        + "the number " + m + " never matches; write \"" + m.asText() + "\"");
            } else if (typedScalar && m.isObject() && m.has("numeric")) {
                warnings.add(field + ": numeric matching on '" + at + "' never matches: DynamoDB sends numbers as "
                        + "strings (\"N\": \"5\"); compare dynamodb.ApproximateCreationDateTime or SizeBytes "
                        + "numerically, or match the text");
            } else if (at.equals("eventName") && m.isTextual() && !EVENT_NAMES.contains(m.textValue())) {
                warnings.add(field + ": eventName is INSERT, MODIFY or REMOVE, so \"" + m.textValue()
                        + "\" never matches");
            }
        }
    }

    private static boolean hasExists(JsonNode list) {
        for (JsonNode m : list) {
            if (m.isObject() && m.has("exists")) {
                return true;
            }
        }
        return false;
    }

    private static boolean matchesOnlyAbsence(JsonNode list) {
        for (JsonNode m : list) {
            if (m.isObject() && m.has("exists") && !m.get("exists").asBoolean(true)) {
                return true;
            }
        }
        return false;
    }

    private static List<String> sorted(Set<String> names) {
        return names.stream().sorted().toList();
    }
}
