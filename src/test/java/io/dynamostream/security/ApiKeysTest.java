package io.dynamostream.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.dynamostream.config.DynamoStreamConfig;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;

/** Key comparison and the role each configured key grants. */
class ApiKeysTest {

    @Test
    void givenEqualKeys_thenSame() {
        assertTrue(ApiKeys.sameKey("s3cret-key", "s3cret-key"));
        assertTrue(ApiKeys.sameKey("ünïcödé-κλειδί", "ünïcödé-κλειδί"));
    }

    @Test
    void givenKeysDifferingInOneCharacter_thenNotSame() {
        assertFalse(ApiKeys.sameKey("s3cret-key", "s3cret-kez"));
        assertFalse(ApiKeys.sameKey("s3cret-key", "S3cret-key"));
    }

    @Test
    void givenDifferentLengths_thenNotSame() {
        assertFalse(ApiKeys.sameKey("s3cret-key", "s3cret-key-longer"));
        assertFalse(ApiKeys.sameKey("s3cret-key", "s3cret"));
    }

    @Test
    void givenEmptyKeys_thenOnlyEmptyEqualsEmpty() {
        assertTrue(ApiKeys.sameKey("", ""));
        assertFalse(ApiKeys.sameKey("", "s3cret-key"));
        assertFalse(ApiKeys.sameKey("s3cret-key", ""));
    }

    @Test
    void givenAdminAndReadOnlyKeys_thenEachKeyGetsItsRoleAndOthersNone() {
        var keys = new ApiKeys(List.of("admin-one", "admin-two"), List.of("reader-one"), "3000");
        assertTrue(keys.enabled());
        assertEquals(Optional.of(ApiKeys.ADMIN), keys.roleOf("admin-one"));
        assertEquals(Optional.of(ApiKeys.ADMIN), keys.roleOf("admin-two"));
        assertEquals(Optional.of(ApiKeys.READER), keys.roleOf("reader-one"));
        assertEquals(Optional.empty(), keys.roleOf("admin-on"));
        assertEquals(Optional.empty(), keys.roleOf("admin-one "));
        assertEquals(Optional.empty(), keys.roleOf(""));
    }

    @Test
    void givenKeyInBothLists_thenAdminWins() {
        var keys = new ApiKeys(List.of("both"), List.of("both"), "3000");
        assertEquals(Optional.of(ApiKeys.ADMIN), keys.roleOf("both"));
    }

    @Test
    void givenNoKeyOrOnlyBlankKeys_thenDisabledAndNothingMatches() {
        assertFalse(new ApiKeys(List.of(), List.of(), "3000").enabled());
        var blank = new ApiKeys(List.of(" ", ""), List.of(""), "3000");
        assertFalse(blank.enabled());
        assertEquals(Optional.empty(), blank.roleOf(""));
    }

    @Test
    void givenOnlyReadOnlyKeys_thenEnabled() {
        assertTrue(new ApiKeys(List.of(), List.of("reader"), "3000").enabled());
    }

    @Test
    void givenEnvironmentVariables_thenCommaSeparatedKeysAreRead() {
        DynamoStreamConfig config = new SmallRyeConfigBuilder()
                .withSources(new EnvConfigSource(Map.of(
                        "DYNAMO_STREAM_AUTH_API_KEYS", "key1,key2",
                        "DYNAMO_STREAM_AUTH_READ_ONLY_API_KEYS", "view1"), 300))
                .withConverter(Duration.class, 100, new DurationConverter())
                .withMapping(DynamoStreamConfig.class)
                .build().getConfigMapping(DynamoStreamConfig.class);
        var keys = new ApiKeys(config, "3000");
        assertEquals(Optional.of(ApiKeys.ADMIN), keys.roleOf("key1"));
        assertEquals(Optional.of(ApiKeys.ADMIN), keys.roleOf("key2"));
        assertEquals(Optional.of(ApiKeys.READER), keys.roleOf("view1"));
        assertEquals(Optional.empty(), keys.roleOf("key1,key2"));
    }
}
