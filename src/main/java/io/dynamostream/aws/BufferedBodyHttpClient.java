package io.dynamostream.aws;

import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.utils.AttributeMap;

/**
 * The URL connection HTTP client of the Streams client, with request bodies buffered by {@code HttpURLConnection}
 * instead of streamed at a fixed length.
 *
 * <p>The SDK's URL connection client puts a connection in fixed-length streaming mode whenever a request has a
 * {@code Content-Length}, and in that mode the JDK checks every keep-alive connection it reuses for a POST with a
 * 1 ms read that normally ends in a {@code SocketTimeoutException} (an exception, an 8 KB buffer and two socket option
 * calls per GetRecords: the largest single source in JFR's allocation samples at 2,500 idle shards, issue 13).
 * Without the header the JDK buffers the body (a few hundred bytes of JSON here) and writes the same
 * {@code Content-Length} itself, so the bytes on the wire, and the signature over them, are unchanged. A buffered
 * POST whose reused connection turns out to be closed is sent again once by the JDK: harmless for the Streams calls,
 * which only read (GetRecords with the same iterator returns the same page). Only for the Streams client, not for
 * deliveries.
 */
final class BufferedBodyHttpClient implements SdkHttpClient {

    private final SdkHttpClient client;

    BufferedBodyHttpClient(SdkHttpClient client) {
        this.client = client;
    }

    /**
     * A builder for the SDK client's {@code httpClientBuilder}: the SDK builds {@code http} with its defaults, as it
     * would without this class, and closes it with the SDK client.
     */
    static Builder builder(SdkHttpClient.Builder<?> http) {
        return new Builder(http);
    }

    /** Builds the wrapped client, then wraps it. */
    static final class Builder implements SdkHttpClient.Builder<Builder> {
        private final SdkHttpClient.Builder<?> http;

        private Builder(SdkHttpClient.Builder<?> http) {
            this.http = http;
        }

        @Override
        public SdkHttpClient build() {
            return new BufferedBodyHttpClient(http.build());
        }

        @Override
        public SdkHttpClient buildWithDefaults(AttributeMap serviceDefaults) {
            return new BufferedBodyHttpClient(http.buildWithDefaults(serviceDefaults));
        }
    }

    @Override
    public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
        if (request.httpRequest().firstMatchingHeader("Content-Length").isEmpty()) {
            return client.prepareRequest(request);
        }
        return client.prepareRequest(HttpExecuteRequest.builder()
                .request(request.httpRequest().toBuilder().removeHeader("Content-Length").build())
                .contentStreamProvider(request.contentStreamProvider().orElse(null))
                .metricCollector(request.metricCollector().orElse(null))
                .build());
    }

    @Override
    public String clientName() {
        return client.clientName();
    }

    @Override
    public void close() {
        client.close();
    }
}
