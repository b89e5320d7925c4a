package io.dynamostream.fuzz;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * Shared random text (ASCII, control characters, Unicode: BMP, surrogate pairs, lone surrogates, specials), random
 * strings over an alphabet with lengths biased to the edges, and the escaping of inputs for failure messages.
 */
final class Fuzz {

    private Fuzz() {
    }

    private static final String SPECIALS = "\u0000\u0001\u0007\b\t\n\u000b\f\r\u001b\u007f\u0085\u00a0\u2028\u2029"
            + "\ufeff\ufffd\uffff\"'\\{}[]:,#&*!|>%@`$?-";

    static char randomChar(Random r) {
        return switch (r.nextInt(6)) {
            case 0 -> SPECIALS.charAt(r.nextInt(SPECIALS.length()));
            case 1 -> (char) r.nextInt(0x20);
            case 2 -> (char) (0x80 + r.nextInt(0x2f80));
            case 3 -> (char) (0xd800 + r.nextInt(0x800)); // surrogates, possibly lone
            default -> (char) (0x20 + r.nextInt(0x5f));
        };
    }

    static String randomText(Random r, int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            if (r.nextInt(20) == 0) {
                sb.appendCodePoint(0x1f600 + r.nextInt(80)); // a valid surrogate pair
            } else {
                sb.append(randomChar(r));
            }
        }
        return sb.toString();
    }

    /** Text for inside a double-quoted YAML/JSON string: escapes, never a raw quote or backslash. */
    static String escapedText(Random r, int length) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < length; i++) {
            switch (r.nextInt(8)) {
                case 0 -> sb.append(String.format("\\u%04x", r.nextInt(0x10000)));
                case 1 -> sb.append("\\n");
                case 2 -> sb.append("\\t");
                case 3 -> sb.append("\\\\");
                default -> {
                    char c = randomChar(r);
                    if (c == '"' || c == '\\' || c < 0x20) {
                        c = 'q';
                    }
                    sb.append(c);
                }
            }
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- strings over an alphabet

    /**
     * A length in [min, max], biased to the edges as a property-testing library's generator is: min (often the empty
     * string) and max an eighth of the time each, a short length a quarter of the time, else uniform.
     */
    static int length(Random r, int min, int max) {
        return switch (r.nextInt(8)) {
            case 0 -> min;
            case 1 -> max;
            case 2, 3 -> min + r.nextInt(Math.min(max - min, 8) + 1);
            default -> min + r.nextInt(max - min + 1);
        };
    }

    /** A string of any UTF-16 code units (specials and lone surrogates often), up to maxLength long. */
    static String anyString(Random r, int maxLength) {
        int n = length(r, 0, maxLength);
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append(r.nextBoolean() ? randomChar(r) : (char) r.nextInt(0x10000));
        }
        return sb.toString();
    }

    /** A string of characters from {@code alphabet}, min to max long. */
    static String stringOf(Random r, String alphabet, int min, int max) {
        int n = length(r, min, max);
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    /** A string of characters from {@code from} to {@code to} (inclusive), min to max long. */
    static String stringOf(Random r, char from, char to, int min, int max) {
        int n = length(r, min, max);
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append((char) (from + r.nextInt(to - from + 1)));
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- escaping for failure messages

    /** Runs of at least this many equal characters are written once, followed by {@code \*{count}}. */
    private static final int RUN = 16;

    /**
     * The text as a double-quoted Java-like literal: printable ASCII as is, {@code \\}, {@code \"}, {@code \n},
     * {@code \r}, {@code \t}, everything else as a backslash, 'u' and four hex digits (so lone surrogates and
     * invisible characters show); a run of 16 or more equal characters as the character and {@code \*{n}} (n the run's length), and at
     * most {@code max} characters of output, then the number of characters left out.
     */
    static String escape(String text, int max) {
        if (text == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder("\"");
        int i = 0;
        while (i < text.length()) {
            if (sb.length() > max) {
                sb.append("\"...(").append(text.length() - i).append(" more of ").append(text.length())
                        .append(" chars)");
                return sb.toString();
            }
            char c = text.charAt(i);
            int j = i + 1;
            while (j < text.length() && text.charAt(j) == c) {
                j++;
            }
            appendEscaped(sb, c);
            if (j - i >= RUN) {
                sb.append("\\*{").append(j - i).append('}');
                i = j;
            } else {
                i++;
            }
        }
        return sb.append('"').toString();
    }

    private static void appendEscaped(StringBuilder sb, char c) {
        switch (c) {
            case '\\' -> sb.append("\\\\");
            case '"' -> sb.append("\\\"");
            case '\n' -> sb.append("\\n");
            case '\r' -> sb.append("\\r");
            case '\t' -> sb.append("\\t");
            default -> {
                if (c >= 0x20 && c < 0x7f) {
                    sb.append(c);
                } else {
                    sb.append(String.format("\\u%04x", (int) c));
                }
            }
        }
    }

    /** Bytes: as {@link #escape(String, int)} of their text when they are valid UTF-8, else with \xNN escapes. */
    static String escape(byte[] bytes, int max) {
        try {
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            return "UTF-8 " + escape(text, max);
        } catch (CharacterCodingException e) {
            StringBuilder sb = new StringBuilder("bytes \"");
            int i = 0;
            while (i < bytes.length) {
                if (sb.length() > max) {
                    return sb.append("\"...(").append(bytes.length - i).append(" more of ").append(bytes.length)
                            .append(" bytes)").toString();
                }
                int b = bytes[i] & 0xff;
                int j = i + 1;
                while (j < bytes.length && bytes[j] == bytes[i]) {
                    j++;
                }
                if (b >= 0x20 && b < 0x7f && b != '\\' && b != '"') {
                    sb.append((char) b);
                } else {
                    sb.append(String.format("\\x%02x", b));
                }
                if (j - i >= RUN) {
                    sb.append("\\*{").append(j - i).append('}');
                    i = j;
                } else {
                    i++;
                }
            }
            return sb.append('"').toString();
        }
    }
}
