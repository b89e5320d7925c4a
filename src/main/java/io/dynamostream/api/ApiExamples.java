package io.dynamostream.api;

/**
 * Examples shown in the OpenAPI document ({@code /q/openapi}, Swagger UI); constants so annotations can use them. The
 * examples of the request bodies and responses that several operations share are in
 * {@code src/main/resources/META-INF/openapi.yaml}, with those shared parts.
 */
final class ApiExamples {

    public static final String LIST_ORIGINAL = "{\"01JQ7R8Z5W3K2M4N6P8Q0S2T4V\":{\"table_name\":\"People\","
            + "\"url\":\"http://localhost:9000/stream\",\"status\":\"RUNNING\"},\"01JQ7RB1C3D5E7F9G1H3J5K7M9\":{"
            + "\"table_name\":\"Orders\",\"url\":\"http://localhost:9000/orders\",\"status\":\"ERROR\","
            + "\"error\":\"table Orders does not exist\",\"notification\":{\"state\":\"PENDING\",\"attempts\":3,"
            + "\"last_error\":\"connection refused: localhost:9000\",\"last_attempt_at\":\"2026-03-30T12:00:07Z\","
            + "\"next_attempt_at\":\"2026-03-30T12:00:15Z\"}}}";

    public static final String ID = "01JQ7R8Z5W3K2M4N6P8Q0S2T4V";

    private ApiExamples() {
    }
}
