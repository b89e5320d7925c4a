package io.dynamostream.e2e;

import static io.restassured.RestAssured.given;

import java.net.URI;

import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;

/** The service's admin API, as a test uses it. */
public final class Api {

    private Api() {
    }

    public static String subscribe(String table, URI url) {
        return subscribe(table, url, "LATEST");
    }

    public static String subscribe(String table, URI url, String startingPosition) {
        return given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"" + table + "\", \"url\": \"" + url + "\", \"starting_position\": \""
                        + startingPosition + "\"}")
                .post("/").then().statusCode(201).extract().path("id");
    }

    /** Registers a subscription from a full JSON request body; returns its id. */
    public static String subscribeWith(String json) {
        return given().contentType(ContentType.JSON).body(json).post("/").then().statusCode(201).extract().path("id");
    }

    public static JsonPath subscription(String id) {
        return given().get("/subscriptions/" + id).then().statusCode(200).extract().jsonPath();
    }

    public static String status(String id) {
        return subscription(id).getString("status");
    }

    public static void unsubscribe(String id) {
        given().delete("/subscriptions/" + id);
    }
}
