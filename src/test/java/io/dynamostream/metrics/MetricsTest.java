package io.dynamostream.metrics;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import io.dynamostream.e2e.Api;
import io.dynamostream.e2e.Dynamo;
import io.dynamostream.e2e.Receiver;
import io.quarkus.test.junit.QuarkusTest;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/** What an operator scraping {@code /q/metrics} sees after deliveries, throttling and a trimmed position. */
@QuarkusTest
class MetricsTest {

    private final Dynamo dynamo = Dynamo.local();

    @Test
    void givenDeliveries_thenPrometheusShowsTheListedSeriesWithBoundedLabelsAndNoUrl() {
        String table = dynamo.createTable("Metrics-" + System.nanoTime() % 100000, StreamViewType.NEW_IMAGE);
        try (Receiver receiver = new Receiver()) {
            String id = Api.subscribe(table, receiver.url(), "LATEST");
            try {
                for (int i = 0; i < 3; i++) {
                    dynamo.put(table, "m-" + i, i);
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> receiver.records().size() == 3);
                dynamo.hook("faults", Map.of("operation", "GetRecords", "error", "throttle", "count", 2));
                await().atMost(Duration.ofSeconds(10)).until(() -> metrics().contains(
                        "dynamo_stream_aws_throttles_total{operation=\"GetRecords\",table=\"" + table + "\"}"));
                // dynamo_stream_gaps_total needs records really lost to a trim: see AwsFaultsTest

                String text = metrics();
                String labels = "subscription=\"" + id + "\",table=\"" + table + "\"";
                assertValue(text, "dynamo_stream_records_delivered_total{" + labels + "}", 3);
                assertTrue(text.contains("dynamo_stream_batches_delivered_total{" + labels + "}"), text);
                // the destination type labels the attempt series (one type per subscription: no extra series)
                assertValue(text, "dynamo_stream_delivery_attempts_total{destination=\"http\",outcome=\"2xx\","
                        + labels + "}", countBatches(receiver));
                assertThat(text, containsString("dynamo_stream_delivery_duration_seconds_bucket{destination=\"http\","
                        + labels));
                // per subscription by default (dynamo-stream.metrics.per-shard adds the shard label)
                assertThat(text, containsString("dynamo_stream_iterator_age_seconds{" + labels + "}"));
                assertThat(text, not(containsString("shard=\"")));
                assertThat(text, containsString("dynamo_stream_dead_letters_total{" + labels + "} 0.0"));
                assertThat(text, containsString("dynamo_stream_subscriptions{status=\"RUNNING\"}"));
                assertThat(text, not(containsString(receiver.url().toString())));
                assertThat(text, not(containsString("127.0.0.1:" + receiver.url().getPort())));
            } finally {
                Api.unsubscribe(id);
            }
            assertThat(metrics(), not(containsString("subscription=\"" + id + "\"")));
        }
    }

    /** Issue 10 B: an alert on increase(...) needs the series at 0 before the first gap, skip or dead letter. */
    @Test
    void givenSubscriptionJustRegistered_thenGapSkipAndDeadLetterCountersAlreadyShownAtZero() {
        String table = dynamo.createTable("MetricsZero-" + System.nanoTime() % 100000, StreamViewType.NEW_IMAGE);
        try (Receiver receiver = new Receiver()) {
            String id = Api.subscribe(table, receiver.url(), "LATEST");
            try {
                String text = metrics();
                String labels = "subscription=\"" + id + "\",table=\"" + table + "\"";
                assertValue(text, "dynamo_stream_gaps_total{table=\"" + table + "\"}", 0);
                assertValue(text, "dynamo_stream_records_skipped_total{" + labels + "}", 0);
                assertValue(text, "dynamo_stream_dead_letters_total{" + labels + "}", 0);
            } finally {
                Api.unsubscribe(id);
            }
        }
    }

    private static int countBatches(Receiver receiver) {
        return receiver.batches().size();
    }

    private static void assertValue(String text, String series, double expected) {
        var m = Pattern.compile(Pattern.quote(series) + " ([0-9.Ee+-]+)").matcher(text);
        assertTrue(m.find(), series + " missing in\n" + text);
        assertTrue(Double.parseDouble(m.group(1)) == expected, series + " = " + m.group(1) + ", expected " + expected);
    }

    private static String metrics() {
        return given().get("/q/metrics").then().statusCode(200).extract().asString();
    }
}
