package io.dynamostream.ops;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ApplicationLifecycleManager;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * The service's entry point: Quarkus' own, except that a failed startup is reported as one line, {@code dynamo-stream
 * could not start: <reason>}, naming what the operator has to fix (the subscription file and line, the state file,
 * the setting), instead of Quarkus' "Failed to start application" with the reason nested under some thirty stack
 * frames (in the JSON log, under {@code exception.causedBy}). The stack trace is logged at DEBUG
 * ({@code quarkus.log.category."io.dynamostream.ops".level=DEBUG}). The exit status stays Quarkus' (1 on a failed
 * start, the requested one otherwise, 0 after SIGTERM, see {@link SigtermExit}).
 * <p>
 * An invalid setting fails before the log is set up; that line is then written to stdout directly, as a JSON object
 * with the log's field names unless {@code QUARKUS_LOG_CONSOLE_JSON_ENABLED=false}.
 */
@QuarkusMain
public final class ServiceMain {

    private static final Logger LOG = Logger.getLogger(ServiceMain.class);

    private ServiceMain() {
    }

    public static void main(String... args) {
        // with an exit handler of ours, Quarkus logs nothing itself when the start fails
        Quarkus.run(null, ServiceMain::exit, args);
    }

    private static void exit(int status, Throwable failure) {
        if (failure != null && StartupFailure.beforeLogging(failure)) {
            // the configuration is read before the log is set up: no handler of ours exists yet
            System.out.println(StartupFailure.logLine(failure, jsonLog()));
        } else if (failure != null) {
            LOG.errorf("%s", StartupFailure.line(failure));
            LOG.debug("Startup failure", failure);
        }
        ApplicationLifecycleManager.getDefaultExitCodeHandler().accept(status, failure);
    }

    /** As {@code quarkus.log.console.json.enabled} would say: on in production unless turned off. */
    private static boolean jsonLog() {
        String value = System.getProperty("quarkus.log.console.json.enabled",
                System.getenv("QUARKUS_LOG_CONSOLE_JSON_ENABLED"));
        return value == null || !value.strip().equalsIgnoreCase("false");
    }
}
