package io.dynamostream.subscription;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The ARN of an AWS destination, exactly as EventBridge Pipes targets and Lambda's on-failure destinations name them:
 * a Lambda function (optionally with an alias or version), an SQS queue, an SNS topic (standard or {@code .fifo}), a
 * Kinesis stream or an EventBridge event bus. Pure: {@link #parse} checks the shape and each service's naming rules,
 * and says what is wrong in words a user can act on.
 *
 * @param partition {@code aws}, {@code aws-cn}, {@code aws-us-gov}, ...
 * @param region the region the resource lives in (the client signs for it)
 * @param account 12 digits
 * @param name the function, queue, topic, stream or event bus name
 * @param qualifier a Lambda function's alias or version; null for the others and for an unqualified function
 */
public record AwsArn(Service service, String partition, String region, String account, String name,
        String qualifier) {

    /** The AWS services a subscription can deliver to. */
    public enum Service {
        LAMBDA("lambda", "Lambda function"),
        SQS("sqs", "SQS queue"),
        SNS("sns", "SNS topic"),
        KINESIS("kinesis", "Kinesis stream"),
        EVENTS("events", "EventBridge event bus");

        private final String id;
        private final String what;

        Service(String id, String what) {
            this.id = id;
            this.what = what;
        }

        /** The service's name in an ARN ({@code sqs}); also the metrics label of the destination type. */
        public String id() {
            return id;
        }

        /** What the ARN names, for messages ("SQS queue"). */
        public String what() {
            return what;
        }

        static Optional<Service> of(String id) {
            for (Service s : values()) {
                if (s.id.equals(id)) {
                    return Optional.of(s);
                }
            }
            return Optional.empty();
        }
    }

    private static final Pattern ARN = Pattern.compile("arn:([^:]*):([^:]*):([^:]*):([^:]*):(.*)", Pattern.DOTALL);
    private static final Pattern PARTITION = Pattern.compile("aws(-[a-z]+)*");
    private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-[0-9]{1,2}");
    private static final Pattern ACCOUNT = Pattern.compile("[0-9]{12}");
    private static final Pattern FUNCTION = Pattern.compile("function:([a-zA-Z0-9_-]{1,64})(?::([a-zA-Z0-9$_-]{1,128}))?");
    private static final Pattern QUALIFIER = Pattern.compile("\\$LATEST|[0-9]+|[a-zA-Z0-9_-]*[a-zA-Z_-][a-zA-Z0-9_-]*");
    private static final Pattern QUEUE = Pattern.compile("[a-zA-Z0-9_-]{1,75}(\\.fifo)?|[a-zA-Z0-9_-]{76,80}");
    private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9_-]{1,256}|[a-zA-Z0-9_-]{1,251}\\.fifo");
    private static final Pattern STREAM = Pattern.compile("stream/([a-zA-Z0-9_.-]{1,128})");
    private static final Pattern BUS = Pattern.compile("event-bus/([a-zA-Z0-9/._-]{1,256})");

    /** Whether the text is meant as an ARN (starts with {@code arn:}, any case): then {@link #parse} judges it. */
    public static boolean looksLikeArn(String text) {
        return text != null && text.regionMatches(true, 0, "arn:", 0, 4);
    }

    /** Whether a FIFO queue or topic ({@code .fifo}): messages get a group id and a de-duplication id. */
    public boolean fifo() {
        return (service == Service.SQS || service == Service.SNS) && name.endsWith(".fifo");
    }

    /** The ARN as written, in normal form. */
    @Override
    public String toString() {
        String resource = switch (service) {
            case LAMBDA -> "function:" + name + (qualifier == null ? "" : ":" + qualifier);
            case SQS, SNS -> name;
            case KINESIS -> "stream/" + name;
            case EVENTS -> "event-bus/" + name;
        };
        return "arn:" + partition + ":" + service.id + ":" + region + ":" + account + ":" + resource;
    }

    /** An ARN, or why the text is not the ARN of a destination. */
    public record Parsed(AwsArn arn, String problem) {
        public Optional<AwsArn> value() {
            return Optional.ofNullable(arn);
        }
    }

    /** Checks the text as the ARN of a destination (the caller names the field in the message). */
    public static Parsed parse(String text) {
        Matcher m = ARN.matcher(text);
        if (!m.matches()) {
            return problem("is not a valid ARN: expected arn:aws:<service>:<region>:<account>:<resource>");
        }
        String partition = m.group(1);
        String serviceId = m.group(2);
        String region = m.group(3);
        String account = m.group(4);
        String resource = m.group(5);
        if (!text.startsWith("arn:")) {
            return problem("must start with 'arn:' in lower case");
        }
        if (!PARTITION.matcher(partition).matches()) {
            return problem("has an unknown partition: expected aws, aws-cn or aws-us-gov");
        }
        Optional<Service> service = Service.of(serviceId);
        if (service.isEmpty()) {
            return problem("names service '" + shown(serviceId) + "', which is not a destination: use the ARN of a "
                    + "Lambda function (lambda), SQS queue (sqs), SNS topic (sns), Kinesis stream (kinesis) or "
                    + "EventBridge event bus (events)");
        }
        if (!REGION.matcher(region).matches()) {
            return problem("must name a region, e.g. us-east-1 (the " + service.get().what + "'s region), not '"
                    + shown(region) + "'");
        }
        if (!ACCOUNT.matcher(account).matches()) {
            return problem("must name the 12-digit account id, not '" + shown(account) + "'");
        }
        Service s = service.get();
        String name = resource;
        String qualifier = null;
        switch (s) {
            case LAMBDA -> {
                Matcher f = FUNCTION.matcher(resource);
                if (!f.matches()) {
                    return problem("must end in function:<name> or function:<name>:<alias or version>, the name 1 to "
                            + "64 letters, digits, '-' or '_'");
                }
                name = f.group(1);
                qualifier = f.group(2);
                if (qualifier != null && !QUALIFIER.matcher(qualifier).matches()) {
                    return problem("has qualifier '" + shown(qualifier) + "', which is neither $LATEST, a version "
                            + "number nor an alias name");
                }
            }
            case SQS -> {
                if (!QUEUE.matcher(resource).matches()) {
                    return problem("must end in the queue name: 1 to 80 letters, digits, '-' or '_' (a FIFO queue's "
                            + "ending in .fifo)");
                }
            }
            case SNS -> {
                if (!TOPIC.matcher(resource).matches()) {
                    return problem("must end in the topic name: 1 to 256 letters, digits, '-' or '_' (a FIFO topic's "
                            + "ending in .fifo)");
                }
            }
            case KINESIS -> {
                Matcher k = STREAM.matcher(resource);
                if (!k.matches()) {
                    return problem("must end in stream/<name>, the name 1 to 128 letters, digits, '.', '-' or '_'");
                }
                name = k.group(1);
            }
            case EVENTS -> {
                Matcher b = BUS.matcher(resource);
                if (!b.matches()) {
                    return problem("must end in event-bus/<name>, the name 1 to 256 letters, digits, '/', '.', '-' "
                            + "or '_'");
                }
                name = b.group(1);
            }
        }
        return new Parsed(new AwsArn(s, partition, region, account, name, qualifier), null);
    }

    private static Parsed problem(String problem) {
        return new Parsed(null, problem);
    }

    private static String shown(String text) {
        String t = io.dynamostream.guard.Redaction.text(text).toLowerCase(Locale.ROOT);
        return t.length() > 40 ? t.substring(0, 40) + "..." : t;
    }
}
