package io.dynamostream.reading;

import java.time.Instant;
import java.util.Optional;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.quarkus.scheduler.Scheduler;

/**
 * The discovery tick: every second, the tables that are due are described again ({@link DescribeSchedule}: each
 * table at most every {@code dynamo-stream.reader.discovery-interval}, at most {@code describe-rate} tables per
 * second), to catch a deleted table, a disabled or replaced stream and shards the readers missed. New shards normally
 * come faster, from a shard's end (its reader looks up the children). Records are not polled here (each shard's
 * reader does that). No business logic here; an exception never escapes a tick.
 */
@ApplicationScoped
public class StreamDiscovery {

    private static final Logger LOG = Logger.getLogger(StreamDiscovery.class);

    /** The scheduler's name of the tick job. */
    static final String JOB = "stream-discovery";

    private final StreamSupervisor supervisor;
    private final Scheduler scheduler;
    private volatile Instant lastTick;
    /** Set once every startup observer ran (the start succeeded), cleared when the service stops. */
    private volatile boolean running;

    StreamDiscovery(StreamSupervisor supervisor, Scheduler scheduler) {
        this.supervisor = supervisor;
        this.scheduler = scheduler;
    }

    /**
     * After the supervisor's start (priority 100) and every other startup observer: the service is running, and
     * ticks from now to its stop.
     */
    void started(@Observes @Priority(Integer.MAX_VALUE) StartupEvent event) {
        running = true;
        // scheduled here, not with @Scheduled: a trigger that exists while a start fails would fire while the
        // container is torn down, and the scheduler's ERROR line ("Error occurred while executing task") could
        // then come before the start's own one-line error, which must be the first ERROR line. A table is due one
        // interval after its attach described it: the schedule, not the tick, spaces descriptions.
        scheduler.newJob(JOB).setInterval("1s").setConcurrentExecution(Scheduled.ConcurrentExecution.SKIP)
                .setTask(execution -> tick()).schedule();
    }

    void stopping(@Observes ShutdownEvent event) {
        running = false;
        scheduler.unscheduleJob(JOB);
    }

    void tick() {
        if (!running) {
            return;
        }
        lastTick = Instant.now();
        try {
            // a slow description (throttled, timing out) holds one tick: each table done counts as progress, so
            // liveness sees a busy poller as alive, and only a stuck one (no table finished for the stale period)
            // as dead
            supervisor.discoverDue(() -> lastTick = Instant.now());
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
