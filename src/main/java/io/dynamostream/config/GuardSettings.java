package io.dynamostream.config;

import java.util.List;
import java.util.Optional;

/** Destination guard ({@code dynamo-stream.guard.*}): where deliveries may connect. */
public interface GuardSettings {

    /** Hosts or CIDRs that are always refused, on top of the built-in denials. */
    Optional<List<String>> deny();
}
