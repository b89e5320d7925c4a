package io.dynamostream.api;

import java.time.Instant;
import java.util.Base64;
import java.util.List;

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
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import com.fasterxml.jackson.annotation.JsonProperty;

import io.dynamostream.delivery.DeadLetters;
import io.dynamostream.delivery.Destination;
import io.dynamostream.delivery.StopNotifications;
import io.dynamostream.reading.StreamSupervisor;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.dynamostream.guard.Redaction;
import io.dynamostream.subscription.DeadLetter;
import io.dynamostream.subscription.Subscription;
import io.dynamostream.subscription.SubscriptionRegistry;

/**
 * Lifecycle actions on one subscription (pause, resume, restart) and its dead letters (list, show, re-deliver,
 * delete). Status rules live in the registry; a wrong status is a 409 with the rule.
 */
@Path("/subscriptions/{id}")
@Tag(name = "Subscriptions")
@APIResponse(responseCode = "404", description = "No subscription has this id.")
@Produces(MediaType.APPLICATION_JSON)
public class SubscriptionActionsResource {

    private final SubscriptionRegistry registry;
    private final StreamSupervisor supervisor;
    private final DeadLetters deadLetters;
    private final StopNotifications notifications;

    SubscriptionActionsResource(SubscriptionRegistry registry, StreamSupervisor supervisor, DeadLetters deadLetters,
            StopNotifications notifications) {
        this.registry = registry;
        this.supervisor = supervisor;
        this.deadLetters = deadLetters;
        this.notifications = notifications;
    }

    @POST
    @Path("pause")
    @Operation(summary = "Pause a subscription",
            description = "Reading stops after the batch in flight; checkpoints are kept. STARTING, RUNNING or RETRYING only.")
    @APIResponse(responseCode = "200", description = "Now PAUSED.", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = SubscriptionView.Detail.class)))
    @APIResponse(responseCode = "409", ref = "WrongStatus", description = "Not STARTING, RUNNING or RETRYING.")
    public SubscriptionView.Detail pause(@PathParam("id") String id) {
        return view(supervisor.pause(id), id);
    }

    @POST
    @Path("resume")
    @Operation(summary = "Resume a paused subscription", description = "Reading goes on from the checkpoints.")
    @APIResponse(responseCode = "200", description = "RUNNING again.", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = SubscriptionView.Detail.class)))
    @APIResponse(responseCode = "409", ref = "WrongStatus", description = "Not PAUSED.")
    public SubscriptionView.Detail resume(@PathParam("id") String id) {
        return view(supervisor.resume(id), id);
    }

    @POST
    @Path("restart")
    @Operation(summary = "Restart a subscription in ERROR or CLOSED",
            description = "Reading goes on from the checkpoints: the batch that failed is tried again.")
    @APIResponse(responseCode = "200", description = "RUNNING again.", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = SubscriptionView.Detail.class)))
    @APIResponse(responseCode = "409", ref = "WrongStatus", description = "Not in ERROR or CLOSED.")
    public SubscriptionView.Detail restart(@PathParam("id") String id) {
        return view(supervisor.restart(id), id);
    }

    @GET
    @Path("dead-letters")
    @Operation(summary = "List dead letters",
            description = "Batches given up with on_failure: dead_letter, oldest first, without their bodies.")
    @APIResponse(responseCode = "200", description = "The dead letters (an empty array when none).",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(type = SchemaType.ARRAY, implementation = DeadLetter.class)))
    public List<DeadLetter> deadLetters(@PathParam("id") String id) {
        registry.find(id).orElseThrow(() -> notFound(id));
        return deadLetters.list(id).stream().map(DeadLetter::withoutBody).toList();
    }

    @GET
    @Path("dead-letters/{letter}")
    @Operation(summary = "Get a dead letter", description = "With the exact body (base64) that was POSTed.")
    @APIResponse(responseCode = "200", description = "The dead letter.", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = DeadLetter.class)))
    @APIResponse(responseCode = "404", description = "No such subscription or dead letter.")
    public DeadLetter deadLetter(@PathParam("id") String id, @PathParam("letter") String letter) {
        return letter(id, letter);
    }

    @DELETE
    @Path("dead-letters/{letter}")
    @Operation(summary = "Delete a dead letter", description = "Its records are given up for good.")
    @APIResponse(responseCode = "204", description = "Deleted.")
    @APIResponse(responseCode = "404", description = "No such subscription or dead letter.")
    public Response deleteDeadLetter(@PathParam("id") String id, @PathParam("letter") String letter) {
        if (registry.find(id).isEmpty() || !deadLetters.delete(id, letter)) {
            throw notFound(id, letter);
        }
        return Response.noContent().build();
    }

    @POST
    @Path("dead-letters/{letter}/redeliver")
    @Operation(summary = "Re-deliver a dead letter",
            description = "POSTs the same body with the same webhook-id to the subscription's URL, once. On a 2xx "
                    + "the dead letter is deleted; otherwise it is kept and the answer is 502 with the reason.")
    @APIResponse(responseCode = "200", description = "Delivered and deleted.", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Redelivery.class)))
    @APIResponse(responseCode = "404", description = "No such subscription or dead letter.")
    @APIResponse(responseCode = "502", description = "The receiver did not answer 2xx; the dead letter is kept.",
            content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    public Response redeliver(@PathParam("id") String id, @PathParam("letter") String letter) {
        Subscription s = registry.find(id).orElseThrow(() -> notFound(id));
        DeadLetter d = letter(id, letter);
        Destination.Attempt attempt = deadLetters.redeliver(s, d);
        if (!attempt.isSuccess()) {
            return Response.status(502).type(MediaType.APPLICATION_JSON)
                    .entity(new ErrorBody("re-delivery of dead letter " + letter + " failed: "
                            + Redaction.text(attempt.describe()) + "; the dead letter is kept"))
                    .build();
        }
        return Response.ok(new Redelivery(1, deadLetters.list(id).size())).build();
    }

    @POST
    @Path("dead-letters/redeliver")
    @Operation(summary = "Re-deliver every dead letter",
            description = "Oldest first, each once; stops at the first that fails (502), so the order is kept.")
    @APIResponse(responseCode = "200", description = "How many were delivered and deleted, and how many are left.",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = Redelivery.class)))
    @APIResponse(responseCode = "502", description = "One failed; the ones before it were delivered and deleted.",
            content = @Content(schema = @Schema(implementation = ErrorBody.class)))
    public Response redeliverAll(@PathParam("id") String id) {
        Subscription s = registry.find(id).orElseThrow(() -> notFound(id));
        DeadLetters.Redelivery result = deadLetters.redeliverAll(s);
        if (result.failure().isPresent()) {
            return Response.status(502).type(MediaType.APPLICATION_JSON)
                    .entity(new ErrorBody("re-delivered " + result.delivered() + " of " + result.total()
                            + " dead letters; " + result.failedLetter().orElseThrow().id() + " failed: "
                            + Redaction.text(result.failure().orElseThrow().describe())))
                    .build();
        }
        return Response.ok(new Redelivery(result.delivered(), 0)).build();
    }

    private DeadLetter letter(String id, String letter) {
        registry.find(id).orElseThrow(() -> notFound(id));
        return deadLetters.find(id, letter).orElseThrow(() -> notFound(id, letter));
    }

    private SubscriptionView.Detail view(java.util.Optional<Subscription> s, String id) {
        return s.map(x -> SubscriptionView.Detail.of(x, true, notifications.status(x.id())))
                .orElseThrow(() -> notFound(id));
    }

    private static NotFoundException notFound(String id) {
        return new NotFoundException("no subscription with id " + id);
    }

    private static NotFoundException notFound(String id, String letter) {
        return new NotFoundException("subscription " + id + " has no dead letter " + letter);
    }

    /** The result of a re-delivery. */
    @RegisterForReflection
    @Schema(name = "Redelivery")
    public record Redelivery(@JsonProperty("delivered") int delivered, @JsonProperty("remaining") int remaining) {
    }
}
