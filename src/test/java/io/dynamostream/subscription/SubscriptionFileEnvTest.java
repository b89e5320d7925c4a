package io.dynamostream.subscription;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.dynamostream.subscription.SubscriptionFile.InvalidFileException;
import io.dynamostream.subscription.SubscriptionRequest.Valid;

/** {@code ${VAR}} / {@code ${VAR:default}} in the subscription file, and the secret and headers keys. */
class SubscriptionFileEnvTest {

    static final String SECRET = "whsec_" + Base64.getEncoder().encodeToString(new byte[32]);

    @TempDir
    Path dir;

    private Path write(String yaml) throws IOException {
        return Files.writeString(dir.resolve("subscriptions.yaml"), yaml);
    }

    private static InvalidFileException fails(Path file, Map<String, String> env) {
        return assertThrows(InvalidFileException.class, () -> SubscriptionFile.read(file, env::get));
    }

    @Test
    void givenSetVariables_whenRead_thenEveryTextValueExpanded() throws Exception {
        Path file = write("""
                entries:
                  - table_name: ${TABLE}
                    url: https://${HOST}/events?token=${TOKEN}
                    starting_position: ${POSITION}
                    secret: ${SECRET}
                    headers:
                      Authorization: Bearer ${API_TOKEN}
                      X-Team: people
                """);

        Valid entry = SubscriptionFile.read(file, Map.of("TABLE", "People", "HOST", "hooks.example.com",
                "TOKEN", "t0k", "POSITION", "TRIM_HORIZON", "SECRET", SECRET, "API_TOKEN", "xyz")::get).get(0);

        assertEquals("People", entry.tableName());
        assertEquals(URI.create("https://hooks.example.com/events?token=t0k"), entry.url());
        assertEquals("TRIM_HORIZON", entry.startingPosition().name());
        assertEquals(List.of(WebhookSecret.of(SECRET)), entry.secrets());
        assertEquals(Map.of("Authorization", "Bearer xyz", "X-Team", "people"), entry.headers());
    }

    @Test
    void givenUnsetOrEmptyVariableWithDefault_whenRead_thenDefaultUsed() throws Exception {
        Path file = write("""
                entries:
                  - table_name: ${TABLE:People}
                    url: http://${HOST:localhost:9000}/streams
                """);

        Valid entry = SubscriptionFile.read(file, Map.of("HOST", "")::get).get(0);

        assertEquals("People", entry.tableName());
        assertEquals(URI.create("http://localhost:9000/streams"), entry.url());
    }

    @Test
    void givenUnsetVariableWithoutDefault_whenRead_thenErrorNamesVariableFileAndLine() throws Exception {
        Path file = write("""
                entries:
                  - table_name: People
                    url: http://localhost:9000/streams
                  - table_name: Orders
                    url: http://localhost:9000/orders
                    headers:
                      Authorization: Bearer ${ORDERS_TOKEN}
                """);

        InvalidFileException e = fails(file, Map.of());

        assertEquals(7, e.line(), e.getMessage());
        assertTrue(e.getMessage().startsWith("Subscription file " + file.toAbsolutePath() + ", line 7: "),
                e.getMessage());
        assertTrue(e.getMessage().contains("environment variable ORDERS_TOKEN"), e.getMessage());
        assertTrue(e.getMessage().contains("headers.Authorization"), e.getMessage());
    }

    @Test
    void givenEscapedDollar_whenRead_thenLiteralKept() throws Exception {
        Path file = write("""
                entries:
                  - table_name: People
                    url: http://localhost:9000/streams
                    headers:
                      X-Template: $${NOT_A_VARIABLE}
                """);

        assertEquals("${NOT_A_VARIABLE}", SubscriptionFile.read(file, Map.<String, String>of()::get).get(0)
                .headers().get("X-Template"));
    }

    @Test
    void givenUnclosedExpression_whenRead_thenErrorNamesTheLine() throws Exception {
        Path file = write("""
                entries:
                  - table_name: People
                    url: http://localhost:9000/${OOPS
                """);

        assertEquals(3, fails(file, Map.of()).line());
    }

    @Test
    void givenExpandedSecretIsInvalid_whenRead_thenErrorNamesTheFieldButNotTheValue() throws Exception {
        Path file = write("""
                entries:
                  - table_name: People
                    url: http://localhost:9000/streams
                    secret: ${SECRET}
                """);

        InvalidFileException e = fails(file, Map.of("SECRET", "hunter2-not-a-whsec"));

        assertEquals(2, e.line(), e.getMessage());
        assertTrue(e.getMessage().contains("secret:"), e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }

    @Test
    void givenHeadersNotAMapping_whenRead_thenErrorNamesTheLine() throws Exception {
        Path file = write("""
                entries:
                  - table_name: People
                    url: http://localhost:9000/streams
                    headers: Authorization
                """);

        InvalidFileException e = fails(file, Map.of());

        assertEquals(4, e.line(), e.getMessage());
        assertTrue(e.getMessage().contains("'headers' must be a mapping"), e.getMessage());
    }
}
