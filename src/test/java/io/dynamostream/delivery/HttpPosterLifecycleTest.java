package io.dynamostream.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import io.dynamostream.e2e.Receiver;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Vertx;
import io.dynamostream.guard.DestinationGuard;

/**
 * The HTTP client belongs to the service, not to whichever Vert.x context created it. The bean is created lazily, e.g.
 * by the first {@code POST /} on a thread that carries the HTTP server's context; Vert.x closes what is created in a
 * verticle when that verticle is undeployed, and the HTTP server's verticles go first at a graceful stop, so the POSTs
 * the stop lets finish (I11) failed with "Client is closed" and their batches were sent again after the restart.
 */
class HttpPosterLifecycleTest {

    @Test
    void givenDeliveryCreatedInsideAVerticle_whenTheVerticleIsUndeployed_thenItStillPosts() throws Exception {
        Vertx vertx = Vertx.vertx();
        AtomicReference<HttpPoster> delivery = new AtomicReference<>();
        try (Receiver receiver = new Receiver()) {
            String verticle = vertx.deployVerticle(new AbstractVerticle() {
                @Override
                public void start() {
                    delivery.set(new HttpPoster(vertx, DestinationDeliveryTest.settings(), 10, DestinationGuard.withDefaults(
                            host -> java.util.List.of(java.net.InetAddress.getAllByName(host)))));
                }
            }).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            vertx.undeploy(verticle).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

            HttpPoster.Response attempt = delivery.get().post(receiver.url(), "{\"Records\":[]}".getBytes(), Map.of());

            assertEquals(200, attempt.status(), attempt.describe());
            assertEquals(1, receiver.requests().size());
        } finally {
            if (delivery.get() != null) {
                delivery.get().close();
            }
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
