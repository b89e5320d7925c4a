package io.dynamostream.state;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.enterprise.inject.Typed;

import org.jboss.logging.Logger;

import io.dynamostream.config.DynamoStreamConfig;
import io.dynamostream.config.StateSettings;
import io.dynamostream.aws.ReaderClient;
import io.quarkus.runtime.StartupEvent;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * Produces the {@link StateStore} that {@code dynamo-stream.state.store} selects, opens it at startup (so a directory
 * that cannot be written, a state file held by another instance or an unusable table stops the service with a
 * message naming it, instead of failing at the first checkpoint), and closes it at shutdown.
 */
@ApplicationScoped
class StateStoreProducer {

    private static final Logger LOG = Logger.getLogger(StateStoreProducer.class);

    private final StateSettings settings;
    private final Instance<DynamoDbClient> dynamoDb;

    StateStoreProducer(DynamoStreamConfig config, @ReaderClient Instance<DynamoDbClient> dynamoDb) {
        this.settings = config.state();
        // resolved only for the dynamodb store: the other kinds must not need DynamoDB at startup
        this.dynamoDb = dynamoDb;
    }

    /** Typed: only the typed stores of {@link StateStores} are injected elsewhere, never the raw one. */
    @Produces
    @ApplicationScoped
    @Typed(StateStore.class)
    StateStore stateStore() {
        return switch (settings.store()) {
            case EMBEDDED -> EmbeddedStateStore.open(settings.dir());
            case DYNAMODB -> DynamoDbStateStore.open(dynamoDb.get(), settings.table());
            case MEMORY -> new MemoryStateStore();
        };
    }

    void close(@Disposes StateStore store) {
        store.close();
    }

    /** Opens the store at boot and says which one is in use. */
    void onStart(@Observes StartupEvent event, StateStore store) {
        LOG.infof("State store: %s", store.describe());
    }
}
