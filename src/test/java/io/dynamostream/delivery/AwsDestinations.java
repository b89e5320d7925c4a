package io.dynamostream.delivery;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.dynamostream.guard.DestinationGuard;
import io.dynamostream.state.StateStores;
import io.dynamostream.subscription.DeliveryIncident;
import io.dynamostream.subscription.StartingPosition;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionRequest;
import io.dynamostream.subscription.SubscriptionStatus;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.dynamodb.model.Record;

/**
 * What the AWS destination tests share: subscriptions made from the JSON a user would POST, the destinations picked
 * for them as the service picks them ({@link Destinations}), AWS clients with fixed credentials and no environment,
 * and a {@link BatchDelivery} that waits no real time.
 */
final class AwsDestinations implements AutoCloseable {

    static final String STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/People/stream/2026-12-01T00:00:00.000";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    private final HttpPoster poster;
    final AwsClients clients;
    final Destinations destinations;
    final List<DeliveryIncident> incidents = new ArrayList<>();
    final List<Duration> waits = new ArrayList<>();
    final StateStores store = StateStores.inMemory();

    AwsDestinations() {
        this(name -> null, Duration.ofSeconds(5));
    }

    AwsDestinations(Function<String, String> env, Duration timeout) {
        DestinationGuard guard = DestinationGuard.withDefaults(host -> List.of(java.net.InetAddress.getAllByName(host)));
        this.clients = new AwsClients(timeout, guard,
                StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "secret")), env);
        this.poster = new HttpPoster(vertx, DestinationDeliveryTest.settings(), 10, guard);
        this.destinations = new Destinations(new HttpDestination(poster, Clock.systemUTC()), clients);
    }

    /** A running subscription registered with this JSON request (table People), validated as the API does. */
    static Subscription subscription(String json) {
        try {
            SubscriptionRequest.Valid v = JSON.readValue(json, SubscriptionRequest.class).validate();
            return new Subscription("01SUBSCRIPTION0000000000AA", v.tableName(), v.url(), StartingPosition.TRIM_HORIZON,
                    Subscription.Source.API, Instant.now(), SubscriptionStatus.RUNNING, null, List.of(), v.headers(),
                    v.secrets(), v.settings(), true);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** One message of a batch, as BatchDelivery makes it. */
    static Destination.Message batch(Subscription s, List<Record> records) {
        String first = records.get(0).dynamodb().sequenceNumber();
        String last = records.get(records.size() - 1).dynamodb().sequenceNumber();
        return new Destination.Message(s, "shardId-0001", WebhookSigner.batchId(s.id(), "shardId-0001", first, last),
                LambdaPayload.body(records, STREAM_ARN), records);
    }

    /** The delivery of one shard's batches to the subscription's destination, retrying without waiting. */
    BatchDelivery delivery(Subscription s) {
        Sleeper sleeper = (d, keepWaiting) -> {
            waits.add(d);
            return keepWaiting.getAsBoolean();
        };
        Incidents reported = new Incidents(incidents::add);
        return new BatchDelivery(s, STREAM_ARN, "shardId-0001", destinations.of(s),
                new RetryPolicy(Duration.ofMillis(1), Duration.ofMillis(2), new Random(7)), Clock.systemUTC(), sleeper,
                new DeadLetters(store, reported, destinations, Clock.systemUTC()), reported, () -> true);
    }

    /** Records the listener's calls. */
    static final class Listener implements BatchDelivery.Listener {
        final List<Destination.Attempt> attempts = new ArrayList<>();
        final List<String> failures = new ArrayList<>();
        final List<List<Record>> delivered = new ArrayList<>();
        final List<String> handedOver = new ArrayList<>();

        @Override
        public void attempted(Destination.Attempt attempt) {
            attempts.add(attempt);
        }

        @Override
        public void failed(String message) {
            failures.add(message);
        }

        @Override
        public void delivered(List<Record> records, boolean wholeBatch) {
            delivered.add(List.copyOf(records));
        }

        @Override
        public void handedOver(String lastSequenceNumber) {
            handedOver.add(lastSequenceNumber);
        }
    }

    static Map<String, String> env(String... pairs) {
        java.util.HashMap<String, String> m = new java.util.HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return m;
    }

    @Override
    public void close() {
        clients.close();
        poster.close();
        vertx.close();
    }
}
