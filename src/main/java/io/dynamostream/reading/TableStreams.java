package io.dynamostream.reading;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.dynamostream.config.DynamoStreamConfig;
import io.dynamostream.delivery.HttpDelivery;
import io.dynamostream.metrics.StreamMetrics;
import io.dynamostream.subscription.SubscriptionChanged;
import io.dynamostream.subscription.SubscriptionRegistry;
import io.quarkus.runtime.ShutdownEvent;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;
import io.dynamostream.aws.ReaderClient;

/**
 * One {@link TableStream} per table that has subscriptions. Follows the registry's changes synchronously, so a new
 * subscription's LATEST position is fixed before {@code POST /} returns.
 */
@ApplicationScoped
public class TableStreams {

    private static final Logger LOG = Logger.getLogger(TableStreams.class);

    private final Map<String, TableStream> tables = new ConcurrentHashMap<>();
    private final DynamoDbClient dynamoDb;
    private final DynamoDbStreamsClient streams;
    private final DynamoStreamConfig config;
    private final SubscriptionRegistry registry;
    private final HttpDelivery delivery;
    private final StreamMetrics metrics;
    private final Duration shutdownTimeout;
    private volatile boolean stopping;

    public TableStreams(@ReaderClient DynamoDbClient dynamoDb, DynamoDbStreamsClient streams,
            DynamoStreamConfig config, SubscriptionRegistry registry, HttpDelivery delivery, StreamMetrics metrics,
            @ConfigProperty(name = "quarkus.shutdown.timeout", defaultValue = "15s") Duration shutdownTimeout) {
        this.shutdownTimeout = shutdownTimeout.compareTo(Duration.ofSeconds(2)) < 0 ? Duration.ofSeconds(2)
                : shutdownTimeout;
        this.metrics = metrics;
        this.dynamoDb = dynamoDb;
        this.streams = streams;
        this.config = config;
        this.registry = registry;
        this.delivery = delivery;
    }

    void onChange(@Observes SubscriptionChanged change) {
        var s = change.subscription();
        if (change.kind().stopsReading()) {
            TableStream table = tables.get(s.tableName());
            if (table != null && table.detach(s.id())) {
                tables.remove(s.tableName(), table);
                table.close();
            }
        } else if (s.status().isActive() && !stopping) {
            tables.computeIfAbsent(s.tableName(),
                    t -> new TableStream(t, dynamoDb, streams, config, registry, delivery, metrics)).attach(s);
        }
    }

    /**
     * Graceful stop (I11), on SIGTERM: stop reading, let the POSTs in flight finish (their 2xx is checkpointed) within
     * {@code quarkus.shutdown.timeout}, then return; a delivery cut short is sent again after the restart. Runs before
     * the HTTP client and the state store are closed.
     */
    void onShutdown(@Observes ShutdownEvent event) {
        stopping = true;
        long deadline = System.nanoTime() + shutdownTimeout.minusSeconds(1).toNanos();
        tables.values().forEach(TableStream::drain);
        int unfinished = 0;
        for (TableStream table : tables.values()) {
            unfinished += table.awaitDrained(deadline);
        }
        if (unfinished > 0) {
            LOG.warnf("Shutdown: %d deliveries still in flight after %s; they are sent again after the restart",
                    unfinished, shutdownTimeout);
        } else {
            LOG.info("Shutdown: reading stopped, deliveries in flight finished, checkpoints stored");
        }
    }

    /** Re-describes every table's stream; called by {@link StreamPoller}. */
    void discoverAll() {
        tables.values().forEach(TableStream::discover);
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

    /** The DynamoDB client the readers use (the extension's, or the bundled local server's); for readiness. */
    public DynamoDbClient dynamoDb() {
        return dynamoDb;
    }

    /**
     * What the health checks show about one table's stream.
     *
     * @param lastDiscovery when the shards were last listed successfully, null before the first time
     * @param lastError the transient error being retried since the last successful discovery, null when none
     */
    public record TableStatus(String table, boolean streamResolved, Instant lastDiscovery, String lastError) {
    }

    @PreDestroy
    void stop() {
        tables.values().forEach(TableStream::close);
        tables.clear();
    }
}
