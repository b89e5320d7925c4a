package io.dynamostream.state;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** The service configured with {@code dynamo-stream.state.store=embedded} opens the file in the configured dir. */
@QuarkusTest
@TestProfile(EmbeddedStateStoreProducerTest.Embedded.class)
class EmbeddedStateStoreProducerTest {

    /** Embedded store in a fresh directory (which does not exist yet: the store creates it). */
    public static class Embedded implements QuarkusTestProfile {

        /**
         * A system property, not a static field alone: this class is loaded by the test's and by the application's
         * class loader, and both must agree on the directory.
         */
        static Path dir() {
            String key = "dynamostream.test.state-dir";
            if (System.getProperty(key) == null) {
                try {
                    System.setProperty(key, Files.createTempDirectory("state-producer").resolve("state").toString());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return Path.of(System.getProperty(key));
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("dynamo-stream.state.store", "embedded", "dynamo-stream.state.dir", dir().toString());
        }
    }

    @Inject
    StateStore store;

    @Test
    void givenEmbeddedConfigured_whenTheServiceRuns_thenItsStoreIsTheFileInTheConfiguredDirectory() {
        Path file = Embedded.dir().resolve(EmbeddedStateStore.FILE_NAME);

        store.putSubscription("producer-test", "{}");

        assertThat(store.describe(), containsString("embedded (H2 MVStore) at " + file.toAbsolutePath()));
        assertTrue(Files.isRegularFile(file));
        assertEquals(Map.of("producer-test", "{}"), store.subscriptions());
    }
}
