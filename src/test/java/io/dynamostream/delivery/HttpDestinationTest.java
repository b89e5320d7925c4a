package io.dynamostream.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import io.dynamostream.metrics.StreamMetrics.AttemptOutcome;

/** How an HTTP answer becomes the destination port's answer, and how {@code Retry-After} is read. */
class HttpDestinationTest {

    private static HttpPoster.Response response(int status, String error, Duration retryAfter) {
        return new HttpPoster.Response(status, error, AttemptOutcome.of(status, false, false), Duration.ofMillis(5),
                retryAfter);
    }

    @ParameterizedTest
    @ValueSource(ints = {200, 201, 202, 204, 299})
    void givenA2xx_thenDelivered(int status) {
        assertInstanceOf(Destination.Attempt.Delivered.class, HttpDestination.attempt(response(status, null, null)));
    }

    @Test
    void given410Gone_thenPermanentWithTheReceiversText() {
        Destination.Attempt a = HttpDestination.attempt(response(410, "retired", null));

        assertInstanceOf(Destination.Attempt.Permanent.class, a);
        assertEquals("receiver answered 410 Gone: HTTP 410 retired", a.describe());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 301, 302, 400, 401, 404, 413, 429, 500, 502, 503})
    void givenAnythingElse_thenRetryable(int status) {
        Destination.Attempt a = HttpDestination.attempt(response(status, status == 0 ? "timed out after 10 ms" : null,
                null));

        assertInstanceOf(Destination.Attempt.Retryable.class, a);
        assertTrue(status == 0 ? a.describe().equals("timed out after 10 ms") : a.describe().startsWith("HTTP " + status),
                a.describe());
    }

    @Test
    void givenARedirect_thenTheReasonSaysRedirectsAreNotFollowed() {
        assertEquals("HTTP 302 (redirects are not followed)",
                HttpDestination.attempt(response(302, null, null)).describe());
    }

    @Test
    void givenRetryAfterOnA429_thenTheDelayReachesThePort() {
        Destination.Attempt a = HttpDestination.attempt(response(429, null, HttpPoster.retryAfter(429, "7")));

        assertEquals(Duration.ofSeconds(7), ((Destination.Attempt.Retryable) a).delay());
    }

    @Test
    void givenRetryAfterValues_thenSecondsAndHttpDatesAreReadAndTheRestIgnored() {
        assertEquals(Duration.ofSeconds(120), HttpPoster.retryAfter(503, " 120 "));
        assertEquals(Duration.ZERO, HttpPoster.retryAfter(429, "0"));
        assertNull(HttpPoster.retryAfter(429, "-5"));
        assertNull(HttpPoster.retryAfter(429, "soon"));
        assertNull(HttpPoster.retryAfter(500, "10"), "only 429 and 503 may ask for a delay");
        assertNull(HttpPoster.retryAfter(429, null));
        String inAMinute = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(60));
        Duration d = HttpPoster.retryAfter(503, inAMinute);
        assertTrue(d.toSeconds() > 50 && d.toSeconds() <= 60, d.toString());
        String past = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).minusHours(1));
        assertEquals(Duration.ZERO, HttpPoster.retryAfter(503, past));
    }
}
