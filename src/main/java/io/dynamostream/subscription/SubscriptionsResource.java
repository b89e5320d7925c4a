package io.dynamostream.subscription;

import java.util.List;

import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** Resource-style API: {@code /subscriptions} and {@code /subscriptions/{id}} (with per-shard detail). */
@Path("/subscriptions")
@Produces(MediaType.APPLICATION_JSON)
public class SubscriptionsResource {

    private final SubscriptionRegistry registry;

    public SubscriptionsResource(SubscriptionRegistry registry) {
        this.registry = registry;
    }

    @GET
    public List<SubscriptionView.Detail> list() {
        return registry.list().stream().map(s -> SubscriptionView.Detail.of(s, false)).toList();
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response create(SubscriptionRequest request) {
        return created(registry, request);
    }

    @GET
    @Path("{id}")
    public SubscriptionView.Detail get(@PathParam("id") String id) {
        return registry.find(id).map(s -> SubscriptionView.Detail.of(s, true)).orElseThrow(() -> notFound(id));
    }

    @DELETE
    @Path("{id}")
    public Response delete(@PathParam("id") String id) {
        return deleted(registry, id);
    }

    static Response created(SubscriptionRegistry registry, SubscriptionRequest request) {
        if (request == null) {
            throw new BadRequestException("request body is required: {\"table_name\": ..., \"url\": ...}");
        }
        Subscription s = registry.register(request.validate(), Subscription.Source.API);
        return Response.created(RootResource.location(s.id())).entity(SubscriptionView.Detail.of(s, false)).build();
    }

    static Response deleted(SubscriptionRegistry registry, String id) {
        registry.remove(id).orElseThrow(() -> notFound(id));
        return Response.noContent().build();
    }

    private static NotFoundException notFound(String id) {
        return new NotFoundException("no subscription with id " + id);
    }
}
