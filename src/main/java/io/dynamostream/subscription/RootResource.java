package io.dynamostream.subscription;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** The original tool's API: {@code POST /}, {@code GET /}, {@code DELETE /{id}}. */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
public class RootResource {

    private final SubscriptionRegistry registry;

    public RootResource(SubscriptionRegistry registry) {
        this.registry = registry;
    }

    /** Every subscription keyed by id: {@code {"<id>": {"table_name", "url", "status", "error"?}}}. */
    @GET
    public Map<String, SubscriptionView.Summary> list() {
        Map<String, SubscriptionView.Summary> all = new LinkedHashMap<>();
        for (Subscription s : registry.list()) {
            all.put(s.id(), SubscriptionView.Summary.of(s));
        }
        return all;
    }

    /** Registers a subscription; 201 with its id and a Location to the resource-style view. */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response create(SubscriptionRequest request) {
        return SubscriptionsResource.created(registry, request);
    }

    /** Removes a subscription: 204, or 404 when the id is unknown. */
    @DELETE
    @Path("{id}")
    public Response delete(@PathParam("id") String id) {
        return SubscriptionsResource.deleted(registry, id);
    }

    static URI location(String id) {
        return URI.create("/subscriptions/" + id);
    }
}
