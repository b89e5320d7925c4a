package io.dynamostream.security;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.aMapWithSize;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import io.dynamostream.e2e.Dynamo;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import io.restassured.specification.RequestSpecification;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/** Two admin keys (rotation) and one read-only key configured: every admin route and method needs a key. */
@QuarkusTest
@TestProfile(AdminApiAuthTest.KeysConfigured.class)
class AdminApiAuthTest {

    static final String ADMIN_ONE = "admin-key-one-7fQx2LpA9s";
    static final String ADMIN_TWO = "admin-key-two-Vb41nTzR0c";
    static final String READER = "read-only-key-Hk3mW8eYu5";
    static final String WRONG = "not-a-configured-key-Qa1";
    private static final String TABLE = "AuthPeople";

    /** The keys as an operator sets them, with debug logging of the security layer on to prove keys stay out. */
    public static class KeysConfigured implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "dynamo-stream.auth.api-keys", ADMIN_ONE + "," + ADMIN_TWO,
                    "dynamo-stream.auth.read-only-api-keys", READER,
                    "quarkus.log.category.\"io.quarkus.security\".level", "DEBUG",
                    "quarkus.log.category.\"io.quarkus.vertx.http.runtime.security\".level", "DEBUG",
                    "quarkus.log.category.\"io.dynamostream\".level", "DEBUG");
        }
    }

    /** Every admin route, with the status it answers an allowed caller. {id} is an existing subscription. */
    enum Route {
        ROOT_LIST("GET", "/", 200),
        ROOT_CREATE("POST", "/", 201),
        ROOT_DELETE("DELETE", "/{id}", 204),
        LIST("GET", "/subscriptions", 200),
        CREATE("POST", "/subscriptions", 201),
        GET_ONE("GET", "/subscriptions/{id}", 200),
        DELETE_ONE("DELETE", "/subscriptions/{id}", 204);

        final String method;
        final String path;
        final int allowed;

        Route(String method, String path, int allowed) {
            this.method = method;
            this.path = path;
            this.allowed = allowed;
        }

        boolean mutates() {
            return !method.equals("GET");
        }
    }

    private String existing;

    @BeforeEach
    void subscription() {
        try {
            Dynamo.local().createTable(TABLE, StreamViewType.NEW_AND_OLD_IMAGES);
        } catch (ResourceInUseException alreadyThere) {
            // created by an earlier test of this application
        }
        existing = asAdmin().contentType(ContentType.JSON)
                .body("{\"table_name\": \"" + TABLE + "\", \"url\": \"http://localhost:9/existing\"}")
                .post("/subscriptions").then().statusCode(201).extract().path("id");
    }

    @AfterEach
    void removeAll() {
        asAdmin().get("/subscriptions").then().extract().jsonPath().getList("id", String.class)
                .forEach(id -> asAdmin().delete("/subscriptions/" + id).then().statusCode(204));
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void givenNoCredentials_whenAdminRoute_then401WithBearerChallengeAndJsonMessage(Route route) {
        unauthorized(send(given(), route), "authentication required");
        assertUnchanged();
    }

    @ParameterizedTest
    @ValueSource(strings = {"PUT /subscriptions/{id}", "PATCH /subscriptions/{id}", "PUT /{id}", "PATCH /",
            "GET /subscriptions/{id}/shards", "GET /anything/else", "HEAD /subscriptions", "OPTIONS /"})
    void givenNoCredentials_whenAnyOtherPathOrMethod_then401(String request) {
        String[] parts = request.split(" ");
        var response = given().request(parts[0], parts[1].replace("{id}", existing)).then().statusCode(401)
                .header("WWW-Authenticate", startsWith("Bearer"));
        if (!parts[0].equals("HEAD")) {
            response.contentType(ContentType.JSON).body("message", containsString("Authorization: Bearer"));
        }
        assertUnchanged();
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void givenWrongBearerKey_whenAdminRoute_then401InvalidKey(Route route) {
        unauthorized(send(given().header("Authorization", "Bearer " + WRONG), route), "invalid API key")
                .body(not(containsString(WRONG)));
        assertUnchanged();
    }

    static Stream<Arguments> otherWrongCredentials() {
        return Stream.of(
                Arguments.of("X-Api-Key", WRONG),
                Arguments.of("X-Api-Key", ADMIN_ONE + "x"),
                Arguments.of("X-Api-Key", ADMIN_ONE.substring(1)),
                Arguments.of("Authorization", "Bearer " + ADMIN_ONE.toUpperCase()),
                Arguments.of("Authorization", "Basic " + ADMIN_ONE),
                Arguments.of("Authorization", ADMIN_ONE),
                Arguments.of("Authorization", "Bearer "));
    }

    @ParameterizedTest
    @MethodSource("otherWrongCredentials")
    void givenOtherWrongCredentials_whenDelete_then401AndKept(String header, String value) {
        given().header(header, value).delete("/subscriptions/" + existing)
                .then().statusCode(401).header("WWW-Authenticate", startsWith("Bearer"))
                .contentType(ContentType.JSON).body("message", equalTo(
                        header.equals("X-Api-Key") || value.startsWith("Bearer " + ADMIN_ONE.toUpperCase())
                                ? "invalid API key"
                                : "authentication required: send Authorization: Bearer <API key>"
                                        + " (or X-Api-Key: <API key>)"));
        assertUnchanged();
    }

    @ParameterizedTest
    @EnumSource(value = Route.class, names = {"ROOT_LIST", "LIST", "GET_ONE"})
    void givenReadOnlyKey_whenGetRoute_thenAnsweredAsUsual(Route route) {
        send(given().header("Authorization", "Bearer " + READER), route).statusCode(200);
        send(given().header("X-Api-Key", READER), route).statusCode(200);
    }

    @Test
    void givenReadOnlyKey_whenListing_thenSeesTheSubscriptions() {
        given().header("Authorization", "Bearer " + READER).get("/").then()
                .body("$", aMapWithSize(1)).body(existing + ".url", equalTo("http://localhost:9/existing"));
    }

    @ParameterizedTest
    @EnumSource(value = Route.class, names = {"ROOT_CREATE", "CREATE", "ROOT_DELETE", "DELETE_ONE"})
    void givenReadOnlyKey_whenMutatingRoute_then403JsonAndNothingChanges(Route route) {
        send(given().header("Authorization", "Bearer " + READER), route)
                .statusCode(403).contentType(ContentType.JSON)
                .body("message", equalTo("read-only API key: " + route.method + " needs an admin API key"))
                .body("$", not(hasKey("errors")));
        send(given().header("X-Api-Key", READER), route).statusCode(403);
        assertUnchanged();
    }

    @ParameterizedTest
    @ValueSource(strings = {"PUT", "PATCH"})
    void givenReadOnlyKey_whenOtherMutatingMethod_then403(String method) {
        given().header("Authorization", "Bearer " + READER).request(method, "/subscriptions/" + existing)
                .then().statusCode(403).contentType(ContentType.JSON)
                .body("message", equalTo("read-only API key: " + method + " needs an admin API key"));
    }

    static Stream<Arguments> adminCredentials() {
        return Stream.of(
                Arguments.of("Authorization", "Bearer " + ADMIN_ONE),
                Arguments.of("Authorization", "Bearer " + ADMIN_TWO),
                Arguments.of("Authorization", "bearer " + ADMIN_TWO),
                Arguments.of("X-Api-Key", ADMIN_ONE),
                Arguments.of("X-Api-Key", ADMIN_TWO));
    }

    @ParameterizedTest
    @MethodSource("adminCredentials")
    void givenEitherAdminKey_whenEveryRoute_thenNormalBehaviour(String header, String value) {
        String viaRoot = given().header(header, value).contentType(ContentType.JSON)
                .body("{\"table_name\": \"" + TABLE + "\", \"url\": \"http://localhost:9/root\"}")
                .post("/").then().statusCode(201).extract().path("id");
        given().header(header, value).get("/").then().statusCode(200)
                .body("$", aMapWithSize(2)).body(viaRoot + ".url", equalTo("http://localhost:9/root"));
        String viaResource = given().header(header, value).contentType(ContentType.JSON)
                .body("{\"table_name\": \"" + TABLE + "\", \"url\": \"http://localhost:9/resource\"}")
                .post("/subscriptions").then().statusCode(201).extract().path("id");
        given().header(header, value).get("/subscriptions").then().statusCode(200).body("size()", equalTo(3));
        given().header(header, value).get("/subscriptions/" + viaResource).then().statusCode(200)
                .body("url", equalTo("http://localhost:9/resource"));
        given().header(header, value).delete("/" + viaResource).then().statusCode(204);
        given().header(header, value).delete("/subscriptions/" + viaRoot).then().statusCode(204);
        given().header(header, value).get("/").then().statusCode(200).body("$", aMapWithSize(1));
        // errors of the API itself still come through for authenticated callers
        given().header(header, value).get("/subscriptions/" + viaRoot).then().statusCode(404)
                .body("message", equalTo("no subscription with id " + viaRoot));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/q/health", "/q/health/ready", "/q/metrics", "/q/openapi"})
    void givenNoOrWrongCredentials_whenOperatorPathUnderQ_thenNotBlocked(String path) {
        given().get(path).then().statusCode(allOf(not(equalTo(401)), not(equalTo(403))));
        given().header("Authorization", "Bearer " + WRONG).get(path)
                .then().statusCode(allOf(not(equalTo(401)), not(equalTo(403))));
    }

    @Test
    void givenKeysConfigured_thenStartupSaysAuthIsOnWithoutWarningOrKeys() {
        var lines = LogCaptureTestResource.lines();
        assertTrue(lines.stream().anyMatch(l -> l.message()
                        .equals("Admin API authentication on: 2 admin API key(s), 1 read-only API key(s)")),
                () -> "no auth-on line among " + lines);
        assertFalse(lines.stream().anyMatch(l -> l.message().contains("Admin API is open")), lines::toString);
    }

    @Test
    void givenRequestsWithEveryKind_thenNoKeyEverAppearsInTheLogEvenAtDebug() {
        for (String key : List.of(ADMIN_ONE, ADMIN_TWO, READER, WRONG)) {
            given().header("Authorization", "Bearer " + key).get("/subscriptions");
            given().header("X-Api-Key", key).delete("/subscriptions/" + existing + "-none");
        }
        var lines = LogCaptureTestResource.lines();
        assertTrue(lines.stream().anyMatch(l -> l.level().intValue() < java.util.logging.Level.INFO.intValue()
                        && l.message().startsWith("Unknown API key on GET /subscriptions")),
                () -> "debug logging is on, so the check below covers debug lines: " + lines);
        for (String key : List.of(ADMIN_ONE, ADMIN_TWO, READER, WRONG)) {
            assertTrue(lines.stream().noneMatch(l -> l.message().contains(key)), () -> "a key was logged");
        }
    }

    private static ValidatableResponse unauthorized(ValidatableResponse response, String message) {
        return response.statusCode(401)
                .header("WWW-Authenticate", startsWith("Bearer"))
                .contentType(ContentType.JSON)
                .body("message", startsWith(message))
                .body("$", not(hasKey("errors")));
    }

    private ValidatableResponse send(RequestSpecification request, Route route) {
        if (route.method.equals("POST")) {
            request = request.contentType(ContentType.JSON)
                    .body("{\"table_name\": \"" + TABLE + "\", \"url\": \"http://localhost:9/new\"}");
        }
        return request.request(route.method, route.path.replace("{id}", existing)).then();
    }

    /** What the caller could not do did not happen: exactly the one existing subscription, unchanged. */
    private void assertUnchanged() {
        asAdmin().get("/").then().statusCode(200)
                .body("$", aMapWithSize(1)).body(existing + ".url", equalTo("http://localhost:9/existing"));
    }

    private static RequestSpecification asAdmin() {
        return given().header("Authorization", "Bearer " + ADMIN_ONE);
    }
}
