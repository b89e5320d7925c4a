package io.dynamostream.aws;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.dynamostream.config.DynamoStreamConfig;
import io.quarkus.runtime.StartupEvent;
import io.dynamostream.dev.LocalDynamoDbServer;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbServiceClientConfiguration;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * Produces the DynamoDB and DynamoDB Streams clients the service reads with. The Streams client takes endpoint,
 * region and credentials from the DynamoDB client that the quarkus-amazon-dynamodb extension configured
 * ({@code quarkus.dynamodb.*}, {@code DYNAMODB_ENDPOINT_URL}), and its HTTP client from the same
 * {@code quarkus.dynamodb.sync-client.*} settings, so one setting drives both.
 *
 * <p>When {@code dynamo-stream.local-server.enabled} is on (dev mode) and no endpoint is configured, the bundled local
 * DynamoDB + Streams server is started and both clients point at it.
 */
@ApplicationScoped
class StreamsClientProducer {

    private static final Logger LOG = Logger.getLogger(StreamsClientProducer.class);

    /**
     * How long one Streams call attempt may take unless {@code quarkus.dynamodb.api-call-attempt-timeout} says: a
     * GetRecords that hangs must not hold its shard's reader for long, whatever the socket timeout.
     */
    static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofSeconds(10);

    private final Optional<URI> configuredEndpoint;
    private final DynamoStreamConfig config;
    private final Instance<DynamoDbClient> extensionClient;
    private volatile LocalDynamoDbServer localServer;

    StreamsClientProducer(
            @ConfigProperty(name = "quarkus.dynamodb.endpoint-override") Optional<URI> configuredEndpoint,
            DynamoStreamConfig config, Instance<DynamoDbClient> extensionClient) {
        this.configuredEndpoint = configuredEndpoint;
        this.config = config;
        this.extensionClient = extensionClient;
    }

    /** The DynamoDB client used for DescribeTable (the extension's, unless the local server is in use). */
    @Produces
    @ApplicationScoped
    @ReaderClient
    DynamoDbClient dynamoDb() {
        Optional<URI> local = localEndpoint();
        if (local.isPresent()) {
            return DynamoDbClient.builder().endpointOverride(local.get()).region(Region.US_EAST_1)
                    .credentialsProvider(localCredentials()).httpClient(UrlConnectionHttpClient.create()).build();
        }
        return extensionClient.get();
    }

    /**
     * The Streams client: endpoint, region and credentials from the DynamoDB client; its HTTP client from the
     * {@code quarkus.dynamodb.sync-client.*} settings, like the DynamoDB client's ({@link StreamsHttpClient}); each
     * attempt cut at {@code quarkus.dynamodb.api-call-attempt-timeout}, or at {@link #DEFAULT_ATTEMPT_TIMEOUT}, and
     * the whole call at {@code quarkus.dynamodb.api-call-timeout} when set. Against the bundled local server, the
     * plain URL connection client like the DynamoDB client's there.
     */
    @Produces
    @ApplicationScoped
    DynamoDbStreamsClient streams(@ReaderClient DynamoDbClient dynamoDb, StreamsHttpClient http) {
        DynamoDbServiceClientConfiguration cfg = dynamoDb.serviceClientConfiguration();
        ClientOverrideConfiguration dynamoDbOverrides = cfg.overrideConfiguration();
        boolean local = localEndpoint().isPresent();
        var overrides = ClientOverrideConfiguration.builder()
                .apiCallAttemptTimeout(dynamoDbOverrides.apiCallAttemptTimeout().orElse(DEFAULT_ATTEMPT_TIMEOUT));
        dynamoDbOverrides.apiCallTimeout().ifPresent(overrides::apiCallTimeout);
        var builder = DynamoDbStreamsClient.builder()
                .region(cfg.region())
                .credentialsProvider(cfg.credentialsProvider())
                .httpClientBuilder(local ? UrlConnectionHttpClient.builder() : http.builder())
                .overrideConfiguration(overrides.build());
        cfg.endpointOverride().ifPresent(builder::endpointOverride);
        LOG.infof("DynamoDB Streams client: region %s, endpoint %s", cfg.region(),
                cfg.endpointOverride().map(URI::toString).orElse("AWS default"));
        return builder.build();
    }

    /** Starts the bundled server at boot (dev mode), so it is there for the user's own table set-up. */
    void onStart(@Observes StartupEvent event) {
        localEndpoint().ifPresent(endpoint -> LOG.infof("Bundled local DynamoDB + Streams server: %s (create tables "
                + "there, e.g. aws dynamodb create-table --endpoint-url %s ...)", endpoint, endpoint));
    }

    void close(@Disposes DynamoDbStreamsClient client) {
        client.close();
        LocalDynamoDbServer server = localServer;
        if (server != null) {
            server.close();
        }
    }

    private synchronized Optional<URI> localEndpoint() {
        if (!config.localServer().enabled() || configuredEndpoint.isPresent()) {
            return Optional.empty();
        }
        if (localServer == null) {
            LOG.info("No DynamoDB endpoint configured (DYNAMODB_ENDPOINT_URL): starting the bundled local "
                    + "DynamoDB + Streams server");
            localServer = LocalDynamoDbServer.start(LocalDynamoDbServer.defaultDirectory(),
                    config.localServer().port());
        }
        return Optional.of(localServer.endpoint());
    }

    private static StaticCredentialsProvider localCredentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"));
    }
}
