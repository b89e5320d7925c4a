package io.dynamostream.guard;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Resolves a host name to the addresses the guard checks and the delivery then connects to. Injectable so tests can
 * play DNS (rebinding); the production bean is {@link DestinationSystemResolver}.
 */
public interface DestinationResolver {

    /**
     * @param host a host name (never an IP literal; the guard parses those itself)
     * @return every address of the host, in the order the system prefers them; never empty
     * @throws UnknownHostException when the name does not resolve (a transient failure at delivery time)
     */
    List<InetAddress> resolve(String host) throws UnknownHostException;
}
