package io.dynamostream.guard;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.dynamostream.config.DynamoStreamConfig;

/**
 * Guards against server-side request forgery: decides whether a subscription URL may be registered and, on every
 * delivery, which checked address to connect to. Rules: {@link DestinationPolicy}; settings:
 * {@code dynamo-stream.guard.*}.
 *
 * <p>At delivery time the host is resolved here (through {@link DestinationResolver}), every address it resolves to
 * is checked, and the caller connects to the checked address, so a DNS answer that changes between the check and the
 * connection (DNS rebinding) cannot reach a refused address. When any of the addresses is refused, the destination is
 * refused as a whole instead of silently using the others: a name that mixes public and internal answers is either
 * an attack or a misconfiguration, and the user should see it rather than get deliveries that work by chance.
 *
 * <p>Thread-safe. {@link #check(URI)} may block on DNS: call it from a virtual or worker thread.
 */
@ApplicationScoped
public class DestinationGuard {

    private static final Logger LOG = Logger.getLogger(DestinationGuard.class);

    private final DestinationPolicy policy;
    private final DestinationResolver resolver;

    @Inject
    public DestinationGuard(DynamoStreamConfig config, DestinationResolver resolver) {
        this(DestinationPolicy.of(config.guard()), resolver);
        LOG.debugf("Destination guard: %s", policy);
    }

    /** The default policy (private addresses allowed, no allow or deny list) over {@code resolver}. */
    public static DestinationGuard withDefaults(DestinationResolver resolver) {
        return new DestinationGuard(new DestinationPolicy(List.of(), List.of(), true), resolver);
    }

    DestinationGuard(DestinationPolicy policy, DestinationResolver resolver) {
        this.policy = policy;
        this.resolver = resolver;
    }

    /**
     * Where a delivery may connect: {@code address} is the checked IP to open the TCP connection to, {@code host} and
     * {@code port} stay those of the URL (Host header, TLS SNI and certificate verification).
     */
    public record Target(String host, InetAddress address, int port) {
    }

    /**
     * Connect-time check: resolves the URL's host and checks every address.
     *
     * @return the first address (in the resolver's order) with the URL's host and port
     * @throws DestinationRefusedException the URL or one of its addresses is refused; nothing may be opened
     * @throws UnknownHostException the host does not resolve (transient: DNS may recover)
     */
    public Target check(URI url) throws DestinationRefusedException, UnknownHostException {
        DestinationPolicy.Host host = policy.parse(url);
        policy.checkName(host);
        List<InetAddress> addresses = host.literal() != null ? List.of(host.literal())
                : resolver.resolve(host.name());
        if (addresses == null || addresses.isEmpty()) {
            throw new UnknownHostException(Redaction.printable(host.name()) + ": no address");
        }
        for (InetAddress address : addresses) {
            policy.checkAddress(host, address);
        }
        return new Target(host.name(), addresses.get(0), host.port());
    }

    /**
     * Registration-time check (API and subscription file). A host that does not resolve now is accepted: it may
     * resolve later, and every delivery is checked again anyway. An ARN has no host to check here.
     *
     * @return the reason the URL is refused ({@code "refused destination: ..."}), empty when it is acceptable
     */
    public Optional<String> refusalAtRegistration(URI url) {
        if ("arn".equals(url.getScheme())) {
            // an AWS destination: its endpoint (if one is configured) is checked before every call
            return Optional.empty();
        }
        try {
            check(url);
            return Optional.empty();
        } catch (DestinationRefusedException e) {
            LOG.infof("Subscription URL refused: %s", e.getMessage());
            return Optional.of(e.getMessage());
        } catch (UnknownHostException e) {
            LOG.infof("Subscription URL host %s does not resolve yet; accepted, checked again at each delivery",
                    Redaction.printable(url.getHost()));
            return Optional.empty();
        }
    }

}
