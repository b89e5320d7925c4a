package io.dynamostream.guard;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import io.dynamostream.config.GuardSettings;

/**
 * The destination rules, without any I/O: which URLs are acceptable at all, and which addresses a URL's host may be
 * connected at. Order of the address checks: built-in refusals (whatever the configuration says), then
 * {@code deny}, then {@code allow} (when set, only matches pass; a match also overrides {@code allow-private=false}),
 * then {@code allow-private}. Immutable and thread-safe.
 */
final class DestinationPolicy {

    // declared first: the address lists below are parsed with them
    private static final Pattern DOTTED_QUAD = Pattern.compile(
            "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    /** A last label that inet_aton and browsers read as a number (decimal, octal or hex). */
    private static final Pattern NUMERIC_LABEL = Pattern.compile("\\d+|0[xX][0-9a-fA-F]*");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9a-fA-F:.]+");

    private static final String METADATA = "a link-local / cloud metadata address";
    private static final String UNSPECIFIED = "an unspecified address (0.0.0.0/8, ::)";
    private static final String MULTICAST = "a multicast address";
    private static final String RESERVED = "a reserved / broadcast address";

    /** Refused whatever the configuration says. */
    private static final List<Rule> ALWAYS_REFUSED = List.of(
            new Rule("169.254.0.0/16", METADATA), // AWS, GCP, Azure metadata, ECS task credentials (169.254.170.2)
            new Rule("fe80::/10", METADATA),
            new Rule("fd00:ec2::254/128", METADATA), // AWS metadata over IPv6
            new Rule("100.100.100.200/32", METADATA), // Alibaba Cloud metadata
            new Rule("0.0.0.0/8", UNSPECIFIED), // 0.0.0.0 reaches the local host on Linux
            new Rule("::/128", UNSPECIFIED),
            new Rule("224.0.0.0/4", MULTICAST),
            new Rule("ff00::/8", MULTICAST),
            new Rule("240.0.0.0/4", RESERVED)); // includes 255.255.255.255

    /** Allowed only while {@code allow-private} is true (or when an allow-list entry matches). */
    private static final List<DestinationCidr> PRIVATE = List.of(
            DestinationCidr.parse("127.0.0.0/8"), DestinationCidr.parse("::1/128"),
            DestinationCidr.parse("10.0.0.0/8"), DestinationCidr.parse("172.16.0.0/12"),
            DestinationCidr.parse("192.168.0.0/16"), DestinationCidr.parse("100.64.0.0/10"),
            DestinationCidr.parse("fc00::/7"), DestinationCidr.parse("fec0::/10"));

    private final List<Entry> deny;
    private final List<Entry> allow;
    private final boolean allowPrivate;

    DestinationPolicy(List<String> deny, List<String> allow, boolean allowPrivate) {
        this.deny = entries("dynamo-stream.guard.deny", deny);
        this.allow = entries("dynamo-stream.guard.allow", allow);
        this.allowPrivate = allowPrivate;
    }

    static DestinationPolicy of(GuardSettings settings) {
        return new DestinationPolicy(settings.deny().orElse(List.of()), settings.allow().orElse(List.of()),
                settings.allowPrivate());
    }

    /** The host of a URL, normalised: {@code name} lower-case without a trailing dot, {@code literal} for IPs. */
    record Host(String name, InetAddress literal, int port) {

        String display() {
            return Redaction.printable(name);
        }
    }

    /**
     * Checks what can be checked without DNS: scheme, credentials, host syntax, numeric host forms.
     *
     * @throws DestinationRefusedException with a reason for users
     */
    Host parse(URI url) throws DestinationRefusedException {
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new DestinationRefusedException("only http and https URLs are allowed");
        }
        if (url.getRawUserInfo() != null) {
            // never echo the user info: it usually is a password
            throw new DestinationRefusedException("URLs with user info (user:password@) are not allowed;"
                    + " credentials must not be part of the URL");
        }
        String host = url.getHost() != null ? url.getHost() : hostOfAuthority(url.getRawAuthority());
        if (host == null || host.isEmpty()) {
            throw new DestinationRefusedException("the URL has no valid host name");
        }
        int port = url.getPort() >= 0 ? url.getPort() : scheme.equals("https") ? 443 : 80;
        if (port < 1 || port > 65535) {
            throw new DestinationRefusedException("port " + port + " is not a TCP port (1 to 65535)");
        }
        if (host.startsWith("[")) {
            String inner = host.substring(1, host.length() - 1);
            if (inner.contains("%")) {
                throw new DestinationRefusedException(Redaction.printable(inner)
                        + " is a scoped IPv6 address");
            }
            InetAddress address = literal(inner);
            if (address == null) {
                throw new DestinationRefusedException(Redaction.printable(inner)
                        + " is a non-canonical IP address");
            }
            return new Host(inner.toLowerCase(Locale.ROOT), address, port);
        }
        String name = host.toLowerCase(Locale.ROOT);
        String[] labels = name.split("\\.", -1);
        String last = labels.length > 1 && labels[labels.length - 1].isEmpty() ? labels[labels.length - 2]
                : labels[labels.length - 1];
        if (NUMERIC_LABEL.matcher(last).matches()) {
            // 2130706433, 0x7f000001, 0177.0.0.1, 127.1, 127.0.0.1. all reach 127.0.0.1 through inet_aton-style
            // parsers; only the dotted quad is accepted so that every check below sees the address that is used
            if (!DOTTED_QUAD.matcher(name).matches()) {
                throw new DestinationRefusedException(Redaction.printable(host)
                        + " is a non-canonical IP address (write IPv4 addresses as a dotted quad, e.g. 127.0.0.1)");
            }
            return new Host(name, literal(name), port);
        }
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        return new Host(name, null, port);
    }

    /**
     * java.net.URI leaves the host null for numeric forms such as {@code 127.1} or {@code 0x7f.0.0.1} (its grammar
     * wants a letter in the last label); read it from the authority so the refusal names the real problem.
     */
    private static String hostOfAuthority(String authority) {
        if (authority == null) {
            return null;
        }
        String hostPort = authority.substring(authority.lastIndexOf('@') + 1);
        String host = hostPort.replaceFirst(":\\d*$", "");
        return host.matches("[0-9a-zA-Z.]+") ? host : null;
    }

    /** Deny-list entries that match the host name itself (before any DNS lookup). */
    void checkName(Host host) throws DestinationRefusedException {
        if (host.literal() != null) {
            return;
        }
        for (Entry e : deny) {
            if (e.matchesName(host.name())) {
                throw new DestinationRefusedException(host.display() + " matches dynamo-stream.guard.deny entry "
                        + e.text());
            }
        }
    }

    /** Checks one address the host resolved to (or its literal address). */
    void checkAddress(Host host, InetAddress address) throws DestinationRefusedException {
        String subject = address.equals(host.literal()) ? host.display()
                : host.display() + " (" + address.getHostAddress() + ")";
        for (Rule r : ALWAYS_REFUSED) {
            if (r.cidr().contains(address)) {
                throw new DestinationRefusedException(subject + " is " + r.what());
            }
        }
        for (Entry e : deny) {
            if (e.matchesAddress(address)) {
                throw new DestinationRefusedException(subject + " matches dynamo-stream.guard.deny entry "
                        + e.text());
            }
        }
        if (!allow.isEmpty()) {
            for (Entry e : allow) {
                if (e.matchesName(host.name()) || e.matchesAddress(address)) {
                    return;
                }
            }
            throw new DestinationRefusedException(subject + " is not in dynamo-stream.guard.allow");
        }
        if (!allowPrivate && PRIVATE.stream().anyMatch(c -> c.contains(address))) {
            throw new DestinationRefusedException(subject + " is a loopback / private address"
                    + " (dynamo-stream.guard.allow-private=false)");
        }
    }

    /**
     * Parses a canonical IP literal without any DNS lookup: a dotted quad, or an IPv6 address (no brackets).
     * Null when the text is neither.
     */
    static InetAddress literal(String text) {
        try {
            if (DOTTED_QUAD.matcher(text).matches()) {
                String[] parts = text.split("\\.");
                byte[] bytes = new byte[4];
                for (int i = 0; i < 4; i++) {
                    bytes[i] = (byte) Integer.parseInt(parts[i]);
                }
                return InetAddress.getByAddress(bytes);
            }
            if (text.contains(":") && IPV6_CHARS.matcher(text).matches()) {
                // with a ':' the JDK parses a literal or fails; it never asks DNS
                return InetAddress.getByName(text);
            }
        } catch (UnknownHostException e) {
            return null;
        }
        return null;
    }

    /**
     * The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) or NAT64
     * (64:ff9b::a.b.c.d) IPv6 address; null for anything else.
     */
    static InetAddress embeddedIpv4(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return null;
        }
        byte[] b = address.getAddress();
        boolean zeroTo10 = true;
        for (int i = 0; i < 10; i++) {
            zeroTo10 &= b[i] == 0;
        }
        boolean mapped = zeroTo10 && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
        boolean compatible = zeroTo10 && b[10] == 0 && b[11] == 0
                && !(b[12] == 0 && b[13] == 0 && b[14] == 0 && (b[15] == 0 || b[15] == 1));
        boolean nat64 = b[0] == 0 && b[1] == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b;
        for (int i = 4; nat64 && i < 12; i++) {
            nat64 = b[i] == 0;
        }
        if (!mapped && !compatible && !nat64) {
            return null;
        }
        try {
            return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<Entry> entries(String key, List<String> texts) {
        List<Entry> out = new ArrayList<>();
        for (String raw : texts) {
            String t = raw.trim().toLowerCase(Locale.ROOT);
            if (t.isEmpty()) {
                continue;
            }
            try {
                out.add(Entry.parse(t));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
            }
        }
        return List.copyOf(out);
    }

    private record Rule(DestinationCidr cidr, String what) {
        Rule(String cidr, String what) {
            this(DestinationCidr.parse(cidr), what);
        }
    }

    /** One deny/allow entry: exactly one of name, suffix ({@code .example.com}) or cidr is set. */
    private record Entry(String text, String name, String suffix, DestinationCidr cidr) {

        static Entry parse(String t) {
            if (t.contains("/") || t.contains(":") || literal(t) != null) {
                return new Entry(t, null, null, DestinationCidr.parse(t));
            }
            String n = t.endsWith(".") ? t.substring(0, t.length() - 1) : t;
            boolean wildcard = n.startsWith("*.");
            String bare = wildcard ? n.substring(2) : n;
            if (!bare.matches("[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*")) {
                throw new IllegalArgumentException("'" + Redaction.printable(t)
                        + "' is not a host name, *.domain, IP address or CIDR");
            }
            String[] labels = bare.split("\\.");
            if (NUMERIC_LABEL.matcher(labels[labels.length - 1]).matches()) {
                throw new IllegalArgumentException("'" + Redaction.printable(t)
                        + "' is a non-canonical IP address (write IPv4 as a dotted quad)");
            }
            return wildcard ? new Entry(t, null, "." + bare, null) : new Entry(t, bare, null, null);
        }

        boolean matchesName(String host) {
            if (host == null) {
                return false;
            }
            return host.equals(name) || suffix != null && host.endsWith(suffix);
        }

        boolean matchesAddress(InetAddress address) {
            return cidr != null && cidr.contains(address);
        }
    }

    @Override
    public String toString() {
        return "deny=" + deny.stream().map(Entry::text).toList() + ", allow="
                + allow.stream().map(Entry::text).toList() + ", allow-private=" + allowPrivate;
    }
}
