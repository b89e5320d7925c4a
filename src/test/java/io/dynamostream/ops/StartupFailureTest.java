package io.dynamostream.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import io.smallrye.config.ConfigValidationException;

/** The one line an operator reads when the start fails on a setting. */
class StartupFailureTest {

    /** As Quarkus reports it: its own wrapper around what failed (frames of the framework, not ours). */
    private static RuntimeException wrapped(Throwable cause) {
        RuntimeException wrapper = new RuntimeException("Failed to start quarkus", cause);
        wrapper.setStackTrace(frame("io.quarkus.runtime.Application"));
        if (cause instanceof ConfigValidationException) {
            cause.setStackTrace(frame("io.smallrye.config.ConfigMappingProvider"));
        }
        return wrapper;
    }

    private static StackTraceElement[] frame(String className) {
        return new StackTraceElement[] {new StackTraceElement(className, "start", "X.java", 1)};
    }

    @Test
    void givenAValueOurConverterRefused_thenTheLineIsItsOwnSentenceOnce() {
        ConfigValidationException e = new ConfigValidationException(new ConfigValidationException.Problem[] {
                new ConfigValidationException.Problem("SRCFG00039: The config property "
                        + "dynamo-stream.delivery.max-connections-per-subscription with the config value \"0\" threw "
                        + "an Exception whilst being converted dynamo-stream.delivery.max-connections-per-subscription "
                        + "must be from 1 to 1024, not 0")});
        assertEquals("dynamo-stream could not start: dynamo-stream.delivery.max-connections-per-subscription must be "
                + "from 1 to 1024, not 0", StartupFailure.line(wrapped(e)));
    }

    @Test
    void givenAConverterSentenceWithoutThePropertyName_thenTheLineNamesPropertyAndValue() {
        ConfigValidationException e = new ConfigValidationException(new ConfigValidationException.Problem[] {
                new ConfigValidationException.Problem("SRCFG00039: The config property dynamo-stream.delivery.timeout "
                        + "with the config value \"ten\" threw an Exception whilst being converted SRCFG00029: "
                        + "Expected a duration value, got \"ten\""),
                new ConfigValidationException.Problem("SRCFG00039: The config property quarkus.http.port with the "
                        + "config value \"x\" threw an Exception whilst being converted For input string: \"x\"")});
        assertEquals("dynamo-stream could not start: dynamo-stream.delivery.timeout = \"ten\": SRCFG00029: Expected a "
                + "duration value, got \"ten\" quarkus.http.port = \"x\": For input string: \"x\"",
                StartupFailure.line(wrapped(e)));
    }

    @Test
    void givenAnErrorThrownByOurOwnCode_thenItsMessageIsTheLine() {
        IllegalStateException ours = new IllegalStateException("subscriptions.yaml line 3: unknown key 'batchsize'");
        ours.setStackTrace(new StackTraceElement[] {
                new StackTraceElement("io.dynamostream.subscription.SubscriptionFile", "parse", "SubscriptionFile.java",
                        42)});
        assertEquals("dynamo-stream could not start: subscriptions.yaml line 3: unknown key 'batchsize'",
                StartupFailure.line(wrapped(ours)));
    }
}
