package io.dynamostream.subscription;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The rules for secrets and custom headers (the same for the API and the YAML file). */
class SubscriptionRequestTest {

    static final String SECRET = "whsec_" + Base64.getEncoder().encodeToString(new byte[32]);
    static final String OTHER = "whsec_" + Base64.getEncoder().encodeToString(new byte[24]);

    private static SubscriptionRequest request(String secret, String previous, Map<String, String> headers) {
        return new SubscriptionRequest("People", "http://h/x", null, secret, previous, headers);
    }

    private static FieldError onlyError(SubscriptionRequest request) {
        InvalidSubscriptionException e = assertThrows(InvalidSubscriptionException.class, request::validate);
        assertEquals(1, e.errors().size(), e.errors().toString());
        return e.errors().get(0);
    }

    @Test
    void givenSecretAndPrevious_whenValidated_thenBothKeptCurrentFirst() {
        SubscriptionRequest.Valid valid = request(SECRET, OTHER, null).validate();

        assertEquals(List.of(WebhookSecret.of(SECRET), WebhookSecret.of(OTHER)), valid.secrets());
        assertFalse(valid.toString().contains(SECRET.substring(6)), valid.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "plain-password-string-that-is-long", "whsec_not base64!", "whsec_c2hvcnQ=",
            "whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"})
    void givenMalformedSecret_whenValidated_then400NamingSecretWithoutEchoingIt(String secret) {
        FieldError error = onlyError(request(secret, null, null));

        assertEquals("secret", error.field());
        if (!secret.isEmpty()) {
            assertFalse(error.messages().toString().contains(secret), error.toString());
        }
    }

    @Test
    void givenPreviousSecretAlone_whenValidated_thenNamesPreviousSecret() {
        assertEquals("previous_secret", onlyError(request(null, OTHER, null)).field());
        assertEquals("previous_secret", onlyError(request(SECRET, "nope", null)).field());
    }

    @Test
    void givenValidHeaders_whenValidated_thenKeptInOrder() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", "Bearer xyz");
        headers.put("X-Tenant", "a b\tc".replace("\t", " "));

        assertEquals(List.of("Authorization", "X-Tenant"),
                List.copyOf(request(null, null, headers).validate().headers().keySet()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Content-Type", "content-length", "HOST", "webhook-id", "Webhook-Signature",
            "Transfer-Encoding", "Connection"})
    void givenReservedHeader_whenValidated_thenNamesTheHeader(String name) {
        FieldError error = onlyError(request(null, null, Map.of(name, "x")));

        assertEquals("headers." + name, error.field());
        assertTrue(error.messages().get(0).contains("cannot be set"), error.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"Bearer x\r\nX-Injected: 1", "a\nb", "tab\there", "nul\u0000", "del\u007f", "Zoë"})
    void givenValueWithControlOrNonAsciiCharacters_whenValidated_thenNamesTheHeaderWithoutEchoingTheValue(String v) {
        FieldError error = onlyError(request(null, null, Map.of("Authorization", v)));

        assertEquals("headers.Authorization", error.field());
        assertFalse(error.messages().toString().contains(v), error.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"Bad Header", "X:Y", "", "Ünicode", "X-Foo\r\n"})
    void givenInvalidHeaderName_whenValidated_thenNamesHeaders(String name) {
        FieldError error = onlyError(request(null, null, Map.of(name, "x")));

        assertEquals("headers", error.field());
        assertFalse(error.messages().get(0).contains("\n"), error.toString());
    }

    @Test
    void givenSameHeaderInTwoCases_whenValidated_thenRefused() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", "a");
        headers.put("authorization", "b");

        assertEquals("headers.authorization", onlyError(request(null, null, headers)).field());
    }

    @Test
    void givenTooManyOrTooLongHeaders_whenValidated_thenRefused() {
        Map<String, String> many = new LinkedHashMap<>();
        for (int i = 0; i <= SubscriptionRequest.MAX_HEADERS; i++) {
            many.put("X-H" + i, "v");
        }
        assertEquals("headers", onlyError(request(null, null, many)).field());
        assertEquals("headers.X-Long", onlyError(request(null, null,
                Map.of("X-Long", "v".repeat(SubscriptionRequest.MAX_HEADER_VALUE_LENGTH + 1)))).field());
    }
}
