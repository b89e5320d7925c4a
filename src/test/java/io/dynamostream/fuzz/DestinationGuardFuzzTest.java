package io.dynamostream.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.dynamostream.config.DynamoStreamConfig;
import io.dynamostream.config.GuardSettings;
import io.dynamostream.guard.DestinationGuard;
import io.dynamostream.guard.DestinationRefusedException;
import io.dynamostream.guard.DestinationResolver;

/**
 * Issue 4, property 2: random URLs through {@link DestinationGuard#check(URI)} with a fake resolver that plays an
 * attacker's DNS. The guard only ever returns a target or throws DestinationRefusedException /
 * UnknownHostException, and a returned target (what HttpPoster.requestOptions connects to:
 * {@code setServer(target.port(), target.address().getHostAddress())}) is never in an always-refused range, nor in
 * a range the configuration refuses.
 *
 * <p>Plain JUnit: {@link FuzzRun} numbers the cases, seeds each one (default {@link #SEED}, {@code -Dfuzz.seed=N}
 * to change it, {@code -Dfuzz.case=I} to replay one case) and mixes hand-picked edge cases ({@link #EDGES}) in
 * with the random ones.
 */
class DestinationGuardFuzzTest {

    static final long SEED = 20260401L;
    static final int TRIES = 20_000;
    static final int PORT_TRIES = 200;

    /** A random guard configuration, a fake DNS and a URL text. */
    record Case(boolean allowPrivate, List<String> deny, List<String> allow, Map<String, List<InetAddress>> dns,
            String url) {
        @Override
        public String toString() {
            return "url=" + Fuzz.escape(url, FuzzRun.SHOWN) + " allowPrivate=" + allowPrivate + " deny=" + deny + " allow=" + allow + " dns="
                    + dns;
        }
    }

    private static final List<String> DENY_POOL = List.of("10.0.0.0/8", "*.evil.test", "internal.test", "::1",
            "192.168.0.0/16", "203.0.113.0/24", "2001:db8::/32", "::ffff:8.8.8.0/120");
    private static final List<String> ALLOW_POOL = List.of("*.hooks.test", "203.0.113.0/24", "169.254.0.0/16",
            "127.0.0.1", "fe80::/10", "0.0.0.0/0", "::/0", "hooks.test", "224.0.0.0/4");
    private static final List<String> SCHEMES = List.of("http", "https", "HTTP", "HtTpS", "ftp", "file", "gopher",
            "javascript", "ws", "h", "http+unix", "httpx");
    private static final List<String> NAMES = List.of("localhost", "example.com", "hooks.test", "api.hooks.test",
            "evil.test", "a.evil.test", "internal.test", "169.254.169.254.nip.io", "metadata.google.internal",
            "xn--e1afmkfd.test", "a", "a-b.c_d.test", "UPPER.Case.TEST", "hooks.test.evil.test", "0x7f.evil.test",
            "1.2.3.4.test", "127.0.0.1.test");

    // ---------------------------------------------------------------- edge cases

    private static InetAddress v4(int a, int b, int c, int d) {
        return Addresses.byAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
    }

    /** The answers of the attacker's DNS for the edge cases' names (others: inet_aton numerals or unknown). */
    private static final Map<String, List<InetAddress>> EDGE_DNS = Map.of(
            "hooks.test", List.of(v4(93, 184, 215, 14)),
            "localhost", List.of(v4(127, 0, 0, 1), Addresses.byAddress(Addresses.v6("::1"))),
            "rebind.test", List.of(v4(93, 184, 215, 14), v4(169, 254, 169, 254)),
            "mapped.test", List.of(Addresses.v6Object(Addresses.v6("::ffff:169.254.169.254"))),
            "nat64.test", List.of(Addresses.byAddress(Addresses.v6("64:ff9b::a9fe:a9fe"))),
            "empty.test", List.of(),
            "169.254.169.254.nip.io", List.of(v4(169, 254, 169, 254)),
            "v6.hooks.test", List.of(Addresses.byAddress(Addresses.v6("2606:4700::1111"))));

    /**
     * URLs every run tries, each under three configurations (the defaults; allow-private; a random one): empty and
     * malformed URLs, the metadata address in every notation, always-refused and private ranges, boundary ports,
     * user info, confusing authorities, DNS answers that mix refused and public addresses.
     */
    static final List<String> EDGES = List.of(
            "", "http://", "http:///hook", "//hooks.test/", "hooks.test", "http:hooks.test", "http://:80/",
            "http://169.254.169.254/latest/meta-data/", "http://169.254.170.2/v2/credentials",
            "http://[fd00:ec2::254]/", "http://100.100.100.200/", "http://[::ffff:169.254.169.254]/",
            "http://[::ffff:a9fe:a9fe]/", "http://[::169.254.169.254]/", "http://[64:ff9b::169.254.169.254]/",
            "http://0251.0376.0251.0376/", "http://0xa9fea9fe/", "http://2852039166/", "http://169.254.43518/",
            "http://0xa9.0xfe.0xa9.0xfe/", "http://169.254.169.254./", "http://%31%36%39.254.169.254/",
            "http://[fe80::1%25eth0]/", "http://[fe80::1]/", "http://[ff02::1]/", "http://0.0.0.0/", "http://0/",
            "http://[::]/", "http://127.0.0.1/", "http://127.1/", "http://[::1]/", "http://localhost/",
            "http://[::ffff:127.0.0.1]/", "http://10.0.0.1/", "http://224.0.0.1/", "http://255.255.255.255/",
            "http://hooks.test:0/", "http://hooks.test:1/", "http://hooks.test:65535/", "http://hooks.test:65536/",
            "http://hooks.test:99999999999/", "http://hooks.test:/", "http://[::1]:65535/", "https://hooks.test/",
            "HTTPS://HOOKS.TEST./", "http://v6.hooks.test/", "http://user:s3cr3t@169.254.169.254/",
            "http://user:s3cr3t@hooks.test/", "http://hooks.test#@169.254.169.254/",
            "http://hooks.test\\@169.254.169.254/", "http://169.254.169.254\\@hooks.test/",
            "http://hooks.test?@169.254.169.254/", "http://rebind.test/", "http://mapped.test/",
            "http://nat64.test/", "http://empty.test/", "http://169.254.169.254.nip.io/",
            "http://unknown.fuzz.invalid/", "http://" + "a".repeat(63) + "." + "b".repeat(63) + ".test/",
            "http://" + "c".repeat(300) + ".test/", "http://hooks.test/%0d%0aHost:x",
            "http://hooks.test" + "/a".repeat(2000), "ftp://hooks.test/", "file:///etc/passwd",
            "gopher://127.0.0.1:25/", "javascript:alert(1)");

    /** Number of edge cases: every URL of {@link #EDGES} under three configurations. */
    static final int EDGE_CASES = EDGES.size() * 3;

    /** Edge case {@code n}: URL {@code n / 3} with the defaults, allow-private, or a random configuration. */
    static Case edgeCase(int n, Random r) {
        String url = EDGES.get(n / 3);
        Map<String, List<InetAddress>> dns = new HashMap<>(EDGE_DNS);
        return switch (n % 3) {
            case 0 -> new Case(false, List.of(), List.of(), dns, url);
            case 1 -> new Case(true, List.of(), List.of(), dns, url);
            default -> randomConfig(r, dns, url);
        };
    }

    // ---------------------------------------------------------------- random cases

    /** Case {@code index} of the run: an edge case (spread evenly over the run) or a random one. */
    static Case caseFor(int index, Random r) {
        int edge = FuzzRun.edgeCase(index, TRIES, EDGE_CASES);
        return edge >= 0 ? edgeCase(edge, r) : randomCase(r);
    }

    private static Case randomConfig(Random r, Map<String, List<InetAddress>> dns, String url) {
        boolean allowPrivate = r.nextInt(3) > 0;
        List<String> deny = pick(DENY_POOL, r, r.nextInt(3) == 0 ? 1 + r.nextInt(3) : 0);
        List<String> allow = pick(ALLOW_POOL, r, r.nextInt(4) == 0 ? 1 + r.nextInt(3) : 0);
        return new Case(allowPrivate, deny, allow, dns, url);
    }

    static Case randomCase(Random r) {
        Map<String, List<InetAddress>> dns = new HashMap<>();
        Case config = randomConfig(r, dns, "");
        String host = randomHost(r, dns);
        StringBuilder url = new StringBuilder();
        int schemeKind = r.nextInt(20);
        url.append(schemeKind < 17 ? SCHEMES.get(r.nextInt(2)) : SCHEMES.get(r.nextInt(SCHEMES.size())));
        url.append(r.nextInt(30) == 0 ? ":/" : "://");
        if (r.nextInt(10) == 0) {
            url.append(List.of("user:s3cr3t@", "@", "user@", ":@", "a%40b:s3cr3t@", "u:s3cr3t@h@", "169.254.169.254@")
                    .get(r.nextInt(7)));
        }
        url.append(host);
        if (r.nextInt(3) == 0) {
            url.append(':');
            switch (r.nextInt(5)) {
                case 0 -> url.append(r.nextInt(65536));
                case 1 -> url.append(r.nextInt(200_000));
                case 2 -> url.append("0".repeat(1 + r.nextInt(3))).append(r.nextInt(100));
                case 3 -> { } // empty port
                default -> url.append(List.of("80", "443", "0", "65535", "65536", "-1", "9999999999").get(r.nextInt(7)));
            }
        }
        if (r.nextBoolean()) {
            url.append(List.of("/", "/hook", "/a/../../b", "/%2e%2e/", "?q=1", "#frag", "/x?y=@169.254.169.254",
                    "\\@169.254.169.254/", "/%0d%0aHost:x").get(r.nextInt(9)));
        }
        return new Case(config.allowPrivate(), config.deny(), config.allow(), dns, url.toString());
    }

    private static List<String> pick(List<String> pool, Random r, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(pool.get(r.nextInt(pool.size())));
        }
        return out;
    }

    /** A host in any notation; names get DNS answers (including refused ranges and mixes) in {@code dns}. */
    static String randomHost(Random r, Map<String, List<InetAddress>> dns) {
        switch (r.nextInt(10)) {
            case 0:
            case 1:
                return Addresses.v4Notation(Addresses.randomV4(r), r);
            case 2:
            case 3: {
                String text = Addresses.v6Notation(Addresses.randomV6(r), r);
                switch (r.nextInt(8)) {
                    case 0 -> text += "%" + List.of("eth0", "25eth0", "1", "lo", "%32", "").get(r.nextInt(6));
                    case 1 -> {
                        return text; // no brackets
                    }
                    default -> { }
                }
                return "[" + text + "]";
            }
            case 4: { // percent-encoded / odd characters
                String base = r.nextBoolean() ? Addresses.v4Notation(Addresses.randomV4(r), r)
                        : NAMES.get(r.nextInt(NAMES.size()));
                StringBuilder sb = new StringBuilder();
                for (char c : base.toCharArray()) {
                    if (r.nextInt(4) == 0) {
                        sb.append(String.format("%%%02X", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
                if (r.nextInt(4) == 0) {
                    sb.insert(r.nextInt(sb.length() + 1), List.of("\u3002", "\uff0e", "\u0000", " ", "%00", "..",
                            "\u0131", "_", "-").get(r.nextInt(9)));
                }
                return sb.toString();
            }
            default: {
                String name = NAMES.get(r.nextInt(NAMES.size()));
                if (r.nextInt(4) == 0) {
                    name = randomLabel(r) + "." + name;
                }
                if (r.nextInt(6) == 0) {
                    name = name + ".";
                }
                if (r.nextInt(6) == 0) {
                    name = name.toUpperCase(Locale.ROOT);
                }
                if (r.nextInt(8) > 0) { // else: does not resolve
                    List<InetAddress> answers = new ArrayList<>();
                    int n = 1 + r.nextInt(3);
                    for (int i = 0; i < n; i++) {
                        answers.add(Addresses.randomAddress(r));
                    }
                    String key = name.toLowerCase(Locale.ROOT);
                    dns.put(key.endsWith(".") ? key.substring(0, key.length() - 1) : key, answers);
                }
                return name;
            }
        }
    }

    private static String randomLabel(Random r) {
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-";
        int n = 1 + r.nextInt(10);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    /** A resolver that answers from the case's map, decodes inet_aton numerals as getaddrinfo does, and records. */
    static final class AttackerDns implements DestinationResolver {
        final Map<String, List<InetAddress>> answers;
        final List<InetAddress> returned = new ArrayList<>();
        final List<String> asked = new ArrayList<>();

        AttackerDns(Map<String, List<InetAddress>> answers) {
            this.answers = answers;
        }

        @Override
        public List<InetAddress> resolve(String host) throws UnknownHostException {
            asked.add(host);
            List<InetAddress> a = answers.get(host);
            if (a == null) {
                InetAddress aton = Addresses.inetAton(host);
                if (aton == null) {
                    throw new UnknownHostException(host);
                }
                a = List.of(aton);
            }
            returned.addAll(a);
            return a;
        }
    }

    static DestinationGuard guard(Case c, DestinationResolver dns) {
        GuardSettings settings = proxy(GuardSettings.class, Map.of(
                "deny", Optional.of(c.deny()), "allow", Optional.of(c.allow()), "allowPrivate", c.allowPrivate()));
        DynamoStreamConfig config = proxy(DynamoStreamConfig.class, Map.of("guard", settings));
        return new DestinationGuard(config, dns);
    }

    @SuppressWarnings("unchecked")
    static <T> T proxy(Class<T> type, Map<String, Object> values) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, m, args) -> {
            if (values.containsKey(m.getName())) {
                return values.get(m.getName());
            }
            if (m.getName().equals("toString")) {
                return type.getSimpleName() + values;
            }
            throw new UnsupportedOperationException(m.getName());
        });
    }

    @Test
    void givenRandomUrlAndAttackerDns_whenGuardChecks_thenOnlyAllowedTargetsAndDocumentedExceptions() {
        FuzzRun run = FuzzRun.start("DestinationGuardFuzzTest random URLs", SEED, TRIES);
        int[] registrations = {0};
        run.forAll(DestinationGuardFuzzTest::caseFor, Case::toString, (i, c) -> checkUrl(run, c, registrations));
        run.finish();
        // the generator reaches every outcome, and allowed targets of both families
        run.assertOccurred("outcome: allowed", "outcome: refused", "outcome: unknown host", "outcome: not a URI",
                "allowed family: IPv4", "allowed family: IPv6", "registration checked: refused",
                "registration checked: unknown host");
    }

    /** The property for one case; {@code registrations} counts the refused/unknown cases (every 50th is sampled). */
    private static void checkUrl(FuzzRun run, Case c, int[] registrations) {
        URI uri;
        try {
            uri = new URI(c.url());
        } catch (URISyntaxException e) {
            // SubscriptionRequest.validate() refuses it before the guard ever sees it
            run.count("outcome: not a URI");
            return;
        }
        AttackerDns dns = new AttackerDns(c.dns());
        DestinationGuard guard = guard(c, dns);
        DestinationGuard.Target target;
        try {
            target = guard.check(uri);
        } catch (DestinationRefusedException e) {
            assertTrue(e.getMessage().startsWith("refused destination: "), e.getMessage());
            assertFalse(e.getMessage().contains("s3cr3t"), () -> "user info echoed: " + e.getMessage());
            run.count("outcome: refused");
            checkRegistration(run, guard, uri, true, registrations);
            return;
        } catch (UnknownHostException e) {
            run.count("outcome: unknown host");
            checkRegistration(run, guard, uri, false, registrations);
            return;
        } catch (Throwable t) {
            fail("undocumented exception for " + c + ": " + t, t);
            return;
        }
        run.count("outcome: allowed");
        assertNotNull(target.address(), c::toString);
        InetAddress to = target.address();
        assertFalse(Addresses.alwaysRefused(to), () -> "connects to always-refused " + to + " for " + c);
        // every address the name resolved to was checked: none of them is always refused
        for (InetAddress a : dns.returned) {
            assertFalse(Addresses.alwaysRefused(a), () -> "let through a name that also resolves to " + a + ": " + c);
        }
        if (!dns.returned.isEmpty()) {
            assertTrue(dns.returned.contains(to), () -> "target not among the checked answers: " + c);
        } else {
            assertTrue(dns.asked.isEmpty(), () -> "asked DNS " + dns.asked + " but used no answer: " + c);
            if (uri.getHost() != null) {
                assertEquals(uri.getHost().toLowerCase(Locale.ROOT).replaceAll("^\\[|]$", ""), target.host(),
                        c::toString);
            }
        }
        if (c.allow().isEmpty() && !c.allowPrivate()) {
            assertFalse(Addresses.privateRange(to), () -> "connects to private " + to + " for " + c);
        }
        for (String d : c.deny()) {
            if (d.contains("/") || d.contains(":")) {
                assertFalse(inCidr(d, to), () -> "connects to denied " + to + " (" + d + ") for " + c);
            } else if (d.startsWith("*.")) {
                assertFalse(target.host().endsWith(d.substring(1)), c::toString);
            } else {
                assertFalse(target.host().equals(d), c::toString);
            }
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        assertTrue(scheme.equals("http") || scheme.equals("https"), c::toString);
        // whatever the URL says, a target is on a TCP port (the guard refuses 0 and anything above 65535)
        assertTrue(target.port() >= 1 && target.port() <= 65535, () -> "target port " + target.port() + ": " + c);
        if (uri.getHost() == null) {
            // registry-based authority (e.g. port 9999999999): SubscriptionRequest.validate() refuses it ("must
            // name a host"), so it never reaches a delivery; the guard reads the host from the authority and does not
            // see user info there (observation, not reachable)
            run.count("allowed without URI host: " + (uri.getRawAuthority().contains("@") ? "with @" : "no @"));
            return;
        }
        assertEquals(null, uri.getRawUserInfo(), c::toString);
        int expectedPort = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        assertEquals(expectedPort, target.port(), c::toString);
        run.count("allowed port: " + (uri.getPort() < 0 ? "default" : "explicit"));
        // what HttpPoster hands to Vert.x as the server: an IP literal that parses back to the same address
        String server = to.getHostAddress();
        assertFalse(server.contains("%"), () -> "scoped connect target " + server + " for " + c);
        assertEquals(Addresses.byAddress(normal(to.getAddress())), Addresses.byAddress(normal(literalBytes(server))),
                c::toString);
        run.count("allowed family: " + (to.getAddress().length == 4 ? "IPv4" : "IPv6"));
    }

    private static final List<String> HOSTS_THAT_PASS = List.of("127.0.0.1", "hooks.test", "[::1]", "10.0.0.1");
    private static final int[] EDGE_PORTS = {65536, 65537, 99_999, 100_000, 999_998, 999_999};

    /** A URL with a port in 65536..999999 on a host that would otherwise pass; the edge ports with every host. */
    static URI portCase(int index, Random r) throws URISyntaxException {
        int edge = FuzzRun.edgeCase(index, PORT_TRIES, EDGE_PORTS.length * HOSTS_THAT_PASS.size());
        int port = edge >= 0 ? EDGE_PORTS[edge / HOSTS_THAT_PASS.size()] : 65536 + r.nextInt(999_999 - 65536 + 1);
        String host = HOSTS_THAT_PASS.get(edge >= 0 ? edge % HOSTS_THAT_PASS.size()
                : r.nextInt(HOSTS_THAT_PASS.size()));
        return new URI("http://" + host + ":" + port + "/hook");
    }

    /**
     * Was a bug: java.net.URI accepts any decimal port, SubscriptionRequest.validate() and the guard accept it too, and
     * HttpPoster.requestOptions then throws IllegalArgumentException from Vert.x's
     * {@code SocketAddress.inetSocketAddress} ("port p must be in range 0 <= p <= 65535"), which escapes
     * HttpPoster.post/deliver instead of becoming a failed attempt.
     */
    @Test
    void givenPortAbove65535_whenGuardChecks_thenRefusedOrNeverATarget() {
        FuzzRun run = FuzzRun.start("DestinationGuardFuzzTest ports above 65535", SEED, PORT_TRIES);
        run.forAll(DestinationGuardFuzzTest::portCase, uri -> Fuzz.escape(uri.toString(), FuzzRun.SHOWN), (i, uri) -> {
            Case c = new Case(true, List.of(), List.of(), Map.of("hooks.test", List.of(Addresses.byAddress(
                    new byte[] {93, (byte) 184, (byte) 215, 14}))), uri.toString());
            try {
                DestinationGuard.Target target = guard(c, new AttackerDns(c.dns())).check(uri);
                assertTrue(target.port() <= 65535, () -> uri + " gives a connect target on port " + target.port());
                run.count("target on a TCP port");
            } catch (DestinationRefusedException expected) {
                // fine: a URL with an impossible port is refused
                run.count("refused");
            }
        });
        run.finish();
    }

    /** The registration-time answer agrees with check() (sampled: every refusal is logged at INFO). */
    private static void checkRegistration(FuzzRun run, DestinationGuard guard, URI uri, boolean refused,
            int[] registrations) {
        if (registrations[0]++ % 50 != 0) {
            return;
        }
        Optional<String> reason = guard.refusalAtRegistration(uri);
        assertEquals(refused, reason.isPresent(), () -> "refusalAtRegistration " + reason + " but check() "
                + (refused ? "refused" : "did not know the host") + ": " + uri);
        run.count("registration checked: " + (refused ? "refused" : "unknown host"));
    }

    /** ::ffff:a.b.c.d as a.b.c.d (the JDK and Vert.x read that text back as IPv4). */
    private static byte[] normal(byte[] b) {
        if (b.length == 16 && Addresses.embedded(b) != null && b[10] == (byte) 0xff && b[11] == (byte) 0xff) {
            return Addresses.embedded(b);
        }
        return b;
    }

    private static byte[] literalBytes(String text) {
        try {
            return InetAddress.getByName(text).getAddress();
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** Our own CIDR test (IPv4 entries also match the IPv4 embedded in mapped/compat/NAT64 IPv6). */
    private static boolean inCidr(String cidr, InetAddress address) {
        String[] parts = cidr.split("/");
        byte[] net = literalBytes(parts[0]);
        int prefix = parts.length > 1 ? Integer.parseInt(parts[1]) : net.length * 8;
        if (net.length == 4 && parts[0].contains(":")) {
            prefix -= 96; // ::ffff:8.8.8.0/120 reads back as IPv4
        }
        byte[] b = address.getAddress();
        if (b.length != net.length && b.length == 16 && net.length == 4) {
            b = Addresses.embedded(b);
            if (b == null) {
                return false;
            }
        }
        if (b.length != net.length) {
            return false;
        }
        for (int i = 0; i < prefix; i++) {
            int bit = 0x80 >>> (i % 8);
            if ((b[i / 8] & bit) != (net[i / 8] & bit)) {
                return false;
            }
        }
        return true;
    }
}
