package io.dynamostream.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.dynamostream.TestRecords;
import software.amazon.awssdk.services.dynamodb.model.Record;

/** Lambda's success and failure conditions for a DynamoDB stream's partial batch response, one rule per test. */
class BatchItemFailuresTest {

    /** Sequence numbers 98 to 102: of varying length, so they are matched as the strings sent. */
    private static final List<Record> BATCH = TestRecords.records(98, 102, Instant.parse("2026-12-01T12:00:00Z"));

    private static BatchItemFailures.Verdict read(String body) {
        return BatchItemFailures.read(body == null ? null : body.getBytes(StandardCharsets.UTF_8), BATCH);
    }

    private static String wholeBatchFailed(String body) {
        return assertInstanceOf(BatchItemFailures.WholeBatchFailed.class, read(body), body).reason();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  \n", "null", "{}", "{\"batchItemFailures\":[]}", "{\"batchItemFailures\":null}",
        " { \"batchItemFailures\" : [ ] } ", "{\"somethingElse\":[{\"itemIdentifier\":\"99\"}]}"})
    void givenAnEmptyOrNullListOrResponse_thenTheWholeBatchIsDone(String body) {
        assertInstanceOf(BatchItemFailures.AllDone.class, read(body), body);
    }

    @Test
    void givenNoBodyAtAll_thenTheWholeBatchIsDone() {
        assertInstanceOf(BatchItemFailures.AllDone.class, read(null));
    }

    @Test
    void givenOneFailure_thenTheRecordsBeforeItAreDone() {
        BatchItemFailures.DoneBefore d = assertInstanceOf(BatchItemFailures.DoneBefore.class,
                read("{\"batchItemFailures\":[{\"itemIdentifier\":\"100\"}]}"));

        assertEquals(2, d.firstFailed());
        assertEquals("100", d.sequenceNumber());
        assertEquals(1, d.reported());
    }

    @Test
    void givenSeveralFailuresInAnyOrder_thenTheLowestSequenceNumberIsTheCheckpoint() {
        BatchItemFailures.DoneBefore d = assertInstanceOf(BatchItemFailures.DoneBefore.class,
                read("{\"batchItemFailures\":[{\"itemIdentifier\":\"102\"},{\"itemIdentifier\":\"99\"},"
                        + "{\"itemIdentifier\":\"101\",\"extra\":true}]}"));

        assertEquals(1, d.firstFailed());
        assertEquals("99", d.sequenceNumber());
        assertEquals(3, d.reported());
    }

    @Test
    void givenTheFirstRecordFailed_thenNothingIsDone() {
        BatchItemFailures.DoneBefore d = assertInstanceOf(BatchItemFailures.DoneBefore.class,
                read("{\"batchItemFailures\":[{\"itemIdentifier\":\"98\"}]}"));

        assertEquals(0, d.firstFailed());
    }

    @Test
    void givenAnEmptyIdentifier_thenTheWholeBatchFailed() {
        assertEquals("batchItemFailures[0].itemIdentifier is empty",
                wholeBatchFailed("{\"batchItemFailures\":[{\"itemIdentifier\":\"\"}]}"));
    }

    @Test
    void givenANullIdentifier_thenTheWholeBatchFailed() {
        assertEquals("batchItemFailures[1].itemIdentifier is null", wholeBatchFailed(
                "{\"batchItemFailures\":[{\"itemIdentifier\":\"100\"},{\"itemIdentifier\":null}]}"));
    }

    @Test
    void givenAWrongKeyName_thenTheWholeBatchFailedNamingTheKeysFound() {
        assertEquals("batchItemFailures[0] has no itemIdentifier (its keys: ItemIdentifier)",
                wholeBatchFailed("{\"batchItemFailures\":[{\"ItemIdentifier\":\"100\"}]}"));
    }

    @Test
    void givenAnIdentifierNotInTheBatch_thenTheWholeBatchFailed() {
        assertEquals("batchItemFailures[0].itemIdentifier \"97\" is not the sequence number of a record of this "
                + "batch", wholeBatchFailed("{\"batchItemFailures\":[{\"itemIdentifier\":\"97\"}]}"));
        // an eventID is not a sequence number
        assertTrue(wholeBatchFailed("{\"batchItemFailures\":[{\"itemIdentifier\":\"e100\"}]}")
                .contains("not the sequence number"));
    }

    @Test
    void givenAnIdentifierThatIsNotAString_thenTheWholeBatchFailed() {
        assertEquals("batchItemFailures[0].itemIdentifier is a JSON number, not a sequence-number string",
                wholeBatchFailed("{\"batchItemFailures\":[{\"itemIdentifier\":100}]}"));
    }

    @Test
    void givenAListOfSomethingElse_thenTheWholeBatchFailed() {
        assertEquals("batchItemFailures[0] is a JSON string, not an object with itemIdentifier",
                wholeBatchFailed("{\"batchItemFailures\":[\"100\"]}"));
        assertEquals("batchItemFailures[0] is a JSON null, not an object with itemIdentifier",
                wholeBatchFailed("{\"batchItemFailures\":[null]}"));
        assertEquals("batchItemFailures is a JSON string, not a list",
                wholeBatchFailed("{\"batchItemFailures\":\"100\"}"));
    }

    @Test
    void givenABodyThatIsNotJson_thenTheWholeBatchFailedQuotingItsHead() {
        assertEquals("the response body is not JSON (\"OK\")", wholeBatchFailed("OK"));
        assertTrue(wholeBatchFailed("{\"batchItemFailures\":[]} trailing").startsWith("the response body is not JSON"));
        assertTrue(wholeBatchFailed("x".repeat(10_000)).length() < 200, "quoted head is short");
    }

    @Test
    void givenJsonThatIsNotAnObject_thenTheWholeBatchFailed() {
        assertEquals("the response is a JSON array, not an object with batchItemFailures",
                wholeBatchFailed("[{\"itemIdentifier\":\"100\"}]"));
        assertEquals("the response is a JSON string, not an object with batchItemFailures", wholeBatchFailed("\"ok\""));
    }
}
