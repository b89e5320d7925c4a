package io.dynamostream.e2e;

import java.util.ArrayList;
import java.util.List;

/**
 * What an end-to-end test started or registered and must remove afterwards: receivers and subscriptions (removed
 * first, so that nothing is POSTed to a closed receiver). One per test instance; {@link #close()} in {@code @AfterEach}.
 */
final class TestCleanup implements AutoCloseable {

    private final List<Receiver> receivers = new ArrayList<>();
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
