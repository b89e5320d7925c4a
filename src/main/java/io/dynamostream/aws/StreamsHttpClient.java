package io.dynamostream.aws;

import java.util.HashSet;

import jakarta.inject.Singleton;

import io.quarkiverse.amazon.common.runtime.AbstractAmazonClientTransportRecorder;
import io.quarkiverse.amazon.common.runtime.RuntimeConfigurationError;
import io.quarkiverse.amazon.common.runtime.SyncHttpClientConfig;
import io.quarkiverse.amazon.dynamodb.runtime.DynamoDbConfig;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.http.apache5.ProxyConfiguration;

/**
 * The HTTP client of the DynamoDB Streams client: the SDK's Apache HttpClient 5 client, a pool of kept-alive
 * connections, configured from the DynamoDB client's {@code quarkus.dynamodb.sync-client.*} settings (connection and
 * socket timeouts, TLS key and trust managers) and from the extension's settings for an Apache pool,
 * {@code quarkus.dynamodb.sync-client.apache.*} (max connections, acquisition timeout, idle time, time to live, idle
 * reaper, TCP keep-alive, expect-continue, proxy). There is no Streams extension that would do it; the settings are
 * validated by the extension's own checks, with its messages.
 *
 * <p>Why this client (issue 13.5, measured in the benchmark's scale mode at 2,500 idle shards, README "Scale"):
 * against the JDK's {@code HttpURLConnection} (the extension's {@code url} type, which the DynamoDB client keeps) the
 * service took about a fifth less idle CPU, and in a microbenchmark of the same polling about a quarter less CPU and
 * allocation per GetRecords; its pool is bounded and reused last-in first-out, so the connections held follow the
 * calls that run at once (about 500 after a restart instead of about 1,700), and it needs no JVM-wide setting
 * ({@code http.maxConnections}) to keep them. The extension's own {@code apache} and {@code aws-crt} types need
 * deployment artifacts that the repository this project builds from does not serve; the Apache 5 client needs none,
 * and ships its native-image metadata.
 */
@Singleton
class StreamsHttpClient {

    /** The prefix the extension's validation messages name the settings by ({@code quarkus.dynamodb.sync-client}). */
    private static final String EXTENSION = "dynamodb";

    private final DynamoDbConfig config;

    StreamsHttpClient(DynamoDbConfig config) {
        this.config = config;
    }

    /**
     * A new builder of the configured HTTP client.
     *
     * @throws RuntimeConfigurationError (the extension's checks) for a TLS, pool or proxy setting that cannot work,
     *         naming it
     */
    Apache5HttpClient.Builder builder() {
        return new Settings().builder(config.syncClient());
    }

    /** The extension's checks and TLS providers, which it keeps protected in its transport recorders' base class. */
    private static final class Settings extends AbstractAmazonClientTransportRecorder {

        Apache5HttpClient.Builder builder(SyncHttpClientConfig sync) {
            validateTlsKeyManagersProvider(EXTENSION, sync.tlsKeyManagersProvider(), "sync");
            validateTlsTrustManagersProvider(EXTENSION, sync.tlsTrustManagersProvider(), "sync");
            SyncHttpClientConfig.ApacheHttpClientConfig pool = sync.apache();
            if (pool.maxConnections() <= 0) {
                throw new RuntimeConfigurationError("quarkus." + EXTENSION + ".sync-client.apache.max-connections must"
                        + " be at least 1, was " + pool.maxConnections());
            }
            Apache5HttpClient.Builder builder = Apache5HttpClient.builder()
                    .connectionTimeout(sync.connectionTimeout())
                    .socketTimeout(sync.socketTimeout())
                    .tlsKeyManagersProvider(getTlsKeyManagersProvider(sync.tlsKeyManagersProvider()))
                    .tlsTrustManagersProvider(getTlsTrustManagersProvider(sync.tlsTrustManagersProvider()))
                    .maxConnections(pool.maxConnections())
                    .connectionAcquisitionTimeout(pool.connectionAcquisitionTimeout())
                    .connectionMaxIdleTime(pool.connectionMaxIdleTime())
                    .useIdleConnectionReaper(pool.useIdleConnectionReaper())
                    .expectContinueEnabled(pool.expectContinueEnabled())
                    .tcpKeepAlive(pool.tcpKeepAlive());
            pool.connectionTimeToLive().ifPresent(builder::connectionTimeToLive);
            SyncHttpClientConfig.ApacheHttpClientConfig.HttpClientProxyConfiguration proxy = pool.proxy();
            if (proxy.enabled() && proxy.endpoint().isPresent()) {
                validateProxyEndpoint(EXTENSION, proxy.endpoint().get(), "sync");
                ProxyConfiguration.Builder settings = ProxyConfiguration.builder().endpoint(proxy.endpoint().get());
                proxy.username().ifPresent(settings::username);
                proxy.password().ifPresent(settings::password);
                proxy.ntlmDomain().ifPresent(settings::ntlmDomain);
                proxy.ntlmWorkstation().ifPresent(settings::ntlmWorkstation);
                proxy.preemptiveBasicAuthenticationEnabled().ifPresent(settings::preemptiveBasicAuthenticationEnabled);
                proxy.nonProxyHosts().ifPresent(hosts -> settings.nonProxyHosts(new HashSet<>(hosts)));
                builder.proxyConfiguration(settings.build());
            }
            return builder;
        }
    }
}
