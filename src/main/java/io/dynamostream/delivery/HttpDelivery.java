package io.dynamostream.delivery;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.dynamostream.config.DynamoStreamConfig;
import io.dynamostream.subscription.Redaction;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

/**
 * POSTs JSON bodies to subscription URLs (per-call URL, pooled connections per host). Only a 2xx is a success;
 * redirects are never followed (a 3xx is a failure); every attempt has a timeout from connect to the end of the
 * response. Retries use {@link RetryPolicy}. Thread-safe; blocking calls are meant for virtual threads.
 */
@ApplicationScoped
public class HttpDelivery {

    private static final Logger LOG = Logger.getLogger(HttpDelivery.class);
    private static final int MAX_ERROR_BODY = 200;

    private final HttpClient client;
    private final Duration timeout;
    private final RetryPolicy retryPolicy;

    public HttpDelivery(Vertx vertx, DynamoStreamConfig config) {
        DynamoStreamConfig.Delivery d = config.delivery();
        this.timeout = d.timeout();
        this.retryPolicy = new RetryPolicy(d.maxAttempts(), d.initialBackoff(), d.maxBackoff());
        this.client = vertx.createHttpClient(new HttpClientOptions()
                .setMaxPoolSize(d.maxConnectionsPerHost())
                .setKeepAlive(true)
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, d.timeout().toMillis()))
                .setTryUseCompression(false)
                .setVerifyHost(true));
    }

    @PreDestroy
    void close() {
        client.close();
    }

    /**
     * Delivers one batch, retrying until a 2xx, a 410, the retry budget is used up, or {@code cancelled} says stop.
     *
     * @param onFailedAttempt told about each failed attempt (for status display), with a readable reason
     */
    public Outcome deliver(URI url, byte[] body, Map<String, String> headers, BooleanSupplier cancelled,
            Consumer<String> onFailedAttempt) {
        return deliver(url, body, () -> headers, cancelled, onFailedAttempt);
    }

    /**
     * Like {@link #deliver(URI, byte[], Map, BooleanSupplier, Consumer)}, with headers computed afresh for each
     * attempt (a signature over this attempt's {@code webhook-timestamp}).
     */
    public Outcome deliver(URI url, byte[] body, Supplier<Map<String, String>> headers, BooleanSupplier cancelled,
            Consumer<String> onFailedAttempt) {
        for (int attempt = 1;; attempt++) {
            if (cancelled.getAsBoolean()) {
                return new Outcome.Cancelled();
            }
            Attempt result = post(url, body, headers.get());
            if (result.isSuccess()) {
                return new Outcome.Delivered(result.status(), attempt);
            }
            if (result.status() == 410) {
                return new Outcome.Gone("receiver answered 410 Gone: " + result.describe());
            }
            String reason = "attempt " + attempt + "/" + retryPolicy.maxAttempts() + " failed: " + result.describe();
            onFailedAttempt.accept(reason);
            if (!retryPolicy.retriesAfter(attempt)) {
                return new Outcome.GaveUp("delivery to " + Redaction.url(url) + " failed after " + attempt
                        + " attempts; last: "
                        + result.describe());
            }
            Duration wait = retryPolicy.backoff(attempt);
            LOG.warnf("POST %s %s; retrying in %d ms", Redaction.url(url), Redaction.text(reason), wait.toMillis());
            if (!sleep(wait, cancelled)) {
                return new Outcome.Cancelled();
            }
        }
    }

    /** One POST, no retry. */
    public Attempt post(URI url, byte[] body, Map<String, String> headers) {
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setAbsoluteURI(url.toString())
                .setFollowRedirects(false)
                .setIdleTimeout(timeout.toMillis())
                .putHeader("Content-Type", "application/json")
                .putHeader("User-Agent", "dynamo-stream");
        headers.forEach(options::putHeader);
        CompletableFuture<Attempt> future = client.request(options)
                .compose(req -> req.send(Buffer.buffer(body)))
                .compose(resp -> resp.body().map(b -> new Attempt(resp.statusCode(), errorText(resp.statusCode(), b))))
                .toCompletionStage().toCompletableFuture();
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            return new Attempt(0, "timed out after " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return new Attempt(0, cause.getClass().getSimpleName() + ": " + cause.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Attempt(0, "interrupted");
        }
    }

    private static String errorText(int status, Buffer body) {
        if (status >= 200 && status < 300 || body == null || body.length() == 0) {
            return null;
        }
        String text = body.getString(0, Math.min(body.length(), MAX_ERROR_BODY)).replaceAll("[\\r\\n\\t]+", " ");
        return text.isBlank() ? null : text;
    }

    private static boolean sleep(Duration wait, BooleanSupplier cancelled) {
        long deadline = System.nanoTime() + wait.toNanos();
        try {
            while (System.nanoTime() < deadline) {
                if (cancelled.getAsBoolean()) {
                    return false;
                }
                long left = Math.min(TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()), 100);
                Thread.sleep(Math.max(1, left));
            }
            return !cancelled.getAsBoolean();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The result of one POST: an HTTP status (0 when there was no response) and an error text. */
    public record Attempt(int status, String error) {

        boolean isSuccess() {
            return status >= 200 && status < 300;
        }

        String describe() {
            if (status == 0) {
                return error;
            }
            String text = "HTTP " + status + (status >= 300 && status < 400 ? " (redirects are not followed)" : "");
            return error == null ? text : text + " " + error;
        }
    }
}
