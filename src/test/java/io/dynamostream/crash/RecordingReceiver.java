package io.dynamostream.crash;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A JDK HttpServer on 127.0.0.1 that answers every POST with 200 after handing it to a {@link DeliveryValidator}:
 * a POST is recorded before its 2xx leaves, so the order of recorded POSTs per (subscription, shard) is the order the
 * service sent them in (it sends batch n+1 only after batch n's 2xx). A POST whose body did not fully arrive (the
 * service was killed while sending) is not recorded.
 */
final class RecordingReceiver implements AutoCloseable {

    static final String SUBSCRIPTION_HEADER = "dynamo-stream-subscription-id";
    static final String SHARD_HEADER = "dynamo-stream-shard-id";
    static final String WEBHOOK_ID_HEADER = "webhook-id";

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    RecordingReceiver(DeliveryValidator validator) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            try (exchange) {
                if (!"POST".equals(exchange.getRequestMethod())) {
                    exchange.sendResponseHeaders(405, -1);
                    return;
                }
                byte[] body;
                try (InputStream in = exchange.getRequestBody()) {
                    body = in.readAllBytes();
                }
                validator.add(DeliveryValidator.Post.parse(header(exchange, SUBSCRIPTION_HEADER),
                        header(exchange, SHARD_HEADER), header(exchange, WEBHOOK_ID_HEADER), body));
                exchange.sendResponseHeaders(200, -1);
            }
        });
        server.start();
    }

    private static String header(HttpExchange exchange, String name) {
        return exchange.getRequestHeaders().getFirst(name);
    }

    /** The URL to subscribe. */
    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/crash");
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
