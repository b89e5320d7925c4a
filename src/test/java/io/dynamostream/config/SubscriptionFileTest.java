package io.dynamostream.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.dynamostream.config.SubscriptionFile.InvalidFileException;
import io.dynamostream.subscription.StartingPosition;
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
}
