package io.dynamostream.ops;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.dynamostream.dev.LocalDynamoDbServer;
import io.dynamostream.e2e.Dynamo;
import io.dynamostream.e2e.Receiver;
import io.dynamostream.e2e.ServiceProcess;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * A restart with many stored subscriptions on few tables: each table's stream is described once, not once per
 * subscription, and every subscription resumes (issue 13: ready fast whatever is stored).
 */
class StartupAttachIT {

    private static final Path JAR = Path.of("target/quarkus-app/quarkus-run.jar");
    private static final int TABLES = 4;
    private static final int PER_TABLE = 10;

    @TempDir
    Path dir;

    @Test
    void givenTenStoredSubscriptionsPerTable_whenTheServiceRestarts_thenEachStreamIsDescribedOnceAndAllResume()
            throws Exception {
        try (LocalDynamoDbServer db = LocalDynamoDbServer.start()) {
            Dynamo dynamo = new Dynamo(db.endpoint());
            List<Receiver> receivers = new ArrayList<>();
            Map<String, String> env = Map.of("DYNAMODB_ENDPOINT_URL", db.endpoint().toString(),
                    "AWS_REGION", "us-east-1", "AWS_ACCESS_KEY_ID", "test", "AWS_SECRET_ACCESS_KEY", "test",
                    "DYNAMO_STREAM_STATE_STORE", "embedded", "DYNAMO_STREAM_STATE_DIR", dir.resolve("state").toString(),
                    // only the startup describes the streams within this test
                    "DYNAMO_STREAM_READER_DISCOVERY_INTERVAL", "1h");
            try {
                try (ServiceProcess first = ServiceProcess.start(JAR, List.of(), env, dir.resolve("first.log"),
                        Duration.ofSeconds(60))) {
                    for (int t = 0; t < TABLES; t++) {
                        String table = dynamo.createTable("Startup" + t, StreamViewType.NEW_IMAGE);
                        Receiver r = new Receiver();
                        receivers.add(r);
                        for (int i = 0; i < PER_TABLE; i++) {
                            first.subscribe(table, r.url(), "TRIM_HORIZON");
                        }
                    }
                    first.stop(Duration.ofSeconds(15));
                }
                dynamo.hook("counts/reset", Map.of());
                try (ServiceProcess second = ServiceProcess.start(JAR, List.of(), env, dir.resolve("second.log"),
                        Duration.ofSeconds(60))) {
                    for (int t = 0; t < TABLES; t++) {
                        dynamo.put("Startup" + t, "after-restart", t);
                    }
                    for (Receiver r : receivers) {
                        await().atMost(Duration.ofSeconds(30)).until(() -> r.records().size() >= PER_TABLE);
                        assertEquals(PER_TABLE, r.records().size(), "each of the table's subscriptions resumed");
                    }
                    assertEquals(TABLES, dynamo.get("counts").get("DescribeStream").asInt(),
                            "one DescribeStream per table, however many subscriptions it has");
                }
            } finally {
                receivers.forEach(Receiver::close);
            }
        }
    }
}
