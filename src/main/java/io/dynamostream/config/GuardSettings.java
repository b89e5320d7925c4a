package io.dynamostream.config;

import java.util.List;
import java.util.Optional;

import io.smallrye.config.WithDefault;

/**
 * Destination guard ({@code dynamo-stream.guard.*}): where deliveries may connect. Entries of {@link #deny()} and
 * {@link #allow()} are host names (exact, case-insensitive), {@code *.example.com} (any sub-domain of example.com),
 * IP addresses or CIDRs ({@code 10.0.0.0/8}, {@code fd12::/16}). Cloud metadata / link-local, unspecified, multicast
 * and reserved addresses are refused whatever these settings say.
 */
public interface GuardSettings {

    /** Hosts or CIDRs that are always refused, on top of the built-in denials. */
    Optional<List<String>> deny();

    /** When set, only destinations whose host name or resolved address matches an entry are allowed. */
    Optional<List<String>> allow();

    /**
     * Allow loopback and private addresses (127.0.0.0/8, ::1, 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7)
     * when no allow-list is set. On by default because local development is the main use; turn it off in production.
     */
    @WithDefault("true")
    boolean allowPrivate();
}
