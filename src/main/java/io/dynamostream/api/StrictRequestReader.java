package io.dynamostream.api;

import java.io.IOException;
import java.lang.reflect.Type;
import java.util.function.BiFunction;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.dynamostream.subscription.SubscriptionRequest;

/**
 * Reads a {@link SubscriptionRequest} body through {@link SubscriptionRequest#fromJson}: our field names or Lambda's
 * (the body of a CreateEventSourceMapping call), and every field it does not know refused in one 400, as the YAML
 * file refuses unknown keys: a typo such as {@code batchsize} would otherwise be dropped silently and the
 * subscription registered with the default. Only the API's request bodies are read this way; Quarkus' mapper (and
 * the state store's) stay lenient.
 * <p>
 * Used through {@code @CustomDeserialization} on the resource methods; the reader is built once per method and
 * keeps no state between requests.
 */
public final class StrictRequestReader implements BiFunction<ObjectMapper, Type, ObjectReader> {

    @Override
    public ObjectReader apply(ObjectMapper mapper, Type type) {
        ObjectMapper strict = mapper.copy()
                .registerModule(new SimpleModule().addDeserializer(SubscriptionRequest.class, new Request()));
        return strict.readerFor(strict.constructType(type));
    }

    /** A JSON object, read as a request; anything else is not a request body. */
    private static final class Request extends JsonDeserializer<SubscriptionRequest> {

        @Override
        public SubscriptionRequest deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonNode body = p.readValueAsTree();
            if (!(body instanceof ObjectNode object)) {
                throw MismatchedInputException.from(p, SubscriptionRequest.class,
                        "request body must be a JSON object");
            }
            return SubscriptionRequest.fromJson(object);
        }
    }
}
