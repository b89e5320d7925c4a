package io.dynamostream.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.dynamostream.e2e.Receiver;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The HTTP client under concurrent load from virtual threads, as the cursors use it. A smoke test: the lost-reply race
 * fixed in {@link HttpPoster#post} showed about once in 3,000 POSTs under load, so this run catches it only
 * sometimes; the benchmark (duplicates and failed attempts it prints) is the heavier check.
 */
@QuarkusTest
class HttpPosterTest {

    @Inject
    HttpPoster delivery;

    @Test
    void givenManyConcurrentPosts_thenEveryAnswerIsSeenAndNoneTimesOut() throws Exception {
        byte[] body = ("{\"Records\":[" + "{\"x\":\"" + "y".repeat(50_000) + "\"}" + "]}").getBytes();
        Map<String, Integer> outcomes = new ConcurrentHashMap<>();
        try (Receiver receiver = new Receiver(); ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                done.add(threads.submit(() -> {
                    for (int i = 0; i < 250; i++) {
                        HttpPoster.Response a = delivery.post(receiver.url(), body, Map.of());
                        outcomes.merge(a.status() == 200 ? "200" : a.describe(), 1, Integer::sum);
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            assertEquals(Map.of("200", 2000), outcomes, "every POST answered 200 and seen as such");
            assertEquals(2000, receiver.requests().size());
        }
    }
}
