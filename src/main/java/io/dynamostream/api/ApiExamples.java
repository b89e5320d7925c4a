package io.dynamostream.api;

/** Examples shown in the OpenAPI document ({@code /q/openapi}, Swagger UI); constants so annotations can use them. */
final class ApiExamples {

    /** The smallest valid request, the original tool's shape. */
    public static final String REQUEST = "{\"table_name\":\"People\",\"url\":\"http://localhost:9000/stream\"}";

    /** A request reading the retained records from the oldest one. */
    public static final String REQUEST_FROM_OLDEST = "{\"table_name\":\"People\","
            + "\"url\":\"http://localhost:9000/stream\",\"starting_position\":\"TRIM_HORIZON\"}";

    public static final String CREATED = "{\"id\":\"01JQ7R8Z5W3K2M4N6P8Q0S2T4V\",\"table_name\":\"People\","
            + "\"url\":\"http://localhost:9000/stream\",\"status\":\"RUNNING\",\"starting_position\":\"LATEST\","
            + "\"source\":\"API\",\"created_at\":\"2026-03-30T12:00:00Z\",\"signed\":false,\"settings\":{"
            + "\"batch_size\":100,\"maximum_batching_window_in_seconds\":0,\"maximum_retry_attempts\":9,"
            + "\"maximum_record_age_in_seconds\":-1,\"bisect_batch_on_function_error\":false,\"on_failure\":\"stop\"}}";

    public static final String LIST_ORIGINAL = "{\"01JQ7R8Z5W3K2M4N6P8Q0S2T4V\":{\"table_name\":\"People\","
            + "\"url\":\"http://localhost:9000/stream\",\"status\":\"RUNNING\"},\"01JQ7RB1C3D5E7F9G1H3J5K7M9\":{"
            + "\"table_name\":\"Orders\",\"url\":\"http://localhost:9000/orders\",\"status\":\"ERROR\","
            + "\"error\":\"table Orders does not exist\"}}";

    public static final String INVALID = "{\"message\":\"invalid subscription\",\"errors\":["
            + "{\"field\":\"table_name\",\"messages\":[\"is required\"]},"
            + "{\"field\":\"url\",\"messages\":[\"must be an absolute http or https URL\"]}]}";

    public static final String NOT_FOUND = "{\"message\":\"no subscription with id 01JQ7R8Z5W3K2M4N6P8Q0S2T4V\"}";

    public static final String UNSUPPORTED_TYPE =
            "{\"message\":\"unsupported content type: send Content-Type: application/json\"}";

    public static final String ID = "01JQ7R8Z5W3K2M4N6P8Q0S2T4V";

    private ApiExamples() {
    }
}
