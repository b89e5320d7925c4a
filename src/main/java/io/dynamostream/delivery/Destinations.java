package io.dynamostream.delivery;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.dynamostream.metrics.StreamMetrics.AttemptOutcome;
import io.dynamostream.subscription.AwsArn;
import io.dynamostream.subscription.DestinationOptions;
import io.dynamostream.subscription.Subscription;

/**
 * Picks the {@link Destination} a subscription's URL names: {@code http(s)://} is the HTTP destination, an ARN the
 * Lambda function, SQS queue, SNS topic, Kinesis stream or EventBridge event bus it names (validated at
 * registration), with the subscription's on-failure destination, if any, as {@link Destination#onFailure()}.
 *
 * <p>Notifications (the error notification, incident notifications) are the original tool's HTTP POSTs: an HTTP
 * subscription gets them at its URL; a subscription to an AWS service gets them at its on-failure destination when it
 * has one, otherwise not at all (status, log and metric carry them): its queue or function is for records.
 */
@ApplicationScoped
public class Destinations {

    private final Destination http;
    private final AwsClients aws;

    @Inject
    Destinations(HttpPoster poster, AwsClients aws) {
        this(new HttpDestination(poster, Clock.systemUTC()), aws);
    }

    /** For tests: every HTTP URL goes to {@code http}; no AWS destination. */
    Destinations(Destination http) {
        this(http, null);
    }

    /** For tests: HTTP through {@code http}, AWS services through {@code aws}. */
    public Destinations(Destination http, AwsClients aws) {
        this.http = http;
        this.aws = aws;
    }

    /** The destination of the subscription (a new one per call: it may remember which entries were accepted). */
    public Destination of(Subscription subscription) {
        DestinationOptions options = subscription.settings().destination();
        Destination main = at(subscription.url(), options, null);
        Destination onFailure = options.onFailure() == null ? null
                : at(options.onFailure(), options, subscription.url());
        if (onFailure == http) {
            onFailure = new Readdressed(http, options.onFailure());
        }
        return new Route(main, onFailure);
    }

    /**
     * The destination at {@code url}. {@code mainUrl} is set for an on-failure destination: the subscription's
     * {@code endpoint_url} applies to it only when it is of the same AWS service as the subscription's URL.
     */
    private Destination at(URI url, DestinationOptions options, URI mainUrl) {
        String scheme = String.valueOf(url.getScheme()).toLowerCase(Locale.ROOT);
        switch (scheme) {
            case "http", "https" -> {
                return http;
            }
            case "arn" -> {
                AwsArn arn = AwsArn.parse(url.toString()).value()
                        .orElseThrow(() -> new IllegalArgumentException("not a destination ARN: " + url));
                URI endpoint = options.endpointUrl();
                DestinationOptions.MessageFormat format = options.messageFormat();
                if (mainUrl != null) {
                    AwsArn main = "arn".equals(mainUrl.getScheme()) ? AwsArn.parse(mainUrl.toString()).arn() : null;
                    endpoint = main != null && main.service() == arn.service() ? endpoint : null;
                    format = DestinationOptions.MessageFormat.BATCH;
                }
                if (aws == null) {
                    throw new IllegalStateException("no AWS clients");
                }
                return switch (arn.service()) {
                    case LAMBDA -> new LambdaDestination(aws, arn, endpoint);
                    case SQS -> new SqsDestination(aws, arn, endpoint, format);
                    case SNS -> new SnsDestination(aws, arn, endpoint, format);
                    case KINESIS -> new KinesisDestination(aws, arn, endpoint, format);
                    case EVENTS -> new EventBridgeDestination(aws, arn, endpoint, format);
                };
            }
            default -> throw new IllegalArgumentException("no destination for URL scheme " + scheme);
        }
    }

    /**
     * An HTTP on-failure destination: the HTTP destination, POSTing to that URL instead of the subscription's, with the
     * subscription's headers and signature (a receiver that checks them must not drop the invocation record).
     */
    private record Readdressed(Destination http, URI url) implements Destination {
        @Override
        public Attempt send(Message m) {
            Subscription s = m.subscription();
            Subscription there = new Subscription(s.id(), s.tableName(), url, s.startingPosition(), s.source(),
                    s.createdAt(), s.status(), s.error(), s.shards(), s.headers(), s.secrets(), s.settings(),
                    s.started());
            return http.send(new Message(there, m.shardId(), m.deliveryId(), m.body(), m.records()));
        }
    }

    /** A subscription's destination with its on-failure destination, routing notifications as described above. */
    static final class Route implements Destination {

        private final Destination main;
        private final Destination onFailure;

        Route(Destination main, Destination onFailure) {
            this.main = main;
            this.onFailure = onFailure;
        }

        @Override
        public Attempt send(Message m) {
            boolean notification = m.shardId() == null && m.records().isEmpty();
            if (!notification || "http".equals(main.type())) {
                return main.send(m);
            }
            if (onFailure != null) {
                return onFailure.send(m);
            }
            return new Attempt.Permanent("not sent: a subscription to " + main.type() + " has notifications sent "
                    + "only to its on-failure destination (destination_config.on_failure.destination), and has none",
                    AttemptOutcome.REFUSED, Duration.ZERO);
        }

        @Override
        public Destination onFailure() {
            return onFailure;
        }

        @Override
        public String type() {
            return main.type();
        }
    }
}
