package io.dynamostream.subscription;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.dynamostream.subscription.SubscriptionFile.InvalidFileException;
import io.dynamostream.subscription.DeliverySettings.OnFailure;
import io.dynamostream.subscription.SubscriptionRequest.Valid;

class SubscriptionFileTest {

    @TempDir
    Path dir;

    private Path write(String yaml) throws IOException {
        return Files.writeString(dir.resolve("subscriptions.yaml"), yaml);
    }

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(SubscriptionFileTest.class.getResource("/subscription-files/" + name).toURI());
    }

    private static InvalidFileException readFails(Path file) {
        return assertThrows(InvalidFileException.class, () -> SubscriptionFile.read(file));
    }

    private static void assertMentions(InvalidFileException e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' missing from: " + e.getMessage());
        }
    }

    /** The message starts with the file's absolute path and, when the line is known, names it. */
    private static void assertNamesFileAndLine(InvalidFileException e, Path file, int line) {
        assertEquals(line, e.line(), e.getMessage());
        assertTrue(e.getMessage().startsWith("Subscription file " + file.toAbsolutePath() + ", line " + line + ": "),
                e.getMessage());
    }

    // ---------------------------------------------------------------- valid files

    @Test
    void givenFileWithSeveralEntries_whenRead_thenEveryEntryInOrder() throws Exception {
        List<Valid> entries = SubscriptionFile.read(resource("valid.yaml"));

        assertEquals(List.of(
                new Valid("People", URI.create("http://localhost:9000/streams"), StartingPosition.LATEST),
                new Valid("orders.v2_archive-1", URI.create("https://hooks.example.com/orders?team=a"),
                        StartingPosition.TRIM_HORIZON),
                new Valid("People", URI.create("HTTP://other.example.com:8080/"), StartingPosition.LATEST)),
                entries);
    }

    @Test
    void givenStartingPositionInAnyCase_whenRead_thenRecognised() throws Exception {
        Path file = write("""
                entries:
                  - table_name: T1a
                    url: http://h/1
                    starting_position: TRIM_HORIZON
                  - table_name: T2a
                    url: http://h/2
                    starting_position: Trim_Horizon
                  - table_name: T3a
                    url: http://h/3
                    starting_position: latest
                  - table_name: T4a
                    url: http://h/4
                    starting_position: LATEST
                """);

        List<StartingPosition> positions = SubscriptionFile.read(file).stream().map(Valid::startingPosition).toList();

        assertEquals(List.of(StartingPosition.TRIM_HORIZON, StartingPosition.TRIM_HORIZON, StartingPosition.LATEST,
                StartingPosition.LATEST), positions);
    }

    @Test
    void givenEmptyFile_whenRead_thenNoEntries() throws Exception {
        assertEquals(List.of(), SubscriptionFile.read(write("")));
    }

    @Test
    void givenOnlyComments_whenRead_thenNoEntries() throws Exception {
        assertEquals(List.of(), SubscriptionFile.read(write("# nothing yet\n\n")));
    }

    @Test
    void givenEntriesKeyWithNothing_whenRead_thenNoEntries() throws Exception {
        assertEquals(List.of(), SubscriptionFile.read(write("entries:\n")));
    }

    @Test
    void givenEmptyEntriesList_whenRead_thenNoEntries() throws Exception {
        assertEquals(List.of(), SubscriptionFile.read(write("entries: []\n")));
    }

    // ---------------------------------------------------------------- the file itself

    @Test
    void givenMissingFile_whenRead_thenErrorNamesTheFile() {
        Path missing = dir.resolve("nope.yaml");

        InvalidFileException e = readFails(missing);

        assertEquals(0, e.line());
        assertEquals("Subscription file " + missing.toAbsolutePath() + ": does not exist", e.getMessage());
    }

    @Test
    void givenDirectory_whenRead_thenErrorSaysNotARegularFile() {
        InvalidFileException e = readFails(dir);

        assertEquals(0, e.line());
        assertEquals("Subscription file " + dir.toAbsolutePath() + ": is not a regular file", e.getMessage());
    }

    @Test
    void givenYamlSyntaxError_whenRead_thenErrorNamesFileAndLine() throws Exception {
        Path file = write("""
                entries:
                  - table_name: People
                    url: http://localhost:9000/streams
                  - table_name: "Orders
                    url: http://localhost:9000/orders
                """);

        InvalidFileException e = readFails(file);

        assertTrue(e.line() >= 4 && e.line() <= 6, "line " + e.line() + ": " + e.getMessage());
        assertNamesFileAndLine(e, file, e.line());
    }

    @Test
    void givenBadIndentation_whenRead_thenErrorNamesTheLine() throws Exception {
        Path file = write("""
                entries:
                  - table_name: People
                    url: http://localhost:9000/streams
                      starting_position: LATEST
                """);

        InvalidFileException e = readFails(file);

        assertNamesFileAndLine(e, file, 4);
    }

    @Test
    void givenTypoInTopLevelKey_whenRead_thenErrorNamesKeyAndLine() throws Exception {
        Path file = write("""
                # subscriptions
                entires:
                  - table_name: People
                    url: http://localhost:9000/streams
                """);

        InvalidFileException e = readFails(file);

        assertNamesFileAndLine(e, file, 2);
        assertMentions(e, "unknown key 'entires'");
    }

    @Test
    void givenUnknownKeyInEntry_whenRead_thenErrorNamesKeyAndLine() throws Exception {
        Path file = write("""
                entries:
                  - table_name: People
                    url: http://localhost:9000/streams
                  - tablename: Orders
                    url: http://localhost:9000/orders
                """);

        InvalidFileException e = readFails(file);

        assertTrue(e.getMessage().startsWith("Subscription file " + file.toAbsolutePath()), e.getMessage());
        assertTrue(e.line() > 0, e.getMessage());
        assertMentions(e, "unknown key 'tablename'", "table_name, url, starting_position");
    }

    /*
     * The unknown key of an entry is reported on the line of the token after the entry (the next "- " or, for the
     * last entry, the line past the end of the file), not on the key's line: the record's creator-based
     * deserializer buffers unknown properties and throws only at the entry's END_OBJECT, whose YAML location is the
     * next token.
     */
    @Test
    void givenUnknownKeyInLastEntry_whenRead_thenErrorPointsAtTheKeysLine() throws Exception {
        Path file = write("""
                entries:
                  - table_name: People
                    url: http://localhost:9000/streams
                  - tablename: Orders
                    url: http://localhost:9000/orders
                """);

        InvalidFileException e = readFails(file);

        assertNamesFileAndLine(e, file, 4);
    }

    @Test
    void givenUnknownKeyInFirstEntry_whenRead_thenErrorPointsAtTheKeysLine() throws Exception {
        Path file = write("""
                entries:
                  - table_name: People
                    url: http://localhost:9000/streams
                    extra:
                      nested: 1
                  - table_name: Orders
                    url: http://localhost:9000/orders
                """);

        InvalidFileException e = readFails(file);

        assertNamesFileAndLine(e, file, 4);
        assertMentions(e, "unknown key 'extra'");
    }

    @Test
    void givenEntriesNotAList_whenRead_thenError() throws Exception {
        Path file = write("""
                entries:
                  table_name: People
                  url: http://localhost:9000/streams
                """);

        InvalidFileException e = readFails(file);

        assertTrue(e.line() > 0, e.getMessage());
        assertMentions(e, "'entries' must be a list");
    }

    @Test
    void givenEntriesScalar_whenRead_thenErrorNamesTheLine() throws Exception {
        Path file = write("\nentries: People\n");

        InvalidFileException e = readFails(file);

        assertNamesFileAndLine(e, file, 2);
        assertMentions(e, "'entries' must be a list");
    }

    @Test
    void givenTopLevelList_whenRead_thenError() throws Exception {
        Path file = write("""
                - table_name: People
                  url: http://localhost:9000/streams
                """);

        InvalidFileException e = readFails(file);

        assertNamesFileAndLine(e, file, 1);
        assertMentions(e, "must be a mapping with an 'entries' list");
    }

    @Test
    void givenEntryThatIsNotAMapping_whenRead_thenErrorNamesEntryAndLine() throws Exception {
        Path file = write("""
                entries:
                  - table_name: People
                    url: http://localhost:9000/streams
                  - People
                """);

        InvalidFileException e = readFails(file);

        assertNamesFileAndLine(e, file, 4);
        assertMentions(e, "entry 2 must be a mapping");
    }

    // ---------------------------------------------------------------- invalid entries

    private static final String FIRST_OK = """
            entries:
              - table_name: People
                url: http://localhost:9000/streams
            """;

    /** Writes a file whose second entry, starting on line 4, is {@code entry}; asserts the error names it. */
    private void assertSecondEntryInvalid(String entry, String field, String reason) throws IOException {
        Path file = write(FIRST_OK + entry);

        InvalidFileException e = readFails(file);

        assertNamesFileAndLine(e, file, 4);
        assertMentions(e, "entry 2 is invalid: ", field + ": ", reason);
    }

    @Test
    void givenEntryWithoutUrl_whenRead_thenErrorNamesEntryFieldAndLine() throws Exception {
        assertSecondEntryInvalid("  - table_name: Orders\n", "url", "is required");
    }

    @Test
    void givenEntryWithBlankUrl_whenRead_thenErrorNamesEntryFieldAndLine() throws Exception {
        assertSecondEntryInvalid("  - table_name: Orders\n    url: \"  \"\n", "url", "is required");
    }

    @Test
    void givenEntryWithoutTableName_whenRead_thenErrorNamesEntryFieldAndLine() throws Exception {
        assertSecondEntryInvalid("  - url: http://localhost:9000/orders\n", "table_name", "is required");
    }

    @Test
    void givenTableNameTooShort_whenRead_thenErrorNamesEntryFieldAndLine() throws Exception {
        assertSecondEntryInvalid("  - table_name: ab\n    url: http://localhost:9000/orders\n",
                "table_name", "must be 3 to 255 characters");
    }

    @Test
    void givenTableNameTooLong_whenRead_thenErrorNamesEntryFieldAndLine() throws Exception {
        assertSecondEntryInvalid("  - table_name: " + "a".repeat(256) + "\n    url: http://localhost:9000/orders\n",
                "table_name", "must be 3 to 255 characters");
    }

    @Test
    void givenTableNameWithBadCharacters_whenRead_thenErrorNamesEntryFieldAndLine() throws Exception {
        assertSecondEntryInvalid("  - table_name: \"My Table!\"\n    url: http://localhost:9000/orders\n",
                "table_name", "must be 3 to 255 characters");
    }

    @Test
    void givenNonHttpUrl_whenRead_thenErrorNamesEntryFieldAndLine() throws Exception {
        assertSecondEntryInvalid("  - table_name: Orders\n    url: ftp://x\n", "url", "must be an absolute http or https URL");
    }

    @Test
    void givenRelativeUrl_whenRead_thenErrorNamesEntryFieldAndLine() throws Exception {
        assertSecondEntryInvalid("  - table_name: Orders\n    url: /streams\n", "url", "must be an absolute http or https URL");
    }

    @Test
    void givenUrlWithoutHost_whenRead_thenErrorNamesEntryFieldAndLine() throws Exception {
        assertSecondEntryInvalid("  - table_name: Orders\n    url: \"http:///streams\"\n", "url", "must name a host");
    }

    @Test
    void givenInvalidStartingPosition_whenRead_thenErrorNamesEntryFieldAndLine() throws Exception {
        assertSecondEntryInvalid("  - table_name: Orders\n    url: http://localhost:9000/orders\n"
                + "    starting_position: AT_TIMESTAMP\n", "starting_position", "must be LATEST or TRIM_HORIZON");
    }

    @Test
    void givenEntryWithSeveralInvalidFields_whenRead_thenEveryFieldNamed() throws Exception {
        Path file = write("""
                entries:
                  - table_name: x
                    url: ftp://x
                    starting_position: NOW
                """);

        InvalidFileException e = readFails(file);

        assertNamesFileAndLine(e, file, 2);
        assertMentions(e, "entry 1 is invalid: ", "table_name: ", "url: ", "starting_position: ");
    }

    @Test
    void givenInvalidEntryAfterBlankLinesAndComments_whenRead_thenLineCountsThem() throws Exception {
        Path file = write("""
                # header

                entries:
                  # first
                  - table_name: People
                    url: http://localhost:9000/streams

                  # second
                  - table_name: Orders
                    url: ftp://x
                """);

        InvalidFileException e = readFails(file);

        assertNamesFileAndLine(e, file, 9);
        assertMentions(e, "entry 2 is invalid: url: ");
    }

    // ---------------------------------------------------------------- delivery settings

    @Test
    void givenEverySettingAsYamlScalars_whenRead_thenEachApplied() throws Exception {
        Path file = write("""
                entries:
                  - table_name: People
                    url: http://localhost:9000/streams
                    batch_size: 500
                    maximum_batching_window_in_seconds: 5
                    maximum_retry_attempts: -1
                    maximum_record_age_in_seconds: 3600
                    bisect_batch_on_function_error: true
                    on_failure: DEAD_LETTER
                  - table_name: Orders
                    url: http://localhost:9000/orders
                """);

        List<Valid> entries = SubscriptionFile.read(file);

        assertEquals(new DeliverySettings(500, Duration.ofSeconds(5), -1, Duration.ofHours(1), true,
                OnFailure.DEAD_LETTER), entries.get(0).settings());
        assertEquals(DeliverySettings.DEFAULTS, entries.get(1).settings());
    }

    /** Issue 11: an entry can use Lambda's CreateEventSourceMapping names, filters and the other mapping options. */
    @Test
    void givenLambdasNamesAndMappingOptions_whenRead_thenTakenAndDisabledEntriesLeftOut() throws Exception {
        Path file = write("""
                entries:
                  - EventSourceArn: arn:aws:dynamodb:eu-west-1:123456789012:table/People/stream/2024-01-01T00:00:00.000
                    FunctionName: people-handler
                    BatchSize: ${BATCH_SIZE:25}
                    StartingPosition: TRIM_HORIZON
                    FunctionResponseTypes: [ReportBatchItemFailures]
                    TumblingWindowInSeconds: 60
                    FilterCriteria:
                      Filters:
                        - Pattern: '{"eventName": ["INSERT", "MODIFY"]}'
                        - Pattern: {dynamodb: {NewImage: {status: {S: [active]}}}}
                  - table_name: Orders
                    url: http://localhost:9000/orders
                    Enabled: false
                  - table_name: Orders
                    url: http://localhost:9000/orders2
                    parallelization_factor: 4
                    enabled: true
                """);

        List<Valid> entries = SubscriptionFile.read(file, Map.<String, String>of()::get);

        assertEquals(2, entries.size(), "the disabled entry is not registered");
        Valid people = entries.get(0);
        assertEquals("People", people.tableName());
        assertEquals("arn:aws:lambda:eu-west-1:123456789012:function:people-handler", people.url().toString());
        assertEquals(25, people.settings().batchSize());
        assertEquals(new MappingOptions(List.of("{\"eventName\":[\"INSERT\",\"MODIFY\"]}",
                "{\"dynamodb\":{\"NewImage\":{\"status\":{\"S\":[\"active\"]}}}}"), true, Duration.ofSeconds(60), 1),
                people.settings().mapping());
        assertEquals(4, entries.get(1).settings().mapping().parallelizationFactor());
    }

    @Test
    void givenAnInvalidLambdaNamedValue_whenRead_thenTheErrorNamesTheFieldAsWrittenAndTheLine() throws Exception {
        Path file = write("""
                entries:
                  - table_name: People
                    url: http://localhost:9000/people
                  - table_name: People
                    FunctionName: people-handler
                    ParallelizationFactor: 20
                """);

        SubscriptionFile.InvalidFileException e = assertThrows(SubscriptionFile.InvalidFileException.class,
                () -> SubscriptionFile.read(file));

        assertEquals(4, e.line());
        assertTrue(e.getMessage().contains("entry 2 is invalid: ParallelizationFactor: must be an integer from 1 to "
                + "10"), e.getMessage());
    }

    @Test
    void givenSettingsFromEnvironmentVariables_whenRead_thenExpandedAndTyped() throws Exception {
        Path file = write("""
                entries:
                  - table_name: People
                    url: http://localhost:9000/streams
                    batch_size: ${BATCH_SIZE}
                    maximum_batching_window_in_seconds: ${WINDOW:10}
                    maximum_retry_attempts: "${RETRIES}"
                    maximum_record_age_in_seconds: ${AGE:-1}
                    bisect_batch_on_function_error: ${BISECT}
                    on_failure: ${ON_FAILURE:skip}
                """);

        Valid entry = SubscriptionFile.read(file, Map.of("BATCH_SIZE", "250", "RETRIES", " 3 ", "BISECT", "TRUE")::get)
                .get(0);

        assertEquals(new DeliverySettings(250, Duration.ofSeconds(10), 3, null, true, OnFailure.SKIP),
                entry.settings());
    }

    @Test
    void givenSettingVariableUnset_whenRead_thenErrorNamesVariableKeyAndLine() throws Exception {
        Path file = write("""
                entries:
                  - table_name: People
                    url: http://localhost:9000/streams
                    batch_size: ${BATCH_SIZE}
                """);

        InvalidFileException e = assertThrows(InvalidFileException.class,
                () -> SubscriptionFile.read(file, Map.<String, String>of()::get));

        assertNamesFileAndLine(e, file, 4);
        assertMentions(e, "environment variable BATCH_SIZE", "'batch_size'");
    }

    @Test
    void givenSettingOutOfRange_whenRead_thenErrorNamesEntryFieldRangeAndLine() throws Exception {
        assertSecondEntryInvalid("  - table_name: Orders\n    url: http://localhost:9000/orders\n"
                + "    batch_size: 20000\n", "batch_size", "must be an integer from 1 to 10000");
        assertSecondEntryInvalid("  - table_name: Orders\n    url: http://localhost:9000/orders\n"
                + "    maximum_record_age_in_seconds: 30\n", "maximum_record_age_in_seconds",
                "must be -1 (no limit) or an integer from 60 to 604800");
        assertSecondEntryInvalid("  - table_name: Orders\n    url: http://localhost:9000/orders\n"
                + "    on_failure: retry\n", "on_failure", "must be stop, skip or dead_letter");
    }

    @Test
    void givenSettingOfTheWrongType_whenRead_thenErrorNamesTheFieldAndWhatWasGiven() throws Exception {
        assertSecondEntryInvalid("  - table_name: Orders\n    url: http://localhost:9000/orders\n"
                + "    batch_size: 1.5\n", "batch_size", "must be an integer from 1 to 10000, not a decimal number");
        assertSecondEntryInvalid("  - table_name: Orders\n    url: http://localhost:9000/orders\n"
                + "    batch_size: lots\n", "batch_size", "must be an integer from 1 to 10000, not a string");
        // quoted is text, as "100" is in the API; only ${VAR} values are typed after expansion
        assertSecondEntryInvalid("  - table_name: Orders\n    url: http://localhost:9000/orders\n"
                + "    maximum_retry_attempts: \"5\"\n", "maximum_retry_attempts", "not a string");
        assertSecondEntryInvalid("  - table_name: Orders\n    url: http://localhost:9000/orders\n"
                + "    maximum_batching_window_in_seconds: [1, 2]\n", "maximum_batching_window_in_seconds",
                "must be an integer from 0 to 300, not an array");
        assertSecondEntryInvalid("  - table_name: Orders\n    url: http://localhost:9000/orders\n"
                + "    bisect_batch_on_function_error: {a: 1}\n", "bisect_batch_on_function_error",
                "must be true or false, not an object");
        assertSecondEntryInvalid("  - table_name: Orders\n    url: http://localhost:9000/orders\n"
                + "    bisect_batch_on_function_error: 1\n", "bisect_batch_on_function_error",
                "must be true or false, not a number");
    }

    @Test
    void givenSettingVariableThatIsNotANumber_whenRead_thenErrorNamesTheField() throws Exception {
        Path file = write(FIRST_OK + "  - table_name: Orders\n    url: http://localhost:9000/orders\n"
                + "    batch_size: ${BATCH_SIZE}\n");

        InvalidFileException e = assertThrows(InvalidFileException.class,
                () -> SubscriptionFile.read(file, Map.of("BATCH_SIZE", "1e3")::get));

        assertNamesFileAndLine(e, file, 4);
        assertMentions(e, "entry 2 is invalid: ", "batch_size: must be an integer from 1 to 10000, not a string");
    }

    @Test
    void givenTypoInSettingKey_whenRead_thenErrorListsEveryAllowedKey() throws Exception {
        Path file = write("""
                entries:
                  - table_name: People
                    url: http://localhost:9000/streams
                    batchsize: 10
                """);

        InvalidFileException e = readFails(file);

        assertNamesFileAndLine(e, file, 4);
        assertMentions(e, "unknown key 'batchsize'", "batch_size, maximum_batching_window_in_seconds, "
                + "maximum_retry_attempts, maximum_record_age_in_seconds, bisect_batch_on_function_error, on_failure");
    }
}
