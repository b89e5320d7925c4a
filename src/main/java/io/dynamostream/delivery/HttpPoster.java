package io.dynamostream.delivery;

import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.dynamostream.config.ConnectionLimits;
import io.dynamostream.config.DynamoStreamConfig;
import io.dynamostream.metrics.StreamMetrics.AttemptOutcome;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import io.dynamostream.guard.DestinationGuard;
import io.dynamostream.guard.Redaction;
import io.dynamostream.guard.DestinationRefusedException;

/**
 * POSTs JSON bodies to URLs (per-call URL, pooled connections per host). Only a 2xx is a success; redirects are
 * never followed (a 3xx is a failure); every attempt has a timeout from connect to the end of the response. One POST
 * per call: retries belong to {@link BatchDelivery}, which knows the subscription's settings; {@link HttpDestination}
 * turns a response into the destination port's answer. Thread-safe; blocking calls are meant for virtual threads.
 *
 * <p>Isolation (I6): each POST names its subscription, which may have at most
 * {@code max-connections-per-subscription} POSTs in flight ({@link InFlightLimit}; more wait for a turn, before their
 * timeout starts). The pool of connections per host is sized so that all subscriptions' shares fit in it (unless
 * {@code max-connections-per-host} says less), so a subscription never waits for a connection that another one holds:
 * receivers that accept the connection and never answer used to fill the one pool of 64 a host had, and every other
 * subscription to that host then waited up to the 10 s timeout for a connection. An attempt that times out or is
 * interrupted resets its request, which closes the connection: a receiver that trickles its answer cannot keep it.
 *
 * <p>Every POST first asks the {@link DestinationGuard}: the host is resolved and checked on each attempt (DNS
 * rebinding), and the TCP connection goes to the checked IP through {@link RequestOptions#setServer}, while the
 * absolute URI keeps the URL's host for the Host header, TLS SNI and certificate verification. A refused destination
 * is a failed attempt that opens no connection.
 */
@ApplicationScoped
class HttpPoster {

    private static final int MAX_ERROR_BODY = 200;

    private final Vertx vertx;
    private final HttpClient client;
    private final Duration timeout;
    private final DestinationGuard guard;
    private final InFlightLimit inFlight;

    @Inject
    HttpPoster(Vertx vertx, DynamoStreamConfig config, DestinationGuard guard) {
        this(vertx, config.delivery(), config.limits().maxSubscriptions(), guard);
    }

    HttpPoster(Vertx vertx, DynamoStreamConfig.Delivery d, int maxSubscriptions, DestinationGuard guard) {
        this.vertx = vertx;
        this.guard = guard;
        this.timeout = d.timeout();
        this.inFlight = new InFlightLimit(d.maxConnectionsPerSubscription());
        this.client = createOutsideAnyContext(vertx, new HttpClientOptions()
                .setMaxPoolSize(poolSize(d, maxSubscriptions))
                .setKeepAlive(true)
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, d.timeout().toMillis()))
                .setTryUseCompression(false)
                .setVerifyHost(true));
    }

    /**
     * Connections per host when {@code max-connections-per-host} is not set: room for the full share of 1,000
     * subscriptions with hanging receivers on one host. Vert.x allocates a slot array of the pool's size for each host
     * in use (4 bytes a slot, so 64 KB here), which is why this does not grow with {@code max-subscriptions}.
     */
    static final int DEFAULT_POOL_CAP = 16_000;

    /**
     * Connections per host: {@code max-connections-per-host} when set, else room for every subscription's full share
     * (max subscriptions × max connections per subscription), at most {@link #DEFAULT_POOL_CAP}.
     */
    static int poolSize(DynamoStreamConfig.Delivery d, int maxSubscriptions) {
        return d.maxConnectionsPerHost().orElseGet(() -> (int) Math.min(DEFAULT_POOL_CAP,
                Math.max(1L, (long) maxSubscriptions * d.maxConnectionsPerSubscription())));
    }

    /** The subscription's POSTs in flight now. */
    int inFlight(String subscriptionId) {
        return inFlight.inFlight(subscriptionId);
    }

    /**
     * A client that only {@link #close} closes. Vert.x ties a client to the context of the thread that creates it
     * and closes it with that context's verticle; this bean is created lazily, e.g. by the first {@code POST /} on a
     * thread carrying the HTTP server's context, whose verticles are undeployed first at a graceful stop: the POSTs the
     * stop lets finish (I11) then failed with "Client is closed" and were sent again after the restart. A new thread
     * carries no context.
     */
    private static HttpClient createOutsideAnyContext(Vertx vertx, HttpClientOptions options) {
        CompletableFuture<HttpClient> created = new CompletableFuture<>();
        Thread.ofVirtual().name("http-client-init").start(() -> {
            try {
                created.complete(vertx.createHttpClient(options));
            } catch (RuntimeException | Error e) {
                created.completeExceptionally(e);
            }
        });
        try {
            return created.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    @PreDestroy
    void close() {
        client.close();
    }

    /** {@link #post(String, URI, byte[], Map)} for a caller without a subscription: the URL is its own share. */
    public Response post(URI url, byte[] body, Map<String, String> headers) {
        return post(url.toString(), url, body, headers);
    }

    /**
     * One POST of a subscription, no retry, once the subscription has fewer than its cap of POSTs in flight (the wait
     * for that turn is not timed: each POST ahead of it ends within the timeout). A destination the guard refuses
     * gives a failed attempt without any connection.
     */
    public Response post(String subscriptionId, URI url, byte[] body, Map<String, String> headers) {
        return post(subscriptionId, url, body, headers, 0);
    }

    /**
     * {@link #post(String, URI, byte[], Map)} that also keeps the body of a 2xx, up to {@code keepResponse} bytes
     * ({@link Response#body()}); a longer one is read to its end and dropped, and marked
     * {@link Response#responseTooLarge()}, so memory stays bounded whatever the receiver sends.
     *
     * @param keepResponse the longest 2xx body to keep; 0 keeps none
     */
    public Response post(String subscriptionId, URI url, byte[] body, Map<String, String> headers,
            int keepResponse) {
        InFlightLimit.Permit permit;
        try {
            permit = inFlight.acquire(subscriptionId);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Response.failed("interrupted", AttemptOutcome.ERROR, System.nanoTime());
        }
        try (permit) {
            return postNow(url, body, headers, keepResponse);
        }
    }

    private Response postNow(URI url, byte[] body, Map<String, String> headers, int keepResponse) {
        long started = System.nanoTime();
        DestinationGuard.Target target;
        try {
            target = guard.check(url);
        } catch (DestinationRefusedException e) {
            return Response.failed(e.getMessage(), AttemptOutcome.REFUSED, started);
        } catch (UnknownHostException e) {
            return Response.failed("cannot resolve host " + Redaction.text(url.getHost()),
                    AttemptOutcome.ERROR, started);
        }
        RequestOptions options = requestOptions(url, target, timeout);
        headers.forEach(options::putHeader);
        // The chain must run on a Vert.x context: built on a plain (virtual) thread, the response body future can
        // race the event loop and never complete, which turned good 2xx answers into timeouts and resends.
        CompletableFuture<Response> future = new CompletableFuture<>();
        AtomicReference<HttpClientRequest> request = new AtomicReference<>();
        Context context = vertx.getOrCreateContext();
        context.runOnContext(v -> {
            try {
                client.request(options)
                        .compose(req -> {
                            request.set(req);
                            if (future.isDone()) { // timed out or interrupted while connecting
                                req.reset();
                            }
                            return req.send(Buffer.buffer(body));
                        })
                        .compose(resp -> {
                            int status = resp.statusCode();
                            BoundedBody kept = new BoundedBody(status >= 200 && status < 300 ? keepResponse
                                    : MAX_ERROR_BODY);
                            resp.handler(kept::append);
                            return resp.end().map(ended -> new Response(status, errorText(status, kept.buffer),
                                    AttemptOutcome.of(status, false, false),
                                    Duration.ofNanos(System.nanoTime() - started),
                                    retryAfter(status, resp.getHeader("Retry-After")),
                                    status >= 200 && status < 300 && keepResponse > 0 && !kept.over
                                            ? kept.buffer.getBytes() : null,
                                    kept.over && keepResponse > 0 && status >= 200 && status < 300));
                        })
                        .onComplete(ar -> {
                            if (ar.succeeded()) {
                                future.complete(ar.result());
                            } else {
                                future.completeExceptionally(ar.cause());
                            }
                        });
            } catch (RuntimeException e) {
                // e.g. the client closed under a stopping service: a failed attempt now, not a timeout later
                future.completeExceptionally(e);
            }
        });
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            abandon(context, request);
            return Response.failed("timed out after " + timeout.toMillis() + " ms", AttemptOutcome.TIMEOUT, started);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof java.util.concurrent.TimeoutException
                    || String.valueOf(cause.getMessage()).startsWith("The timeout period of")) {
                // Vert.x's own idle timeout on the same request: the same thing as ours, said the same way
                return Response.failed("timed out after " + timeout.toMillis() + " ms", AttemptOutcome.TIMEOUT, started);
            }
            return Response.failed(failure(cause, url, target), AttemptOutcome.ERROR, started);
        } catch (InterruptedException e) {
            future.cancel(true);
            abandon(context, request);
            Thread.currentThread().interrupt();
            return Response.failed("interrupted", AttemptOutcome.ERROR, started);
        }
    }

    /**
     * Resets an attempt given up on, which closes its HTTP/1.1 connection instead of leaving it busy until the
     * receiver finishes (an answer trickling in a byte at a time never trips the idle timeout). A request not created
     * yet is reset as soon as it is (see {@link #postNow}).
     */
    private static void abandon(Context context, AtomicReference<HttpClientRequest> request) {
        context.runOnContext(v -> {
            HttpClientRequest req = request.get();
            if (req != null) {
                req.reset();
            }
        });
    }

    /**
     * The request for one POST to a checked target. {@code setAbsoluteURI} sets host, port, TLS and path from the URL
     * (Host header; in Vert.x 4.5 also the "peer address" whose host name becomes the SSLEngine peer host, i.e. SNI
     * and hostname verification); {@code setServer} only changes where the TCP connection goes. The server is given
     * as an IP literal, so Vert.x has nothing to resolve. Connections are pooled per (server, peer) pair, so a pooled
     * connection is only reused for the same checked address.
     */
    /**
     * What went wrong with the connection, in words an operator reads in {@code last_error} and the logs, without
     * Netty's class names ({@code AnnotatedConnectException: Connection refused: /127.0.0.1:9}): {@code connection
     * refused: 127.0.0.1:9}, {@code connection reset}, {@code TLS handshake failed: ...}. Anything else: its message.
     */
    static String failure(Throwable cause, URI url, DestinationGuard.Target target) {
        String where = Redaction.text(url.getHost()) + ":" + target.port();
        String ip = target.address().getHostAddress();
        if (!ip.equals(url.getHost()) && !("[" + ip + "]").equals(url.getHost())) {
            where += " (" + ip + ")";
        }
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = String.valueOf(t.getMessage());
            if (t.getClass().getSimpleName().equals("NotSslRecordException")) { // Netty's, for a plain-text answer
                return "TLS handshake failed: the receiver did not answer with TLS (is it an http:// URL?)";
            }
            if (t instanceof javax.net.ssl.SSLException) {
                return "TLS handshake failed: " + Redaction.oneLine(tlsReason(t));
            }
            if (t instanceof UnknownHostException) {
                return "cannot resolve host " + Redaction.text(url.getHost());
            }
            if (message.startsWith("connection timed out")) { // Netty's ConnectTimeoutException
                return "connection timed out: " + where;
            }
            if (t instanceof java.net.NoRouteToHostException || message.contains("No route to host")) {
                return "no route to host: " + where;
            }
            if (t instanceof java.net.ConnectException || message.contains("Connection refused")) {
                return "connection refused: " + where;
            }
            if (message.contains("Connection reset")) {
                return "connection reset";
            }
            if (t instanceof io.vertx.core.http.HttpClosedException) {
                return "connection closed before the response";
            }
        }
        String message = cause.getMessage();
        return message == null || message.isBlank() ? "connection failed (" + cause.getClass().getSimpleName() + ")"
                : Redaction.oneLine(message);
    }

    /** The innermost SSL exception's message: the one that says why (certificate, protocol), not "handshake". */
    private static String tlsReason(Throwable ssl) {
        String reason = ssl.getMessage();
        for (Throwable t = ssl.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
            if (t.getMessage() != null) {
                reason = t.getMessage();
            }
        }
        return reason == null ? ssl.getClass().getSimpleName() : reason;
    }

    static RequestOptions requestOptions(URI url, DestinationGuard.Target target, Duration timeout) {
        return new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setAbsoluteURI(url.toString())
                .setServer(SocketAddress.inetSocketAddress(target.port(), target.address().getHostAddress()))
                .setFollowRedirects(false)
                .setIdleTimeout(timeout.toMillis())
                .putHeader("Content-Type", "application/json")
                .putHeader("User-Agent", "dynamo-stream");
    }

    /**
     * The wait a 429 or 503 asks for with {@code Retry-After} (delay in seconds, or an HTTP date), null when there is
     * none or it cannot be read.
     */
    static Duration retryAfter(int status, String header) {
        if (header == null || status != 429 && status != 503) {
            return null;
        }
        String value = header.trim();
        try {
            long seconds = Long.parseLong(value);
            return seconds < 0 ? null : Duration.ofSeconds(seconds);
        } catch (NumberFormatException notSeconds) {
            try {
                java.time.ZonedDateTime at = java.time.ZonedDateTime.parse(value,
                        java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration d = Duration.between(java.time.Instant.now(), at.toInstant());
                return d.isNegative() ? Duration.ZERO : d;
            } catch (java.time.format.DateTimeParseException e) {
                return null;
            }
        }
    }

    /**
     * The head of a response body, at most {@code limit} bytes; {@code over} when more came. Touched by the
     * connection's event-loop thread only, until the response ends.
     */
    private static final class BoundedBody {
        private final int limit;
        final Buffer buffer = Buffer.buffer();
        boolean over;

        BoundedBody(int limit) {
            this.limit = limit;
        }

        void append(Buffer chunk) {
            int room = limit - buffer.length();
            if (chunk.length() > room) {
                over = true;
                if (room > 0) {
                    buffer.appendBuffer(chunk, 0, room);
                }
            } else {
                buffer.appendBuffer(chunk);
            }
        }
    }

    private static String errorText(int status, Buffer body) {
        if (status >= 200 && status < 300 || body == null || body.length() == 0) {
            return null;
        }
        // the receiver's text ends up in logs and in the API: on one line, without control characters
        String text = Redaction.oneLine(body.getString(0, Math.min(body.length(), MAX_ERROR_BODY)));
        return text.isBlank() ? null : text;
    }

    /**
     * The result of one POST: an HTTP status (0 when there was no response), an error text, the wait a 429/503
     * asked for with {@code Retry-After} (null when none), and the body of a 2xx when the caller asked to keep it
     * (null otherwise, or when it was longer than asked: then {@code responseTooLarge}).
     */
    public record Response(int status, String error, AttemptOutcome outcome, Duration took, Duration retryAfter,
            byte[] body, boolean responseTooLarge) {

        /** A response whose body was not kept. */
        public Response(int status, String error, AttemptOutcome outcome, Duration took, Duration retryAfter) {
            this(status, error, outcome, took, retryAfter, null, false);
        }

        static Response failed(String error, AttemptOutcome outcome, long startedNanos) {
            return new Response(0, error, outcome, Duration.ofNanos(System.nanoTime() - startedNanos), null);
        }

        public boolean isSuccess() {
            return status >= 200 && status < 300;
        }

        public String describe() {
            if (status == 0) {
                return error;
            }
            String text = "HTTP " + status + (status >= 300 && status < 400 ? " (redirects are not followed)" : "");
            return error == null ? text : text + " " + error;
        }
    }
}
