package io.dynamostream.fuzz;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.dynamostream.subscription.SubscriptionFile;
import io.dynamostream.subscription.SubscriptionRequest;

/**
 * Issue 4, property 3: random YAML documents through {@link SubscriptionFile#read(Path, Function)}. Either every
 * returned entry passes {@link SubscriptionRequest#validate()} again, or the read throws InvalidFileException naming
 * the file; nothing else escapes (no StackOverflowError on deep nesting, no Jackson or SnakeYAML exception).
 *
 * <p>Plain JUnit: {@link FuzzRun} numbers the cases, seeds each one (default {@link #SEED}, {@code -Dfuzz.seed=N}
 * to change it, {@code -Dfuzz.case=I} to replay one case) and mixes hand-picked documents ({@link #EDGES}) in with
 * the random ones.
 */
class SubscriptionFileFuzzTest {

    static final long SEED = 20260402L;
    static final int TRIES = 2_000;

    @TempDir
    Path dir;
    private static final Map<String, String> ENV = Map.of("TOKEN", "abc123", "EMPTY", "", "URL",
            "http://127.0.0.1:9/hook", "TABLE", "People", "SECRET", "whsec_" + "A".repeat(44), "CRLF", "a\r\nb",
            "DOLLAR", "${TOKEN}", "BIG", "x".repeat(5000));

    /** A document as bytes, with a label for the outcome counts. */
    record Doc(String kind, byte[] bytes) {
        @Override
        public String toString() {
            return kind + " document (" + bytes.length + " bytes): " + Fuzz.escape(bytes, FuzzRun.SHOWN);
        }
    }

    private static Doc edge(String text) {
        return new Doc("edge", text.getBytes(StandardCharsets.UTF_8));
    }

    private static final String VALID_ENTRY = "entries:\n  - table_name: People\n    url: http://127.0.0.1:9/hook\n";

    /**
     * Documents every run tries: empty and near-empty files, byte order marks and other encodings, a minimal and a
     * complete valid entry, line-ending and indentation variants, duplicate keys, a self-referencing alias, very
     * deep nesting, many entries, NUL bytes, and values at the documented limits.
     */
    static final List<Doc> EDGES = List.of(
            new Doc("edge", new byte[0]), edge("\n"), edge(" "), edge("~"), edge("---\n"), edge("---\n...\n"),
            edge("entries:"), edge("entries: []"), edge("entries: ~"), edge("entries: {}"), edge("entries: \"\""),
            edge("entries:\n  - {}\n"), edge("entries:\n  -\n"), edge("[]"), edge("- a\n"), edge("\"entries\""),
            edge(VALID_ENTRY), edge("\ufeff" + VALID_ENTRY), edge(VALID_ENTRY.replace("\n", "\r\n")),
            edge(VALID_ENTRY.replace("\n", "\r")), edge(VALID_ENTRY.replace("  ", "\t")),
            edge(VALID_ENTRY + VALID_ENTRY), edge(VALID_ENTRY + "entries: []\n"),
            edge("entries: [{table_name: People, url: 'http://127.0.0.1:9/hook'}]"),
            edge("entries:\n  - table_name: People\n    url: http://127.0.0.1:9/hook\n    starting_position: "
                    + "TRIM_HORIZON\n    secret: whsec_" + "QUJD".repeat(8) + "\n    previous_secret: whsec_"
                    + "QUJD".repeat(16) + "\n    headers:\n      Authorization: Bearer ${TOKEN}\n"),
            edge("entries:\n  - table_name: People\n    url: http://127.0.0.1:9/hook\n    table_name: Orders\n"),
            edge("entries:\n  - table_name: " + "a".repeat(255) + "\n    url: http://127.0.0.1:9/hook\n"),
            edge("entries:\n  - table_name: " + "a".repeat(256) + "\n    url: http://127.0.0.1:9/hook\n"),
            edge("entries:\n  - table_name: abc\n    url: http://127.0.0.1:9/" + "p".repeat(2020) + "\n"),
            edge("entries:\n  - table_name: People\n    url: http://127.0.0.1:65535/\n"),
            edge("entries:\n  - table_name: People\n    url: http://127.0.0.1:65536/\n"),
            edge("entries:\n  - table_name: People\n    url: http://127.0.0.1:0/\n"),
            edge("entries:\n  - table_name: People\n    url: http://169.254.169.254/\n"),
            edge("entries: &a\n  - *a\n"), edge("a: &a [*a]\nentries: *a\n"),
            edge("entries: " + "[".repeat(20_000) + "]".repeat(20_000) + "\n"),
            edge("entries:\n  - table_name: " + "{a: ".repeat(20_000) + "1" + "}".repeat(20_000) + "\n"),
            edge("entries:\n" + "  - table_name: People\n    url: http://127.0.0.1:9/hook\n".repeat(2000)),
            edge("entries:\n  - table_name: Peo\u0000ple\n    url: http://127.0.0.1:9/hook\n"),
            edge("entries:\n  - table_name: ${TABLE}\n    url: ${URL}\n    headers:\n      X-Big: ${BIG}\n"),
            edge("entries:\n  - table_name: ${TABLE}\n    url: ${URL}\n    headers:\n      X-Crlf: ${CRLF}\n"),
            edge("entries:\n  - table_name: ${EMPTY}\n    url: ${URL}\n"),
            edge("entries:\n  - table_name: ${DOLLAR}\n    url: ${URL}\n"),
            new Doc("edge", ("\ufeff" + VALID_ENTRY).getBytes(StandardCharsets.UTF_16BE)),
            new Doc("edge", VALID_ENTRY.getBytes(StandardCharsets.UTF_16)),
            new Doc("edge", new byte[] {(byte) 0xff, (byte) 0xfe, 0, 0}), new Doc("edge", new byte[] {0, 0, 0}),
            new Doc("edge", new byte[] {(byte) 0xc3}), new Doc("edge", new byte[] {(byte) 0xed, (byte) 0xa0,
                    (byte) 0x80}));

    /** Case {@code index} of the run: an edge case (spread evenly over the run) or a random document. */
    static Doc docFor(int index, Random r) {
        int edge = FuzzRun.edgeCase(index, TRIES, EDGES.size());
        return edge >= 0 ? EDGES.get(edge) : randomDoc(r);
    }

    static Doc randomDoc(Random r) {
        int k = r.nextInt(20);
        if (k < 5) {
            return new Doc("mostly valid", mostlyValid(r).getBytes(StandardCharsets.UTF_8));
        }
        if (k < 11) {
            return new Doc("entries", structured(r).getBytes(StandardCharsets.UTF_8));
        }
        if (k < 13) {
            return new Doc("nested", nested(r, r.nextInt(4) == 0 ? 200 + r.nextInt(2000) : 1 + r.nextInt(200))
                    .getBytes(StandardCharsets.UTF_8));
        }
        if (k < 15) {
            byte[] b = new byte[r.nextInt(2000)];
            r.nextBytes(b);
            return new Doc("binary", b);
        }
        if (k < 17) {
            return new Doc("mutated", mutate(structured(r), r).getBytes(StandardCharsets.UTF_8));
        }
        if (k < 18) {
            return new Doc("aliases", aliasBomb(r).getBytes(StandardCharsets.UTF_8));
        }
        return new Doc("text", Fuzz.randomText(r, r.nextInt(500)).getBytes(StandardCharsets.UTF_8));
    }

    private static final List<String> KEYS = List.of("table_name", "url", "starting_position", "secret",
            "previous_secret", "headers", "TABLE_NAME", "urls", "table_name ", "\"url\"", "'url'", "<<", "?",
            "entries", "\"\\u0000\"", "!!str url", "1", "~", "null", "x".repeat(300));

    static String structured(Random r) {
        StringBuilder y = new StringBuilder();
        if (r.nextInt(10) == 0) {
            y.append("%YAML 1.1\n---\n");
        }
        if (r.nextInt(15) == 0) {
            y.append("other: 1\n");
        }
        y.append(r.nextInt(10) == 0 ? "Entries:" : "entries:");
        int n = r.nextInt(10) == 0 ? 0 : 1 + r.nextInt(4);
        if (n == 0) {
            y.append(r.nextBoolean() ? " []\n" : r.nextBoolean() ? "\n" : " ~\n");
            return y.toString();
        }
        y.append('\n');
        for (int i = 0; i < n; i++) {
            if (r.nextInt(12) == 0) {
                y.append("  - ").append(scalar(r)).append('\n');
                continue;
            }
            if (r.nextInt(15) == 0) {
                y.append("  - &e").append(i).append('\n');
            } else if (i > 0 && r.nextInt(15) == 0) {
                y.append("  - *e0\n");
                continue;
            } else {
                y.append("  -\n");
            }
            boolean complete = r.nextInt(3) > 0;
            if (complete || r.nextBoolean()) {
                y.append("    table_name: ").append(r.nextInt(4) > 0 ? tableName(r) : scalar(r)).append('\n');
            }
            if (complete || r.nextBoolean()) {
                y.append("    url: ").append(r.nextInt(4) > 0 ? url(r) : scalar(r)).append('\n');
            }
            int extra = r.nextInt(4);
            for (int e = 0; e < extra; e++) {
                String key = r.nextInt(3) > 0 ? KEYS.get(r.nextInt(6)) : KEYS.get(r.nextInt(KEYS.size()));
                if (key.equals("headers")) {
                    y.append("    headers:");
                    if (r.nextInt(6) == 0) {
                        y.append(' ').append(scalar(r)).append('\n');
                    } else {
                        y.append('\n');
                        int h = r.nextInt(r.nextInt(8) == 0 ? 25 : 4);
                        for (int j = 0; j < h; j++) {
                            y.append("      ").append(headerName(r)).append(": ").append(value(r, 6)).append('\n');
                        }
                    }
                } else {
                    y.append("    ").append(key).append(": ").append(value(r, 6)).append('\n');
                }
            }
        }
        return y.toString();
    }

    /** Entries built from valid parts (env references, quoting styles, anchors), now and then one bad value. */
    static String mostlyValid(Random r) {
        StringBuilder y = new StringBuilder("entries:\n");
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
            y.append("  - table_name: ").append(List.of("People", "${TABLE}", "'Orders'", "\"Ab_c.d-e\"",
                    "${NOPE:Fallback}", "!!str Items").get(r.nextInt(6))).append('\n');
            y.append("    url: ").append(List.of("http://127.0.0.1:9/hook", "${URL}", "\"https://h.example/x?t=${TOKEN}\"",
                    "http://[::1]:9/", "http://localhost:9/a?b=$${c}", "HTTP://EXAMPLE.com").get(r.nextInt(6)))
                    .append('\n');
            if (r.nextBoolean()) {
                y.append("    starting_position: ").append(List.of("LATEST", "trim_horizon", " Latest ", "~",
                        "TRIM_HORIZON", "EARLIEST").get(r.nextInt(6))).append('\n');
            }
            if (r.nextInt(3) == 0) {
                y.append("    secret: ").append(List.of("${SECRET}", "whsec_" + "QUJD".repeat(8), "whsec_short",
                        "~").get(r.nextInt(4))).append('\n');
            }
            if (r.nextInt(3) == 0) {
                y.append("    headers:\n      Authorization: Bearer ${TOKEN}\n");
                if (r.nextBoolean()) {
                    y.append("      X-Other: ").append(List.of("\"v\"", "${CRLF}", "${BIG}", "1", "~", "${EMPTY}",
                            "\"a\\tb\"").get(r.nextInt(7))).append('\n');
                }
            }
        }
        return y.toString();
    }

    private static String tableName(Random r) {
        return List.of("People", "${TABLE}", "${NOPE:Orders}", "ab", "a".repeat(256), "Peo ple", "People_1.x-y",
                "${NOPE}", "Ünï", "${EMPTY}").get(r.nextInt(10));
    }

    private static String url(Random r) {
        return List.of("http://127.0.0.1:9/hook", "https://hooks.example.com/p?token=${TOKEN}", "${URL}",
                "http://169.254.169.254/latest", "ftp://x/", "http://", "http://[::1]:9/", "http://a b/",
                "\"http://127.0.0.1:9/\\u0000\"", "http://127.0.0.1:99999/", "${URL:http://x/}", "$${URL}",
                "http://x/" + "a".repeat(2100), "'http://127.0.0.1:9/it''s'", "http://user:pw@host/",
                "${", "${1BAD}", "${TOKEN").get(r.nextInt(18));
    }

    private static String headerName(Random r) {
        return List.of("Authorization", "X-Token", "Content-Type", "webhook-id", "Bad Name", "\"X:Y\"", "x", "X-Token",
                "x-token", "\"\"", "'ü'", "? complex", "[a, b]", "{a: 1}", "!!binary aGk=").get(r.nextInt(15));
    }

    private static String value(Random r, int depth) {
        int k = r.nextInt(12);
        if (depth > 0 && k == 0) {
            return "[" + value(r, depth - 1) + ", " + value(r, depth - 1) + "]";
        }
        if (depth > 0 && k == 1) {
            return "{k: " + value(r, depth - 1) + "}";
        }
        return scalar(r);
    }

    static String scalar(Random r) {
        return switch (r.nextInt(22)) {
            case 0 -> "~";
            case 1 -> "null";
            case 2 -> Integer.toString(r.nextInt());
            case 3 -> "1.5e300";
            case 4 -> "true";
            case 5 -> "!!binary aGVsbG8=";
            case 6 -> "!!str 123";
            case 7 -> "!custom tagged";
            case 8 -> "!!map {}";
            case 9 -> "&anchor value";
            case 10 -> "*undefined_alias";
            case 11 -> "|\n      line one\n      line two";
            case 12 -> ">-\n      folded\n      text";
            case 13 -> "\"" + Fuzz.escapedText(r, r.nextInt(40)) + "\"";
            case 14 -> "'" + Fuzz.randomText(r, r.nextInt(40)).replace("'", "''").replace("\n", " ") + "'";
            case 15 -> "${TOKEN}";
            case 16 -> "${NOPE}";
            case 17 -> "${" + Fuzz.randomText(r, 5).replace("\n", "") + "}";
            case 18 -> "whsec_" + "QUJD".repeat(8);
            case 19 -> "${SECRET}";
            case 20 -> "\"" + "y".repeat(r.nextInt(70_000)) + "\"";
            default -> "TRIM_HORIZON";
        };
    }

    /** Depth up to a few thousand: flow sequences, flow mappings, block sequences, or a mix. */
    static String nested(Random r, int depth) {
        return switch (r.nextInt(4)) {
            case 0 -> "entries: " + "[".repeat(depth) + "]".repeat(depth) + "\n";
            case 1 -> "entries:\n  - table_name: " + "{a: ".repeat(depth) + "1" + "}".repeat(depth) + "\n";
            case 2 -> {
                StringBuilder sb = new StringBuilder("entries:\n");
                for (int i = 0; i < Math.min(depth, 400); i++) {
                    sb.append("  ".repeat(i + 1)).append("- \n");
                }
                yield sb.toString();
            }
            default -> "entries:\n  - headers: " + "[{x: ".repeat(depth) + "1" + "}]".repeat(depth) + "\n";
        };
    }

    static String aliasBomb(Random r) {
        StringBuilder sb = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x]\n");
        int levels = 2 + r.nextInt(8);
        for (int i = 1; i < levels; i++) {
            sb.append((char) ('a' + i)).append(": &").append((char) ('a' + i)).append(" [");
            for (int j = 0; j < 9; j++) {
                sb.append(j == 0 ? "" : ", ").append('*').append((char) ('a' + i - 1));
            }
            sb.append("]\n");
        }
        sb.append("entries: *").append((char) ('a' + levels - 1)).append('\n');
        return r.nextBoolean() ? sb.toString() : sb.substring(sb.indexOf("\n") + 1);
    }

    static String mutate(String text, Random r) {
        StringBuilder sb = new StringBuilder(text);
        int n = 1 + r.nextInt(5);
        for (int i = 0; i < n && sb.length() > 0; i++) {
            int at = r.nextInt(sb.length());
            switch (r.nextInt(4)) {
                case 0 -> sb.deleteCharAt(at);
                case 1 -> sb.insert(at, "\t:-[]{}&*!|>'\"%@`#,?\u0000\ufeff\u2028\r".charAt(r.nextInt(20)));
                case 2 -> sb.setCharAt(at, (char) r.nextInt(0x3000));
                default -> sb.insert(at, sb.substring(at, Math.min(sb.length(), at + r.nextInt(40))));
            }
        }
        return sb.toString();
    }

    @Test
    void givenRandomYaml_whenFileRead_thenValidEntriesOrInvalidFileExceptionNamingTheFile() {
        FuzzRun run = FuzzRun.start("SubscriptionFileFuzzTest random YAML", SEED, TRIES);
        run.forAll(SubscriptionFileFuzzTest::docFor, Doc::toString, (i, doc) -> checkDoc(run, i, doc));
        run.finish();
        // both verdicts occur, and every kind of document is generated
        run.assertOccurred("verdict: entries", "verdict: invalid file", "mostly valid: entries",
                "mostly valid: invalid file");
        for (String kind : List.of("mostly valid", "entries", "nested", "binary", "mutated", "aliases", "text",
                "edge")) {
            run.assertOccurred("kind: " + kind);
        }
    }

    private void checkDoc(FuzzRun run, int index, Doc doc) throws IOException {
        Path file = dir.resolve("subs-" + (index % 16) + ".yaml");
        Files.write(file, doc.bytes());
        run.count("kind: " + doc.kind());
        List<SubscriptionRequest.Valid> entries;
        try {
            entries = SubscriptionFile.read(file, ENV::get);
        } catch (SubscriptionFile.InvalidFileException e) {
            assertTrue(e.getMessage().startsWith("Subscription file " + file.toAbsolutePath()),
                    () -> "message does not name the file: " + e.getMessage());
            assertTrue(e.line() >= 0, () -> "line " + e.line() + " in " + e.getMessage());
            run.count(doc.kind() + ": invalid file");
            run.count("verdict: invalid file");
            return;
        } catch (Throwable t) {
            fail("undocumented " + t, t);
            return;
        }
        run.count(doc.kind() + ": " + (entries.isEmpty() ? "no entries" : "entries"));
        run.count("verdict: " + (entries.isEmpty() ? "no entries" : "entries"));
        for (SubscriptionRequest.Valid v : entries) {
            // the same rules once more, from the normalised values
            SubscriptionRequest again = new SubscriptionRequest(v.tableName(), v.url().toString(),
                    v.startingPosition().name(), null, null, v.headers());
            assertDoesNotThrow(again::validate, () -> "entry " + v + " does not validate again");
            assertTrue(v.secrets().size() <= 2, () -> v.secrets().size() + " secrets in " + v);
        }
    }
}
