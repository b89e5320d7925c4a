package io.dynamostream.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RedactionTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "https://h/x?token=abc                     | https://h/x?token=***",
            "https://h/x?TOKEN=abc&page=2              | https://h/x?TOKEN=***&page=2",
            "https://h/x?a=1&Access_Token=abc#frag     | https://h/x?a=1&Access_Token=***#frag",
            "https://user:pw@h:8443/x?apikey=k&api_key=k | https://***@h:8443/x?apikey=***&api_key=***",
            "http://h/x?key=1&secret=2&signature=3&sig=4&password=5&auth=6 | "
                    + "http://h/x?key=***&secret=***&signature=***&sig=***&password=***&auth=***",
            "http://h/x?monkey=banana&tokens=no        | http://h/x?monkey=banana&tokens=no",
            "http://h/x?%74oken=abc                    | http://h/x?%74oken=***",
            "http://127.0.0.1:9000/events              | http://127.0.0.1:9000/events"})
    void givenUrl_whenRedacted_thenSecretsMaskedAndTheRestKept(String url, String expected) {
        assertEquals(expected, Redaction.url(URI.create(url)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"line\nINFO forged", "line\r\nforged", "bell\u0007", "nul\u0000", "sep\u2028x"})
    void givenControlCharacters_whenText_thenOneLineWithEscapes(String value) {
        String text = Redaction.text(value);
        assertFalse(text.chars().anyMatch(c -> Redaction.isControl((char) c)), text);
        assertFalse(text.contains("\n") || text.contains("\r"), text);
    }

    @Test
    void givenText_whenEscaped_thenReadable() {
        assertEquals("a\\nb", Redaction.text("a\nb"));
        assertEquals("a\\rb", Redaction.text("a\rb"));
        assertEquals("a\\u0007b", Redaction.text("a\u0007b"));
        assertEquals("plain", Redaction.text("plain"));
    }

    @Test
    void givenAReceiverErrorBody_whenOneLine_thenEveryControlRunIsOneSpace() {
        assertEquals("bad gateway upstream down x", Redaction.oneLine("bad gateway\r\n\r\nupstream down\u2028\u0007x"));
        assertEquals(null, Redaction.oneLine(null));
    }

    @Test
    void givenAMessageWithUrls_whenWithoutUrls_thenNoUrlIsLeftAndItIsCutTo300() {
        String text = Redaction.withoutUrls("POST https://u:p@hooks.example.com/x?token=abc failed; see http://h/y");
        assertEquals("POST <url> failed; see <url>", text);
        String long_ = Redaction.withoutUrls("x".repeat(1000));
        assertEquals(300, long_.length());
        assertTrue(long_.endsWith("..."));
    }

    @Test
    void givenUserInput_whenPrintable_thenControlCharactersEscapedAndLongValuesCut() {
        assertEquals("a\\u000d\\u000aINFO forged", Redaction.printable("a\r\nINFO forged"));
        assertEquals(303, Redaction.printable("y".repeat(1000)).length());
        assertEquals("null", Redaction.printable(null));
    }
}
