package io.dynamostream.delivery;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Waits between attempts. Injected into {@link BatchDelivery} so tests run every backoff in no time; production
 * uses {@link #SYSTEM}.
 */
@FunctionalInterface
public interface Sleeper {

    /**
     * Waits {@code duration}, or less when {@code keepWaiting} turns false (the subscription stopped or paused).
     *
     * @return whether the whole wait passed (false: stop)
     */
    boolean sleep(Duration duration, BooleanSupplier keepWaiting) throws InterruptedException;

    /** Sleeps on the calling thread, looking at {@code keepWaiting} every 100 ms. */
    Sleeper SYSTEM = (duration, keepWaiting) -> {
        long deadline = System.nanoTime() + duration.toNanos();
        while (keepWaiting.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return true;
            }
            TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
        }
        return false;
    };
}
