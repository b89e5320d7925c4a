package io.dynamostream.api;

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

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import io.quarkus.resteasy.reactive.jackson.CustomDeserialization;

import io.dynamostream.delivery.DestinationCheck;
import io.dynamostream.delivery.StopNotifications;
import io.dynamostream.reading.StreamSupervisor;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionRegistry;
import io.dynamostream.subscription.SubscriptionRequest;


/** The original tool's API: {@code POST /}, {@code GET /}, {@code DELETE /{id}}. */
@Path("/")
@Tag(name = "Original API", description = "The kaicoh/dynamo-stream API: POST /, GET /, DELETE /{id}.")
@Produces(MediaType.APPLICATION_JSON)
public class RootResource {

    private final SubscriptionRegistry registry;
    private final StreamSupervisor supervisor;
    private final StopNotifications notifications;
    private final DestinationCheck checks;

    RootResource(SubscriptionRegistry registry, StreamSupervisor supervisor, StopNotifications notifications,
            DestinationCheck checks) {
        this.checks = checks;
        this.registry = registry;
        this.supervisor = supervisor;
        this.notifications = notifications;
    }

    /**
     * Every subscription keyed by id: {@code {"<id>": {"table_name", "url", "status", "error"?, "notification"?}}}.
     */
    @GET
    @Operation(summary = "List subscriptions (original shape)",
            description = "Every subscription keyed by its id: table_name, url, status, in ERROR the error and, once "
                    + "it stopped, the fate of its error notification.")
    @APIResponse(responseCode = "200", description = "Subscriptions keyed by id (an empty object when none).",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(type = SchemaType.OBJECT,
                    additionalProperties = SubscriptionView.Summary.class),
                    examples = @ExampleObject(name = "two subscriptions", value = ApiExamples.LIST_ORIGINAL)))
    public Map<String, SubscriptionView.Summary> list() {
        Map<String, SubscriptionView.Summary> all = new LinkedHashMap<>();
        for (Subscription s : registry.list()) {
            all.put(s.id(), SubscriptionView.Summary.of(s, notifications.status(s.id())));
        }
        return all;
    }

    /** Registers a subscription; 201 with its id and a Location to the resource-style view. */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Register a subscription",
            description = "Subscribes a URL to a table's stream. Same as POST /subscriptions.")
    @RequestBody(ref = "NewSubscription")
    @APIResponse(responseCode = "201", ref = "SubscriptionCreated")
    @APIResponse(responseCode = "400", ref = "InvalidSubscription")
    @APIResponse(responseCode = "409", ref = "TooManySubscriptions")
    @APIResponse(responseCode = "413", ref = "BodyTooLarge")
    @APIResponse(responseCode = "415", ref = "UnsupportedMediaType")
    @CustomDeserialization(StrictRequestReader.class)
    public Response create(SubscriptionRequest request) {
        return SubscriptionsResource.created(supervisor, checks, request);
    }

    /** Removes a subscription: 204, or 404 when the id is unknown. */
    @DELETE
    @Path("{id}")
    @Operation(summary = "Remove a subscription",
            description = "Its deliveries stop. Same as DELETE /subscriptions/{id}.")
    @APIResponse(responseCode = "204", description = "Removed.")
    @APIResponse(responseCode = "404", ref = "SubscriptionNotFound")
    public Response delete(@Parameter(description = "Subscription id (a ULID)", example = ApiExamples.ID)
            @PathParam("id") String id) {
        return SubscriptionsResource.deleted(supervisor, id);
    }

    static URI location(String id) {
        return URI.create("/subscriptions/" + id);
    }
}
