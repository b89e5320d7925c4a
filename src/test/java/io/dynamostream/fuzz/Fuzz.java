package io.dynamostream.fuzz;

import java.util.Random;

/** Shared random text: ASCII, control characters, Unicode (BMP, surrogate pairs, lone surrogates), specials. */
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
}
