package io.dynamostream.dev;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.arc.profile.IfBuildProfile;

/**
 * Dev mode only: a receiver to subscribe to while trying the service out. It logs every POST it gets and keeps the
 * last 100 for {@code GET /dev/receiver}. Not part of the production build.
 */
@Path("/dev/receiver")
@IfBuildProfile("dev")
public class DevReceiverResource {

    private static final Logger LOG = Logger.getLogger(DevReceiverResource.class);
    private static final int KEEP = 100;

    private final Deque<JsonNode> received = new ArrayDeque<>();

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public void receive(JsonNode body) {
        LOG.infof("dev receiver got: %s", body);
        synchronized (received) {
            received.addLast(body);
            while (received.size() > KEEP) {
                received.removeFirst();
            }
        }
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public List<JsonNode> list() {
        synchronized (received) {
            return new ArrayList<>(received);
        }
    }

    @DELETE
    public void clear() {
        synchronized (received) {
            received.clear();
        }
    }
}
