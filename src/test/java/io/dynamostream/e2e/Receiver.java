package io.dynamostream.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;

/**
 * A real HTTP receiver on 127.0.0.1 that records every POST. Its answer is programmable: a function from the
 * request number (1-based) to the status code.
 */
public final class Receiver implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One received request. */
    public record Request(String path, Map<String, List<String>> headers, byte[] body, long receivedNanos) {

        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Whether this is an error notification ({"table_name", "message"}) rather than a batch. */
        public boolean isNotification() {
            return json().has("message") && !json().has("Records");
        }
    }

    private final HttpServer server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger count = new AtomicInteger();
    private volatile IntUnaryOperator status = n -> 200;
    private volatile Duration delay = Duration.ZERO;
    private volatile java.util.function.ToIntFunction<Request> byRequest;

    public Receiver() {
        this(0);
    }

    /** A receiver on this port of 127.0.0.1 (0: a free one), e.g. one that was down when something was sent to it. */
    public Receiver(int port) {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", exchange -> {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            int n = count.incrementAndGet();
            requests.add(new Request(exchange.getRequestURI().getPath(), Map.copyOf(exchange.getRequestHeaders()),
                    body, System.nanoTime()));
            int code = byRequest != null ? byRequest.applyAsInt(requests.get(requests.size() - 1))
                    : status.applyAsInt(n);
            if (!delay.isZero()) {
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            exchange.sendResponseHeaders(code, -1);
            exchange.close();
        });
        server.start();
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/events");
    }

    /** Sets the answer for request number n (1-based, counting every request this receiver got). */
    public Receiver answering(IntUnaryOperator status) {
        this.status = status;
        return this;
    }

    /** Sets the answer from the request itself (e.g. refuse batches that hold a poison record). */
    public Receiver answeringRequest(java.util.function.ToIntFunction<Request> status) {
        this.byRequest = status;
        return this;
    }

    /** Makes every answer wait this long (a hanging receiver). */
    public Receiver delaying(Duration delay) {
        this.delay = delay;
        return this;
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** The batches (not notifications) received. */
    public List<Request> batches() {
        return requests.stream().filter(r -> !r.isNotification()).toList();
    }

    public List<Request> notifications() {
        return requests.stream().filter(Request::isNotification).toList();
    }

    /** Every record of every batch received, in arrival order (a retried batch appears each time it came). */
    public List<JsonNode> records() {
        List<JsonNode> out = new ArrayList<>();
        for (Request r : batches()) {
            r.json().get("Records").forEach(out::add);
        }
        return out;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
