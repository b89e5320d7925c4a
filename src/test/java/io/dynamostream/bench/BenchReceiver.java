package io.dynamostream.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import com.sun.net.httpserver.HttpServer;

/**
 * The benchmark's lean HTTP receiver: JDK HttpServer on 127.0.0.1, one virtual thread per request, no JSON parsing.
 * Each path has its own {@link Sink}; the receive time is taken right after the body was read, before any work.
 */
final class BenchReceiver implements AutoCloseable {

    /** Handles the bodies POSTed to one path. */
    interface Sink {
        void accept(byte[] body, long receivedNanos);
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, Sink> sinks = new ConcurrentHashMap<>();

    BenchReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            long now = System.nanoTime();
            Sink sink = sinks.get(exchange.getRequestURI().getPath());
            if (sink != null) {
                sink.accept(body, now);
            }
            exchange.sendResponseHeaders(sink != null ? 200 : 404, -1);
            exchange.close();
        });
        server.start();
    }

    /** Routes POSTs to {@code path} to the sink and returns the full URL. */
    URI register(String path, Sink sink) {
        sinks.put(path, sink);
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    /**
     * A receiver that takes {@code delay} per POST: {@code sink} gets the body at once, the answer (200) goes out
     * after the delay, as a handler doing slow work would (the benchmark of parallel batches per shard).
     */
    static Sink slow(Sink sink, Duration delay) {
        return (body, receivedNanos) -> {
            sink.accept(body, receivedNanos);
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private static final byte[] SEQ_PREFIX = "\"SequenceNumber\":\"".getBytes(StandardCharsets.UTF_8);
    private static final byte[] KEY_PREFIX = "\"Keys\":{\"pk\":{\"S\":\"".getBytes(StandardCharsets.UTF_8);

    static int indexOf(byte[] hay, byte[] needle, int from) {
        byte first = needle[0];
        int last = hay.length - needle.length;
        outer:
        for (int i = from; i <= last; i++) {
            if (hay[i] != first) {
                continue;
            }
            for (int j = 1; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /**
     * Counts records, and distinct records by sequence number (a retried POST delivers its records again), and
     * completes {@link #done()} with the receive time of the POST that brought the distinct count to the target.
     */
    static final class Counter implements Sink {
        private final long target;
        private final AtomicLong records = new AtomicLong();
        private final AtomicLong posts = new AtomicLong();
        private final Set<String> distinct = ConcurrentHashMap.newKeySet();
        private final CompletableFuture<Long> done = new CompletableFuture<>();

        Counter(long target) {
            this.target = target;
        }

        @Override
        public void accept(byte[] body, long receivedNanos) {
            posts.incrementAndGet();
            int n = 0;
            for (int i = indexOf(body, SEQ_PREFIX, 0); i >= 0; i = indexOf(body, SEQ_PREFIX, i + 1)) {
                int start = i + SEQ_PREFIX.length;
                int end = start;
                while (end < body.length && body[end] != '"') {
                    end++;
                }
                distinct.add(new String(body, start, end - start, StandardCharsets.ISO_8859_1));
                n++;
            }
            records.addAndGet(n);
            if (distinct.size() >= target) {
                done.complete(receivedNanos);
            }
        }

        /** Records received, duplicates included. */
        long records() {
            return records.get();
        }

        long distinct() {
            return distinct.size();
        }

        long posts() {
            return posts.get();
        }

        CompletableFuture<Long> done() {
            return done;
        }
    }

    /** Remembers, per item key (string hash key "pk"), when a POST carrying it first arrived. */
    static final class KeyArrivals implements Sink {
        private final Map<String, Long> firstSeen = new ConcurrentHashMap<>();
        private final AtomicLong posts = new AtomicLong();

        @Override
        public void accept(byte[] body, long receivedNanos) {
            posts.incrementAndGet();
            for (int i = indexOf(body, KEY_PREFIX, 0); i >= 0; i = indexOf(body, KEY_PREFIX, i + 1)) {
                int start = i + KEY_PREFIX.length;
                int end = start;
                while (end < body.length && body[end] != '"') {
                    end++;
                }
                firstSeen.putIfAbsent(new String(body, start, end - start, StandardCharsets.UTF_8), receivedNanos);
            }
        }

        Long arrival(String key) {
            return firstSeen.get(key);
        }

        long posts() {
            return posts.get();
        }
    }
}
