package io.dynamostream.delivery;

import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.dynamostream.aws.ReaderClient;
import io.dynamostream.config.DynamoStreamConfig;
import io.dynamostream.guard.DestinationGuard;
import io.dynamostream.guard.DestinationRefusedException;
import io.dynamostream.guard.Redaction;
import io.dynamostream.subscription.AwsArn;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.IdentityProvider;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkClient;
import software.amazon.awssdk.core.client.builder.SdkSyncClientBuilder;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The AWS SDK clients of the AWS destinations, one per (service, region, endpoint), made on first use and kept until
 * shutdown; all share one URL-connection HTTP client (the same as the Streams client's: keep-alive, no extra
 * threads). The region is the ARN's, credentials are the streams' (the DynamoDB client's: the default chain unless
 * {@code quarkus.dynamodb.aws.credentials} says otherwise), and the endpoint is,
 * in this order, the subscription's {@code endpoint_url}, {@code AWS_ENDPOINT_URL_<SERVICE>}, {@code AWS_ENDPOINT_URL}
 * (or the SDK's system properties {@code aws.endpointUrl<Service>}, {@code aws.endpointUrl}), else AWS's own. Every call has the delivery {@code timeout} and no SDK retry: retries belong to
 * {@link BatchDelivery}. Thread-safe.
 *
 * <p>The SSRF guard applies to a configured endpoint: {@link #refusal} resolves and checks its host before each call
 * (an endpoint AWS resolves itself is AWS's). Unlike the HTTP destination, the SDK opens its own connection, so a DNS
 * answer that changes between the check and the connection is not pinned; set {@code dynamo-stream.guard.*} to refuse
 * private addresses where that matters.
 */
@ApplicationScoped
public class AwsClients {

    private static final Logger LOG = Logger.getLogger(AwsClients.class);

    private final SdkHttpClient http;
    private final Duration timeout;
    private final IdentityProvider<? extends AwsCredentialsIdentity> credentials;
    private final Function<String, String> env;
    private final DestinationGuard guard;
    private final Map<Key, SdkClient> clients = new ConcurrentHashMap<>();

    private record Key(AwsArn.Service service, String region, URI endpoint) {
    }

    /**
     * Credentials as for the streams: the reader's DynamoDB client's (the default chain unless configured otherwise;
     * the bundled local server's in dev mode, where the extension's client has no region to start with).
     */
    @Inject
    AwsClients(DynamoStreamConfig config, DestinationGuard guard, @ReaderClient DynamoDbClient dynamoDb) {
        this(config.delivery().timeout(), guard, dynamoDb.serviceClientConfiguration().credentialsProvider(),
                AwsClients::environment);
    }

    /** An endpoint variable, or the SDK's system property of the same meaning ({@code aws.endpointUrlSqs}). */
    static String environment(String variable) {
        String value = System.getenv(variable);
        return value != null ? value : System.getProperty(systemProperty(variable));
    }

    /** {@code AWS_ENDPOINT_URL_SQS} → {@code aws.endpointUrlSqs}, {@code AWS_ENDPOINT_URL} → {@code aws.endpointUrl}. */
    static String systemProperty(String variable) {
        String service = variable.startsWith("AWS_ENDPOINT_URL_") ? variable.substring("AWS_ENDPOINT_URL_".length())
                : "";
        String suffix = service.equals("EVENTBRIDGE") ? "EventBridge" : service.isEmpty() ? ""
                : service.charAt(0) + service.substring(1).toLowerCase(Locale.ROOT);
        return "aws.endpointUrl" + suffix;
    }

    /** For tests: fixed credentials and environment. */
    public AwsClients(Duration timeout, DestinationGuard guard,
            IdentityProvider<? extends AwsCredentialsIdentity> credentials, Function<String, String> env) {
        this.timeout = timeout;
        this.guard = guard;
        this.credentials = credentials;
        this.env = env;
        this.http = UrlConnectionHttpClient.builder().connectionTimeout(timeout).socketTimeout(timeout).build();
    }

    /** The service's name in {@code AWS_ENDPOINT_URL_<SERVICE>}. */
    static String endpointVariable(AwsArn.Service service) {
        return "AWS_ENDPOINT_URL_" + switch (service) {
            case EVENTS -> "EVENTBRIDGE";
            default -> service.name().toUpperCase(Locale.ROOT);
        };
    }

    /** The endpoint calls to this service go to; null: AWS's own for the region. */
    URI endpoint(AwsArn.Service service, URI configured) {
        if (configured != null) {
            return configured;
        }
        for (String variable : new String[] {endpointVariable(service), "AWS_ENDPOINT_URL"}) {
            String value = env.apply(variable);
            if (value != null && !value.isBlank()) {
                try {
                    return URI.create(value.trim());
                } catch (IllegalArgumentException e) {
                    LOG.warnf("%s is not a URL (%s); ignored", variable, Redaction.text(e.getMessage()));
                }
            }
        }
        return null;
    }

    /**
     * Why a call to this endpoint may not be made now (the guard refuses its host, or it does not resolve), null
     * when it may; a null endpoint (AWS's own) is not checked.
     */
    String refusal(URI endpoint) {
        if (endpoint == null) {
            return null;
        }
        try {
            guard.check(endpoint);
            return null;
        } catch (DestinationRefusedException e) {
            return "endpoint " + Redaction.url(endpoint) + ": " + e.getMessage();
        } catch (UnknownHostException e) {
            return "cannot resolve host " + Redaction.text(endpoint.getHost());
        }
    }

    LambdaClient lambda(AwsArn arn, URI endpoint) {
        return client(arn, endpoint, LambdaClient.class, () -> LambdaClient.builder());
    }

    SqsClient sqs(AwsArn arn, URI endpoint) {
        return client(arn, endpoint, SqsClient.class, () -> SqsClient.builder());
    }

    SnsClient sns(AwsArn arn, URI endpoint) {
        return client(arn, endpoint, SnsClient.class, () -> SnsClient.builder());
    }

    KinesisClient kinesis(AwsArn arn, URI endpoint) {
        return client(arn, endpoint, KinesisClient.class, () -> KinesisClient.builder());
    }

    EventBridgeClient eventBridge(AwsArn arn, URI endpoint) {
        return client(arn, endpoint, EventBridgeClient.class, () -> EventBridgeClient.builder());
    }

    private <C extends SdkClient, B extends AwsClientBuilder<B, C> & SdkSyncClientBuilder<B, C>> C client(AwsArn arn,
            URI endpoint, Class<C> type, java.util.function.Supplier<B> builder) {
        SdkClient client = clients.computeIfAbsent(new Key(arn.service(), arn.region(), endpoint), k -> {
            B b = builder.get()
                    .httpClient(http)
                    .region(Region.of(k.region()))
                    .credentialsProvider(credentials)
                    .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry())
                            .apiCallAttemptTimeout(timeout)
                            .apiCallTimeout(timeout));
            if (k.endpoint() != null) {
                b.endpointOverride(k.endpoint());
            }
            LOG.debugf("AWS client for %s in %s at %s", k.service().id(), k.region(),
                    k.endpoint() == null ? "AWS" : Redaction.url(k.endpoint()));
            return b.build();
        });
        return type.cast(client);
    }

    @PreDestroy
    void close() {
        clients.values().forEach(SdkClient::close);
        clients.clear();
        http.close();
    }
}
