package io.dynamostream.ops;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.emptyOrNullString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.hamcrest.MatcherAssert.assertThat;

import java.net.URI;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.dynamostream.e2e.Api;
import io.dynamostream.e2e.Dynamo;
import io.dynamostream.e2e.LocalDynamoDbTestResource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/** What an operator sees: health endpoints, the OpenAPI document and Swagger UI. */
@QuarkusTest
@WithTestResource(value = LocalDynamoDbTestResource.class, scope = TestResourceScope.GLOBAL)
class OperationsTest {

    private static final String TABLE = "OpsPeople";
    private static final String SECRET_URL = "http://localhost:9/hook/s3cr3t-token?key=abc";
    private static boolean tableCreated;

    @AfterEach
    void removeAll() {
        given().get("/subscriptions").then().extract().jsonPath().getList("id", String.class)
                .forEach(Api::unsubscribe);
    }

    @Test
    void givenRunningService_whenLivenessProbed_thenUpWithThePollerCheck() {
        given().get("/q/health/live").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItem(PollerLivenessCheck.NAME))
                .body("checks.find { it.name == 'stream-poller' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'stream-poller' }.data", hasKey("last_tick"));
    }

    @Test
    void givenReachableDynamoDb_whenReadinessProbed_thenUpWithDynamoDbAndSubscriptionChecks() {
        given().get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItems(DynamoDbReadinessCheck.NAME, SubscriptionsReadinessCheck.NAME))
                .body("checks.find { it.name == 'subscriptions' }.data.initialised", equalTo(true));
    }

    @Test
    void givenSubscription_whenReadinessProbed_thenItsIdTableAndStatusAreListedButNeverItsUrl() {
        if (!tableCreated) {
            Dynamo.local().createTable(TABLE, StreamViewType.NEW_AND_OLD_IMAGES);
            tableCreated = true;
        }
        String id = Api.subscribe(TABLE, URI.create(SECRET_URL));

        String body = given().get("/q/health/ready").then().statusCode(200).extract().asString();

        JsonPath data = JsonPath.from(body).setRootPath("checks.find { it.name == 'subscriptions' }.data");
        assertThat(data.getString("'" + id + ".table'"), equalTo(TABLE));
        assertThat(data.getString("'" + id + ".status'"), equalTo("RUNNING"));
        assertThat(data.getInt("'" + id + ".shards'") >= 0, equalTo(true));
        assertThat(body, not(containsString("s3cr3t-token")));
        assertThat(body, not(containsString("localhost:9/")));
        // the combined /q/health shows the same, also without the URL
        given().get("/q/health").then().statusCode(200)
                .body(containsString(id + ".table"))
                .body(not(containsString("s3cr3t-token")));
    }

    @Test
    void whenOpenApiFetched_thenEveryRouteWithRequestSchemaExampleAndErrorResponsesIsDescribed() {
        JsonPath doc = given().queryParam("format", "json").get("/q/openapi").then().statusCode(200)
                .extract().jsonPath();

        assertThat(doc.getMap("paths").keySet(),
                hasItems("/", "/{id}", "/subscriptions", "/subscriptions/{id}"));
        assertThat(doc.getMap("components.schemas.SubscriptionRequest.properties").keySet(),
                hasItems("table_name", "url", "starting_position"));
        assertThat(doc.getList("components.schemas.SubscriptionRequest.required"), hasItems("table_name", "url"));
        assertThat(doc.getMap("components.schemas.ErrorBody.properties").keySet(), hasItems("message", "errors"));
        for (String path : new String[] {"'/'", "'/subscriptions'"}) {
            String post = "paths." + path + ".post";
            assertThat(doc.getString(post + ".summary"), equalTo("Register a subscription"));
            assertThat(doc.getMap(resolved(doc, post + ".requestBody")
                            + ".content.'application/json'.examples.minimal.value"),
                    equalTo(Map.of("table_name", "People", "url", "http://localhost:9000/stream")));
            assertThat(doc.getMap(post + ".responses").keySet(), hasItems("201", "400", "415"));
            assertThat(doc.getString(resolved(doc, post + ".responses.'400'")
                            + ".content.'application/json'.schema.$ref"),
                    equalTo("#/components/schemas/ErrorBody"));
        }
        assertThat(doc.getString(resolved(doc, "paths.'/{id}'.delete.responses.'404'")
                        + ".content.'application/json'.schema.$ref"),
                equalTo("#/components/schemas/ErrorBody"));
        assertThat(doc.getMap("paths.'/subscriptions/{id}'.get.responses").keySet(), hasItems("200", "404"));
        assertThat(doc.getList("tags.name"), hasItems("Original API", "Subscriptions"));
    }

    @Test
    void whenOpenApiFetched_thenBothRegistrationRoutesDocumentEveryRefusalWithTheErrorBody() {
        JsonPath doc = given().queryParam("format", "json").get("/q/openapi").then().statusCode(200)
                .extract().jsonPath();

        for (String path : new String[] {"'/'", "'/subscriptions'"}) {
            String responses = "paths." + path + ".post.responses";
            assertThat(path, doc.getMap(responses).keySet(), hasItems("201", "400", "409", "413", "415"));
            assertThat(path, doc.getString(resolved(doc, responses + ".'201'")
                    + ".content.'application/json'.schema.$ref"), equalTo("#/components/schemas/Subscription"));
            for (String code : new String[] {"400", "409", "413", "415"}) {
                String response = resolved(doc, responses + ".'" + code + "'");
                assertThat(path + " " + code, doc.getString(response + ".description"), not(emptyOrNullString()));
                assertThat(path + " " + code, doc.getString(response + ".content.'application/json'.schema.$ref"),
                        equalTo("#/components/schemas/ErrorBody"));
            }
        }
    }

    /**
     * The path of the object at {@code path}, or of the component it refers to when it is a {@code $ref}: shared
     * request bodies and responses are components (META-INF/openapi.yaml) that operations refer to.
     */
    private static String resolved(JsonPath doc, String path) {
        String ref = doc.getString(path + ".$ref");
        if (ref == null) {
            return path;
        }
        assertThat(ref, startsWith("#/components/"));
        return Arrays.stream(ref.substring(2).split("/")).map(part -> "'" + part + "'")
                .collect(Collectors.joining("."));
    }

    @Test
    void whenSwaggerUiOpened_thenItIsServed() {
        given().redirects().follow(true).get("/q/swagger-ui").then().statusCode(200)
                .body(containsString("swagger-ui"));
    }
}
