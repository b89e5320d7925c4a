package io.dynamostream.delivery;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/** Permits per key: one key's holders never use another key's permits, and nothing is left once all are back. */
class InFlightLimitTest {

    @Test
    void givenAKeyAtItsCap_whenAnotherKeyAsks_thenItGetsAPermitAndTheFirstKeysWaiterGetsOneOnlyWhenOneIsBack()
            throws Exception {
        InFlightLimit limit = new InFlightLimit(2);
        InFlightLimit.Permit a1 = limit.acquire("a");
        InFlightLimit.Permit a2 = limit.acquire("a");
        AtomicReference<InFlightLimit.Permit> third = new AtomicReference<>();
        Thread waiter = Thread.ofVirtual().start(() -> {
            try {
                third.set(limit.acquire("a"));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });

        try (InFlightLimit.Permit b = limit.acquire("b")) {
            assertEquals(1, limit.inFlight("b"));
        }
        await().atMost(Duration.ofSeconds(2)).until(() -> waiter.getState() == Thread.State.WAITING);
        assertEquals(null, third.get());
        a1.close();
        a1.close(); // a second close gives nothing back twice
        waiter.join(2000);
        assertEquals(2, limit.inFlight("a"));
        a2.close();
        third.get().close();
        assertEquals(0, limit.keys());
    }

    @Test
    void givenAWaiterThatIsInterrupted_thenItLeavesNothingBehind() throws Exception {
        InFlightLimit limit = new InFlightLimit(1);
        InFlightLimit.Permit held = limit.acquire("a");
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread waiter = Thread.ofVirtual().start(() -> {
            try {
                limit.acquire("a");
            } catch (InterruptedException e) {
                failed.set(e);
            }
        });
        await().atMost(Duration.ofSeconds(2)).until(() -> waiter.getState() == Thread.State.WAITING);

        waiter.interrupt();
        waiter.join(2000);
        held.close();

        assertEquals(InterruptedException.class, failed.get().getClass());
        assertEquals(0, limit.keys());
    }
}
