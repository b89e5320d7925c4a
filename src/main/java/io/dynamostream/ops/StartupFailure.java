package io.dynamostream.ops;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    /** A value a converter refused, as SmallRye words it (see {@link #tidyConfig}). */
    private static final Pattern CONVERSION = Pattern.compile("SRCFG00039: The config property (\\S+) with the "
            + "config value \"(.*?)\" threw an Exception whilst being converted ((?:(?!SRCFG00039:).)*)");

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
        return best == config ? tidyConfig(oneLine(best)) : oneLine(best);
    }

    /**
     * SmallRye's frame around a value our converter refused says the property twice: {@code Configuration validation
     * failed: SRCFG00039: The config property P with the config value "V" threw an Exception whilst being converted
     * P must be ...}. Keeps the converter's own sentence when it names the property, else {@code P = "V": ...}.
     */
    static String tidyConfig(String message) {
        Matcher m = CONVERSION.matcher(message);
        List<String> sentences = new ArrayList<>();
        while (m.find()) {
            String property = m.group(1);
            String reason = m.group(3).strip();
            sentences.add(reason.contains(property) ? reason : property + " = \"" + m.group(2) + "\": " + reason);
        }
        return sentences.isEmpty() ? message : String.join(" ", sentences);
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
