package io.dynamostream.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.dynamostream.delivery.RecordFilter;
import io.dynamostream.subscription.InvalidSubscriptionException;
import io.dynamostream.subscription.SubscriptionRequest;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.OperationType;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.StreamRecord;

/**
 * Seeded random filter criteria (patterns of random shape: nested objects, matcher lists, every event-ruler matcher
 * with well- and ill-typed operands, $or, wrong keys and types around them) through the request reader: each is
 * accepted or refused with a 400's field errors, never another exception; every accepted pattern compiles and is
 * matched against a record without an error.
 */
class FilterPatternFuzzTest {

    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] KEYS = {"eventName", "dynamodb", "NewImage", "Keys", "OldImage", "S", "N", "BOOL",
        "M", "status", "$or", "SizeBytes", "x", ""};
    private static final String[] MATCHERS = {"prefix", "suffix", "anything-but", "numeric", "exists",
        "equals-ignore-case", "wildcard", "cidr", "nope"};

    private static final Record RECORD = Record.builder().eventID("1").eventName(OperationType.MODIFY)
            .dynamodb(StreamRecord.builder().sequenceNumber("100").sizeBytes(50L)
                    .approximateCreationDateTime(Instant.ofEpochSecond(1_700_000_000))
                    .keys(Map.of("id", AttributeValue.fromS("a")))
                    .newImage(Map.of("id", AttributeValue.fromS("a"), "status", AttributeValue.fromS("active"),
                            "n", AttributeValue.fromN("5"), "m", AttributeValue.fromM(Map.of("k",
                                    AttributeValue.fromBool(true)))))
                    .build())
            .build();

    @Test
    void givenRandomFilterCriteria_whenRead_thenAcceptedOrA400_andAcceptedOnesMatchWithoutError() throws Exception {
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        Random random = new Random(seed);
        int accepted = 0;
        int refused = 0;
        for (int i = 0; i < 3000; i++) {
            ObjectNode request = F.objectNode().put("table_name", "Orders").put("url", "http://127.0.0.1:9/x");
            request.set(random.nextBoolean() ? "filter_criteria" : "FilterCriteria", criteria(random));
            try {
                SubscriptionRequest.Valid v = SubscriptionRequest.fromJson(request).validate();
                RecordFilter filter = RecordFilter.of(v.settings().mapping().filterPatterns());
                filter.matches(RECORD, "arn:aws:dynamodb:us-east-1:000000000000:table/Orders/stream/x");
                accepted++;
            } catch (InvalidSubscriptionException e) {
                assertTrue(!e.errors().isEmpty() && e.errors().stream().allMatch(f -> !f.messages().isEmpty()),
                        "seed " + seed + ": " + request);
                refused++;
            } catch (RuntimeException e) {
                throw new AssertionError("seed " + seed + " (-Dfuzz.seed=" + seed + "), request " + request, e);
            }
        }
        assertTrue(accepted > 100 && refused > 100, "both outcomes reached: " + accepted + " / " + refused);
    }

    private static JsonNode criteria(Random r) {
        if (r.nextInt(20) == 0) {
            return r.nextBoolean() ? F.textNode("x") : F.arrayNode();
        }
        ObjectNode c = F.objectNode();
        ArrayNode filters = c.putArray(r.nextInt(10) == 0 ? "Filters" : "filters");
        int n = r.nextInt(7);
        for (int i = 0; i < n; i++) {
            if (r.nextInt(15) == 0) {
                filters.addNull();
                continue;
            }
            ObjectNode f = filters.addObject();
            JsonNode pattern = object(r, 0);
            String key = r.nextInt(10) == 0 ? "Pattern" : "pattern";
            switch (r.nextInt(4)) {
                case 0 -> f.set(key, pattern);
                case 1, 2 -> f.put(key, pattern.toString());
                default -> f.put(key, r.nextBoolean() ? "{" : "[]");
            }
        }
        return c;
    }

    private static ObjectNode object(Random r, int depth) {
        ObjectNode o = F.objectNode();
        int fields = 1 + r.nextInt(3);
        for (int i = 0; i < fields; i++) {
            String key = KEYS[r.nextInt(KEYS.length)];
            if (key.equals("$or")) {
                ArrayNode alternatives = o.putArray(key);
                for (int j = 0; j < 1 + r.nextInt(3); j++) {
                    alternatives.add(depth < 4 ? object(r, depth + 1) : F.textNode("x"));
                }
            } else if (depth < 5 && r.nextInt(3) == 0) {
                o.set(key, object(r, depth + 1));
            } else {
                o.set(key, matchers(r));
            }
        }
        return o;
    }

    private static JsonNode matchers(Random r) {
        if (r.nextInt(12) == 0) {
            return r.nextBoolean() ? F.textNode("INSERT") : F.numberNode(5);
        }
        ArrayNode list = F.arrayNode();
        for (int i = 0; i < 1 + r.nextInt(3); i++) {
            switch (r.nextInt(6)) {
                case 0 -> list.add("active");
                case 1 -> list.add(r.nextInt(10));
                case 2 -> list.add(r.nextBoolean());
                case 3 -> list.addNull();
                default -> {
                    String m = MATCHERS[r.nextInt(MATCHERS.length)];
                    ObjectNode matcher = list.addObject();
                    switch (r.nextInt(5)) {
                        case 0 -> matcher.put(m, "a*b");
                        case 1 -> matcher.put(m, r.nextBoolean());
                        case 2 -> matcher.putArray(m).add(">").add(r.nextInt(100));
                        case 3 -> matcher.putArray(m).add("x").add(List.of("<", ">=").get(r.nextInt(2)));
                        default -> matcher.put(m, 3);
                    }
                }
            }
        }
        return list;
    }
}
