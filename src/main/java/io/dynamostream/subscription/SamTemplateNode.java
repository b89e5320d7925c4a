package io.dynamostream.subscription;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;

import io.dynamostream.guard.Redaction;

/**
 * A SAM or CloudFormation template as a tree whose every node knows its line, so that what cannot be resolved is
 * reported where it is written. Intrinsic functions are one node type whatever their spelling: the short YAML form
 * ({@code !GetAtt Table.StreamArn}, {@code !Sub '...'}) and the long form ({@code Fn::GetAtt: [Table, StreamArn]},
 * {@code Ref: Name}) both become a {@link Fn}.
 */
sealed interface SamTemplateNode {

    /** 1-based line where the node starts. */
    int line();

    /** A mapping, its keys in the order written, each with its own line. */
    record MapNode(int line, Map<String, SamTemplateNode> entries, Map<String, Integer> keyLines)
            implements SamTemplateNode {

        SamTemplateNode get(String key) {
            return entries.get(key);
        }

        int keyLine(String key) {
            return keyLines.getOrDefault(key, line);
        }
    }

    /** A sequence. */
    record ListNode(int line, List<SamTemplateNode> items) implements SamTemplateNode {
    }

    /** A text, number, boolean or null, as YAML (or JSON) typed it. */
    record Scalar(int line, JsonNode value) implements SamTemplateNode {

        /** The text of a string scalar, else null. */
        String text() {
            return value.isTextual() ? value.textValue() : null;
        }
    }

    /**
     * An intrinsic function: {@code name} is the long form ({@code Ref}, {@code Fn::GetAtt}, {@code Fn::Sub}, ...,
     * or {@code Condition}), {@code argument} what follows it.
     */
    record Fn(int line, String name, SamTemplateNode argument) implements SamTemplateNode {
    }

    /**
     * Parses a template: JSON when the file name ends in {@code .json}, YAML otherwise.
     *
     * @throws SubscriptionFile.InvalidFileException for a syntax error, naming the line
     */
    static SamTemplateNode parse(Path file) {
        JsonFactory factory = file.getFileName().toString().endsWith(".json") ? new JsonFactory() : new YAMLFactory();
        try (JsonParser parser = factory.createParser(file.toFile())) {
            if (parser.nextToken() == null) {
                throw new SubscriptionFile.InvalidFileException(file, 0, "is empty");
            }
            return read(file, parser);
        } catch (JsonProcessingException e) {
            throw new SubscriptionFile.InvalidFileException(file,
                    e.getLocation() == null ? 0 : e.getLocation().getLineNr(), oneLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new SubscriptionFile.InvalidFileException(file, 0, "cannot be read: " + e.getMessage());
        }
    }

    private static SamTemplateNode read(Path file, JsonParser parser) throws IOException {
        JsonToken token = parser.currentToken();
        int line = parser.currentTokenLocation().getLineNr();
        if (parser instanceof YAMLParser yaml && yaml.isCurrentAlias()) {
            // the parser would give the alias's name as a text: refused rather than read wrong
            throw new SubscriptionFile.InvalidFileException(file, line, "YAML aliases (*" + yaml.getText()
                    + ") are not read in a template: write the value out");
        }
        String tag = parser.canReadTypeId() && parser.getTypeId() instanceof String t ? t : null;
        SamTemplateNode node = switch (token) {
            case START_OBJECT -> {
                Map<String, SamTemplateNode> entries = new LinkedHashMap<>();
                Map<String, Integer> keyLines = new LinkedHashMap<>();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String key = parser.currentName();
                    int keyLine = parser.currentTokenLocation().getLineNr();
                    parser.nextToken();
                    if (entries.put(key, read(file, parser)) != null) {
                        throw new SubscriptionFile.InvalidFileException(file, keyLine, "key '" + Redaction.text(key)
                                + "' is given twice in the same mapping");
                    }
                    keyLines.put(key, keyLine);
                }
                yield longForm(new MapNode(line, Collections.unmodifiableMap(entries),
                        Collections.unmodifiableMap(keyLines)));
            }
            case START_ARRAY -> {
                List<SamTemplateNode> items = new ArrayList<>();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    items.add(read(file, parser));
                }
                yield new ListNode(line, List.copyOf(items));
            }
            case VALUE_STRING -> new Scalar(line, TextNode.valueOf(parser.getText()));
            case VALUE_NUMBER_INT -> new Scalar(line, switch (parser.getNumberType()) {
                case INT -> IntNode.valueOf(parser.getIntValue());
                case LONG -> LongNode.valueOf(parser.getLongValue());
                default -> com.fasterxml.jackson.databind.node.BigIntegerNode.valueOf(parser.getBigIntegerValue());
            });
            case VALUE_NUMBER_FLOAT -> new Scalar(line, DecimalNode.valueOf(parser.getDecimalValue()));
            case VALUE_TRUE, VALUE_FALSE -> new Scalar(line, BooleanNode.valueOf(token == JsonToken.VALUE_TRUE));
            case VALUE_NULL -> new Scalar(line, NullNode.getInstance());
            default -> throw new SubscriptionFile.InvalidFileException(file, line, "unexpected " + token);
        };
        return shortForm(tag, node);
    }

    /**
     * The YAML parser's message without its excerpt of the file and its own "in 'reader', line..." lines, so the
     * startup error stays one line (the line number is given once, by the caller).
     */
    private static String oneLine(String message) {
        if (message == null) {
            return "is not valid YAML";
        }
        return String.join(": ", message.lines().filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0)))
                .map(String::strip).toList());
    }

    /** {@code !Ref x} is {@code Ref}, {@code !Condition x} is {@code Condition}, any other {@code !Name} Fn::Name. */
    private static SamTemplateNode shortForm(String tag, SamTemplateNode node) {
        if (tag == null || tag.isEmpty() || tag.contains(":")) {
            return node; // no tag, or a standard YAML tag such as tag:yaml.org,2002:str
        }
        String name = tag.equals("Ref") || tag.equals("Condition") ? tag : "Fn::" + tag;
        return new Fn(node.line(), name, node);
    }

    /** A mapping with the single key {@code Ref} or {@code Fn::...} is that function. */
    private static SamTemplateNode longForm(MapNode map) {
        if (map.entries().size() != 1) {
            return map;
        }
        Map.Entry<String, SamTemplateNode> only = map.entries().entrySet().iterator().next();
        String key = only.getKey();
        return key.equals("Ref") || key.startsWith("Fn::") ? new Fn(map.line(), key, only.getValue()) : map;
    }
}
