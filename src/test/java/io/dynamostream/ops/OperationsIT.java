package io.dynamostream.ops;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/** The operations suite against the packaged application: Swagger UI and health are in the production build. */
@QuarkusIntegrationTest
class OperationsIT extends OperationsTest {
}
