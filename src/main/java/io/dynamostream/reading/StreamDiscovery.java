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

    @Scheduled(every = "${dynamo-stream.reader.discovery-interval:5s}", delayed = "1s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void tick() {
        lastTick = Instant.now();
        try {
            supervisor.discoverAll();
        } catch (RuntimeException e) {
            LOG.error("Stream discovery tick failed", e);
        }
    }

    /** When the last discovery tick started (empty before the first one); read by the liveness check. */
    public Optional<Instant> lastTick() {
        return Optional.ofNullable(lastTick);
    }
}
