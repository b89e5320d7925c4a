package io.dynamostream.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.dynamostream.delivery.ElasticMq;
import io.dynamostream.dev.LocalDynamoDbServer;
import io.dynamostream.e2e.Dynamo;
import io.dynamostream.e2e.ServiceProcess;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * At least once into SQS across crashes, against the packaged jar: the service delivers a table's changes to a real
 * SQS queue (ElasticMQ) while a writer puts unique keys, and is SIGKILLed at random moments and restarted on the same
 * state directory. At the end every written key is in the queue (no loss), and the repeats are bounded by what was in
 * flight at the kills: at most one batch per shard and kill ({@code batch_size} records each).
 *
 * <p>{@code -Dsqs-crash.kills=N} (default 4), {@code -Dsqs-crash.seed=N} replays a printed kill schedule.
 */
class SqsCrashIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TABLE = "SqsCrash";
    private static final int SHARDS = 2;
    private static final int BATCH_SIZE = 25;

    @TempDir
    Path stateDir;

    @Test
    void givenSigkillsWhileDeliveringToSqs_whenRestartedEachTime_thenEveryKeyIsQueuedAndRepeatsAreOnlyInFlightBatches()
            throws Exception {
        int kills = Integer.getInteger("sqs-crash.kills", 4);
        long seed = Long.getLong("sqs-crash.seed", System.nanoTime());
        Random random = new Random(seed);
        System.out.printf("SqsCrashIT: %d kills, seed %d%n", kills, seed);
        Path out = Files.createDirectories(Path.of("target", "crash-it", "SqsCrashIT"));
        Path log = out.resolve("service.log");
        Files.deleteIfExists(log);
        List<String> written = new ArrayList<>();
        Map<String, Integer> received = new ConcurrentHashMap<>();
        AtomicBoolean writing = new AtomicBoolean(true);

        try (LocalDynamoDbServer db = LocalDynamoDbServer.start(); ElasticMq sqs = new ElasticMq()) {
            Dynamo dynamo = new Dynamo(db.endpoint());
            dynamo.createTable(TABLE, StreamViewType.NEW_IMAGE);
            dynamo.hook("split", Map.of("table", TABLE, "shards", SHARDS));
            String queue = sqs.create("sqs-crash");
            Map<String, String> env = Map.of("DYNAMODB_ENDPOINT_URL", db.endpoint().toString(), "AWS_REGION",
                    "us-east-1", "AWS_ACCESS_KEY_ID", "test", "AWS_SECRET_ACCESS_KEY", "test",
                    "DYNAMO_STREAM_STATE_STORE", "embedded", "DYNAMO_STREAM_STATE_DIR", stateDir.toString());
            Thread writer = Thread.ofPlatform().name("sqs-crash-writer").start(() -> {
                for (int i = 1; writing.get(); i++) {
                    String key = "k-%06d".formatted(i);
                    try {
                        dynamo.put(TABLE, Map.of("pk", AttributeValue.fromS(key)));
                        synchronized (written) {
                            written.add(key);
                        }
                    } catch (RuntimeException e) {
                        // a lost reply: the key may or may not be in the stream; it is not expected
                    }
                    try {
                        Thread.sleep(3);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            Thread reader = Thread.ofPlatform().name("sqs-crash-reader").start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        for (var m : sqs.drain("sqs-crash")) {
                            received.merge(JSON.readTree(m.body()).at("/dynamodb/Keys/pk/S").asText(), 1,
                                    Integer::sum);
                        }
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception e) {
                        // ElasticMQ stopping at the end
                    }
                }
            });
            ServiceProcess service = ServiceProcess.start(CrashScenario.JAR, List.of("-XX:TieredStopAtLevel=1"), env,
                    log, Duration.ofSeconds(90));
            String id;
            try {
                id = subscribe(service.base(), "{\"table_name\": \"" + TABLE + "\", \"url\": \"" + queue
                        + "\", \"endpoint_url\": \"" + sqs.endpoint() + "\", \"starting_position\": \"TRIM_HORIZON\", "
                        + "\"batch_size\": " + BATCH_SIZE + "}");
                for (int k = 1; k <= kills; k++) {
                    Thread.sleep(1000 + random.nextLong(2000));
                    assertEquals(ServiceProcess.SIGKILLED, service.kill(), "kill " + k);
                    if (k == kills) {
                        writing.set(false);
                        writer.join();
                    }
                    service = ServiceProcess.start(CrashScenario.JAR, List.of("-XX:TieredStopAtLevel=1"), env, log,
                            Duration.ofSeconds(90));
                }
                List<String> keys;
                synchronized (written) {
                    keys = List.copyOf(written);
                }
                Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                        .until(() -> keys.stream().allMatch(received::containsKey));
                JsonNode subscription = JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        service.base().resolve("/subscriptions/" + id)).build(),
                        HttpResponse.BodyHandlers.ofString()).body());
                assertEquals("RUNNING", subscription.get("status").asText(), subscription.toString());
                int repeats = received.values().stream().mapToInt(n -> n - 1).sum();
                int bound = kills * SHARDS * BATCH_SIZE;
                System.out.printf("SqsCrashIT: written=%d queued=%d repeats=%d bound=%d seed=%d%n", keys.size(),
                        received.size(), repeats, bound, seed);
                assertTrue(repeats <= bound, repeats + " repeated records, more than " + kills + " kills x "
                        + SHARDS + " shards x " + BATCH_SIZE + " records in flight (seed " + seed + ")");
            } finally {
                writing.set(false);
                writer.join();
                reader.interrupt();
                reader.join();
                service.close();
            }
        }
    }

    private static String subscribe(URI base, String json) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(base)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, r.statusCode(), r.body());
        return JSON.readTree(r.body()).get("id").asText();
    }
}
