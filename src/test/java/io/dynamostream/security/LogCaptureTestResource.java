package io.dynamostream.security;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import org.jboss.logmanager.ExtLogRecord;
import org.jboss.logmanager.LogContext;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Keeps every log record of the application started after it, from its first line on (test resources start before
 * the application), so tests can check what the service logs at startup and that no secret is ever logged. Global
 * like every non-restricted test resource: it restarts, and starts afresh, with each application start.
 */
public class LogCaptureTestResource implements QuarkusTestResourceLifecycleManager {

    /** One captured line: logger, level and the formatted message (with the exception's message, if any). */
    public record Line(String logger, Level level, String message) {
    }

    private static final List<Line> LINES = new CopyOnWriteArrayList<>();
    private static final Handler HANDLER = new Handler() {
        @Override
        public void publish(LogRecord record) {
            String message = record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage();
            if (record.getThrown() != null) {
                message += " | " + record.getThrown();
            }
            LINES.add(new Line(record.getLoggerName(), record.getLevel(), message));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    /** Everything logged since the current application started. */
    public static List<Line> lines() {
        return List.copyOf(LINES);
    }

    @Override
    public Map<String, String> start() {
        LINES.clear();
        var root = LogContext.getLogContext().getLogger("");
        root.removeHandler(HANDLER);
        root.addHandler(HANDLER);
        return Map.of();
    }

    @Override
    public void stop() {
        LogContext.getLogContext().getLogger("").removeHandler(HANDLER);
    }
}
