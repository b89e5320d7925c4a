package io.dynamostream.fuzz;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Random;

/**
 * An independent model of the address ranges of issue 4, written from the documented rules (not from
 * DestinationPolicy), plus random address and notation generators.
 */
final class Addresses {

    private Addresses() {
    }

    /** Prefixes refused whatever the configuration says: {bytes, prefix length}. */
    private static final Object[][] ALWAYS_REFUSED_V4 = {
            {new int[] {169, 254, 0, 0}, 16}, {new int[] {100, 100, 100, 200}, 32}, {new int[] {0, 0, 0, 0}, 8},
            {new int[] {224, 0, 0, 0}, 4}, {new int[] {240, 0, 0, 0}, 4}};
    private static final Object[][] PRIVATE_V4 = {
            {new int[] {127, 0, 0, 0}, 8}, {new int[] {10, 0, 0, 0}, 8}, {new int[] {172, 16, 0, 0}, 12},
            {new int[] {192, 168, 0, 0}, 16}, {new int[] {100, 64, 0, 0}, 10}};

    /** Whether the address is in a range that must never be connected to (169.254/16, fe80::/10, ...). */
    static boolean alwaysRefused(InetAddress address) {
        byte[] b = address.getAddress();
        if (b.length == 4) {
            return inV4(b, ALWAYS_REFUSED_V4);
        }
        int b0 = b[0] & 0xff;
        int b1 = b[1] & 0xff;
        if (b0 == 0xfe && (b1 & 0xc0) == 0x80) {
            return true; // fe80::/10
        }
        if (b0 == 0xff) {
            return true; // ff00::/8
        }
        if (allZero(b, 0, 16)) {
            return true; // ::
        }
        if (eq(b, v6("fd00:ec2::254"))) {
            return true;
        }
        byte[] v4 = embedded(b);
        return v4 != null && inV4(v4, ALWAYS_REFUSED_V4);
    }

    /** Loopback / private ranges refused when allow-private=false (and no allow-list). */
    static boolean privateRange(InetAddress address) {
        byte[] b = address.getAddress();
        if (b.length == 4) {
            return inV4(b, PRIVATE_V4);
        }
        if (allZero(b, 0, 15) && b[15] == 1) {
            return true; // ::1
        }
        int b0 = b[0] & 0xff;
        if ((b0 & 0xfe) == 0xfc) {
            return true; // fc00::/7
        }
        if (b0 == 0xfe && ((b[1] & 0xc0) == 0xc0)) {
            return true; // fec0::/10
        }
        byte[] v4 = embedded(b);
        return v4 != null && inV4(v4, PRIVATE_V4);
    }

    /** IPv4 inside ::ffff:a.b.c.d, ::a.b.c.d (not :: or ::1) and 64:ff9b::a.b.c.d. */
    static byte[] embedded(byte[] b) {
        boolean zero10 = allZero(b, 0, 10);
        boolean mapped = zero10 && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
        boolean compat = zero10 && b[10] == 0 && b[11] == 0 && !(allZero(b, 12, 15) && (b[15] == 0 || b[15] == 1));
        boolean nat64 = b[0] == 0 && b[1] == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b
                && allZero(b, 4, 12);
        if (mapped || compat || nat64) {
            return new byte[] {b[12], b[13], b[14], b[15]};
        }
        return null;
    }

    private static boolean inV4(byte[] b, Object[][] ranges) {
        long value = toLong(b);
        for (Object[] r : ranges) {
            int[] n = (int[]) r[0];
            int prefix = (Integer) r[1];
            long net = ((long) n[0] << 24) | (n[1] << 16) | (n[2] << 8) | n[3];
            long mask = prefix == 0 ? 0 : (0xffffffffL << (32 - prefix)) & 0xffffffffL;
            if ((value & mask) == (net & mask)) {
                return true;
            }
        }
        return false;
    }

    static long toLong(byte[] b) {
        return ((long) (b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    }

    private static boolean allZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean eq(byte[] a, byte[] b) {
        return java.util.Arrays.equals(a, b);
    }

    static byte[] v6(String text) {
        try {
            byte[] b = InetAddress.getByName(text).getAddress();
            if (b.length == 4) { // the JDK reads ::ffff:a.b.c.d back as IPv4
                byte[] mapped = new byte[16];
                mapped[10] = (byte) 0xff;
                mapped[11] = (byte) 0xff;
                System.arraycopy(b, 0, mapped, 12, 4);
                return mapped;
            }
            return b;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static InetAddress byAddress(byte[] b) {
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** An IPv6 address object that stays IPv6 even for ::ffff:a.b.c.d (as a resolver may return it). */
    static InetAddress v6Object(byte[] b) {
        try {
            return Inet6Address.getByAddress(null, b, -1);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    // ---------------------------------------------------------------- random addresses

    private static final int[][] INTERESTING_V4 = {
            {169, 254, 169, 254}, {169, 254, 170, 2}, {127, 0, 0, 1}, {0, 0, 0, 0}, {0, 1, 2, 3},
            {255, 255, 255, 255}, {224, 0, 0, 1}, {239, 255, 255, 250}, {240, 0, 0, 1}, {100, 100, 100, 200},
            {10, 0, 0, 1}, {172, 16, 0, 1}, {192, 168, 1, 1}, {100, 64, 0, 1}, {8, 8, 8, 8}, {93, 184, 215, 14},
            {169, 253, 255, 255}, {169, 255, 0, 0}, {223, 255, 255, 255}, {1, 0, 0, 0}};

    static byte[] randomV4(Random r) {
        if (r.nextInt(3) > 0) {
            int[] base = INTERESTING_V4[r.nextInt(INTERESTING_V4.length)];
            byte[] b = new byte[4];
            for (int i = 0; i < 4; i++) {
                b[i] = (byte) base[i];
            }
            if (r.nextBoolean()) {
                b[3 - r.nextInt(2)] = (byte) r.nextInt(256);
            }
            return b;
        }
        byte[] b = new byte[4];
        r.nextBytes(b);
        return b;
    }

    private static final String[] INTERESTING_V6 = {
            "::", "::1", "fe80::1", "febf:ffff::1", "fec0::1", "fd00:ec2::254", "fd00:ec2::253", "fc00::1",
            "ff02::1", "ff00::", "2001:db8::1", "2606:4700::1111", "64:ff9b::1", "2002:a9fe:a9fe::1", "fe7f::1",
            "::ffff:0:0"};

    static byte[] randomV6(Random r) {
        switch (r.nextInt(6)) {
            case 0: {
                byte[] b = new byte[16];
                r.nextBytes(b);
                return b;
            }
            case 1: // mapped
            case 2: { // compat / NAT64
                byte[] v4 = randomV4(r);
                byte[] b = new byte[16];
                int kind = r.nextInt(3);
                if (kind == 0) {
                    b[10] = (byte) 0xff;
                    b[11] = (byte) 0xff;
                } else if (kind == 2) {
                    b[1] = 0x64;
                    b[2] = (byte) 0xff;
                    b[3] = (byte) 0x9b;
                }
                System.arraycopy(v4, 0, b, 12, 4);
                return b;
            }
            default: {
                byte[] b = v6(INTERESTING_V6[r.nextInt(INTERESTING_V6.length)]);
                if (r.nextBoolean()) {
                    b[15 - r.nextInt(4)] = (byte) r.nextInt(256);
                }
                return b;
            }
        }
    }

    static InetAddress randomAddress(Random r) {
        if (r.nextInt(5) < 3) {
            return byAddress(randomV4(r));
        }
        byte[] b = randomV6(r);
        return r.nextBoolean() ? v6Object(b) : byAddress(b);
    }

    // ---------------------------------------------------------------- notations

    /** IPv4 written in any inet_aton notation: dotted, integer, octal, hex, mixed, 1 to 4 parts. */
    static String v4Notation(byte[] b, Random r) {
        long v = toLong(b);
        int parts = r.nextInt(3) == 0 ? 1 + r.nextInt(4) : 4;
        long[] values = switch (parts) {
            case 1 -> new long[] {v};
            case 2 -> new long[] {v >>> 24, v & 0xffffff};
            case 3 -> new long[] {v >>> 24, (v >>> 16) & 0xff, v & 0xffff};
            default -> new long[] {v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff};
        };
        int style = r.nextInt(4); // 0 dotted decimal only, 1 all hex, 2 all octal, 3 mixed
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                sb.append('.');
            }
            int s = style == 3 ? r.nextInt(4) : style;
            sb.append(number(values[i], s, r));
        }
        if (r.nextInt(8) == 0) {
            sb.append('.');
        }
        return sb.toString();
    }

    private static String number(long value, int style, Random r) {
        return switch (style) {
            case 1 -> (r.nextBoolean() ? "0x" : "0X") + "0".repeat(r.nextInt(3))
                    + (r.nextBoolean() ? Long.toHexString(value) : Long.toHexString(value).toUpperCase());
            case 2 -> "0" + "0".repeat(r.nextInt(2)) + Long.toOctalString(value);
            case 3 -> "0".repeat(r.nextInt(3)) + value; // leading zeros: octal for inet_aton
            default -> Long.toString(value);
        };
    }

    /** IPv6 text: full, compressed, with embedded dotted IPv4, mixed case, leading zeros. */
    static String v6Notation(byte[] b, Random r) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        boolean dotted = r.nextInt(3) == 0;
        int n = dotted ? 6 : 8;
        String[] parts = new String[n];
        for (int i = 0; i < n; i++) {
            String h = Integer.toHexString(groups[i]);
            if (r.nextInt(5) == 0) {
                h = "0".repeat(4 - h.length()) + h;
            }
            parts[i] = r.nextInt(4) == 0 ? h.toUpperCase() : h;
        }
        String tail = dotted ? (b[12] & 0xff) + "." + (b[13] & 0xff) + "." + (b[14] & 0xff) + "." + (b[15] & 0xff)
                : null;
        // compress the longest zero run half of the time
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < n; i++) {
            int j = i;
            while (j < n && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestLen = j - i;
                bestStart = i;
            }
        }
        StringBuilder sb = new StringBuilder();
        if (bestLen >= 1 && r.nextBoolean()) {
            for (int i = 0; i < bestStart; i++) {
                sb.append(parts[i]).append(i + 1 < bestStart ? ":" : "");
            }
            sb.append("::");
            for (int i = bestStart + bestLen; i < n; i++) {
                sb.append(parts[i]).append(i + 1 < n ? ":" : "");
            }
            if (tail != null) {
                if (!sb.toString().endsWith(":")) {
                    sb.append(':');
                }
                sb.append(tail);
            }
        } else {
            sb.append(String.join(":", parts));
            if (tail != null) {
                sb.append(':').append(tail);
            }
        }
        return sb.toString();
    }

    /**
     * What a system resolver (getaddrinfo / inet_aton) makes of a numeric host name, as an attacker would use it:
     * 1 to 4 parts of decimal, octal (leading 0) or hex (0x) numbers; null when the name is not numeric.
     */
    static InetAddress inetAton(String name) {
        String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        String[] parts = n.split("\\.", -1);
        if (parts.length < 1 || parts.length > 4) {
            return null;
        }
        long[] v = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i].toLowerCase();
            try {
                if (p.startsWith("0x")) {
                    v[i] = p.length() == 2 ? 0 : Long.parseLong(p.substring(2), 16);
                } else if (p.length() > 1 && p.startsWith("0")) {
                    v[i] = Long.parseLong(p.substring(1), 8);
                } else {
                    v[i] = Long.parseLong(p);
                }
            } catch (NumberFormatException e) {
                return null;
            }
            if (v[i] < 0) {
                return null;
            }
        }
        long value;
        switch (parts.length) {
            case 1 -> value = v[0];
            case 2 -> value = v[0] << 24 | v[1];
            case 3 -> value = v[0] << 24 | v[1] << 16 | v[2];
            default -> value = v[0] << 24 | v[1] << 16 | v[2] << 8 | v[3];
        }
        for (int i = 0; i < parts.length - 1; i++) {
            if (v[i] > 255) {
                return null;
            }
        }
        if (value > 0xffffffffL) {
            return null;
        }
        return byAddress(new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8),
                (byte) value});
    }
}
