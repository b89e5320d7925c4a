package io.dynamostream.aws;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ScheduledThreadPoolExecutor;

import jakarta.annotation.Priority;
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
import software.amazon.awssdk.regions.providers.AwsProfileRegionProvider;
import software.amazon.awssdk.regions.providers.AwsRegionProviderChain;
import software.amazon.awssdk.regions.providers.SystemSettingsRegionProvider;
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
 *
 * <p>Region and credentials, checked at startup ({@link #checkRegion}, before the subscriptions are loaded):
 * <ul>
 * <li>No endpoint override and no region anywhere the SDK looks (AWS_REGION / AWS_DEFAULT_REGION, the
 * {@code aws.region} system property, the profile file, the instance metadata): the start fails with
 * {@link StreamErrors#NO_REGION}, one line naming what to set. Nothing could ever be read without a restart.
 * <li>An endpoint override (DynamoDB Local, LocalStack, the bundled server) and no region in the environment,
 * system property or profile: {@value #LOCAL_REGION} is used (such servers accept any region; the SDK needs one to
 * sign), so {@code DYNAMODB_ENDPOINT_URL} alone is enough for a local server.
 * <li>Credentials are not a startup error: the SDK resolves them on each call, and they may appear after the start
 * (an instance or task role, a profile file mounted later, a slow metadata endpoint at boot). When none are found at
 * startup a WARN line says which variables to set; the readiness check and every subscription (RETRYING) then show
 * {@link StreamErrors#NO_CREDENTIALS} until they are found, and reading starts by itself.
 * </ul>
 */
@ApplicationScoped
class StreamsClientProducer {

    private static final Logger LOG = Logger.getLogger(StreamsClientProducer.class);

    /**
     * How long one Streams call attempt may take unless {@code quarkus.dynamodb.api-call-attempt-timeout} says: a
     * GetRecords that hangs must not hold its shard's reader for long, whatever the socket timeout.
     */
    static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofSeconds(10);

    /** The region used against an endpoint override when none is configured. */
    static final String LOCAL_REGION = "us-east-1";

    /**
     * The JDK's setting for how many idle keep-alive connections its HTTP client keeps per host (JDK default 5), the
     * pool of the clients on the JDK's HTTP client: the DynamoDB client (DescribeTable, the readiness check, the
     * {@code dynamodb} state store) and the AWS destinations' clients ({@code delivery/AwsClients}). The Streams
     * client has a pool of its own ({@link StreamsHttpClient}).
     */
    static final String MAX_CONNECTIONS_PROPERTY = "http.maxConnections";

    /**
     * Connections kept for reuse per host unless {@code -Dhttp.maxConnections} says: as many as deliveries or state
     * writes to one host may run at once (one per shard and subscription), far more than the JDK's 5, with which
     * nearly every call opened a new connection; calls beyond it still work but close their connection afterwards.
     */
    static final int DEFAULT_MAX_CONNECTIONS = 5000;

    static {
        // read once, when the JDK's keep-alive cache is first used: this class is created by the first startup
        // observer that needs a client (checkRegion), before any AWS call of the service
        if (System.getProperty(MAX_CONNECTIONS_PROPERTY) == null) {
            System.setProperty(MAX_CONNECTIONS_PROPERTY, Integer.toString(DEFAULT_MAX_CONNECTIONS));
        }
    }

    private final Optional<URI> configuredEndpoint;
    private final Optional<String> configuredRegion;
    private final DynamoStreamConfig config;
    private final Instance<DynamoDbClient> extensionClient;
    private volatile LocalDynamoDbServer localServer;
    private volatile ScheduledThreadPoolExecutor timeouts;

    StreamsClientProducer(
            @ConfigProperty(name = "quarkus.dynamodb.endpoint-override") Optional<URI> configuredEndpoint,
            @ConfigProperty(name = "quarkus.dynamodb.aws.region") Optional<String> configuredRegion,
            DynamoStreamConfig config, Instance<DynamoDbClient> extensionClient) {
        this.configuredEndpoint = configuredEndpoint;
        this.configuredRegion = configuredRegion.filter(r -> !r.isBlank());
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
     * The Streams client: endpoint, region and credentials from the DynamoDB client; its HTTP client, a pool of
     * kept-alive connections, from the {@code quarkus.dynamodb.sync-client.*} settings ({@link StreamsHttpClient}),
     * also against the bundled local server; each attempt cut at {@code quarkus.dynamodb.api-call-attempt-timeout}, or
     * at {@link #DEFAULT_ATTEMPT_TIMEOUT}, and the whole call at {@code quarkus.dynamodb.api-call-timeout} when set, by
     * a timer that keeps nothing of a call once it has ended ({@link #timeouts}).
     */
    @Produces
    @ApplicationScoped
    DynamoDbStreamsClient streams(@ReaderClient DynamoDbClient dynamoDb, StreamsHttpClient http) {
        DynamoDbServiceClientConfiguration cfg = dynamoDb.serviceClientConfiguration();
        ClientOverrideConfiguration dynamoDbOverrides = cfg.overrideConfiguration();
        var overrides = ClientOverrideConfiguration.builder()
                .apiCallAttemptTimeout(dynamoDbOverrides.apiCallAttemptTimeout().orElse(DEFAULT_ATTEMPT_TIMEOUT))
                .scheduledExecutorService(timeouts());
        dynamoDbOverrides.apiCallTimeout().ifPresent(overrides::apiCallTimeout);
        SdkJsonBuffers.shareAcrossThreads(); // each poll runs on a new virtual thread: see the class
        var builder = DynamoDbStreamsClient.builder()
                .region(cfg.region())
                .credentialsProvider(cfg.credentialsProvider())
                .httpClientBuilder(http.builder())
                .overrideConfiguration(overrides.build());
        cfg.endpointOverride().ifPresent(builder::endpointOverride);
        LOG.infof("DynamoDB Streams client: region %s, endpoint %s", cfg.region(),
                cfg.endpointOverride().map(URI::toString).orElse("AWS default"));
        return builder.build();
    }

    /**
     * Fails the start when no region can be found for AWS (see the class comment), and warns when no credentials can
     * be found. Runs before the stored subscriptions and the subscription file are read (priority 100), which are the
     * first to use the clients.
     *
     * @throws IllegalStateException with {@link StreamErrors#NO_REGION} as its message
     */
    void checkRegion(@Observes @Priority(50) StartupEvent event) {
        if (localEndpoint().isPresent() || configuredRegion.isPresent()) {
            if (localEndpoint().isEmpty()) {
                warnWithoutCredentials();
            }
            return;
        }
        if (configuredEndpoint.isPresent()) {
            if (!regionInEnvironment()) {
                // read by the SDK's default region chain when the extension builds its client (on first use)
                System.setProperty("aws.region", LOCAL_REGION);
                LOG.infof("No AWS region set (AWS_REGION): using %s for the DynamoDB endpoint %s", LOCAL_REGION,
                        configuredEndpoint.get());
            }
            warnWithoutCredentials();
            return;
        }
        try {
            // builds the extension's client now (it is created on first use), with the SDK's own region chain
            extensionClient.get().serviceClientConfiguration();
        } catch (RuntimeException e) {
            if (StreamErrors.isMissingRegion(e)) {
                throw new IllegalStateException(StreamErrors.NO_REGION, e);
            }
            throw e;
        }
        warnWithoutCredentials();
    }

    /** Whether the system property, the environment or the profile file names a region (no metadata lookup). */
    private static boolean regionInEnvironment() {
        try {
            return new AwsRegionProviderChain(new SystemSettingsRegionProvider(), new AwsProfileRegionProvider())
                    .getRegion() != null;
        } catch (RuntimeException none) {
            return false;
        }
    }

    /**
     * Resolves the credentials once, off the startup thread (the chain may ask a metadata endpoint), and logs one
     * WARN line when there are none. Not a startup error: see the class comment.
     */
    private void warnWithoutCredentials() {
        Thread.ofVirtual().name("aws-credentials-check").start(() -> {
            try {
                extensionClient.get().serviceClientConfiguration().credentialsProvider().resolveIdentity().join();
            } catch (RuntimeException e) {
                if (StreamErrors.isMissingCredentials(e)) {
                    LOG.warnf("%s; subscriptions stay RETRYING and readiness DOWN until they are found",
                            StreamErrors.NO_CREDENTIALS);
                } else {
                    LOG.debugf("AWS credentials not resolved at startup: %s", StreamErrors.describe(e));
                }
            }
        });
    }

    /**
     * Builds the Streams client once the start succeeded (after the supervisor's start), off the startup thread: it is
     * created on first use, and building it (the SDK client and its HTTP client's classes, about 0.4 s in a fresh
     * JVM) would otherwise fall into the first {@code POST /}'s attach wait, which it then outlasts (STARTING instead of
     * RUNNING). The service's stored subscriptions, if any, are already attaching and build it at the same time.
     */
    void buildEarly(@Observes StartupEvent event, DynamoDbStreamsClient streams) {
        Thread.ofVirtual().name("streams-client-build").start(() -> {
            try {
                streams.serviceClientConfiguration();
            } catch (RuntimeException e) {
                LOG.debugf("Streams client not built at startup: %s", e);
            }
        });
    }

    /** Starts the bundled server at boot (dev mode), so it is there for the user's own table set-up. */
    void onStart(@Observes StartupEvent event) {
        localEndpoint().ifPresent(endpoint -> LOG.infof("Bundled local DynamoDB + Streams server: %s (create tables "
                + "there, e.g. aws dynamodb create-table --endpoint-url %s ...)", endpoint, endpoint));
    }

    /**
     * The executor of the per-attempt timeouts. The SDK's own keeps a cancelled timeout task queued until its delay
     * has passed (10 s), one per call: 40,000 live tasks at 2,500 polling shards. This one removes a task when the
     * call it guards ends. The SDK does not close an executor it was given: {@link #close} does.
     */
    private ScheduledThreadPoolExecutor timeouts() {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().daemon().name("streams-call-timeouts").factory());
        executor.setRemoveOnCancelPolicy(true);
        timeouts = executor;
        return executor;
    }

    void close(@Disposes DynamoDbStreamsClient client) {
        client.close();
        ScheduledThreadPoolExecutor executor = timeouts;
        if (executor != null) {
            executor.shutdownNow();
        }
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
