package io.dynamostream.ops;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.dynamostream.dev.LocalDynamoDbServer;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * Readiness follows DynamoDB: the service runs against its own local server on a fixed port, which the test stops
 * and starts again.
 */
@QuarkusTest
@TestProfile(DynamoDbReadinessTest.OwnServer.class)
class DynamoDbReadinessTest {

    /** Points the service at {@link #PORT}, where no server runs until the test starts one. */
    public static class OwnServer implements QuarkusTestProfile {

        /**
         * A system property, not a static field alone: this class is loaded by the test's and by the application's
         * class loader, and both must agree on the port.
         */
        static final int PORT = sharedFreePort();

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "quarkus.dynamodb.endpoint-override", "http://127.0.0.1:" + PORT,
                    "quarkus.dynamodb.aws.region", "us-east-1",
                    "quarkus.dynamodb.aws.credentials.type", "static",
                    "quarkus.dynamodb.aws.credentials.static-provider.access-key-id", "test",
                    "quarkus.dynamodb.aws.credentials.static-provider.secret-access-key", "test",
                    "dynamo-stream.reader.discovery-interval", "1s");
        }

        /** The shared local server of the other tests would only be in the way. */
        @Override
        public boolean disableGlobalTestResources() {
            return true;
        }
    }

    @Test
    void givenDynamoDbStoppedThenBack_whenReadinessProbed_thenDownWhileStoppedAndUpAgainAfter() {
        LocalDynamoDbServer db = LocalDynamoDbServer.start(LocalDynamoDbServer.defaultDirectory(), OwnServer.PORT);
        try {
            awaitReadiness(200, "UP");

            db.close();
            awaitReadiness(503, "DOWN");
            given().get("/q/health/ready").then()
                    .body("checks.find { it.name == 'dynamodb' }.status", equalTo("DOWN"))
                    .body("checks.find { it.name == 'dynamodb' }.data.error", notNullValue())
                    .body("checks.find { it.name == 'subscriptions' }.status", equalTo("UP"));
            // an unreachable DynamoDB is no reason to restart the service
            given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));

            db = LocalDynamoDbServer.start(LocalDynamoDbServer.defaultDirectory(), OwnServer.PORT);
            awaitReadiness(200, "UP");
            given().get("/q/health/ready").then()
                    .body("checks.find { it.name == 'dynamodb' }.status", equalTo("UP"));
        } finally {
            db.close();
        }
    }

    private static void awaitReadiness(int statusCode, String status) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
                given().get("/q/health/ready").then().statusCode(statusCode).body("status", equalTo(status)));
    }

    private static synchronized int sharedFreePort() {
        String key = "dynamostream.test.readiness-db-port";
        String port = System.getProperty(key);
        if (port == null) {
            try (ServerSocket s = new ServerSocket(0)) {
                port = Integer.toString(s.getLocalPort());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            System.setProperty(key, port);
        }
        return Integer.parseInt(port);
    }
}
