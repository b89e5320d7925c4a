package io.dynamostream.delivery;

import java.time.Clock;
import java.util.Locale;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.dynamostream.subscription.Subscription;

/**
 * Picks the {@link Destination} a subscription's URL names. Today every URL is {@code http(s)://} (validated at
 * registration); a new destination type adds its case here and its own implementation, nothing else.
 */
@ApplicationScoped
public class Destinations {

    private final Destination http;

    @Inject
    Destinations(HttpPoster poster) {
        this(new HttpDestination(poster, Clock.systemUTC()));
    }

    Destinations(Destination http) {
        this.http = http;
    }

    /** The destination of the subscription. */
    public Destination of(Subscription subscription) {
        String scheme = String.valueOf(subscription.url().getScheme()).toLowerCase(Locale.ROOT);
        return switch (scheme) {
            case "http", "https" -> http;
            default -> throw new IllegalArgumentException("no destination for URL scheme " + scheme);
        };
    }
}
