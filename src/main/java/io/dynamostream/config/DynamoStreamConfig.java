package io.dynamostream.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithConverter;
import io.smallrye.config.WithDefault;

/**
 * Every setting of dynamo-stream (prefix {@code dynamo-stream}). The original tool's environment variables stay
 * valid: {@code CONFIG_PATH} feeds {@link #configPath()}, {@code PORT} feeds {@code quarkus.http.port} and
 * {@code DYNAMODB_ENDPOINT_URL} feeds {@code quarkus.dynamodb.endpoint-override} (see application.properties).
 */
@ConfigMapping(prefix = "dynamo-stream")
public interface DynamoStreamConfig {

    /** YAML file with {@code entries: [{table_name, url}]} registered at startup ({@code CONFIG_PATH}). */
    Optional<Path> configPath();

    /** Reading the DynamoDB streams. */
    Reader reader();

    /** Delivering batches to the subscribed URLs. */
    Delivery delivery();

    /** Retrying the error notification of a subscription that stopped. */
    NotificationSettings notification();

    /** The bundled local DynamoDB + Streams server (dev mode). */
    LocalServer localServer();

    /** Admin API authentication. */
    AuthSettings auth();

    /** Which destinations deliveries may connect to (SSRF guard). */
    GuardSettings guard();

    /** Input limits of the admin API and the subscription file. */
    LimitSettings limits();

    /** Where subscriptions, checkpoints and dead letters are kept. */
    StateSettings state();

    /** The health checks. */
    HealthSettings health();

    /** What {@code /q/metrics} shows, and how many series that costs. */
    Metrics metrics();

    /** Reading the DynamoDB streams. */
    interface Reader {
        /**
         * Wait between two GetRecords calls on a shard that returned no record. AWS Lambda polls 4 times a second;
         * 200 ms (5 per second) keeps the delivery latency low and stays within the per-shard read limits.
         */
        @WithDefault("200ms")
        Duration idleInterval();

        /**
         * Wait between two GetRecords calls on a shard that returned no record but had records in the last 10 s: a
         * shard being written to is read faster, without polling quiet shards more. At most the idle interval; set
         * it to the idle interval to turn this off.
         */
        @WithDefault("100ms")
        Duration activeInterval();

        /**
         * The slowest a quiet shard is polled: after {@link #slowDownAfter()} without a record, each empty GetRecords
         * doubles the wait from {@link #idleInterval()} up to this; any record brings it back to the active rate at
         * once. Set it to the idle interval for a constant rate. 2 s: 2,500 idle shards cost 0.42 to 0.55 cores of a
         * 2-core machine (1 s: 0.79), and a record written to a long-quiet shard arrives within this plus one
         * GetRecords and the POST (polls are paced start to start).
         */
        @WithDefault("2s")
        Duration idleMaxInterval();

        /** How long a shard must return no record before its polling slows down (see {@link #idleMaxInterval()}). */
        @WithDefault("30s")
        Duration slowDownAfter();

        /**
         * The shortest time between two periodic descriptions of a table's stream (catching a deleted table, a
         * disabled or replaced stream, missed shards). A shard's end looks up its children at once, so new shards do
         * not wait for this. With many tables the round is longer: see {@link #describeRate()}.
         */
        @WithDefault("5s")
        Duration discoveryInterval();

        /**
         * Periodic table descriptions (DescribeTable + DescribeStream) per second at most, spread over time: AWS allows
         * about 10 DescribeStream calls per second per account, shared with other consumers. With 1,000 tables at 5/s,
         * each table is described every 200 s (the first description at attach and the child-shard lookups at a
         * shard's end are not held back by this).
         */
        @WithDefault("5")
        double describeRate();

        /**
         * How long {@code POST /} (and resume, restart) waits for the table's shards to be known before answering. A
         * table already being read is joined at once; a new one needs one DescribeStream. Past this, the answer says
         * {@code STARTING} and reading starts in the background as soon as the shards are known (LATEST then counts
         * from that moment, as an AWS Lambda event-source mapping does while it is "Creating"). 0 never waits.
         */
        @WithDefault("500ms")
        Duration attachWait();

        /**
         * Records at most held in memory per shard for subscriptions that have not delivered them yet (two full
         * GetRecords pages). A subscription further behind than this holds back the shard's reader.
         */
        @WithDefault("2000")
        int bufferRecords();

        /** Records per GetRecords call (1..1000). */
        @WithDefault("1000")
        int limit();

        /** First wait after a transient AWS error (throttling, 5xx, network); doubles up to {@link #maxBackoff()}. */
        @WithDefault("100ms")
        Duration initialBackoff();

        /** Longest wait between two attempts after transient AWS errors. */
        @WithDefault("10s")
        Duration maxBackoff();
    }

    /**
     * Delivering batches to the subscribed URLs. Batch size, retries and what happens to a failing batch are set per
     * subscription ({@code batch_size}, {@code maximum_retry_attempts}, {@code on_failure}...).
     */
    interface Delivery {
        /** Time allowed for one POST, from connect to the end of the response. */
        @WithDefault("10s")
        Duration timeout();

        /** Backoff before the second attempt; doubles each time (equal jitter). */
        @WithDefault("200ms")
        Duration initialBackoff();

        /** Longest backoff between two attempts. */
        @WithDefault("30s")
        Duration maxBackoff();

        /**
         * Connections one subscription may have in flight at once, all its shards (and its error notification)
         * together (1..1024). A subscription delivers one batch at a time per shard, so it needs as many as it has
         * open shards; above this its shards take turns, in order of arrival, and the wait for a turn is not part of
         * an attempt's {@link #timeout()}. This is what keeps subscriptions apart (I6): a hanging receiver holds at
         * most this many connections, each for at most the timeout, and delays only its own subscription.
         */
        @WithDefault("16")
        @WithConverter(ConnectionLimits.PerSubscription.class)
        int maxConnectionsPerSubscription();

        /**
         * Connections at most open to one destination (host, port and resolved address), all subscriptions together
         * (1..65536). Not set (the default): {@code limits.max-subscriptions} × {@link #maxConnectionsPerSubscription()}
         * (at most 65,536), so every subscription's share always fits and a subscription never waits for a
         * connection that others hold. A lower value protects receivers that serve many subscriptions, at the price
         * of I6 for that host: when subscriptions whose receivers hang hold all of them, the others to the same host
         * wait until an attempt times out.
         */
        Optional<@WithConverter(ConnectionLimits.PerHost.class) Integer> maxConnectionsPerHost();
    }

    /** What {@code /q/metrics} shows. */
    interface Metrics {
        /**
         * One {@code dynamo_stream_iterator_age_seconds} series per subscription and shard being read (label
         * {@code shard}) instead of one per subscription (the largest age over its shards). Off by default: a
         * per-shard series costs about 1 KB of heap and 150 bytes of each scrape for every subscription × shard.
         */
        @WithDefault("false")
        boolean perShard();
    }

    /** The bundled local DynamoDB + Streams server. */
    interface LocalServer {
        /**
         * Start the bundled server when no DynamoDB endpoint is configured ({@code DYNAMODB_ENDPOINT_URL} unset).
         * On in dev mode, off otherwise.
         */
        @WithDefault("false")
        boolean enabled();

        /** Port on 127.0.0.1 (8000, like DynamoDB Local, so the README's examples work); 0 picks a free one. */
        @WithDefault("8000")
        int port();
    }
}
