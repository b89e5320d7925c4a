package io.dynamostream.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What an end-to-end test started or registered and must remove afterwards: receivers and subscriptions (removed
 * first, so that nothing is POSTed to a closed receiver). One per test instance; {@link #close()} in {@code @AfterEach}.
 */
final class TestCleanup implements AutoCloseable {

    private static final AtomicInteger TABLES = new AtomicInteger();

    private final List<Receiver> receivers = new ArrayList<>();

    /** A table name no other test of this JVM uses: {@code <prefix>-<n>-<nanos>}. */
    static String table(String prefix) {
        return prefix + "-" + TABLES.incrementAndGet() + "-" + System.nanoTime() % 100000;
    }

    /** Registers the subscription (the API's JSON body), removed by {@link #close()}; its id. */
    String subscribe(String json) {
        return subscription(Api.subscribeWith(json));
    }
    private final List<String> subscriptions = new ArrayList<>();

    /** A new receiver, closed by {@link #close()}. */
    Receiver receiver() {
        Receiver r = new Receiver();
        receivers.add(r);
        return r;
    }

    /** Remembers a subscription id for {@link #close()}; returns it. */
    String subscription(String id) {
        subscriptions.add(id);
        return id;
    }

    @Override
    public void close() {
        subscriptions.forEach(Api::unsubscribe);
        receivers.forEach(Receiver::close);
        subscriptions.clear();
        receivers.clear();
    }
}
