package io.dynamostream.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/** Test-side access to the local server: the AWS SDK clients and the {@code /_local} hooks. */
public final class Dynamo {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    public final DynamoDbClient db;
    public final DynamoDbStreamsClient streams;
    private final URI endpoint;

    public Dynamo(URI endpoint) {
        this.endpoint = endpoint;
        var creds = StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));
        this.db = DynamoDbClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
                .credentialsProvider(creds).httpClient(UrlConnectionHttpClient.create()).build();
        this.streams = DynamoDbStreamsClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
                .credentialsProvider(creds).httpClient(UrlConnectionHttpClient.create()).build();
    }

    public static Dynamo local() {
        return new Dynamo(LocalDynamoDbTestResource.endpoint());
    }

    /** Creates a table with a string hash key "pk" and, when viewType is not null, a stream. */
    public String createTable(String name, StreamViewType viewType) {
        db.createTable(r -> {
            r.tableName(name).billingMode(BillingMode.PAY_PER_REQUEST)
                    .attributeDefinitions(a -> a.attributeName("pk").attributeType(ScalarAttributeType.S))
                    .keySchema(k -> k.attributeName("pk").keyType(KeyType.HASH));
            if (viewType != null) {
                r.streamSpecification(s -> s.streamEnabled(true).streamViewType(viewType));
            }
        });
        return name;
    }

    public void put(String table, Map<String, AttributeValue> item) {
        db.putItem(r -> r.tableName(table).item(item));
    }

    public void put(String table, String pk, int n) {
        put(table, Map.of("pk", AttributeValue.fromS(pk), "n", AttributeValue.fromN(Integer.toString(n))));
    }

    /** Reads every shard of the table's current stream from TRIM_HORIZON: sequence number to shard id. */
    public Map<String, String> shardOfEachSequenceNumber(String table) {
        String arn = db.describeTable(r -> r.tableName(table)).table().latestStreamArn();
        Map<String, String> out = new java.util.HashMap<>();
        String start = null;
        do {
            String from = start;
            var page = streams.describeStream(r -> r.streamArn(arn).exclusiveStartShardId(from)).streamDescription();
            for (var shard : page.shards()) {
                String it = streams.getShardIterator(r -> r.streamArn(arn).shardId(shard.shardId())
                        .shardIteratorType(software.amazon.awssdk.services.dynamodb.model.ShardIteratorType.TRIM_HORIZON))
                        .shardIterator();
                while (it != null) {
                    String current = it;
                    var records = streams.getRecords(r -> r.shardIterator(current));
                    records.records().forEach(rec -> out.put(rec.dynamodb().sequenceNumber(), shard.shardId()));
                    it = records.records().isEmpty() && shard.sequenceNumberRange().endingSequenceNumber() == null
                            ? null : records.nextShardIterator();
                }
            }
            start = page.lastEvaluatedShardId();
        } while (start != null);
        return out;
    }

    /** POSTs JSON to a {@code /_local} hook and returns the answer. */
    public JsonNode hook(String path, Object body) {
        try {
            return send(HttpRequest.newBuilder(endpoint.resolve("/_local/" + path))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Clears every injected fault ({@code DELETE /_local/faults}). */
    public void deleteFaults() {
        send(HttpRequest.newBuilder(endpoint.resolve("/_local/faults")).DELETE().build());
    }

    /** GETs a {@code /_local} hook. */
    public JsonNode get(String path) {
        return send(HttpRequest.newBuilder(endpoint.resolve("/_local/" + path)).GET().build());
    }

    private static JsonNode send(HttpRequest request) {
        try {
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() >= 300) {
                throw new IllegalStateException(request.uri() + " failed: " + response.body());
            }
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
