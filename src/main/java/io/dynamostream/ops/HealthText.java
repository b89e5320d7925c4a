package io.dynamostream.ops;

import java.util.regex.Pattern;

/** Text that goes into health data: never a URL (subscription URLs may carry tokens). */
final class HealthText {

    private static final Pattern URL = Pattern.compile("[a-zA-Z][a-zA-Z0-9+.-]*://\\S+");
    private static final int MAX_LENGTH = 300;

    private HealthText() {
    }

    /** The message with every {@code scheme://...} replaced by {@code <url>}, shortened to 300 characters. */
    static String withoutUrls(String message) {
        if (message == null) {
            return null;
        }
        String text = URL.matcher(message).replaceAll("<url>");
        return text.length() <= MAX_LENGTH ? text : text.substring(0, MAX_LENGTH - 3) + "...";
    }

    /** A one-line description of an exception: its class, and its message without URLs. */
    static String errorOf(Throwable e) {
        String message = e.getMessage();
        return withoutUrls(e.getClass().getSimpleName() + (message == null ? "" : ": " + message));
    }
}
