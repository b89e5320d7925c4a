package io.dynamostream.aws;

import jakarta.inject.Singleton;

import io.quarkiverse.amazon.common.runtime.AmazonClientUrlConnectionTransportRecorder;
import io.quarkiverse.amazon.dynamodb.runtime.DynamoDbConfig;
import io.quarkus.arc.properties.IfBuildProperty;
import io.quarkus.runtime.RuntimeValue;
import software.amazon.awssdk.http.SdkHttpClient;

/**
 * The HTTP client of the DynamoDB Streams client, configured like the quarkus-amazon-dynamodb extension configures
 * the DynamoDB client's: from the same {@code quarkus.dynamodb.sync-client.*} settings (connection and socket
 * timeouts, TLS key and trust managers), by the extension's own code for that. There is no Streams extension that
 * would do it.
 *
 * <p>Only for {@code quarkus.dynamodb.sync-client.type=url}, the type this service is built with
 * (application.properties, and url-connection-client in the pom): the JDK's {@code HttpURLConnection}, whose
 * keep-alive cache is the pool, sized by {@code http.maxConnections}
 * ({@link StreamsClientProducer#DEFAULT_MAX_CONNECTIONS} unless set). Measured against apache and aws-crt (issue 13.5), it opens no new connection per call once sized, at
 * about the same CPU per call and RSS, with no new dependency and nothing to register for a native image. The
 * extension's apache and aws-crt integrations need {@code quarkus-amazon-apache-client-internal-deployment} /
 * {@code quarkus-amazon-crt}, which Maven Central here does not serve, so neither can be built today. With
 * {@code apache} or {@code aws-crt} the build fails on purpose (no such bean for {@link StreamsClientProducer}) rather
 * than letting the Streams client go through another HTTP client, proxy and pool than the DynamoDB client; switching
 * means adding that artifact and a bean like this one with {@code @IfBuildProperty(name = TYPE, stringValue =
 * "apache")} that calls {@code AmazonClientApacheTransportRecorder}. The type is chosen at build time, as the
 * extension does, so a native image only holds the code of the HTTP client in use.
 */
@Singleton
@IfBuildProperty(name = StreamsHttpClient.TYPE, stringValue = "url", enableIfMissing = true)
class StreamsHttpClient {

    /** The extension's build-time setting that chooses the sync HTTP client. */
    static final String TYPE = "quarkus.dynamodb.sync-client.type";

    private final DynamoDbConfig config;

    StreamsHttpClient(DynamoDbConfig config) {
        this.config = config;
    }

    /** A new builder of the configured HTTP client. */
    SdkHttpClient.Builder<?> builder() {
        // "dynamodb" names the settings in the extension's validation messages (quarkus.dynamodb.sync-client...)
        return new AmazonClientUrlConnectionTransportRecorder()
                .configureSync("dynamodb", new RuntimeValue<>(config.syncClient())).getValue();
    }
}
