package io.dynamostream.delivery;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.event.ruler.Machine;

/**
 * A subscription's {@code filter_criteria}, matched by AWS's own engine (event-ruler) against each record as Lambda
 * sees it: the record's JSON exactly as it is delivered ({@link LambdaPayload}), typed attribute values included
 * ({@code dynamodb.NewImage.status.S}). A record is delivered when it matches any pattern; without patterns every
 * record is. Thread-safe (event-ruler's machine may be read concurrently).
 */
public final class RecordFilter {

    /** Every record passes. */
    public static final RecordFilter ALL = new RecordFilter(null);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Machine machine;

    private RecordFilter(Machine machine) {
        this.machine = machine;
    }

    /**
     * @param patterns the patterns in normal form, as validated ({@code DeliverySettings.mapping().filterPatterns()})
     */
    public static RecordFilter of(List<String> patterns) {
        if (patterns.isEmpty()) {
            return ALL;
        }
        Machine machine = new Machine();
        for (int i = 0; i < patterns.size(); i++) {
            try {
                machine.addRule("filter-" + i, patterns.get(i));
            } catch (IOException e) {
                throw new IllegalArgumentException("filter " + i + " was validated but does not compile", e);
            }
        }
        return new RecordFilter(machine);
    }

    /** Whether some records may be left out. */
    public boolean filters() {
        return machine != null;
    }

    /**
     * Whether the record is delivered.
     *
     * @param streamArn the record's {@code eventSourceARN}, as in the delivered body
     */
    public boolean matches(Record record, String streamArn) {
        if (machine == null) {
            return true;
        }
        try {
            JsonNode event = JSON.readTree(LambdaPayload.body(List.of(record), streamArn)).get("Records").get(0);
            return !machine.rulesForJSONEvent(event).isEmpty();
        } catch (IOException e) {
            throw new UncheckedIOException("a record's JSON could not be read back", e);
        }
    }
}
