package io.dynamostream.ops;

import java.time.Instant;
import java.util.Arrays;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.dynamostream.guard.Redaction;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Finds, in what Quarkus reports when the start fails, the message the operator needs: the first exception thrown by
 * our own code (they name the file, line or setting, e.g. {@code SubscriptionFile.InvalidFileException}, the state
 * store's open failures), else a configuration error (SmallRye Config names the property and value), else the
 * innermost cause. Framework wrappers ("Failed to start quarkus", CDI creation errors) are skipped; a message of
 * several lines becomes one.
 */
final class StartupFailure {

    private static final String OURS = "io.dynamostream.";

    private StartupFailure() {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The one line the operator reads first. */
    static String line(Throwable failure) {
        return "dynamo-stream could not start: " + reason(failure);
    }

    /** Whether the start failed on the configuration, which Quarkus reads before it sets up the log. */
    static boolean beforeLogging(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (isConfigError(t)) {
                return true;
            }
        }
        return false;
    }

    /** {@link #line} as a log record of our own: a JSON object with the console log's field names, or the text. */
    static String logLine(Throwable failure, boolean json) {
        if (!json) {
            return line(failure);
        }
        ObjectNode record = JSON.createObjectNode()
                .put("timestamp", Instant.now().toString())
                .put("loggerName", ServiceMain.class.getName())
                .put("level", "ERROR")
                .put("message", line(failure));
        return record.toString();
    }

    static String reason(Throwable failure) {
        Throwable chosen = null;
        Throwable config = null;
        Throwable innermost = failure;
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            innermost = t;
            if (chosen == null && thrownByUs(t)) {
                chosen = t;
            }
            if (config == null && isConfigError(t)) {
                config = t;
            }
        }
        Throwable best = chosen != null ? chosen : config != null ? config : innermost;
        return oneLine(best);
    }

    private static boolean thrownByUs(Throwable t) {
        StackTraceElement[] frames = t.getStackTrace();
        return frames.length > 0 && frames[0].getClassName().startsWith(OURS);
    }

    private static boolean isConfigError(Throwable t) {
        for (Class<?> c = t.getClass(); c != null; c = c.getSuperclass()) {
            String name = c.getName();
            if (name.equals("io.smallrye.config.ConfigValidationException")
                    || name.equals("io.quarkus.runtime.configuration.ConfigurationException")
                    || name.equals("java.util.NoSuchElementException") && t.getMessage() != null
                            && t.getMessage().startsWith("SRCFG")) {
                return true;
            }
        }
        return false;
    }

    /** The message on one line: lines trimmed and joined, a leading exception class name dropped from each. */
    static String oneLine(Throwable t) {
        String message = t.getMessage();
        if (message == null || message.isBlank()) {
            return t.getClass().getName();
        }
        // any control character left (a value from the file, say) is escaped by the one sanitiser
        return Redaction.text(Arrays.stream(message.split("\\R")).map(String::strip).filter(l -> !l.isEmpty())
                .map(l -> l.replaceFirst("^(?:[a-z][\\w$]*\\.)+[A-Z][\\w$]*(?:Exception|Error): ", ""))
                .collect(Collectors.joining(" ")));
    }
}
