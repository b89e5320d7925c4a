package io.dynamostream.aws;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * A test profile for the Streams client's tests against an endpoint of the test's own: region us-east-1 and static
 * credentials, the test's settings, and only the test's resource (the shared local server of the other tests would
 * set the endpoint).
 */
public abstract class OwnEndpointProfile implements QuarkusTestProfile {

    /** The resource that starts the endpoint and sets the properties that point at it. */
    protected abstract TestResourceEntry endpoint();

    /** A {@link RawHttpServer} ({@link RawHttpServerResource}) whose base URL is set as {@code property}. */
    protected static TestResourceEntry rawHttpServerAt(String property) {
        return new TestResourceEntry(RawHttpServerResource.class, Map.of(RawHttpServerResource.PROPERTY, property));
    }

    /** The test's own settings. */
    protected Map<String, String> settings() {
        return Map.of();
    }

    @Override
    public final Map<String, String> getConfigOverrides() {
        Map<String, String> overrides = new HashMap<>(Map.of(
                "quarkus.dynamodb.aws.region", "us-east-1",
                "quarkus.dynamodb.aws.credentials.type", "static",
                "quarkus.dynamodb.aws.credentials.static-provider.access-key-id", "test",
                "quarkus.dynamodb.aws.credentials.static-provider.secret-access-key", "test"));
        overrides.putAll(settings());
        return overrides;
    }

    @Override
    public final List<TestResourceEntry> testResources() {
        return List.of(endpoint());
    }

    @Override
    public final boolean disableGlobalTestResources() {
        return true;
    }
}
