package io.dynamostream.api;

import java.util.List;

import org.jboss.logging.Logger;

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
import io.dynamostream.subscription.FieldError;
import io.dynamostream.subscription.InvalidSubscriptionException;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionRegistry;
import io.dynamostream.subscription.SubscriptionRequest;


/** Resource-style API: {@code /subscriptions} and {@code /subscriptions/{id}} (with per-shard detail). */
@Path("/subscriptions")
@Tag(name = "Subscriptions", description = "Resource-style API, with per-shard progress on GET /subscriptions/{id}.")
@Produces(MediaType.APPLICATION_JSON)
public class SubscriptionsResource {

    private static final Logger LOG = Logger.getLogger(SubscriptionsResource.class);

    private final SubscriptionRegistry registry;
    private final StreamSupervisor supervisor;
    private final StopNotifications notifications;
    private final DestinationCheck checks;

    SubscriptionsResource(SubscriptionRegistry registry, StreamSupervisor supervisor, StopNotifications notifications,
            DestinationCheck checks) {
        this.checks = checks;
        this.registry = registry;
        this.supervisor = supervisor;
        this.notifications = notifications;
    }

    @GET
    @Operation(summary = "List subscriptions",
            description = "Every subscription with its id and settings, oldest first.")
    @APIResponse(responseCode = "200", description = "All subscriptions (an empty array when none).",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(type = SchemaType.ARRAY,
                    implementation = SubscriptionView.Detail.class)))
    public List<SubscriptionView.Detail> list() {
        return registry.list().stream()
                .map(s -> SubscriptionView.Detail.of(s, false, notifications.status(s.id()))).toList();
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Register a subscription",
            description = "Subscribes a URL to a table's stream. Same as POST /.")
    @RequestBody(ref = "NewSubscription")
    @APIResponse(responseCode = "201", ref = "SubscriptionCreated")
    @APIResponse(responseCode = "400", ref = "InvalidSubscription")
    @APIResponse(responseCode = "409", ref = "TooManySubscriptions")
    @APIResponse(responseCode = "413", ref = "BodyTooLarge")
    @APIResponse(responseCode = "415", ref = "UnsupportedMediaType")
    @CustomDeserialization(StrictRequestReader.class)
    public Response create(SubscriptionRequest request) {
        return created(supervisor, checks, request);
    }

    @GET
    @Path("{id}")
    @Operation(summary = "Get a subscription",
            description = "The subscription with its progress on every shard of the table's stream.")
    @APIResponse(responseCode = "200", description = "The subscription, with shards and, once it stopped, the fate "
            + "of its error notification.",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = SubscriptionView.Detail.class),
                    examples = @ExampleObject(name = "stopped, notification pending", ref = "StoppedSubscription")))
    @APIResponse(responseCode = "404", ref = "SubscriptionNotFound")
    public SubscriptionView.Detail get(@Parameter(description = "Subscription id (a ULID)", example = ApiExamples.ID)
            @PathParam("id") String id) {
        return registry.find(id).map(s -> SubscriptionView.Detail.of(s, true, notifications.status(s.id())))
                .orElseThrow(() -> notFound(id));
    }

    @DELETE
    @Path("{id}")
    @Operation(summary = "Remove a subscription", description = "Its deliveries stop. Same as DELETE /{id}.")
    @APIResponse(responseCode = "204", description = "Removed.")
    @APIResponse(responseCode = "404", ref = "SubscriptionNotFound")
    public Response delete(@Parameter(description = "Subscription id (a ULID)", example = ApiExamples.ID)
            @PathParam("id") String id) {
        return deleted(supervisor, id);
    }

    static Response created(StreamSupervisor supervisor, DestinationCheck checks, SubscriptionRequest request) {
        if (request == null) {
            throw new BadRequestException("request body is required: {\"table_name\": ..., \"url\": ...}");
        }
        SubscriptionRequest.Valid valid = request.validate();
        List<FieldError> missing = checks.missing(valid, request.fieldName("url"),
                request.onFailureDestinationField());
        if (!missing.isEmpty()) {
            throw new InvalidSubscriptionException(missing);
        }
        Subscription s = supervisor.register(valid, Subscription.Source.API);
        if (request.disabled()) {
            // Lambda's Enabled: false: registered, but not reading until resumed
            s = supervisor.pause(s.id()).orElse(s);
        }
        for (String warning : valid.warnings()) {
            LOG.warnf("Subscription %s (table %s): %s", s.id(), s.tableName(), warning);
        }
        return Response.created(RootResource.location(s.id())).entity(SubscriptionView.Detail.of(s, false,
                java.util.Optional.empty()).withWarnings(valid.warnings())).build();
    }

    static Response deleted(StreamSupervisor supervisor, String id) {
        supervisor.remove(id).orElseThrow(() -> notFound(id));
        return Response.noContent().build();
    }

    private static NotFoundException notFound(String id) {
        return new NotFoundException("no subscription with id " + id);
    }
}
