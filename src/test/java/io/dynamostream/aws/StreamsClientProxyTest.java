package io.dynamostream.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * With {@code quarkus.dynamodb.sync-client.apache.proxy.*} set, the Streams calls go through that HTTP proxy: the
 * endpoint's host does not even resolve here, and the proxy (a {@link RawHttpServer}) gets the request in absolute
 * form, with the endpoint's host, and answers it.
 */
@QuarkusTest
@TestProfile(StreamsClientProxyTest.Proxied.class)
class StreamsClientProxyTest {

    /** A host name that never resolves (RFC 6761 reserves .invalid). */
    static final String ENDPOINT = "http://dynamodb.streams-proxy-test.invalid:8000";

    /** The service's DynamoDB endpoint behind a proxy. */
    public static class Proxied extends OwnEndpointProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of("quarkus.dynamodb.endpoint-override", ENDPOINT,
                    "quarkus.dynamodb.sync-client.apache.proxy.enabled", "true");
        }

        @Override
        protected TestResourceEntry endpoint() {
            return rawHttpServerAt("quarkus.dynamodb.sync-client.apache.proxy.endpoint");
        }
    }

    @Inject
    DynamoDbStreamsClient streams;

    RawHttpServer proxy;

    @Test
    void givenAProxy_whenTheStreamsClientCalls_thenTheCallGoesThroughIt() {
        int before = proxy.requestLines().size();

        assertTrue(streams.listStreams().streams().isEmpty());

        List<String> seen = proxy.requestLines().subList(before, proxy.requestLines().size());
        assertEquals(List.of("POST " + ENDPOINT + "/ HTTP/1.1"), seen);
        assertEquals("DynamoDBStreams_20120810.ListStreams",
                proxy.headers().get(proxy.headers().size() - 1).get("X-Amz-Target"));
    }
}
