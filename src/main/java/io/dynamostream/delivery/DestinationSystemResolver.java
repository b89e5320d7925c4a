package io.dynamostream.delivery;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

/** The JVM's resolver ({@link InetAddress#getAllByName}, which honours the JVM's DNS cache TTLs). Blocking. */
@ApplicationScoped
class DestinationSystemResolver implements DestinationResolver {

    @Override
    public List<InetAddress> resolve(String host) throws UnknownHostException {
        return List.of(InetAddress.getAllByName(host));
    }
}
