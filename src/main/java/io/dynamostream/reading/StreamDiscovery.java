package io.dynamostream.reading;

import java.time.Instant;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.quarkus.scheduler.Scheduled;

/**
 * The discovery tick: every {@code dynamo-stream.reader.discovery-interval} each table's stream is described again,
 * to find new shards (rollovers, splits) and a deleted table or a disabled or replaced stream. Records are not
 * polled here (each shard's reader does that). No business logic here; an exception never escapes a tick.
 */
@ApplicationScoped
public class StreamDiscovery {

    private static final Logger LOG = Logger.getLogger(StreamDiscovery.class);

    private final StreamSupervisor supervisor;
    private volatile Instant lastTick;

    StreamDiscovery(StreamSupervisor supervisor) {
        this.supervisor = supervisor;
    }

    // the first tick one interval after the start: the startup attach has just described every table
    @Scheduled(every = "${dynamo-stream.reader.discovery-interval:5s}",
            delayed = "${dynamo-stream.reader.discovery-interval:5s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            // not while the start is still running (or failing: its one-line error must be the first ERROR line)
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void tick() {
        lastTick = Instant.now();
        try {
            // a round over many tables takes long: each table done counts as progress, so liveness sees a busy
            // poller as alive and only a stuck one (no table finished for the stale period) as dead
            supervisor.discoverAll(() -> lastTick = Instant.now());
        } catch (RuntimeException e) {
            LOG.error("Stream discovery tick failed", e);
        }
    }

    /**
     * When the discovery last made progress: a tick started or a table's description finished (empty before the
     * first tick); read by the liveness check.
     */
    public Optional<Instant> lastTick() {
        return Optional.ofNullable(lastTick);
    }
}
