package io.dynamostream.aws;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Starts a {@link RawHttpServer} for a Quarkus test, points the setting named by the init argument
 * {@value #PROPERTY} at it ({@code http://127.0.0.1:<port>}), and injects it into the test's field of that type.
 */
public class RawHttpServerResource implements QuarkusTestResourceLifecycleManager {

    /** The init argument naming the setting to point at the server. */
    static final String PROPERTY = "property";

    private String property;
    private RawHttpServer server;

    @Override
    public void init(Map<String, String> initArgs) {
        property = initArgs.get(PROPERTY);
    }

    @Override
    public Map<String, String> start() {
        try {
            server = new RawHttpServer();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of(property, "http://127.0.0.1:" + server.port());
    }

    @Override
    public void inject(TestInjector testInjector) {
        testInjector.injectIntoFields(server, new TestInjector.MatchesType(RawHttpServer.class));
    }

    @Override
    public void stop() {
        try {
            server.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
