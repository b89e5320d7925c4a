package io.dynamostream.subscription;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;

import io.dynamostream.subscription.DeliverySettings.OnFailure;

/**
 * The rules for secrets, custom headers and delivery settings (the same for the API and the YAML file), and the
 * round trip of a valid request through {@link SubscriptionRequest.Valid#toRequest()}.
 */
class SubscriptionRequestTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static final String SECRET = "whsec_" + Base64.getEncoder().encodeToString(new byte[32]);
    static final String OTHER = "whsec_" + Base64.getEncoder().encodeToString(new byte[24]);

    /** The list the API and the YAML file show as "allowed" is the request's own fields, in order. */
    @Test
    void whenAllowedFieldsListed_thenExactlyTheJsonNamesOfTheRequest() {
        List<String> names = new ArrayList<>();
        for (var component : SubscriptionRequest.class.getRecordComponents()) {
            JsonProperty property = component.getAccessor().getAnnotation(JsonProperty.class);
            if (property != null) { // the one without: how the request spelled its fields, never read from JSON
                names.add(property.value());
            }
        }
        assertEquals(names, SubscriptionRequest.FIELDS);
    }

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

    // ---------------------------------------------------------------- delivery settings

    /** A request with the given settings, bound from JSON as the API binds it. */
    private static SubscriptionRequest withSettings(String settingsJson) throws Exception {
        return JSON.readValue("{\"table_name\": \"People\", \"url\": \"http://h/x\""
                + (settingsJson.isEmpty() ? "" : ", " + settingsJson) + "}", SubscriptionRequest.class);
    }

    @Test
    void givenNoSettings_whenValidated_thenLambdaDefaultsWithTenAttemptsThenStop() throws Exception {
        DeliverySettings settings = withSettings("").validate().settings();

        assertEquals(new DeliverySettings(100, Duration.ZERO, 9, null, false, OnFailure.STOP), settings);
        assertEquals(DeliverySettings.DEFAULTS, settings);
        assertEquals(DeliverySettings.DEFAULTS, withSettings("\"batch_size\": null, \"on_failure\": null, "
                + "\"maximum_record_age_in_seconds\": null, \"bisect_batch_on_function_error\": null").validate()
                .settings());
    }

    @Test
    void givenEverySetting_whenValidated_thenEachApplied() throws Exception {
        DeliverySettings settings = withSettings("\"batch_size\": 500, \"maximum_batching_window_in_seconds\": 5, "
                + "\"maximum_retry_attempts\": -1, \"maximum_record_age_in_seconds\": 3600, "
                + "\"bisect_batch_on_function_error\": true, \"on_failure\": \"dead_letter\"").validate().settings();

        assertEquals(new DeliverySettings(500, Duration.ofSeconds(5), -1, Duration.ofHours(1), true,
                OnFailure.DEAD_LETTER), settings);
        assertTrue(settings.retriesForever());
    }

    @ParameterizedTest
    @CsvSource({"batch_size, 1", "batch_size, 10000", "maximum_batching_window_in_seconds, 0",
            "maximum_batching_window_in_seconds, 300", "maximum_retry_attempts, -1", "maximum_retry_attempts, 0",
            "maximum_retry_attempts, 10000", "maximum_record_age_in_seconds, -1", "maximum_record_age_in_seconds, 60",
            "maximum_record_age_in_seconds, 604800"})
    void givenBoundaryValue_whenValidated_thenAccepted(String field, int value) throws Exception {
        withSettings("\"" + field + "\": " + value).validate();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "batch_size | 0 | must be an integer from 1 to 10000",
            "batch_size | 10001 | must be an integer from 1 to 10000",
            "batch_size | -1 | must be an integer from 1 to 10000",
            "batch_size | 99999999999999999999 | must be an integer from 1 to 10000",
            "batch_size | 1.5 | must be an integer from 1 to 10000, not a decimal number",
            "batch_size | 100.0 | must be an integer from 1 to 10000, not a decimal number",
            "batch_size | 1e400 | must be an integer from 1 to 10000, not a decimal number",
            "batch_size | \"100\" | must be an integer from 1 to 10000, not a string",
            "batch_size | \"abc\" | must be an integer from 1 to 10000, not a string",
            "batch_size | true | must be an integer from 1 to 10000, not a boolean",
            "batch_size | [100] | must be an integer from 1 to 10000, not an array",
            "batch_size | {\"n\": 1} | must be an integer from 1 to 10000, not an object",
            "maximum_batching_window_in_seconds | -1 | must be an integer from 0 to 300",
            "maximum_batching_window_in_seconds | 301 | must be an integer from 0 to 300",
            "maximum_retry_attempts | -2 | must be -1 (retry until the records are too old, or forever) or an "
                    + "integer from 0 to 10000",
            "maximum_retry_attempts | 10001 | must be -1 (retry until the records are too old, or forever) or an "
                    + "integer from 0 to 10000",
            "maximum_retry_attempts | false | must be -1 (retry until the records are too old, or forever) or an "
                    + "integer from 0 to 10000, not a boolean",
            "maximum_record_age_in_seconds | 0 | must be -1 (no limit) or an integer from 60 to 604800",
            "maximum_record_age_in_seconds | 59 | must be -1 (no limit) or an integer from 60 to 604800",
            "maximum_record_age_in_seconds | 604801 | must be -1 (no limit) or an integer from 60 to 604800",
            "bisect_batch_on_function_error | \"true\" | must be true or false, not a string",
            "bisect_batch_on_function_error | 1 | must be true or false, not a number",
            "on_failure | \"retry\" | must be stop, skip or dead_letter",
            "on_failure | \"dead-letter\" | must be stop, skip or dead_letter",
            "on_failure | \"\" | must be stop, skip or dead_letter",
            "on_failure | \"\u017fkip\" | must be stop, skip or dead_letter"})
    void givenInvalidSetting_whenValidated_thenOneErrorNamingTheFieldAndTheAllowedValues(String field, String json,
            String message) throws Exception {
        FieldError error = onlyError(withSettings("\"" + field + "\": " + json));

        assertEquals(new FieldError(field, List.of(message)), error);
    }

    @ParameterizedTest
    @CsvSource({"stop, STOP", "SKIP, SKIP", "Dead_Letter, DEAD_LETTER", "' skip ', SKIP"})
    void givenOnFailureInAnyCase_whenValidated_thenRecognised(String given, OnFailure expected) throws Exception {
        assertEquals(expected, withSettings("\"on_failure\": \"" + given + "\"").validate().settings().onFailure());
    }

    @Test
    void givenSeveralInvalidSettings_whenValidated_thenEveryFieldNamed() throws Exception {
        InvalidSubscriptionException e = assertThrows(InvalidSubscriptionException.class,
                withSettings("\"batch_size\": 0, \"maximum_retry_attempts\": 1.5, \"on_failure\": \"never\"")::validate);

        assertEquals(List.of("batch_size", "maximum_retry_attempts", "on_failure"),
                e.errors().stream().map(FieldError::field).toList());
    }

    // ---------------------------------------------------------------- toRequest() round trip

    @Test
    void givenValidWithDefaults_whenToRequest_thenEverySettingWrittenOut() throws Exception {
        SubscriptionRequest request = withSettings("").validate().toRequest();

        assertEquals(Map.of("table_name", "People", "url", "http://h/x", "starting_position", "LATEST",
                "batch_size", 100, "maximum_batching_window_in_seconds", 0, "maximum_retry_attempts", 9,
                "maximum_record_age_in_seconds", -1, "bisect_batch_on_function_error", false, "on_failure", "stop"),
                withoutNulls(JSON.convertValue(request, Map.class)));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> withoutNulls(Map<?, ?> map) {
        Map<String, Object> out = new TreeMap<>();
        map.forEach((k, v) -> {
            if (v != null) {
                out.put((String) k, v);
            }
        });
        return out;
    }

    @Test
    void givenRandomValidRequests_whenToRequestValidatedAgain_thenEqual() throws Exception {
        Random random = new Random(20260404L);
        for (int i = 0; i < 500; i++) {
            DeliverySettings settings = randomSettings(random);
            SubscriptionRequest request = randomRequest(random, settings);
            SubscriptionRequest.Valid valid = request.validate();
            assertEquals(settings, valid.settings(), request::toString);

            assertEquals(valid, valid.toRequest().validate(), request::toString);
            // as the state store keeps it: JSON text, read back
            String stored = JSON.writeValueAsString(valid.toRequest());
            assertEquals(valid, JSON.readValue(stored, SubscriptionRequest.class).validate(), stored);
        }
    }

    private static final List<String> URLS = List.of("http://h/x", "https://hooks.example.com/p?token=abc#frag",
            "HTTP://127.0.0.1:9", "http://[::1]:8080/a/b", "https://h.example/%20x?q=%C3%BC");
    private static final String TABLE_CHARS = "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789_.-";
    private static final String TOKEN_CHARS = "!#$%&'*+.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFXYZ-";

    private static DeliverySettings randomSettings(Random r) {
        return new DeliverySettings(1 + r.nextInt(DeliverySettings.MAX_BATCH_SIZE),
                Duration.ofSeconds(r.nextInt(DeliverySettings.MAX_BATCHING_WINDOW_SECONDS + 1)),
                r.nextInt(5) == 0 ? -1 : r.nextInt(DeliverySettings.MAX_RETRY_ATTEMPTS + 1),
                r.nextInt(3) == 0 ? null : Duration.ofSeconds(DeliverySettings.MIN_RECORD_AGE_SECONDS + r.nextInt(
                        DeliverySettings.MAX_RECORD_AGE_SECONDS - DeliverySettings.MIN_RECORD_AGE_SECONDS + 1)),
                r.nextBoolean(), OnFailure.values()[r.nextInt(OnFailure.values().length)]);
    }

    /** A valid request as a client sends it: settings all explicit, or only those that differ from the default. */
    private static SubscriptionRequest randomRequest(Random r, DeliverySettings d) {
        String table = random(r, TABLE_CHARS, 3 + r.nextInt(r.nextInt(10) == 0 ? 253 : 20));
        String position = List.of("LATEST", "latest", " Trim_Horizon ", "TRIM_HORIZON").get(r.nextInt(4));
        List<String> secrets = new ArrayList<>();
        for (int n = r.nextInt(3); secrets.size() < n;) {
            byte[] key = new byte[24 + r.nextInt(41)];
            r.nextBytes(key);
            secrets.add("whsec_" + Base64.getEncoder().encodeToString(key));
        }
        Map<String, String> headers = new LinkedHashMap<>();
        Map<String, String> seen = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (int n = r.nextInt(4) == 0 ? r.nextInt(SubscriptionRequest.MAX_HEADERS + 1) : 0; headers.size() < n;) {
            String name = random(r, TOKEN_CHARS, 1 + r.nextInt(30));
            String lower = name.toLowerCase(Locale.ROOT);
            if (!SubscriptionRequest.RESERVED_HEADERS.contains(lower) && !lower.startsWith("webhook-")
                    && seen.putIfAbsent(name, name) == null) {
                headers.put(name, random(r, PRINTABLE, r.nextInt(100)));
            }
        }
        boolean explicit = r.nextBoolean();
        DeliverySettings z = DeliverySettings.DEFAULTS;
        return new SubscriptionRequest(table, URLS.get(r.nextInt(URLS.size())), r.nextInt(4) == 0 ? null : position,
                secrets.isEmpty() ? null : secrets.get(0), secrets.size() < 2 ? null : secrets.get(1),
                headers.isEmpty() && r.nextBoolean() ? null : headers,
                explicit || d.batchSize() != z.batchSize() ? IntNode.valueOf(d.batchSize()) : null,
                explicit || !d.batchingWindow().isZero()
                        ? IntNode.valueOf((int) d.batchingWindow().toSeconds()) : null,
                explicit || d.maximumRetryAttempts() != z.maximumRetryAttempts()
                        ? IntNode.valueOf(d.maximumRetryAttempts()) : null,
                d.maximumRecordAge() != null ? IntNode.valueOf((int) d.maximumRecordAge().toSeconds())
                        : explicit ? IntNode.valueOf(-1) : null,
                explicit || d.bisectOnError() ? BooleanNode.valueOf(d.bisectOnError()) : null,
                explicit || d.onFailure() != z.onFailure() ? d.onFailure().name() : null);
    }

    private static final String PRINTABLE;

    static {
        StringBuilder sb = new StringBuilder();
        for (char c = ' '; c <= '~'; c++) {
            sb.append(c);
        }
        PRINTABLE = sb.toString();
    }

    private static String random(Random r, String chars, int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(chars.charAt(r.nextInt(chars.length())));
        }
        return sb.toString();
    }
}
