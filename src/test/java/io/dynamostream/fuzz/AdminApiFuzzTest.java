package io.dynamostream.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.dynamostream.guard.DestinationResolver;
import io.dynamostream.e2e.LocalDynamoDbTestResource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Issue 4, property 1: random admin API requests against the running app. {@link FuzzRun} numbers the requests
 * and seeds each one (default {@link #SEED}, {@code -Dfuzz.seed=N} to change it, {@code -Dfuzz.case=I} to replay
 * one request), and hand-picked edge cases ({@link #EDGE_BODIES}, {@link #EDGE_IDS}) are mixed in with the random
 * ones. For every request: no 5xx; every 4xx (but HEAD) has a JSON body with a non-empty {@code message}; a 201 only for a body
 * that is valid by the documented rules, and always one for a valid body to an accepted destination.
 *
 * <p>Destinations are 127.0.0.1 / localhost on closed ports, the metadata address (refused) or names the fake
 * resolver does not know; tables do not exist, so a registered subscription ends in ERROR without any delivery.
 */
@QuarkusTest
@WithTestResource(value = LocalDynamoDbTestResource.class, scope = TestResourceScope.GLOBAL)
class AdminApiFuzzTest {

    static final long SEED = 20260403L;
    static final int BODIES = 3000;
    static final int ID_REQUESTS = 1000;
    static final int MAX_BODY = 64 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final Pattern TABLE = Pattern.compile("[a-zA-Z0-9_.-]{3,255}");
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}");
    private static final List<String> RESERVED = List.of("content-type", "content-length", "host",
            "transfer-encoding", "connection", "upgrade", "te", "trailer", "keep-alive", "expect");

    @TestHTTPResource("/")
    URI base;

    /** Every name the app asked DNS for; answers only localhost, so nothing is ever reached. */
    final List<String> asked = new CopyOnWriteArrayList<>();

    @BeforeEach
    void dns() {
        DestinationResolver fake = host -> {
            asked.add(host);
            if (host.equals("localhost")) {
                return List.of(InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1}));
            }
            throw new UnknownHostException(host);
        };
        QuarkusMock.installMockForType(fake, DestinationResolver.class);
    }

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final List<String> failures = new ArrayList<>();
    /** The run and the case being sent, for the failure messages. */
    private FuzzRun run;
    private int currentCase;

    // ------------------------------------------------------------------ generators (each from the case's Random)

    /** Any UTF-16 code units (lone surrogates and controls included), up to 60 long, often empty. */
    private static String anyString(Random r) {
        return Fuzz.anyString(r, 60);
    }

    /** A table name by the documented rules (3 to 255 of [a-zA-Z0-9_.-]), starting with "Fz". */
    private static String validTable(Random r) {
        return "Fz" + Fuzz.stringOf(r, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", 3, 255)
                .substring(2);
    }

    /** An HTTP token (RFC 9110 tchar), 1 to 40 long: a header name by the documented rules. */
    private static String token(Random r) {
        return Fuzz.stringOf(r, "!#$%&'*+.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-", 1, 40);
    }

    /** Printable ASCII, up to 80 long: a header value by the documented rules. */
    private static String printable(Random r) {
        return Fuzz.stringOf(r, ' ', '~', 0, 80);
    }

    /** URLs with a known guard verdict: true = accepted at registration. */
    private static final Map<String, Boolean> URLS = Map.ofEntries(
            Map.entry("http://127.0.0.1:9/hook", true), Map.entry("http://localhost:9/a?b=c", true),
            Map.entry("https://127.0.0.1:1/", true), Map.entry("http://[::1]:9/x", true),
            Map.entry("http://unknown-host.fuzz.invalid:9/", true), Map.entry("HTTP://127.0.0.1:9", true),
            Map.entry("http://10.255.255.1:9/", true),
            Map.entry("http://169.254.169.254/latest/meta-data", false), Map.entry("http://[fd00:ec2::254]/", false),
            Map.entry("http://0.0.0.0:9/", false), Map.entry("http://[fe80::1]/", false),
            Map.entry("http://224.0.0.1/", false), Map.entry("http://255.255.255.255/", false),
            Map.entry("http://user:pw@127.0.0.1:9/", false), Map.entry("http://[::ffff:169.254.169.254]/", false),
            Map.entry("http://[::]/", false), Map.entry("http://100.100.100.200/", false));
    private static final List<String> URL_LIST = new ArrayList<>(new TreeSet<>(URLS.keySet()));

    private static String validSecret(Random r) {
        byte[] key = new byte[24 + r.nextInt(41)];
        r.nextBytes(key);
        return "whsec_" + Base64.getEncoder().encodeToString(key);
    }

    private JsonNode textish(Random r, String field) {
        int k = r.nextInt(20);
        return switch (k) {
            case 0 -> F.nullNode();
            case 1 -> F.numberNode(r.nextInt());
            case 2 -> F.numberNode(r.nextDouble() * 1e6);
            case 3 -> F.booleanNode(r.nextBoolean());
            case 4 -> F.objectNode().put("x", "y");
            case 5 -> F.arrayNode().add("People");
            case 6 -> F.textNode(anyString(r));
            case 7 -> F.textNode(Fuzz.randomText(r, r.nextInt(100)));
            case 8 -> F.textNode("x".repeat(r.nextInt(5000)));
            default -> F.textNode(goodValue(r, field));
        };
    }

    private String goodValue(Random r, String field) {
        return switch (field) {
            case "table_name" -> r.nextInt(10) == 0 ? List.of("ab", "a b c", "Ünïcode", "x".repeat(256), " People",
                    "People\n").get(r.nextInt(6)) : validTable(r);
            case "url" -> r.nextInt(8) == 0 ? List.of("ftp://127.0.0.1/", "http://", "http:///x", "127.0.0.1:9",
                    "http://127.0.0.1:9/#frag", "http://a b/", "http://127.0.0.1:9/" + "p".repeat(2100),
                    "http://127.1:9/", "http://0x7f000001/", "//127.0.0.1/", "http://[::1/",
                    "http://127.0.0.1:9/\u0000").get(r.nextInt(12)) : URL_LIST.get(r.nextInt(URL_LIST.size()));
            case "starting_position" -> List.of("LATEST", "TRIM_HORIZON", "latest", " trim_horizon ", "AT_TIMESTAMP",
                    "", "LATEST\u0000", "ＬＡＴＥＳＴ").get(r.nextInt(8));
            case "secret", "previous_secret" -> r.nextInt(4) > 0 ? validSecret(r) : List.of("whsec_", "whsec_abc",
                    "whsec_" + "A".repeat(200), "secret", " ", "whsec_!!!!").get(r.nextInt(6));
            default -> anyString(r);
        };
    }

    private JsonNode headersNode(Random r) {
        int k = r.nextInt(12);
        if (k == 0) {
            return F.textNode("Authorization: x");
        }
        if (k == 1) {
            return F.arrayNode().add("a");
        }
        if (k == 2) {
            return F.numberNode(1);
        }
        ObjectNode h = F.objectNode();
        int n = r.nextInt(r.nextInt(8) == 0 ? 25 : 4);
        for (int i = 0; i < n; i++) {
            String name = switch (r.nextInt(8)) {
                case 0 -> List.of("Content-Type", "HOST", "webhook-id", "Webhook-Signature", "Connection", "te",
                        "X-Token", "x-token", "").get(r.nextInt(9));
                case 1 -> anyString(r);
                default -> token(r);
            };
            JsonNode value = switch (r.nextInt(10)) {
                case 0 -> F.nullNode();
                case 1 -> F.numberNode(r.nextInt(1000));
                case 2 -> F.objectNode();
                case 3 -> F.textNode("a\r\nInjected: 1");
                case 4 -> F.textNode("v".repeat(4090 + r.nextInt(10)));
                case 5 -> F.textNode(Fuzz.randomText(r, 20));
                default -> F.textNode(printable(r));
            };
            h.set(name, value);
        }
        return h;
    }

    /** The delivery settings (issue 3), each with its documented range; null bounds for the non-integers. */
    private static final List<String> SETTINGS = List.of("batch_size", "maximum_batching_window_in_seconds",
            "maximum_retry_attempts", "maximum_record_age_in_seconds", "bisect_batch_on_function_error", "on_failure");

    private JsonNode settingValue(Random r, String setting) {
        switch (r.nextInt(8)) {
            case 0:
                return F.textNode(List.of("100", "abc", "", "stop", "SKIP", " dead_letter ", "dead-letter", "ＳＴＯＰ",
                        "true").get(r.nextInt(9)));
            case 1:
                return F.booleanNode(r.nextBoolean());
            case 2:
                return F.numberNode(r.nextInt(3) == 0 ? 1.5 : 100.0);
            case 3:
                return F.nullNode();
            case 4:
                return F.numberNode(r.nextLong());
            default:
                int[] edges = {-2, -1, 0, 1, 59, 60, 100, 300, 301, 10_000, 10_001, 604_800, 604_801};
                return F.numberNode(edges[r.nextInt(edges.length)]);
        }
    }

    /** Whether a delivery setting's value is valid (absent or null: the default, valid). */
    private static boolean settingOk(String setting, JsonNode v) {
        if (v == null || v.isNull()) {
            return true;
        }
        if (setting.equals("on_failure")) {
            return v.isTextual() && List.of("stop", "skip", "dead_letter")
                    .contains(v.asText().trim().toLowerCase(Locale.ROOT));
        }
        if (setting.equals("bisect_batch_on_function_error")) {
            return v.isBoolean();
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            return false;
        }
        int n = v.asInt();
        return switch (setting) {
            case "batch_size" -> n >= 1 && n <= 10_000;
            case "maximum_batching_window_in_seconds" -> n >= 0 && n <= 300;
            case "maximum_retry_attempts" -> n >= -1 && n <= 10_000;
            default -> n == -1 || n >= 60 && n <= 604_800;
        };
    }

    private static final List<String> FIELDS = List.of("table_name", "url", "starting_position", "secret",
            "previous_secret", "headers");

    /** A request object: each field absent, valid, or of a random type/value; sometimes extra (unknown) keys. */
    private ObjectNode structured(Random r) {
        ObjectNode o = F.objectNode();
        for (String f : FIELDS) {
            boolean core = f.equals("table_name") || f.equals("url");
            int p = r.nextInt(10);
            if (core ? p == 0 : p < 6) {
                continue;
            }
            if (f.equals("headers")) {
                o.set(f, r.nextInt(10) == 0 ? F.nullNode() : headersNode(r));
            } else {
                o.set(f, r.nextInt(3) == 0 ? textish(r, f) : F.textNode(goodValue(r, f)));
            }
        }
        if (r.nextInt(3) == 0) {
            String setting = SETTINGS.get(r.nextInt(SETTINGS.size()));
            o.set(setting, settingValue(r, setting));
        }
        if (r.nextInt(8) == 0) {
            o.set(anyString(r), textish(r, "x"));
        }
        if (r.nextInt(30) == 0) { // cross the 64 KB limit, or just stay under it
            o.put("padding", "p".repeat(MAX_BODY - 2000 + r.nextInt(8000)));
        }
        return o;
    }

    private JsonNode randomJson(Random r, int depth) {
        int k = depth <= 0 ? 2 + r.nextInt(5) : r.nextInt(7);
        switch (k) {
            case 0: {
                ArrayNode a = F.arrayNode();
                int n = r.nextInt(4);
                for (int i = 0; i < n; i++) {
                    a.add(randomJson(r, depth - 1));
                }
                return a;
            }
            case 1: {
                ObjectNode o = F.objectNode();
                int n = r.nextInt(4);
                for (int i = 0; i < n; i++) {
                    String key = r.nextBoolean() ? FIELDS.get(r.nextInt(FIELDS.size())) : anyString(r);
                    o.set(key, randomJson(r, depth - 1));
                }
                return o;
            }
            case 2:
                return F.textNode(Fuzz.randomText(r, r.nextInt(30)));
            case 3:
                return F.numberNode(r.nextLong());
            case 4:
                return F.booleanNode(r.nextBoolean());
            case 5:
                return F.nullNode();
            default:
                return F.numberNode(new java.math.BigDecimal("1e" + r.nextInt(100_000)));
        }
    }

    record Body(String kind, byte[] bytes, ObjectNode structured) {
    }

    private Body body(Random r) throws Exception {
        int k = r.nextInt(20);
        if (k < 12) {
            ObjectNode o = structured(r);
            return new Body("structured", JSON.writeValueAsBytes(o), o);
        }
        if (k < 14) {
            return new Body("random json", JSON.writeValueAsBytes(randomJson(r, 1 + r.nextInt(6))), null);
        }
        if (k < 16) { // broken JSON: truncated, duplicated keys, comments, deep nesting
            String text = JSON.writeValueAsString(structured(r));
            String broken = switch (r.nextInt(7)) {
                case 0 -> text.substring(0, r.nextInt(text.length()));
                case 1 -> text.replaceFirst("\\{", "{\"url\": 1, ");
                case 2 -> "/* c */" + text;
                case 3 -> "[".repeat(1000 + r.nextInt(3000)) + "]".repeat(1000);
                case 4 -> "{\"table_name\":".repeat(200 + r.nextInt(1000));
                case 5 -> text + text;
                default -> "\ufeff" + text;
            };
            return new Body("broken json", broken.getBytes(StandardCharsets.UTF_8), null);
        }
        if (k < 17) {
            byte[] b = new byte[r.nextInt(3000)];
            r.nextBytes(b);
            return new Body("bytes", b, null);
        }
        if (k < 18) {
            return new Body("empty", new byte[0], null);
        }
        if (k < 19) {
            byte[] b = Fuzz.randomText(r, r.nextInt(500)).getBytes(r.nextBoolean() ? StandardCharsets.UTF_8
                    : StandardCharsets.UTF_16);
            return new Body("text", b, null);
        }
        return new Body("huge", ("{\"table_name\": \"" + "t".repeat(MAX_BODY - 100 + r.nextInt(6000)) + "\"}")
                .getBytes(StandardCharsets.UTF_8), null);
    }

    private static final List<String> CONTENT_TYPES = List.of("text/plain", "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x", "application/xml", "*/*", "application/*", "application/JSON",
            "application/json; charset=utf-16", "application/json; charset=bogus-charset",
            "application/json; charset=", "application/json;;", "application/vnd.api+json", "json", "",
            "application/json\u00e9", "text/json", "application/merge-patch+json", "application/json; q=0.5, text/*",
            "application/json; charset=ISO-8859-1", "application/json; charset=\"utf-8\"");

    private static String contentType(Random r) {
        int k = r.nextInt(10);
        if (k < 6) {
            return "application/json";
        }
        if (k == 6) {
            return "application/json; charset=UTF-8";
        }
        if (k == 7) {
            return null;
        }
        return CONTENT_TYPES.get(r.nextInt(CONTENT_TYPES.size()));
    }


    // ------------------------------------------------------------------ edge cases and requests

    /** A request: a POST with a body, or a request to a subscription path (body null). */
    record Request(String method, String path, String contentType, Body body, boolean deleteViaRoot) {
        @Override
        public String toString() {
            return method + " " + Fuzz.escape(path, 400) + " [" + (contentType == null ? "no Content-Type"
                    : Fuzz.escape(contentType, 200)) + "]" + (body == null ? "" : " " + body.kind() + " "
                    + Fuzz.escape(body.bytes(), 400));
        }
    }

    private static ObjectNode minimalValid() {
        return F.objectNode().put("table_name", "FzEdge").put("url", "http://127.0.0.1:9/hook");
    }

    private static String minimalValidText() {
        return minimalValid().toString();
    }

    private static String secretOfBytes(int n) {
        byte[] key = new byte[n];
        for (int i = 0; i < n; i++) {
            key[i] = (byte) (i * 37 + 11);
        }
        return "whsec_" + Base64.getEncoder().encodeToString(key);
    }

    private static Body edge(ObjectNode o) {
        try {
            return new Body("edge", JSON.writeValueAsBytes(o), o);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A valid body padded with spaces before its closing brace to exactly {@code size} bytes (whitespace, not an
     * extra field: unknown fields are refused).
     */
    private static Body padded(int size) {
        ObjectNode o = minimalValid();
        String text = o.toString();
        String padded = text.substring(0, text.length() - 1) + " ".repeat(size - text.length()) + "}";
        return new Body("edge", padded.getBytes(StandardCharsets.UTF_8), o);
    }

    private static Body notAnObject(String text) {
        return new Body("not an object", text.getBytes(StandardCharsets.UTF_8), null);
    }

    /**
     * Bodies every run sends (with Content-Type application/json): the minimal and a complete valid body, every
     * field and delivery setting at and just past its documented limits, bodies of exactly 64 KB and one byte more,
     * JSON that is not an object.
     */
    static final List<Body> EDGE_BODIES = edgeBodies();

    private static List<Body> edgeBodies() {
        List<Body> bodies = new ArrayList<>();
        bodies.add(edge(F.objectNode()));
        bodies.add(edge(minimalValid()));
        ObjectNode complete = minimalValid().put("starting_position", "TRIM_HORIZON").put("secret", secretOfBytes(24))
                .put("previous_secret", secretOfBytes(64));
        ObjectNode twenty = complete.putObject("headers");
        for (int i = 0; i < 20; i++) {
            twenty.put("X-H" + i, "v" + i);
        }
        bodies.add(edge(complete));
        ObjectNode tooMany = minimalValid();
        ObjectNode h21 = tooMany.putObject("headers");
        for (int i = 0; i < 21; i++) {
            h21.put("X-H" + i, "v");
        }
        bodies.add(edge(tooMany));
        for (String table : List.of("Fz_", "Fz", "Fz" + "t".repeat(253), "Fz" + "t".repeat(254), "", " Fzx",
                "Fz\u0000x")) {
            bodies.add(edge(minimalValid().put("table_name", table)));
        }
        for (String url : List.of("", " ", "http://127.0.0.1:9/" + "p".repeat(2048 - 19),
                "http://127.0.0.1:9/" + "p".repeat(2049 - 19), "http://127.0.0.1:65535/", "http://127.0.0.1:65536/",
                "http://127.0.0.1:0/")) {
            bodies.add(edge(minimalValid().put("url", url)));
        }
        for (int n : List.of(23, 24, 64, 65)) {
            bodies.add(edge(minimalValid().put("secret", secretOfBytes(n))));
        }
        bodies.add(edge(minimalValid().put("previous_secret", secretOfBytes(32)))); // without a secret
        bodies.add(edge(minimalValid().set("headers", F.objectNode().put("X-Big", "v".repeat(4096)))));
        bodies.add(edge(minimalValid().set("headers", F.objectNode().put("X-Big", "v".repeat(4097)))));
        bodies.add(edge(minimalValid().set("headers", F.objectNode().put("X-A", "1").put("x-a", "2"))));
        Object[][] settings = {{"batch_size", 0}, {"batch_size", 1}, {"batch_size", 10_000}, {"batch_size", 10_001},
                {"batch_size", 2_147_483_648L}, {"maximum_batching_window_in_seconds", -1},
                {"maximum_batching_window_in_seconds", 0}, {"maximum_batching_window_in_seconds", 300},
                {"maximum_batching_window_in_seconds", 301}, {"maximum_retry_attempts", -2},
                {"maximum_retry_attempts", -1}, {"maximum_retry_attempts", 10_000}, {"maximum_retry_attempts", 10_001},
                {"maximum_record_age_in_seconds", -1}, {"maximum_record_age_in_seconds", 0},
                {"maximum_record_age_in_seconds", 59}, {"maximum_record_age_in_seconds", 60},
                {"maximum_record_age_in_seconds", 604_800}, {"maximum_record_age_in_seconds", 604_801},
                {"bisect_batch_on_function_error", true}, {"bisect_batch_on_function_error", "true"},
                {"on_failure", "stop"}, {"on_failure", " Dead_Letter "}, {"on_failure", "retry"}};
        for (Object[] setting : settings) {
            ObjectNode o = minimalValid();
            if (setting[1] instanceof Integer n) {
                o.put((String) setting[0], n);
            } else if (setting[1] instanceof Long n) {
                o.put((String) setting[0], n);
            } else if (setting[1] instanceof Boolean b) {
                o.put((String) setting[0], b);
            } else {
                o.put((String) setting[0], (String) setting[1]);
            }
            bodies.add(edge(o));
        }
        bodies.add(padded(MAX_BODY));
        bodies.add(padded(MAX_BODY + 1));
        bodies.add(new Body("empty", new byte[0], null));
        // a UTF-16 BOM and U+0000 (FE FF 00 00, read as UCS-4 3412: the known bug); UTF-16 and UTF-32 with a BOM
        bodies.add(new Body("text", ("\u0000" + "{}").getBytes(StandardCharsets.UTF_16), null));
        bodies.add(new Body("text", minimalValidText().getBytes(StandardCharsets.UTF_16), null));
        bodies.add(new Body("text", minimalValidText().getBytes(java.nio.charset.Charset.forName("UTF-32")), null));
        for (String text : List.of("null", "[]", "\"\"", "0", "true", "{", "}", "\ufeff{}", " ", "[{}]",
                "{\"table_name\": \"FzEdge\", \"url\": \"http://127.0.0.1:9/hook\"", "\"FzEdge\"")) {
            bodies.add(notAnObject(text));
        }
        return List.copyOf(bodies);
    }

    /** Ids every run sends on every route: empty, dot segments, well-formed but unknown ULIDs, encoded bytes. */
    static final List<String> EDGE_IDS = List.of("", ".", "..", "%2e", "%2e%2e", "01" + "0".repeat(24),
            "01ARZ3NDEKTSV4RRFFQ69G5FAV", "7ZZZZZZZZZZZZZZZZZZZZZZZZZ", "80000000000000000000000000", "%00", "%FF",
            "a%2Fb", "x".repeat(2999));

    private static final List<String[]> ROUTES = List.of(new String[] {"GET", "/subscriptions/"},
            new String[] {"DELETE", "/subscriptions/"}, new String[] {"DELETE", "/"}, new String[] {"GET", "/"},
            new String[] {"PUT", "/subscriptions/"}, new String[] {"POST", "/subscriptions/"},
            new String[] {"PATCH", "/"});

    /**
     * Request {@code index} of the run: cases 0 to BODIES-1 are POSTs of a body, the rest requests to an id; the
     * edge cases of each part are spread evenly over it.
     */
    private Request request(int index, Random r) throws Exception {
        if (index < BODIES) {
            int edge = FuzzRun.edgeCase(index, BODIES, EDGE_BODIES.size());
            Body body = edge >= 0 ? EDGE_BODIES.get(edge) : body(r);
            String ct = edge >= 0 ? "application/json" : contentType(r);
            String path = (edge >= 0 ? edge % 2 == 0 : r.nextBoolean()) ? "/" : "/subscriptions";
            return new Request("POST", path, ct, body, r.nextBoolean());
        }
        int edge = FuzzRun.edgeCase(index - BODIES, ID_REQUESTS, EDGE_IDS.size() * ROUTES.size());
        String id = edge >= 0 ? EDGE_IDS.get(edge / ROUTES.size()) : randomId(r);
        String[] route = ROUTES.get(edge >= 0 ? edge % ROUTES.size() : r.nextInt(ROUTES.size()));
        return new Request(route[0], route[1] + id, "application/json", null, false);
    }

    // ------------------------------------------------------------------ the oracle

    /** Documented rules, applied to what Jackson binds. Null: cannot tell (unknown); else valid or not. */
    private static Boolean expectedValid(ObjectNode o) {
        for (Iterator<String> names = o.fieldNames(); names.hasNext();) {
            String name = names.next();
            if (!FIELDS.contains(name) && !SETTINGS.contains(name)) {
                return false; // an unknown field (a typo, "padding") is refused
            }
        }
        String[] text = new String[5];
        for (int i = 0; i < 5; i++) {
            JsonNode n = o.get(FIELDS.get(i));
            if (n == null || n.isNull()) {
                continue;
            }
            if (n.isContainerNode()) {
                return false;
            }
            text[i] = n.asText(); // Jackson coerces numbers and booleans to text (observation, see report)
        }
        for (String setting : SETTINGS) {
            if (!settingOk(setting, o.get(setting))) {
                return false;
            }
        }
        String table = text[0];
        String url = text[1];
        if (table == null || !TABLE.matcher(table).matches()) {
            return false;
        }
        if (url == null || url.isBlank() || url.length() > 2048) {
            return false;
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return false;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null || uri.getHost().isBlank()) {
            return false;
        }
        if (text[2] != null && !List.of("LATEST", "TRIM_HORIZON").contains(text[2].trim().toUpperCase(Locale.ROOT))) {
            return false;
        }
        if (text[3] != null && !secretOk(text[3])) {
            return false;
        }
        if (text[4] != null && (text[3] == null || !secretOk(text[4]))) {
            return false;
        }
        JsonNode headers = o.get("headers");
        if (headers != null && !headers.isNull()) {
            if (!headers.isObject()) {
                return false;
            }
            if (headers.size() > 20) {
                return false;
            }
            TreeSet<String> seen = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
            for (Iterator<Map.Entry<String, JsonNode>> it = headers.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> h = it.next();
                String name = h.getKey();
                JsonNode v = h.getValue();
                if (v.isContainerNode() || v.isNull()) {
                    return false;
                }
                String value = v.asText();
                String lower = name.toLowerCase(Locale.ROOT);
                if (!HEADER_NAME.matcher(name).matches() || RESERVED.contains(lower) || lower.startsWith("webhook-")
                        || !seen.add(name) || value.length() > 4096
                        || !value.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
                    return false;
                }
            }
        }
        Boolean guard = URLS.get(url);
        return guard; // null for a URL whose guard verdict we do not model
    }

    private static boolean secretOk(String s) {
        if (s.isBlank() || !s.startsWith("whsec_")) {
            return false;
        }
        try {
            int n = Base64.getDecoder().decode(s.substring(6)).length;
            return n >= 24 && n <= 64;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static boolean isJsonType(String ct) {
        if (ct == null) {
            return false;
        }
        String main = ct.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return main.equals("application/json");
    }

    // ------------------------------------------------------------------ the test

    private HttpResponse<byte[]> send(String method, String path, byte[] body, String contentType) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private void count(String key) {
        run.count(key);
    }

    private void fail(String what) {
        if (failures.size() < 30) {
            failures.add(run.where(currentCase) + ": " + what);
        }
    }

    /** No 5xx; a 4xx has a JSON body with a non-empty message. */
    private void checkCommon(String request, String method, byte[] sent, HttpResponse<byte[]> resp) {
        int status = resp.statusCode();
        count("status " + status);
        if (sent != null && unsupportedUcs4(sent)) {
            count("unsupported UCS-4 byte order");
        }
        if (status >= 500) {
            fail(status + " for " + request + ": " + shown(resp.body()));
            return;
        }
        if (status >= 400 && !method.equals("HEAD")) {
            try {
                JsonNode n = JSON.readTree(resp.body());
                if (n == null || !n.path("message").isTextual() || n.path("message").asText().isBlank()) {
                    fail(status + " without a JSON message for " + request + ": " + shown(resp.body()));
                }
            } catch (Exception e) {
                fail(status + " with a non-JSON body for " + request + ": " + shown(resp.body()));
            }
        }
    }

    private static String shown(byte[] body) {
        return Fuzz.escape(body, 300);
    }

    @Test
    void givenRandomRequests_whenSentToAdminApi_thenNo5xxJsonErrorsAnd201OnlyForValidBodies() throws Exception {
        run = FuzzRun.start("AdminApiFuzzTest random requests", SEED, BODIES + ID_REQUESTS);
        run.forAll(this::request, Request::toString, (i, request) -> {
            currentCase = i;
            if (request.body() != null) {
                post(request);
            } else {
                toId(request);
            }
        });
        // GET / and GET /subscriptions still work and are empty again
        HttpResponse<byte[]> list = send("GET", "/subscriptions", null, null);
        assertTrue(list.statusCode() == 200 && JSON.readTree(list.body()).isEmpty(),
                () -> "left-over subscriptions (seed " + run.seed() + "): " + shown(list.body()));
        run.finish();
        System.out.printf("AdminApiFuzzTest: %d bodies + %d id requests; names resolved: %d%n", BODIES, ID_REQUESTS,
                asked.size());
        assertTrue(failures.isEmpty(), () -> failures.size() + " failures (the first 30; replay one with the flags in"
                + " its line and -Dtest=AdminApiFuzzTest):\n" + String.join("\n", failures));
        // the generator reaches both verdicts of the oracle, acceptance, refusal and the size limit
        run.assertOccurred("oracle: valid", "oracle: invalid", "status 201", "status 400", "status 413",
                "status 415", "status 404", "status 405", "kind structured", "kind random json", "kind broken json",
                "kind bytes", "kind empty", "kind text", "kind huge", "kind edge", "kind not an object");
    }

    /** A POST of a body: no 5xx, JSON errors, 413 above 64 KB, 201 exactly for the valid bodies. */
    private void post(Request req) throws Exception {
        Body body = req.body();
        String ct = req.contentType();
        String path = req.path();
        String request = req.toString();
        count("kind " + body.kind());
        HttpResponse<byte[]> resp;
        try {
            resp = send("POST", path, body.bytes(), ct);
        } catch (java.io.IOException e) {
            if (body.bytes().length > MAX_BODY) {
                // BodyLimit answers 413 with Connection: close without reading the body; a client still
                // writing may see the reset before the answer (documented in web/BodyLimit)
                count("connection closed on a body > 64 KB");
            } else {
                count("no response");
                fail("no response (" + e.getMessage() + ") for " + body.bytes().length + " bytes: " + request);
            }
            return;
        }
        checkCommon(request, "POST", body.bytes(), resp);
        int status = resp.statusCode();
        Boolean expected = body.structured() != null && roundTrips(body) ? expectedValid(body.structured()) : null;
        count(expected == null ? "oracle: cannot tell" : expected ? "oracle: valid" : "oracle: invalid");
        boolean tooBig = body.bytes().length > MAX_BODY;
        if (status == 201) {
            count("201");
            JsonNode created = JSON.readTree(resp.body());
            String id = created.path("id").asText();
            if (ct == null || ct.isEmpty() || ct.equals("application/*") || ct.equals("*/*")) {
                count("201 without Content-Type application/json (" + ct + ")"); // observation, see report
            } else if (!isJsonType(ct) || tooBig) {
                fail("201 for a request with Content-Type " + ct + " / " + body.bytes().length + " bytes: " + request);
            }
            if (body.kind().equals("bytes") || body.kind().equals("empty") || body.kind().equals("not an object")
                    || Boolean.FALSE.equals(expected)) {
                fail("201 for a body that is not valid by the documented rules: " + request);
            }
            if (body.structured() != null && coerced(body.structured())) {
                count("201 with a number/boolean coerced to text");
            }
            if (id.isEmpty() || resp.headers().firstValue("Location").isEmpty()) {
                fail("201 without id / Location: " + request);
            }
            String del = req.deleteViaRoot() ? "/" + id : "/subscriptions/" + id;
            HttpResponse<byte[]> gone = send("DELETE", del, null, null);
            if (gone.statusCode() != 204) {
                fail("DELETE " + del + " answered " + gone.statusCode());
            }
        } else if (tooBig && status != 413) {
            fail(status + " instead of 413 for " + body.bytes().length + " bytes: " + request);
        } else if (Boolean.TRUE.equals(expected) && isJsonType(ct) && !tooBig && isUtf8Compatible(ct)) {
            fail(status + " for a valid request: " + request + " -> " + shown(resp.body()));
        }
    }

    /** A request to a subscription id that does not exist: no 5xx, JSON errors, never a success. */
    private void toId(Request req) throws Exception {
        String method = req.method();
        String path = req.path();
        String request = req.toString();
        String id = path.substring(path.startsWith("/subscriptions/") ? "/subscriptions/".length() : 1);
        boolean root = !path.startsWith("/subscriptions/");
        HttpResponse<byte[]> resp;
        try {
            resp = send(method, path, method.equals("GET") || method.equals("DELETE") ? null
                    : "{}".getBytes(StandardCharsets.UTF_8), req.contentType());
        } catch (IllegalArgumentException e) {
            count("id not sendable by the client");
            return;
        } catch (java.io.IOException e) {
            count("no response");
            fail("no response (" + e.getMessage() + ") for " + request);
            return;
        }
        checkCommon(request, method, null, resp);
        boolean dotSegment = id.matches("(\\.|%2e)+");
        if (method.equals("GET") && id.isEmpty() && resp.statusCode() < 300) {
            // GET / (the original API: an object keyed by id) and GET /subscriptions/ (an array) list the
            // subscriptions; they are not an id
            if (!isJsonList(resp.body(), root)) {
                fail(resp.statusCode() + " without the JSON list of subscriptions for " + request + ": "
                        + shown(resp.body()));
            }
        } else if (resp.statusCode() < 300 && !(method.equals("GET") && dotSegment)) {
            fail(resp.statusCode() + " for an id that does not exist: " + request);
        }
    }

    /**
     * Was a bug (see DestinationGuardFuzzTest#givenPortAbove65535_thenRefusedOrNeverATarget): a URL whose port is above
     * 65535 is registered (201); its first POST (the error notification when the table has no stream, or a
     * delivery) throws IllegalArgumentException from Vert.x in HttpPoster.requestOptions, which escapes
     * HttpPoster.post ("Exception in thread notify-..." from ErrorNotifier).
     */
    @Test
    void givenPortAbove65535_thenRefusedWith400() throws Exception {
        for (String url : List.of("http://127.0.0.1:65536/", "http://127.0.0.1:99999/", "http://localhost:2147483647/")) {
            HttpResponse<byte[]> resp = send("POST", "/subscriptions", ("{\"table_name\": \"FzPort\", \"url\": \""
                    + url + "\"}").getBytes(StandardCharsets.UTF_8), "application/json");
            if (resp.statusCode() == 201) {
                send("DELETE", "/subscriptions/" + JSON.readTree(resp.body()).path("id").asText(), null, null);
            }
            assertEquals(400, resp.statusCode(), url + ": " + new String(resp.body(), StandardCharsets.UTF_8));
        }
    }

    /**
     * Found by the random requests: a body starting with FE FF 00 00 (a UTF-16 BOM and U+0000) made Jackson throw
     * java.io.CharConversionException ("Unsupported UCS-4 endianness (3412)"), which is no JsonProcessingException,
     * and answered 500. It is a malformed body: 400.
     */
    @Test
    void givenBodyInUnsupportedUcs4ByteOrder_whenPosted_then400() throws Exception {
        for (byte[] body : List.of(new byte[] {(byte) 0xfe, (byte) 0xff, 0, 0, 0, '{', 0, '}'},
                new byte[] {0, 0, (byte) 0xff, (byte) 0xfe, '{', 0, '}', 0}, new byte[] {0, '{', 0, 0, 0, '}', 0, 0})) {
            HttpResponse<byte[]> resp = send("POST", "/subscriptions", body, "application/json");
            assertEquals(400, resp.statusCode(), Fuzz.escape(body, 100) + ": " + shown(resp.body()));
        }
    }

    /** Whether the bytes read back as the generated object (lone surrogates do not survive UTF-8). */
    private static boolean roundTrips(Body body) {
        try {
            return JSON.readTree(body.bytes()).equals(body.structured());
        } catch (Exception e) {
            return false;
        }
    }

    private static boolean isJsonList(byte[] body, boolean original) {
        try {
            JsonNode list = JSON.readTree(body);
            return original ? list.isObject() : list.isArray();
        } catch (Exception e) {
            return false;
        }
    }

    /** Jackson's ByteSourceJsonBootstrapper: a BOM or zero pattern of UCS-4 in the order 2143 or 3412. */
    static boolean unsupportedUcs4(byte[] b) {
        if (b.length < 4) {
            return false;
        }
        int quad = (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | b[3] & 0xff;
        if (quad == 0x0000FEFF || quad == 0xFFFE0000) {
            return false; // UCS-4 BE / LE with a BOM: supported
        }
        if (quad == 0x0000FFFE || quad == 0xFEFF0000) {
            return true; // BOM in the order 2143 / 3412
        }
        if (quad >>> 8 == 0 || (quad & 0x00FFFFFF) == 0) {
            return false; // UCS-4 BE / LE without a BOM
        }
        return (quad & ~0x00FF0000) == 0 || (quad & ~0x0000FF00) == 0; // 3412 / 2143 without a BOM
    }

    private static boolean isUtf8Compatible(String ct) {
        String l = ct.toLowerCase(Locale.ROOT);
        return !l.contains("charset") || l.contains("utf-8");
    }

    private static boolean coerced(ObjectNode o) {
        for (String f : FIELDS.subList(0, 5)) {
            JsonNode n = o.get(f);
            if (n != null && (n.isNumber() || n.isBoolean())) {
                return true;
            }
        }
        return false;
    }

    /** A path segment: ULID-like, random Unicode (percent-encoded), invalid UTF-8 escapes, dots, long. */
    private String randomId(Random r) {
        return switch (r.nextInt(9)) {
            case 0 -> "01" + Fuzz.stringOf(r, "0123456789ABCDEFGHJKMNPQRSTVWXYZ", 24, 24);
            case 1 -> encode(Fuzz.randomText(r, 1 + r.nextInt(40)));
            case 2 -> {
                StringBuilder sb = new StringBuilder();
                int n = 1 + r.nextInt(12);
                for (int i = 0; i < n; i++) {
                    sb.append(String.format("%%%02X", r.nextInt(256))); // bytes, often invalid UTF-8
                }
                yield sb.toString();
            }
            case 3 -> List.of("..", ".", "%2e%2e", "..%2F..%2Fq%2Fhealth", "%00", "%2F", "a%2Fb", "%25", "a;b=c",
                    "x?y=1", "x#f", "%C0%AF", "%EF%BF%BF", "%F4%90%80%80", "%ED%A0%80").get(r.nextInt(15));
            case 4 -> "x".repeat(r.nextInt(3000));
            case 5 -> encode(anyString(r));
            default -> Fuzz.stringOf(r, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 1, 30);
        };
    }

    private static String encode(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
                sb.append((char) c);
            } else {
                sb.append(String.format("%%%02X", c));
            }
        }
        return sb.toString();
    }

}
