package io.dynamostream.e2e;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

import io.dynamostream.guard.DestinationResolver;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * The destination guard end to end: registration refusals through the API, redirects towards the metadata service,
 * and DNS rebinding between registration and delivery. DNS is played by a test resolver installed per test.
 */
@QuarkusTest
@WithTestResource(value = LocalDynamoDbTestResource.class, scope = TestResourceScope.GLOBAL)
class DestinationGuardE2ETest {

    private static final AtomicInteger TABLES = new AtomicInteger();
    /** Attempts per batch of the subscriptions these tests register ({@code maximum_retry_attempts} + 1). */
    private static final int MAX_ATTEMPTS = 3;

    /** DNS for the test: answers what {@link #answer} says for rebind.test, records every question. */
    static final class RebindingResolver implements DestinationResolver {
        volatile String answer = "127.0.0.1";
        final List<String> asked = new CopyOnWriteArrayList<>();

        @Override
        public List<InetAddress> resolve(String host) throws UnknownHostException {
            asked.add(host);
            if (host.equals("rebind.test")) {
                return List.of(InetAddress.getByAddress(host, toBytes(answer)));
            }
            return List.of(InetAddress.getAllByName(host));
        }

        private static byte[] toBytes(String dottedQuad) {
            String[] p = dottedQuad.split("\\.");
            return new byte[] {(byte) Integer.parseInt(p[0]), (byte) Integer.parseInt(p[1]),
                    (byte) Integer.parseInt(p[2]), (byte) Integer.parseInt(p[3])};
        }
    }

    private final Dynamo dynamo = Dynamo.local();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<String> subscriptions = new ArrayList<>();
    private final RebindingResolver dns = new RebindingResolver();

    @BeforeEach
    void installResolver() {
        QuarkusMock.installMockForType(dns, DestinationResolver.class);
    }

    @AfterEach
    void cleanUp() throws Exception {
        subscriptions.forEach(Api::unsubscribe);
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    private static String table() {
        return "Guard-" + TABLES.incrementAndGet() + "-" + System.nanoTime() % 100000;
    }

    private String subscribe(String table, URI url) {
        String id = Api.subscribeWith("{\"table_name\":\"" + table + "\",\"url\":\"" + url
                + "\",\"maximum_retry_attempts\":" + (MAX_ATTEMPTS - 1) + "}");
        subscriptions.add(id);
        return id;
    }

    private Receiver receiver() {
        Receiver r = new Receiver();
        closeables.add(r);
        return r;
    }

    /** A receiver that answers every request with 302 and a Location header, counting the requests. */
    private Redirector redirector(String location) {
        Redirector r = new Redirector(location);
        closeables.add(r);
        return r;
    }

    static final class Redirector implements AutoCloseable {
        final HttpServer server;
        final List<String> bodies = new CopyOnWriteArrayList<>();

        Redirector(String location) {
            try {
                server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.createContext("/", exchange -> {
                bodies.add(new String(exchange.getRequestBody().readAllBytes()));
                exchange.getResponseHeaders().add("Location", location);
                exchange.sendResponseHeaders(302, -1);
                exchange.close();
            });
            server.start();
        }

        URI url() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/events");
        }

        long batches() {
            return bodies.stream().filter(b -> b.contains("\"Records\"")).count();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    @Test
    void givenMetadataUrl_whenPosted_then400NamingTheReasonAndNothingRegistered() {
        given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"AnyTable\", \"url\": \"http://169.254.169.254/latest/meta-data\"}")
                .post("/")
                .then().statusCode(400)
                .body("message", equalTo("invalid subscription"))
                .body("errors[0].field", equalTo("url"))
                .body("errors[0].messages[0]",
                        equalTo("refused destination: 169.254.169.254 is a link-local / cloud metadata address"));
        String all = given().get("/").then().statusCode(200).extract().asString();
        assertTrue(!all.contains("169.254"), all);
    }

    @Test
    void givenNumericHostForm_whenPosted_then400() {
        given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"AnyTable\", \"url\": \"http://0x7f000001:9000/x\"}")
                .post("/")
                .then().statusCode(400)
                .body("errors[0].messages[0]", equalTo("refused destination: 0x7f000001 is a non-canonical IP"
                        + " address (write IPv4 addresses as a dotted quad, e.g. 127.0.0.1)"));
    }

    @Test
    void givenNameResolvingToMetadataAtRegistration_whenPosted_then400() {
        dns.answer = "169.254.169.254";
        given().contentType(ContentType.JSON)
                .body("{\"table_name\": \"AnyTable\", \"url\": \"http://rebind.test/x\"}")
                .post("/")
                .then().statusCode(400)
                .body("errors[0].messages[0]", equalTo(
                        "refused destination: rebind.test (169.254.169.254) is a link-local / cloud metadata address"));
    }

    @Test
    void givenReceiverRedirectingToMetadata_whenRecordArrives_thenRedirectNotFollowedAndSubscriptionEndsInError() {
        String table = dynamo.createTable(table(), StreamViewType.NEW_AND_OLD_IMAGES);
        Redirector redirector = redirector("http://169.254.169.254/latest/meta-data/iam/security-credentials/");
        String id = subscribe(table, redirector.url());

        dynamo.put(table, "k1", 1);

        await().atMost(Duration.ofSeconds(15)).until(() -> Api.status(id).equals("ERROR"));
        String error = Api.subscription(id).getString("error");
        // a followed redirect would end in a connect error or timeout towards 169.254.169.254, never in "HTTP 302"
        assertTrue(error.contains("last: HTTP 302 (redirects are not followed)"), error);
        assertEquals(MAX_ATTEMPTS, redirector.batches(), "each attempt reached the receiver once, nothing more");
    }

    @Test
    void givenReceiverRedirectingElsewhere_whenRecordArrives_thenTheRedirectTargetGetsNoRequest() {
        String table = dynamo.createTable(table(), StreamViewType.NEW_AND_OLD_IMAGES);
        Receiver target = receiver();
        Redirector redirector = redirector(target.url().toString());
        String id = subscribe(table, redirector.url());

        dynamo.put(table, "k1", 1);

        await().atMost(Duration.ofSeconds(15)).until(() -> Api.status(id).equals("ERROR"));
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> target.requests().isEmpty());
        assertEquals(MAX_ATTEMPTS, redirector.batches());
    }

    @Test
    void givenDnsRebindingToMetadataAfterRegistration_whenDelivering_thenRefusedWithoutConnectionAndError() {
        String table = dynamo.createTable(table(), StreamViewType.NEW_AND_OLD_IMAGES);
        Receiver receiver = receiver();
        int port = receiver.url().getPort();
        String id = subscribe(table, URI.create("http://rebind.test:" + port + "/events"));

        dynamo.put(table, "k1", 1);
        // rebind.test exists only in the test resolver: this delivery proves the connection goes to the checked IP
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.batches().size() == 1);
        assertEquals(List.of("rebind.test:" + port), receiver.batches().get(0).headers().get("Host"),
                "the Host header stays the URL's host");

        dns.answer = "169.254.169.254";
        int askedBefore = dns.asked.size();
        dynamo.put(table, "k2", 2);

        await().atMost(Duration.ofSeconds(15)).until(() -> Api.status(id).equals("ERROR"));
        String error = Api.subscription(id).getString("error");
        assertTrue(error.contains("refused destination: rebind.test (169.254.169.254) is a link-local / cloud"
                + " metadata address"), error);
        assertTrue(error.contains("after " + MAX_ATTEMPTS + " attempts"), error);
        assertTrue(dns.asked.size() - askedBefore >= MAX_ATTEMPTS, "every attempt resolved the name again");
        // neither the refused batch nor the error notification may reach anything
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> receiver.requests().size() == 1);
    }
}
