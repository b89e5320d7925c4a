package io.dynamostream.delivery;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.dynamostream.guard.Redaction;
import io.dynamostream.subscription.AwsArn;
import io.dynamostream.subscription.FieldError;
import io.dynamostream.subscription.SubscriptionRequest;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.awscore.exception.AwsServiceException;

/**
 * At registration through the API, asks the AWS service whether the queue, topic, stream, event bus or function an
 * ARN names exists, so that a typo is a 400 naming the field rather than an ERROR at the first record. Only a clear
 * "does not exist" from the service counts: an endpoint that cannot be reached, a call it does not implement (local
 * Lambda runtimes know only Invoke), missing credentials or permissions for the look-up leave the question to the
 * first delivery, as before. Each look-up is bounded by {@link #TIMEOUT}.
 */
@ApplicationScoped
public class DestinationCheck {

    private static final Logger LOG = Logger.getLogger(DestinationCheck.class);
    /** Longest a registration waits for one look-up. */
    static final Duration TIMEOUT = Duration.ofSeconds(2);
    /** The error codes by which each service (and ElasticMQ, kinesalite) says the resource does not exist. */
    private static Set<String> notFound(AwsArn.Service service) {
        return switch (service) {
            case SQS -> Set.of("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist");
            case SNS -> Set.of("NotFound", "NotFoundException");
            // Lambda's own code only: local runtimes answer a look-up they do not implement with a 404 of their own
            case LAMBDA, KINESIS, EVENTS -> Set.of("ResourceNotFoundException");
        };
    }

    private final AwsClients clients;

    @Inject
    public DestinationCheck(AwsClients clients) {
        this.clients = clients;
    }

    /** Field errors for the destinations of the request that the service says do not exist; empty when none. */
    public List<FieldError> missing(SubscriptionRequest.Valid request, String urlField, String onFailureField) {
        List<FieldError> errors = new ArrayList<>();
        URI endpoint = request.settings().destination().endpointUrl();
        missing(request.url(), endpoint).ifPresent(m -> errors.add(new FieldError(urlField, List.of(m))));
        URI onFailure = request.settings().destination().onFailure();
        if (onFailure != null) {
            // an on-failure ARN uses the service's own endpoint settings, not the subscription's endpoint_url
            missing(onFailure, null).ifPresent(m -> errors.add(new FieldError(onFailureField, List.of(m))));
        }
        return errors;
    }

    /** Why the destination does not exist, when its service says so. */
    Optional<String> missing(URI destination, URI configuredEndpoint) {
        if (!"arn".equals(destination.getScheme())) {
            return Optional.empty();
        }
        AwsArn arn = AwsArn.parse(destination.toString()).arn();
        if (arn == null) {
            return Optional.empty();
        }
        URI endpoint = null;
        try {
            endpoint = clients.endpoint(arn.service(), configuredEndpoint);
            if (clients.refusal(endpoint) != null) {
                return Optional.empty(); // the delivery reports it, with the guard's reason
            }
            lookUp(arn, endpoint);
            return Optional.empty();
        } catch (AwsServiceException e) {
            String code = AwsErrors.code(e);
            if (notFound(arn.service()).contains(code)) {
                return Optional.of("the " + arn.service().what() + " " + arn.name() + " does not exist"
                        + (endpoint == null ? "" : " at " + Redaction.url(endpoint)) + " (" + code + ": "
                        + Redaction.text(AwsErrors.message(e)) + ")");
            }
            LOG.debugf("Existence of %s not checked: %s %s", Redaction.url(destination), code, e.getMessage());
            return Optional.empty();
        } catch (RuntimeException e) {
            // unreachable, timed out, no credentials, not implemented by a local server: the delivery will tell
            LOG.debugf("Existence of %s not checked: %s", Redaction.url(destination), e.toString());
            return Optional.empty();
        }
    }

    /** Asks the destination's service for it, quickly; throws what the service answers. */
    private void lookUp(AwsArn arn, URI endpoint) {
        AwsRequestOverrideConfiguration quick = AwsRequestOverrideConfiguration.builder().apiCallTimeout(TIMEOUT)
                .apiCallAttemptTimeout(TIMEOUT).build();
        switch (arn.service()) {
            case SQS -> clients.sqs(arn, endpoint).getQueueUrl(r -> r.queueName(arn.name())
                    .queueOwnerAWSAccountId(arn.account()).overrideConfiguration(quick));
            case SNS -> clients.sns(arn, endpoint).getTopicAttributes(r -> r.topicArn(arn.toString())
                    .overrideConfiguration(quick));
            case KINESIS -> clients.kinesis(arn, endpoint).describeStream(r -> r.streamName(arn.name()).limit(1)
                    .overrideConfiguration(quick));
            case EVENTS -> clients.eventBridge(arn, endpoint).describeEventBus(r -> r.name(arn.name())
                    .overrideConfiguration(quick));
            case LAMBDA -> clients.lambda(arn, endpoint).getFunctionConfiguration(r -> r
                    .functionName(endpoint == null ? arn.toString() : arn.name()).qualifier(arn.qualifier())
                    .overrideConfiguration(quick));
        }
    }
}
