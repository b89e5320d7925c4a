package io.dynamostream.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The SSRF table: what a user gets back for each destination, with the default and with configured policies. */
class DestinationGuardTest {

    /** DNS as the test wants it; records every name it was asked for. */

    static InetAddress ip(String literal) {
        InetAddress a = DestinationPolicy.literal(literal);
        if (a == null) {
            throw new IllegalArgumentException(literal);
        }
        return a;
    }

    private final FakeResolver dns = new FakeResolver()
            .map("localhost", "127.0.0.1", "::1")
            .map("example.com", "93.184.215.14")
            .map("metadata.attacker.test", "169.254.169.254")
            .map("mixed.attacker.test", "93.184.215.14", "169.254.169.254")
            .map("mapped.attacker.test", "::ffff:169.254.169.254")
            .map("internal.corp", "10.1.2.3")
            .map("hooks.partner.com", "203.0.113.10")
            .map("partner.com.attacker.test", "198.51.100.66")
            .map("api.hooks.partner.com", "203.0.113.11");

    private DestinationGuard guard(List<String> deny, List<String> allow, boolean allowPrivate) {
        return new DestinationGuard(new DestinationPolicy(deny, allow, allowPrivate), dns);
    }

    private final DestinationGuard defaults = guard(List.of(), List.of(), true);

    private static String refusal(DestinationGuard guard, String url) {
        DestinationRefusedException e = assertThrows(DestinationRefusedException.class,
                () -> guard.check(URI.create(url)), url + " must be refused");
        assertTrue(e.getMessage().startsWith("refused destination: "), e.getMessage());
        return e.getMessage();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "http://169.254.169.254/latest/meta-data | 169.254.169.254 is a link-local / cloud metadata address",
            "http://[fd00:ec2::254]/                 | fd00:ec2::254 is a link-local / cloud metadata address",
            "http://169.254.170.2/v2/credentials     | 169.254.170.2 is a link-local / cloud metadata address",
            "http://[fe80::1]/                       | fe80::1 is a link-local / cloud metadata address",
            "http://100.100.100.200/                 | 100.100.100.200 is a link-local / cloud metadata address",
            "http://[::ffff:169.254.169.254]/        | ::ffff:169.254.169.254 is a link-local / cloud metadata address",
            "http://[::ffff:a9fe:a9fe]/              | ::ffff:a9fe:a9fe is a link-local / cloud metadata address",
            "http://[64:ff9b::169.254.169.254]/      | 64:ff9b::169.254.169.254 is a link-local / cloud metadata address",
            "http://0.0.0.0/                         | 0.0.0.0 is an unspecified address",
            "http://0.1.2.3:8080/                    | 0.1.2.3 is an unspecified address",
            "http://[::]/                            | :: is an unspecified address",
            "http://224.0.0.1/                       | 224.0.0.1 is a multicast address",
            "http://[ff02::1]/                       | ff02::1 is a multicast address",
            "http://255.255.255.255/                 | 255.255.255.255 is a reserved / broadcast address",
            "http://0x7f000001/                      | 0x7f000001 is a non-canonical IP address",
            "http://0x7f.0.0.1/                      | 0x7f.0.0.1 is a non-canonical IP address",
            "http://2130706433/                      | 2130706433 is a non-canonical IP address",
            "http://0177.0.0.1/                      | 0177.0.0.1 is a non-canonical IP address",
            "http://127.1/                           | 127.1 is a non-canonical IP address",
            "http://127.0.0.1./                      | 127.0.0.1. is a non-canonical IP address",
            "http://1.2.3.4.5/                       | 1.2.3.4.5 is a non-canonical IP address",
            "http://[fe80::1%25eth0]/                | fe80::1%25eth0 is a scoped IPv6 address",
            "http://user@host/                       | URLs with user info (user:password@) are not allowed",
            "http://user:secret@example.com/         | URLs with user info (user:password@) are not allowed",
            "file:///etc/passwd                      | only http and https URLs are allowed",
            "gopher://x/                             | only http and https URLs are allowed",
            "ftp://x/                                | only http and https URLs are allowed",
            "http://metadata.attacker.test/          | metadata.attacker.test (169.254.169.254) is a link-local",
            "http://mixed.attacker.test/             | mixed.attacker.test (169.254.169.254) is a link-local",
            "http://mapped.attacker.test/            | mapped.attacker.test (169.254.169.254) is a link-local",
    })
    void givenSsrfDestination_thenRefusedWithReason(String url, String reason) {
        String message = refusal(defaults, url);
        assertTrue(message.startsWith("refused destination: " + reason), message);
    }

    @Test
    void givenUserInfo_thenReasonDoesNotLeakTheCredentials() {
        String message = refusal(defaults, "https://admin:hunter2@example.com/hook");
        assertFalse(message.contains("hunter2") || message.contains("admin"), message);
    }

    @Test
    void givenRefusedUrl_thenResolverNeverAsked() {
        refusal(defaults, "http://0x7f000001/");
        refusal(defaults, "http://169.254.169.254/");
        assertEquals(List.of(), dns.asked);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "http://127.0.0.1:9000/x   | 127.0.0.1 | 9000 | 127.0.0.1",
            "http://localhost/         | 127.0.0.1 | 80   | localhost",
            "http://LocalHost./        | 127.0.0.1 | 80   | localhost",
            "https://example.com/hook  | 93.184.215.14 | 443 | example.com",
            "http://10.1.2.3:8080/     | 10.1.2.3  | 8080 | 10.1.2.3",
            "http://172.31.255.255/    | 172.31.255.255 | 80 | 172.31.255.255",
            "http://192.168.1.1/       | 192.168.1.1 | 80 | 192.168.1.1",
            "http://[::1]:3000/        | ::1       | 3000 | ::1",
            "http://[fd12:3456::1]/    | fd12:3456::1 | 80 | fd12:3456::1",
            "http://internal.corp/     | 10.1.2.3  | 80   | internal.corp",
            "http://169.254.example.com/ | 93.184.215.14 | 80 | 169.254.example.com",
    })
    void givenDefaults_thenLoopbackPrivateAndPublicAreAllowed(String url, String address, int port, String host)
            throws Exception {
        dns.map("169.254.example.com", "93.184.215.14");
        DestinationGuard.Target target = defaults.check(URI.create(url));
        assertEquals(ip(address), target.address());
        assertEquals(port, target.port());
        assertEquals(host, target.host());
    }

    @Test
    void givenNameResolvingToSeveralAddresses_thenConnectsToTheFirstCheckedOne() throws Exception {
        assertEquals(ip("127.0.0.1"), defaults.check(URI.create("http://localhost:8080/")).address());
    }

    @Test
    void givenUnresolvableHost_thenRefusedNeitherAtRegistrationNorSilentlyAtDelivery() {
        URI url = URI.create("http://not-yet.example.net/hook");
        assertEquals(Optional.empty(), defaults.refusalAtRegistration(url));
        assertThrows(UnknownHostException.class, () -> defaults.check(url));
    }

    @Test
    void givenRegistrationOfRefusedUrl_thenReasonIsReturned() {
        assertEquals(Optional.of("refused destination: 169.254.169.254 is a link-local / cloud metadata address"),
                defaults.refusalAtRegistration(URI.create("http://169.254.169.254/latest/meta-data")));
    }

    @Test
    void givenAllowPrivateFalse_thenLoopbackAndPrivateRefusedPublicAllowed() throws Exception {
        DestinationGuard guard = guard(List.of(), List.of(), false);
        for (String url : List.of("http://127.0.0.1:9000/x", "http://localhost/", "http://10.1.2.3/",
                "http://172.16.0.1/", "http://192.168.0.10/", "http://[::1]/", "http://[fc00::1]/",
                "http://internal.corp/", "http://100.64.0.1/", "http://[::ffff:10.0.0.1]/")) {
            assertTrue(refusal(guard, url).endsWith("is a loopback / private address"
                    + " (dynamo-stream.guard.allow-private=false)"), url);
        }
        assertEquals(ip("93.184.215.14"), guard.check(URI.create("https://example.com/")).address());
        assertEquals(ip("172.32.0.1"), guard.check(URI.create("http://172.32.0.1/")).address(),
                "just outside 172.16.0.0/12");
    }

    @Test
    void givenDenyList_thenNamesSuffixesAndCidrsAreRefused() throws Exception {
        DestinationGuard guard = guard(List.of("Example.COM", "*.partner.com", "10.0.0.0/8", "::1"), List.of(),
                true);
        assertEquals("refused destination: example.com matches dynamo-stream.guard.deny entry example.com",
                refusal(guard, "https://EXAMPLE.com./hook"));
        assertTrue(refusal(guard, "https://hooks.partner.com/").contains("deny entry *.partner.com"));
        assertTrue(refusal(guard, "https://api.hooks.partner.com/").contains("deny entry *.partner.com"));
        assertTrue(refusal(guard, "http://10.255.0.1/").contains("deny entry 10.0.0.0/8"));
        assertTrue(refusal(guard, "http://internal.corp/").startsWith(
                "refused destination: internal.corp (10.1.2.3) matches dynamo-stream.guard.deny entry 10.0.0.0/8"));
        assertTrue(refusal(guard, "http://[::ffff:10.0.0.1]/").contains("deny entry 10.0.0.0/8"),
                "an IPv4-mapped IPv6 address is the same host");
        assertTrue(refusal(guard, "http://[::1]/").contains("deny entry ::1"));
        assertTrue(refusal(guard, "http://localhost/").contains("deny entry ::1"),
                "any denied address of a name refuses the name");
        assertEquals(ip("127.0.0.1"), guard.check(URI.create("http://127.0.0.1/")).address());
        assertEquals(ip("11.0.0.1"), guard.check(URI.create("http://11.0.0.1/")).address());
    }

    @Test
    void givenDenyByName_thenRefusedBeforeAnyDnsLookup() {
        DestinationGuard guard = guard(List.of("metadata.attacker.test"), List.of(), true);
        assertTrue(refusal(guard, "http://metadata.attacker.test/").contains("deny entry"));
        assertEquals(List.of(), dns.asked);
    }

    @Test
    void givenAllowList_thenOnlyMatchesAllowedAndBuiltInRefusalsStay() throws Exception {
        DestinationGuard guard = guard(List.of(), List.of("*.partner.com", "example.com", "192.0.2.0/24",
                "169.254.0.0/16", "10.1.2.3"), false);
        assertEquals(ip("203.0.113.11"), guard.check(URI.create("https://api.hooks.partner.com/")).address());
        assertEquals(ip("93.184.215.14"), guard.check(URI.create("https://example.com/")).address());
        assertEquals(ip("192.0.2.200"), guard.check(URI.create("http://192.0.2.200/")).address());
        assertEquals(ip("10.1.2.3"), guard.check(URI.create("http://internal.corp/")).address(),
                "an explicit allow entry wins over allow-private=false");
        assertEquals("refused destination: 192.0.3.1 is not in dynamo-stream.guard.allow",
                refusal(guard, "http://192.0.3.1/"));
        assertTrue(refusal(guard, "http://127.0.0.1:9000/").endsWith("is not in dynamo-stream.guard.allow"));
        assertTrue(refusal(guard, "https://partner.com.attacker.test/").endsWith("is not in dynamo-stream.guard.allow"));
        assertTrue(refusal(guard, "http://169.254.169.254/").endsWith("is a link-local / cloud metadata address"),
                "the allow-list cannot open the metadata service");
    }

    @Test
    void givenAllowAndDenyMatch_thenDenyWins() {
        DestinationGuard guard = guard(List.of("api.hooks.partner.com"), List.of("*.partner.com"), true);
        assertTrue(refusal(guard, "https://api.hooks.partner.com/").contains("deny entry api.hooks.partner.com"));
    }

    @Test
    void givenWildcard_thenMatchesSubdomainsOnlyNotTheDomainItselfNorLookalikes() throws Exception {
        dns.map("partner.com", "203.0.113.1").map("evilpartner.com", "203.0.113.2");
        DestinationGuard guard = guard(List.of(), List.of("*.partner.com"), true);
        guard.check(URI.create("https://hooks.partner.com/"));
        assertTrue(refusal(guard, "https://partner.com/").endsWith("is not in dynamo-stream.guard.allow"));
        assertTrue(refusal(guard, "https://evilpartner.com/").endsWith("is not in dynamo-stream.guard.allow"));
    }

    @ParameterizedTest(name = "{0} contains {1}: {2}")
    @CsvSource({
            "10.0.0.0/8, 10.0.0.0, true",
            "10.0.0.0/8, 10.255.255.255, true",
            "10.0.0.0/8, 11.0.0.0, false",
            "10.0.0.0/8, 9.255.255.255, false",
            "172.16.0.0/12, 172.31.255.255, true",
            "172.16.0.0/12, 172.32.0.0, false",
            "192.0.2.7, 192.0.2.7, true",
            "192.0.2.7, 192.0.2.8, false",
            "192.0.2.7/32, 192.0.2.7, true",
            "0.0.0.0/0, 8.8.8.8, true",
            "0.0.0.0/0, 2001:db8::1, false",
            "10.0.0.0/8, ::ffff:10.1.2.3, true",
            "10.0.0.0/8, 64:ff9b::10.1.2.3, true",
            "::ffff:10.0.0.0/104, 10.9.9.9, true",
            "fc00::/7, fd00::1, true",
            "fc00::/7, fe00::1, false",
            "[2001:db8::]/32, 2001:db8:ffff::1, true",
            "2001:db8::/32, 2001:db9::1, false",
            "::/0, 2001:db8::1, true",
            "::1, ::1, true",
            "10.0.0.0/31, 10.0.0.1, true",
            "10.0.0.0/31, 10.0.0.2, false",
    })
    void givenCidr_thenContainsExactlyItsBlock(String cidr, String address, boolean expected) {
        assertEquals(expected, DestinationCidr.parse(cidr).contains(ip(address)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/33", "10.1.0.0/8", "10.0.0.0/-1", "10.0.0.0/x", "010.0.0.0/8", "10.0/8",
            "fd00::1/7", "::/129", "example.com/8"})
    void givenInvalidCidrInConfig_thenStartupFailsNamingTheKeyAndEntry(String entry) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DestinationPolicy(List.of(entry), List.of(), true));
        assertTrue(e.getMessage().startsWith("dynamo-stream.guard.deny: '" + entry + "'"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.1", "0x7f000001", "host name", "a..b", "*.", "-bad.com"})
    void givenInvalidHostEntryInConfig_thenStartupFails(String entry) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DestinationPolicy(List.of(), List.of(entry), true));
        assertTrue(e.getMessage().startsWith("dynamo-stream.guard.allow: "), e.getMessage());
    }

    @Test
    void givenControlCharacters_thenPrintableNeutralisesThem() {
        assertEquals("a\\u000d\\u000aINFO forged\\u001b[31m\\u2028", Redaction.printable(
                "a\r\nINFO forged\u001b[31m\u2028"));
        assertEquals(303, Redaction.printable("x".repeat(1000)).length());
    }
}
