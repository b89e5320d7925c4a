package io.dynamostream.e2e;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;

import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager.TestInjector.AnnotatedAndMatchesType;

/**
 * A WireMock server on 127.0.0.1 playing the subscribers' receivers: statuses, {@code Retry-After}, delays, resets and
 * malformed answers, with every request journaled (body, headers, time of arrival). Tests get it through a field
 * annotated {@link InjectWireMock}, and reset it after each test ({@link WireMockServer#resetAll()}). The service needs
 * no setting for it: each subscription is registered with a URL on this server.
 */
public class WireMockReceiverResource implements QuarkusTestResourceLifecycleManager {

    private WireMockServer server;

    @Override
    public Map<String, String> start() {
        // hanging answers hold a container thread each until their delay has passed
        server = new WireMockServer(wireMockConfig().bindAddress("127.0.0.1").dynamicPort().containerThreads(50));
        server.start();
        return Map.of();
    }

    @Override
    public void inject(TestInjector testInjector) {
        testInjector.injectIntoFields(server, new AnnotatedAndMatchesType(InjectWireMock.class, WireMockServer.class));
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop();
        }
    }
}
