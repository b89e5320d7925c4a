package io.dynamostream.api;

import java.io.IOException;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.BiFunction;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;

import io.dynamostream.subscription.SubscriptionRequest;

/**
 * Reads a {@link SubscriptionRequest} body and refuses fields it does not know, as the YAML file refuses unknown
 * keys: a typo such as {@code batchsize} would otherwise be dropped silently and the subscription registered with
 * the default. Only the API's request bodies are strict; Quarkus' mapper (and the state store's) stay lenient.
 * <p>
 * Used through {@code @CustomDeserialization} on the resource methods; the reader is built once per method and
 * keeps no state between requests.
 */
public final class StrictRequestReader implements BiFunction<ObjectMapper, Type, ObjectReader> {

    @Override
    public ObjectReader apply(ObjectMapper mapper, Type type) {
        return mapper.readerFor(mapper.constructType(type)).withHandler(new UnknownFields());
    }

    /**
     * At the first unknown field of the request object, reads the rest of that object to collect every other
     * unknown one, then fails with all of them: one 400 lists every typo. The body is not bound any further.
     */
    private static final class UnknownFields extends DeserializationProblemHandler {

        @Override
        public boolean handleUnknownProperty(DeserializationContext ctxt, JsonParser p,
                JsonDeserializer<?> deserializer, Object beanOrClass, String propertyName) throws IOException {
            if (deserializer.handledType() != SubscriptionRequest.class) {
                return false;
            }
            Collection<Object> known = deserializer.getKnownPropertyNames();
            List<String> unknown = new ArrayList<>();
            unknown.add(propertyName);
            p.skipChildren();
            // the rest of this object: the parser itself, or (for a record) Jackson's buffer of its unknown fields
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                if (!known.contains(name) && !unknown.contains(name)) {
                    unknown.add(name);
                }
                p.nextToken();
                p.skipChildren();
            }
            throw new UnknownFieldsException(p, unknown);
        }
    }

    /** The fields of a request body that {@link SubscriptionRequest} does not have, in the order given. */
    static final class UnknownFieldsException extends MismatchedInputException {

        private final transient List<String> fields;

        UnknownFieldsException(JsonParser p, List<String> fields) {
            super(p, "unknown fields " + fields + " (allowed: " + String.join(", ", SubscriptionRequest.FIELDS)
                    + ")");
            this.fields = List.copyOf(fields);
        }

        List<String> fields() {
            return fields;
        }
    }
}
