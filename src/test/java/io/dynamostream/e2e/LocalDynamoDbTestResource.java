package io.dynamostream.e2e;

import java.net.URI;
import java.util.Map;

import io.dynamostream.dev.LocalDynamoDbServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Starts the bundled local DynamoDB + Streams server once for every {@code @QuarkusTest} and points the service at
 * it, with short retry and discovery settings so failure paths finish in seconds.
 */
public class LocalDynamoDbTestResource implements QuarkusTestResourceLifecycleManager {

    private static volatile LocalDynamoDbServer server;

    /** The endpoint of the running server (DynamoDB, Streams and the {@code /_local} hooks). */
    public static URI endpoint() {
        return server.endpoint();
    }

    @Override
    public Map<String, String> start() {
        server = LocalDynamoDbServer.start();
        return Map.ofEntries(
                Map.entry("quarkus.dynamodb.endpoint-override", server.endpoint().toString()),
                Map.entry("quarkus.dynamodb.aws.region", "us-east-1"),
                Map.entry("quarkus.dynamodb.aws.credentials.type", "static"),
                Map.entry("quarkus.dynamodb.aws.credentials.static-provider.access-key-id", "test"),
                Map.entry("quarkus.dynamodb.aws.credentials.static-provider.secret-access-key", "test"),
                Map.entry("dynamo-stream.delivery.initial-backoff", "50ms"),
                Map.entry("dynamo-stream.delivery.max-backoff", "200ms"),
                Map.entry("dynamo-stream.delivery.timeout", "2s"),
                Map.entry("dynamo-stream.reader.discovery-interval", "1s"),
                Map.entry("dynamo-stream.reader.initial-backoff", "20ms"),
                Map.entry("dynamo-stream.reader.max-backoff", "200ms"));
    }

    @Override
    public void stop() {
        if (server != null) {
            server.close();
        }
    }
}
