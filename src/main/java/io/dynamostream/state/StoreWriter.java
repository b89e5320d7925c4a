package io.dynamostream.state;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

/**
 * The one thread that touches an MVStore: callers hand it their reads and changes and wait for the result. Changes
 * that queue up while a commit is being written are applied together and made durable by one commit (group commit),
 * so throughput grows with the number of concurrent callers while each caller still returns only after its own
 * change was committed.
 *
 * <p>Why a thread of its own rather than locks around the caller's thread: a {@code FileChannel} is closed for good
 * when a thread using it is interrupted (the service's worker threads are, at shutdown or on a timeout), which would
 * end the store for the life of the process; and a lock around the commit lets the finishing thread take it again and
 * again while the others, already covered, wait their turn to find out (measured: 1.2 callers per commit with 8
 * threads). Callers wait uninterruptibly; an interrupt stays pending for their own code.
 *
 * <p>Between batches, and at most every {@value #SYNC_MILLIS} ms, the thread forces written data to the disk, which
 * bounds what a power loss can take (see {@link EmbeddedStateStore}).
 */
final class StoreWriter {

    /** How often, at most, committed data is forced to the disk. */
    static final long SYNC_MILLIS = 250;
    /**
     * Shortest time between the starts of two commits. Bounds the commit rate (2,000/s), hence the file size (each
     * commit leaves a chunk that is reused only after the store's retention time), at little cost: the calls that
     * arrive meanwhile join the next commit. Measured with 8 threads on 2 CPUs: no minimum, 36,000 calls/s and a
     * 75 MB file; 0.5 ms, 12,000 calls/s and 20 MB; 1 ms, 6,700 calls/s and 16 MB.
     */
    static final long MIN_COMMIT_INTERVAL_NANOS = 500_000;
    private static final Duration SYNC_INTERVAL = Duration.ofMillis(SYNC_MILLIS);

    private static final Logger LOG = Logger.getLogger(StoreWriter.class);
    private static final int MAX_BATCH = 1024;

    private final String what;
    private final Runnable commit;
    private final Runnable sync;
    private final BlockingQueue<Op<?>> queue = new LinkedBlockingQueue<>();
    private final AtomicLong commits = new AtomicLong();
    /** When the last commit started (System.nanoTime); used by the store's thread only. */
    private long lastCommit = System.nanoTime();
    private final Thread thread;
    private final Op<Void> stop = new Op<>(() -> null, r -> false);
    private boolean closed;
    /** Set by close() before it queues {@link #stop}; read by the store's thread after taking it. */
    private volatile Runnable onStop = () -> { };

    /**
     * @param what names the store in error messages, e.g. "the state file /var/lib/dynamo-stream/state.mv.db"
     * @param commit makes every change applied so far durable (e.g. {@code MVStore::commit})
     * @param sync forces written data to the disk
     */
    StoreWriter(String what, Runnable commit, Runnable sync) {
        this.what = what;
        this.commit = commit;
        this.sync = sync;
        this.thread = Thread.ofPlatform().daemon().name("state-store-writer").start(this::run);
    }

    /** Runs a read on the store's thread. */
    <T> T read(Supplier<T> read) {
        return submit(new Op<>(read, r -> false));
    }

    /**
     * Runs a change on the store's thread and returns its result once a commit containing it ended.
     *
     * @param changed whether the result means something changed (nothing to commit otherwise)
     */
    <T> T write(Supplier<T> change, Predicate<T> changed) {
        return submit(new Op<>(change, changed));
    }

    /** Commits written so far (for the benchmark: calls per commit). */
    long commits() {
        return commits.get();
    }

    /** Lets queued operations finish, runs {@code finalAction} (e.g. closing the store) on the thread, and stops. */
    void close(Runnable finalAction) {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            onStop = finalAction;
            queue.add(stop);
        }
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        unwrap(stop.result);
    }

    private <T> T submit(Op<T> op) {
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the state store is closed");
            }
            queue.add(op);
        }
        return unwrap(op.result);
    }

    /** The result, or the operation's own exception (not wrapped); waits uninterruptibly. */
    private static <T> T unwrap(CompletableFuture<T> result) {
        try {
            return result.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    private void run() {
        List<Op<?>> batch = new ArrayList<>();
        long lastSync = System.nanoTime();
        boolean unsynced = false;
        while (true) {
            Op<?> first;
            try {
                first = queue.poll(SYNC_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                // nobody interrupts this thread on purpose; keep serving so that no caller waits forever
                continue;
            }
            if (first != null) {
                // let changes gather when the last commit was very recent (see MIN_COMMIT_INTERVAL_NANOS)
                long wait = lastCommit + MIN_COMMIT_INTERVAL_NANOS - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH);
                boolean stopping = batch.remove(stop);
                unsynced |= runBatch(batch);
                batch.clear();
                if (stopping) {
                    finish();
                    return;
                }
            }
            if (unsynced && System.nanoTime() - lastSync >= SYNC_INTERVAL.toNanos()) {
                try {
                    sync.run();
                } catch (RuntimeException e) {
                    LOG.warnf(e, "Could not force %s to the disk; will retry", what);
                }
                lastSync = System.nanoTime();
                unsynced = false;
            }
        }
    }

    /** Applies the batch's operations in order, commits once, completes them; returns whether it committed. */
    private boolean runBatch(List<Op<?>> batch) {
        boolean changed = false;
        for (Op<?> op : batch) {
            changed |= op.apply();
        }
        if (!changed) {
            batch.forEach(Op::complete);
            return false;
        }
        try {
            lastCommit = System.nanoTime();
            commit.run();
            commits.incrementAndGet();
        } catch (RuntimeException | Error e) {
            // e.g. disk full: MVStore closes itself, and every later call fails as well
            IllegalStateException failure = new IllegalStateException("Cannot write " + what + " (" + e + ")", e);
            batch.forEach(op -> op.failIfChanged(failure));
        }
        batch.forEach(Op::complete);
        return true;
    }

    private void finish() {
        try {
            onStop.run();
            stop.result.complete(null);
        } catch (RuntimeException | Error e) {
            stop.result.completeExceptionally(e);
        }
    }

    /** One caller's operation; applied and completed on the store's thread only. */
    private static final class Op<T> {
        final Supplier<T> action;
        final Predicate<T> changedTest;
        final CompletableFuture<T> result = new CompletableFuture<>();
        private T value;
        private Throwable error;
        private boolean changed;

        Op(Supplier<T> action, Predicate<T> changedTest) {
            this.action = action;
            this.changedTest = changedTest;
        }

        boolean apply() {
            try {
                value = action.get();
                changed = changedTest.test(value);
            } catch (RuntimeException | Error e) {
                error = e;
            }
            return changed;
        }

        void failIfChanged(Throwable commitError) {
            if (changed) {
                error = commitError;
            }
        }

        void complete() {
            if (error != null) {
                result.completeExceptionally(error);
            } else {
                result.complete(value);
            }
        }
    }
}
