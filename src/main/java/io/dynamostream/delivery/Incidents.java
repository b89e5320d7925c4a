package io.dynamostream.delivery;

import java.util.function.Consumer;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.dynamostream.guard.Redaction;
import io.dynamostream.subscription.DeliveryIncident;

/**
 * Reports records that will not be delivered although the subscription keeps running (I1: never silent): logged at
 * ERROR, then handed to the observers of {@link DeliveryIncident} (error notification, metrics), which never call
 * back.
 */
@ApplicationScoped
public class Incidents {

    private static final Logger LOG = Logger.getLogger(Incidents.class);

    private final Consumer<DeliveryIncident> observers;

    @Inject
    Incidents(Event<DeliveryIncident> event) {
        this(event::fire);
    }

    /** For tests: incidents go to {@code observers}. */
    public Incidents(Consumer<DeliveryIncident> observers) {
        this.observers = observers;
    }

    public void report(DeliveryIncident incident) {
        LOG.errorf("Subscription %s (table %s): %s", incident.subscription().id(), incident.subscription().tableName(),
                Redaction.text(incident.message()));
        observers.accept(incident);
    }
}
