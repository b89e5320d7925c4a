package io.dynamostream.ops;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;

import sun.misc.Signal;

/**
 * SIGTERM is the normal way to stop the service (docker stop, Kubernetes, systemd): it runs the same graceful stop
 * as before (I11: stop reading, finish the POSTs in flight, keep the checkpoints) and then exits with status 0, not
 * the JVM's 143, so process managers do not report a clean stop as a failure. Production (jar or native) only; dev
 * mode and tests keep the default handling.
 */
@ApplicationScoped
class SigtermExit {

    private static final Logger LOG = Logger.getLogger(SigtermExit.class);

    void install(@Observes StartupEvent event) {
        if (LaunchMode.current() != LaunchMode.NORMAL) {
            return;
        }
        try {
            Signal.handle(new Signal("TERM"), signal -> {
                LOG.info("SIGTERM received: stopping gracefully");
                Quarkus.asyncExit(0);
            });
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            LOG.debugf("SIGTERM handler not installed (%s); the JVM's default handling applies", e.getMessage());
        }
    }
}
