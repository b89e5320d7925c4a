package io.dynamostream.state;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The process {@link EmbeddedStateStoreCrashTest} kills. {@code write <dir>}: opens the embedded store and, from 4
 * threads, writes checkpoints, dead letters and subscriptions in a tight loop, printing each value after the call
 * returned (one line each, ending in " ."). {@code hold <dir>}: opens the store and keeps it open until stdin closes.
 * Prints {@code READY} once the store is open.
 */
public final class StateStoreCrashChild {

    static final String SUBSCRIPTION = "crash-sub";
    static final int THREADS = 4;

    private StateStoreCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        // autoflush: each line reaches the pipe when println returns, so a kill cannot take back what was printed
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        EmbeddedStateStore store = EmbeddedStateStore.open(Path.of(args[1]));
        out.println("READY");
        if (args[0].equals("hold")) {
            System.in.read();
            store.close();
            return;
        }
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int thread = t;
            threads.add(Thread.ofPlatform().start(() -> write(store, out, thread)));
        }
        for (Thread t : threads) {
            t.join();
        }
    }

    private static void write(StateStore store, PrintStream out, int thread) {
        String shard = "shard-" + thread;
        CheckpointStore.Checkpoint previous = store.checkpoints(SUBSCRIPTION).get(shard);
        // carry on from the stored checkpoint, one digit longer each run up to 40 digits (the longest DynamoDB
        // Streams uses), so lengths change across kills
        BigInteger seq = previous == null ? BigInteger.TEN.pow(20) : new BigInteger(previous.sequenceNumber());
        if (seq.toString().length() < 40) {
            seq = seq.multiply(BigInteger.TEN);
        }
        String run = Long.toString(ProcessHandle.current().pid());
        for (long i = 1;; i++) {
            seq = seq.add(BigInteger.valueOf(1 + (i % 7)));
            if (i % 5 == 0) {
                store.inFlight(SUBSCRIPTION, shard, seq.add(BigInteger.TEN).toString());
            }
            store.checkpoint(SUBSCRIPTION, shard, seq.toString());
            out.println("C " + shard + " " + seq + " .");
            if (i % 10 == 0) {
                String id = run + "-" + thread + "-" + i;
                store.putDeadLetter(SUBSCRIPTION, id, "{\"n\":" + i + "}");
                out.println("D " + id + " .");
                if (i % 20 == 0) {
                    out.println("x " + id + " .");
                    store.deleteDeadLetter(SUBSCRIPTION, id);
                    out.println("X " + id + " .");
                }
            }
            if (i % 50 == 0) {
                String id = "sub-" + run + "-" + thread + "-" + i;
                store.putSubscription(id, "{\"i\":" + i + "}");
                out.println("S " + id + " .");
            }
        }
    }
}
