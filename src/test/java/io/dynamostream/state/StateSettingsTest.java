package io.dynamostream.state;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URL;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.dynamostream.config.DynamoStreamConfig;
import io.dynamostream.config.StateSettings;
import io.dynamostream.config.StateSettings.Kind;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/**
 * Which store the shipped application.properties selects in each profile, and that the environment variables an
 * operator sets win over it (read the way Quarkus reads them: the properties file at ordinal 250, the environment at
 * 300).
 */
class StateSettingsTest {

    @Test
    void givenNoSettings_whenRunInProduction_thenTheEmbeddedStoreUsesDataUnderTheWorkingDirectory() throws Exception {
        StateSettings state = state("prod", Map.of());

        assertEquals(Kind.EMBEDDED, state.store());
        assertEquals(Path.of("data"), state.dir());
        assertEquals("dynamo-stream-state", state.table());
    }

    @Test
    void givenEnvironmentVariables_whenRunInProduction_thenTheyChooseTheStoreDirectoryAndTable() throws Exception {
        StateSettings state = state("prod", Map.of("DYNAMO_STREAM_STATE_STORE", "dynamodb",
                "DYNAMO_STREAM_STATE_DIR", "/var/lib/dynamo-stream", "DYNAMO_STREAM_STATE_TABLE", "my-state"));

        assertEquals(Kind.DYNAMODB, state.store());
        assertEquals(Path.of("/var/lib/dynamo-stream"), state.dir());
        assertEquals("my-state", state.table());
    }

    @Test
    void givenDevMode_whenNothingIsSet_thenStateIsKeptInMemory() throws Exception {
        assertEquals(Kind.MEMORY, state("dev", Map.of()).store());
    }

    @Test
    void givenDevMode_whenTheEnvironmentAsksForEmbedded_thenItWinsAndTheFileGoesUnderTarget() throws Exception {
        StateSettings state = state("dev", Map.of("DYNAMO_STREAM_STATE_STORE", "embedded"));

        assertEquals(Kind.EMBEDDED, state.store());
        assertEquals(Path.of("target/dev-state"), state.dir());
    }

    @Test
    void givenTests_whenNothingIsSet_thenStateIsKeptInMemory() throws Exception {
        assertEquals(Kind.MEMORY, state("test", Map.of()).store());
    }

    private static StateSettings state(String profile, Map<String, String> env) throws Exception {
        URL properties = StateSettingsTest.class.getClassLoader().getResource("application.properties");
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withProfile(profile)
                .addDefaultInterceptors()
                .withSources(new PropertiesConfigSource(properties, 250))
                .withSources(new EnvConfigSource(env, 300))
                // Quarkus' converter for "200ms"-style durations, as in the running service
                .withConverter(Duration.class, 100, new DurationConverter())
                .withMapping(DynamoStreamConfig.class)
                .build();
        return config.getConfigMapping(DynamoStreamConfig.class).state();
    }
}
