package io.dynamostream.subscription;

import java.util.List;

/** A subscription request that breaks the rules; maps to 400 with one entry per invalid field. */
public class InvalidSubscriptionException extends RuntimeException {

    private final transient List<FieldError> errors;

    public InvalidSubscriptionException(List<FieldError> errors) {
        super("invalid subscription: " + describe(errors));
        this.errors = List.copyOf(errors);
    }

    public List<FieldError> errors() {
        return errors;
    }

    private static String describe(List<FieldError> errors) {
        StringBuilder sb = new StringBuilder();
        for (FieldError e : errors) {
            if (!sb.isEmpty()) {
                sb.append("; ");
            }
            sb.append(e.field()).append(": ").append(String.join(", ", e.messages()));
        }
        return sb.toString();
    }
}
