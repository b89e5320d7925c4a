package io.dynamostream.subscription;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.dynamostream.config.DynamoStreamConfig;
import io.quarkus.runtime.StartupEvent;

/**
 * Registers the entries of {@code CONFIG_PATH} at startup, after the stored subscriptions were loaded (an entry keeps
 * its id across restarts, matched on table and URL). A file that cannot be used stops the startup with a
 * message naming the file and the line (the original tool silently started with no entries).
 */
@ApplicationScoped
class ConfigFileRegistrations {

    private static final Logger LOG = Logger.getLogger(ConfigFileRegistrations.class);

    private final DynamoStreamConfig config;
    private final SubscriptionRegistry registry;

    ConfigFileRegistrations(DynamoStreamConfig config, SubscriptionRegistry registry) {
        this.config = config;
        this.registry = registry;
    }

    void onStart(@Observes StartupEvent event) {
        config.configPath().ifPresent(path -> {
            var entries = SubscriptionFile.read(path);
            LOG.infof("Subscription file %s: %d entries", path.toAbsolutePath(), entries.size());
            registry.registerFromFile(entries);
        });
    }
}
