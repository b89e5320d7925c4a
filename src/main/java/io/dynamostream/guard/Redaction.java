package io.dynamostream.guard;

import java.net.URI;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The one place that makes values safe to show in API output, health data and log lines: secrets in URLs are masked,
 * URLs can be left out altogether, and control characters (CR and LF above all, which would let a value forge extra
 * log lines) are escaped or flattened. Every text that came from a user or a receiver goes through one of these.
 *
 * <p>What counts as secret in a URL: the userinfo ({@code https://user:pass@host}) and the value of a query parameter
 * whose name is one of {@link #SECRET_QUERY_PARAMETERS}, compared case-insensitively. Both are replaced by
 * {@value #MASK}; the rest of the URL is kept so a user can still tell subscriptions apart. Pure and thread-safe.
 */
public final class Redaction {

    /** What replaces a secret. */
    public static final String MASK = "***";

    /** Query parameter names whose value is masked (lower case). */
    static final Set<String> SECRET_QUERY_PARAMETERS = Set.of("token", "access_token", "api_key", "apikey", "key",
            "secret", "signature", "sig", "password", "auth");

    private static final int MAX_PRINTABLE = 300;
    private static final Pattern URL = Pattern.compile("[a-zA-Z][a-zA-Z0-9+.-]*://\\S+");
    private static final Pattern CONTROL_RUN = Pattern.compile("[\\p{Cntrl}\\x{2028}\\x{2029}]+");

    private Redaction() {
    }

    /** The URL with its userinfo and token-like query values masked, and control characters escaped. */
    public static String url(URI url) {
        if (url == null) {
            return null;
        }
        if (url.isOpaque() || url.getRawAuthority() == null) {
            return text(url.toString());
        }
        StringBuilder out = new StringBuilder();
        out.append(url.getScheme()).append("://");
        if (url.getRawUserInfo() != null) {
            out.append(MASK).append('@');
        }
        String authority = url.getRawAuthority();
        int at = authority.lastIndexOf('@');
        out.append(at >= 0 ? authority.substring(at + 1) : authority);
        if (url.getRawPath() != null) {
            out.append(url.getRawPath());
        }
        if (url.getRawQuery() != null) {
            out.append('?').append(query(url.getRawQuery()));
        }
        if (url.getRawFragment() != null) {
            out.append('#').append(url.getRawFragment());
        }
        return text(out.toString());
    }

    private static String query(String rawQuery) {
        StringBuilder out = new StringBuilder(rawQuery.length());
        for (String pair : rawQuery.split("&", -1)) {
            if (!out.isEmpty()) {
                out.append('&');
            }
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            if (eq >= 0 && isSecretParameter(name)) {
                out.append(name).append('=').append(MASK);
            } else {
                out.append(pair);
            }
        }
        return out.toString();
    }

    private static boolean isSecretParameter(String rawName) {
        String name;
        try {
            name = java.net.URLDecoder.decode(rawName, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            name = rawName;
        }
        return SECRET_QUERY_PARAMETERS.contains(name.trim().toLowerCase(Locale.ROOT));
    }

    /**
     * The text with every control character escaped: CR as {@code \r}, LF as {@code \n}, tab as {@code \t}, any other
     * (C0, DEL, C1, line and paragraph separators) as {@code \}{@code uXXXX}. A logged value thus stays on one line.
     */
    public static String text(String value) {
        if (value == null) {
            return null;
        }
        StringBuilder out = null;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            String escaped = switch (c) {
                case '\r' -> "\\r";
                case '\n' -> "\\n";
                case '\t' -> "\\t";
                default -> isControl(c) ? String.format("\\u%04x", (int) c) : null;
            };
            if (escaped != null && out == null) {
                out = new StringBuilder(value.length() + 8).append(value, 0, i);
            }
            if (out != null) {
                if (escaped != null) {
                    out.append(escaped);
                } else {
                    out.append(c);
                }
            }
        }
        return out == null ? value : out.toString();
    }

    /**
     * A value that came from a user, for an error message that refuses it: control characters (CR, LF, ESC...) and
     * Unicode line separators are escaped as {@code \\uXXXX}, and values over 300 characters are cut (with
     * {@code "..."}).
     */
    public static String printable(String value) {
        if (value == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder(Math.min(value.length(), MAX_PRINTABLE) + 8);
        for (int i = 0; i < value.length() && sb.length() < MAX_PRINTABLE; i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (sb.length() >= MAX_PRINTABLE && value.length() > MAX_PRINTABLE) {
            sb.append("...");
        }
        return sb.toString();
    }

    /** A receiver's text (an error body) on one line: every run of control characters becomes one space. */
    public static String oneLine(String value) {
        return value == null ? null : CONTROL_RUN.matcher(value).replaceAll(" ");
    }

    /**
     * Text for health data, which must never carry a URL (subscription URLs may hold tokens): every
     * {@code scheme://...} becomes {@code <url>}, and the result is cut to 300 characters.
     */
    public static String withoutUrls(String message) {
        if (message == null) {
            return null;
        }
        String text = URL.matcher(message).replaceAll("<url>");
        return text.length() <= MAX_PRINTABLE ? text : text.substring(0, MAX_PRINTABLE - 3) + "...";
    }

    static boolean isControl(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
    }
}
