package io.dynamostream.reading;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.dynamostream.aws.ReaderClient;
import io.dynamostream.config.DynamoStreamConfig;
import io.dynamostream.delivery.DeadLetters;
import io.dynamostream.delivery.Destinations;
import io.dynamostream.delivery.Incidents;
import io.dynamostream.delivery.RetryPolicy;
import io.dynamostream.delivery.Sleeper;
import io.dynamostream.metrics.StreamMetrics;
import io.dynamostream.state.CheckpointStore;
import io.dynamostream.state.WindowStore;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionFile;
import io.dynamostream.subscription.SubscriptionRegistry;
import io.dynamostream.subscription.SubscriptionRequest;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * Starts and stops reading, by explicit calls: one {@link TableStream} per table that has active subscriptions. The
 * API, the subscription file and the startup go through here for every change that starts or stops reading
 * ({@link #register}, {@link #remove}, {@link #pause}, {@link #resume}, {@link #restart}): the registry makes the
 * transition, then this attaches or detaches. A subscription that ends while reading (ERROR, CLOSED) is detached on
 * the supervisor's own control thread, never on the reader or cursor thread that reported it.
 *
 * <p>Owns the threads: readers, cursors and its control tasks run on virtual threads of its three named executors,
 * which it closes at shutdown after the graceful stop (I11).
 *
 * <p>Thread-safe. Attaching never holds up the caller for long: a registration (resume, restart) is attached on the
 * control executor and waits at most {@code dynamo-stream.reader.attach-wait} for it (a table already being read is
 * joined at once, with no DescribeStream; a new table is described once however many subscriptions wait for it);
 * the subscription shows STARTING until its shards are known. At startup the stored and file subscriptions are
 * attached in the background, one description per table.
 */
@ApplicationScoped
public class StreamSupervisor {

    private static final Logger LOG = Logger.getLogger(StreamSupervisor.class);
    /** How long a detach waits for the stopped cursors to end (they are interrupted, so this is rarely reached). */
    private static final Duration DETACH_WAIT = Duration.ofSeconds(5);
    /**
     * Tables described at once while attaching at startup: enough to start a thousand tables in seconds, few enough
     * to stay near DynamoDB's DescribeStream rate (throttled calls are retried at the next discovery).
     */
    static final int STARTUP_PARALLELISM = 8;

    private final Map<String, TableStream> tables = new ConcurrentHashMap<>();
    private final ExecutorService readers = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("reader-", 0).factory());
    private final ExecutorService cursors = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("cursor-", 0).factory());
    private final ExecutorService control = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("supervisor-", 0).factory());
    /** Runs the readers of quiet shards again when their poll interval has passed ({@link ShardReader#parkWith}). */
    private final ScheduledThreadPoolExecutor quietTimer = quietTimer();
    private final StreamServices services;
    private final SubscriptionRegistry registry;
    private final DynamoStreamConfig config;
    private final DescribeSchedule schedule;
    private final Duration shutdownTimeout;
    private volatile boolean stopping;

    StreamSupervisor(@ReaderClient DynamoDbClient dynamoDb, DynamoDbStreamsClient streams, DynamoStreamConfig config,
            SubscriptionRegistry registry, CheckpointStore checkpoints, WindowStore windows, Destinations destinations,
            DeadLetters deadLetters, Incidents incidents, StreamMetrics metrics,
            @ConfigProperty(name = "quarkus.shutdown.timeout", defaultValue = "15s") Duration shutdownTimeout) {
        this.registry = registry;
        this.config = config;
        this.schedule = new DescribeSchedule(config.reader().discoveryInterval(), config.reader().describeRate(),
                Instant.now());
        this.shutdownTimeout = shutdownTimeout.compareTo(Duration.ofSeconds(2)) < 0 ? Duration.ofSeconds(2)
                : shutdownTimeout;
        DynamoStreamConfig.Delivery d = config.delivery();
        this.services = new StreamServices(dynamoDb, streams, config.reader(), registry, checkpoints, windows,
                destinations, new RetryPolicy(d.initialBackoff(), d.maxBackoff()), deadLetters, incidents, metrics,
                Clock.systemUTC(), Sleeper.SYSTEM, readers, cursors, quietTimer, this::ended);
    }

    /**
     * At startup: the stored subscriptions resume from their checkpoints, then the subscription file
     * ({@code CONFIG_PATH}) is applied: an entry keeps the id it had (matched on table and URL), a new one is
     * registered, one that left the file is removed. A file that cannot be used stops the startup with a message
     * naming the file and the line (the original tool silently started with no entries).
     */
    void onStart(@Observes @Priority(100) StartupEvent event) {
        List<Subscription> toAttach = new ArrayList<>(registry.load());
        config.configPath().ifPresent(path -> {
            List<SubscriptionRequest.Valid> entries = SubscriptionFile.read(path);
            LOG.infof("Subscription file %s: %d entries", path.toAbsolutePath(), entries.size());
            SubscriptionRegistry.FileChanges changes = registry.registerFromFile(entries);
            Set<String> gone = new HashSet<>();
            changes.removed().forEach(r -> gone.add(r.id()));
            changes.changed().forEach(c -> gone.add(c.id()));
            toAttach.removeIf(l -> gone.contains(l.id()));
            toAttach.addAll(changes.changed());
            toAttach.addAll(changes.added());
        });
        attachInBackground(toAttach);
    }

    /**
     * Attaches the subscriptions known at startup without holding up the start (HTTP and health answer at once):
     * grouped by table, so each table is described once however many subscriptions it has, at most
     * {@link #STARTUP_PARALLELISM} tables at a time, on the control executor. Until its table is attached a
     * subscription shows STARTING.
     */
    private void attachInBackground(List<Subscription> subscriptions) {
        Map<String, List<Subscription>> byTable = new LinkedHashMap<>();
        subscriptions.forEach(s -> byTable.computeIfAbsent(s.tableName(), t -> new ArrayList<>()).add(s));
        Semaphore permits = new Semaphore(STARTUP_PARALLELISM);
        byTable.forEach((table, members) -> control.execute(() -> {
            try {
                permits.acquire();
            } catch (InterruptedException e) {
                return; // stopping
            }
            try {
                TableStream stream = null;
                for (Subscription s : members) {
                    TableStream t = add(s);
                    stream = t != null ? t : stream;
                }
                if (stream != null && !stopping) {
                    stream.attach();
                }
            } catch (RuntimeException e) {
                LOG.errorf(e, "Table %s: could not start reading at startup", table);
            } finally {
                permits.release();
            }
        }));
        if (!byTable.isEmpty()) {
            LOG.infof("Starting to read %d tables for %d subscriptions in the background", byTable.size(),
                    subscriptions.size());
        }
    }

    /**
     * Registers a subscription and starts reading for it before returning.
     *
     * @see SubscriptionRegistry#register
     */
    public Subscription register(SubscriptionRequest.Valid request, Subscription.Source source) {
        Subscription s = registry.register(request, source);
        attachAndWait(s);
        return registry.find(s.id()).orElse(s);
    }

    /**
     * Attaches on the control executor and waits at most the attach wait for the subscription's shards to be known;
     * the attach goes on in the background when that is not enough.
     */
    private void attachAndWait(Subscription s) {
        try {
            control.execute(() -> attach(s));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return; // stopping
        }
        try {
            registry.awaitStarted(s.id(), config.reader().attachWait());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Removes a subscription (with its checkpoints and dead letters) and stops its reading. */
    public Optional<Subscription> remove(String id) {
        Optional<Subscription> removed = registry.remove(id);
        removed.ifPresent(this::detach);
        return removed;
    }

    /** Pauses a subscription: its reading stops, its checkpoints stay. @see SubscriptionRegistry#pause */
    public Optional<Subscription> pause(String id) {
        registry.pause(id).ifPresent(this::detach);
        return registry.find(id);
    }

    /** Resumes a paused subscription from its checkpoints. @see SubscriptionRegistry#resume */
    public Optional<Subscription> resume(String id) {
        registry.resume(id).ifPresent(this::attachAndWait);
        return registry.find(id);
    }

    /** Restarts a subscription in ERROR or CLOSED from its checkpoints. @see SubscriptionRegistry#restart */
    public Optional<Subscription> restart(String id) {
        registry.restart(id).ifPresent(this::attachAndWait);
        return registry.find(id);
    }

    /** Starts reading for an active subscription (from its checkpoints when it has some). */
    void attach(Subscription s) {
        TableStream t = add(s);
        if (t != null) {
            t.attach();
        }
    }

    /**
     * Adds an active subscription (as it is now in the registry: it may have been paused or removed since the caller
     * got it) to its table with its stored positions; returns the table, or null when there is nothing to read.
     */
    private TableStream add(Subscription given) {
        Subscription s = registry.find(given.id()).orElse(null);
        if (stopping || s == null || !s.status().isActive()) {
            return null;
        }
        var stored = services.checkpoints().checkpoints(s.id());
        // added inside compute, so a concurrent detach that empties the table cannot close it under this member
        TableStream table = tables.compute(s.tableName(), (name, existing) -> {
            TableStream t = existing == null ? new TableStream(name, services) : existing;
            t.add(s, stored);
            return t;
        });
        if (registry.find(s.id()).map(now -> !now.status().isActive()).orElse(true)) {
            detach(s); // paused or removed meanwhile: its detach found nothing to stop
            return null;
        }
        return table;
    }

    /** Stops reading for a subscription and waits (briefly) until its cursors have ended. */
    void detach(Subscription s) {
        detach(s.tableName(), s.id());
    }

    private void detach(String tableName, String subscriptionId) {
        TableStream.Detached[] detached = new TableStream.Detached[1];
        tables.computeIfPresent(tableName, (name, table) -> {
            detached[0] = table.detach(subscriptionId);
            if (detached[0].empty()) {
                table.close();
                return null;
            }
            return table;
        });
        if (detached[0] == null) {
            return;
        }
        long deadline = System.nanoTime() + DETACH_WAIT.toNanos();
        try {
            for (ShardCursor c : detached[0].cursors()) {
                c.awaitStopped(deadline);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A subscription of a table ended while reading: detached on the control thread. */
    private void ended(String tableName, String subscriptionId) {
        if (stopping) {
            return;
        }
        control.execute(() -> detach(tableName, subscriptionId));
    }

    /**
     * Re-describes the tables that are due ({@link DescribeSchedule}: each at most every discovery interval, at most
     * {@code describe-rate} per second), telling {@code progress} after each; called by {@link StreamDiscovery}.
     */
    void discoverDue(Runnable progress) {
        Map<String, Instant> last = new java.util.HashMap<>();
        tables.forEach((name, table) -> last.put(name, table.lastDescribed()));
        for (String name : schedule.due(last, Instant.now())) {
            TableStream table = tables.get(name);
            if (table != null && !stopping) {
                table.discover();
                progress.run();
            }
        }
    }

    /**
     * Graceful stop (I11), on SIGTERM: stop reading, let the deliveries in flight finish (their 2xx is checkpointed)
     * within {@code quarkus.shutdown.timeout}, then return; a delivery cut short is sent again after the restart. Runs
     * before the HTTP client and the state store are closed.
     */
    void onShutdown(@Observes ShutdownEvent event) {
        stopping = true;
        long deadline = System.nanoTime() + shutdownTimeout.minusSeconds(1).toNanos();
        tables.values().forEach(TableStream::drain);
        int unfinished = 0;
        for (TableStream table : tables.values()) {
            for (ShardCursor c : table.cursors()) {
                try {
                    if (!c.awaitStopped(deadline)) {
                        unfinished++;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    unfinished++;
                }
            }
        }
        if (unfinished > 0) {
            LOG.warnf("Shutdown: %d deliveries still in flight after %s; they are sent again after the restart",
                    unfinished, shutdownTimeout);
        } else {
            LOG.info("Shutdown: reading stopped, deliveries in flight finished, checkpoints stored");
        }
    }

    /**
     * Per table being read: whether its stream was found, when the last discovery succeeded and the transient error
     * that is being retried, if any. Lock-free; for the health checks.
     */
    public Map<String, TableStatus> status() {
        Map<String, TableStatus> all = new TreeMap<>();
        tables.forEach((name, table) -> all.put(name, table.status()));
        return all;
    }

    /**
     * What the health checks show about one table's stream.
     *
     * @param lastDiscovery when the shards were last listed successfully, null before the first time
     * @param lastError the transient error being retried since the last successful discovery, null when none
     */
    public record TableStatus(String table, boolean streamResolved, Instant lastDiscovery, String lastError) {
    }

    /** One platform thread; a reader's timer task is removed as soon as a stop or a rewind runs the reader sooner. */
    private static ScheduledThreadPoolExecutor quietTimer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().daemon().name("reader-quiet-timer").factory());
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }

    @PreDestroy
    void stop() {
        stopping = true;
        tables.values().forEach(TableStream::close);
        tables.clear();
        for (ExecutorService executor : List.of(control, cursors, readers, quietTimer)) {
            executor.shutdownNow();
        }
        try {
            for (ExecutorService executor : List.of(control, cursors, readers, quietTimer)) {
                executor.awaitTermination(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
