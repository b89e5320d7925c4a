package io.dynamostream.subscription;

import io.quarkus.test.junit.QuarkusIntegrationTest;

/** The API suite against the packaged application (JVM jar here, native binary where one can be built). */
@QuarkusIntegrationTest
class SubscriptionApiIT extends SubscriptionApiTest {
}
