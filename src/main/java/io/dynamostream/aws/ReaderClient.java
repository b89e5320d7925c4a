package io.dynamostream.aws;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import jakarta.inject.Qualifier;

/**
 * The DynamoDB client the readers use (the extension's, or one pointed at the bundled local server). A qualifier
 * rather than {@code @Named}, which would leave the bean {@code @Default} and clash with the extension's client.
 */
@Qualifier
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.FIELD, ElementType.PARAMETER, ElementType.TYPE})
public @interface ReaderClient {
}
