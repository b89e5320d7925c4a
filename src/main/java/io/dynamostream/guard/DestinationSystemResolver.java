package io.dynamostream.guard;

import java.net.InetAddress;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

/**
 * Produces the production {@link DestinationResolver}: the JVM's resolver ({@link InetAddress#getAllByName}, which
 * honours the JVM's DNS cache TTLs; blocking). Produced as the interface type so that tests can replace it with
 * {@code QuarkusMock.installMockForType(fake, DestinationResolver.class)}.
 */
final class DestinationSystemResolver {

    private DestinationSystemResolver() {
    }

    @Produces
    @ApplicationScoped
    static DestinationResolver system() {
        return host -> List.of(InetAddress.getAllByName(host));
    }
}
