package io.dynamostream.guard;

import java.net.InetAddress;

/**
 * An address block ({@code 10.0.0.0/8}, {@code fd00::/8}) or a single address ({@code 192.0.2.7} = /32). IPv4 blocks
 * also match IPv4-mapped / -compatible / NAT64 IPv6 forms of their addresses, because those reach the same host.
 */
record DestinationCidr(byte[] network, int prefix, String text) {

    /**
     * Parses {@code address[/prefix]}; the address must be a canonical literal (dotted quad or IPv6, brackets
     * allowed) and must not have bits set after the prefix (that is almost always a typo).
     *
     * @throws IllegalArgumentException naming the entry and what is wrong with it
     */
    static DestinationCidr parse(String text) {
        String t = text.trim();
        int slash = t.indexOf('/');
        String addressText = slash < 0 ? t : t.substring(0, slash);
        if (addressText.startsWith("[") && addressText.endsWith("]")) {
            addressText = addressText.substring(1, addressText.length() - 1);
        }
        InetAddress address = DestinationPolicy.literal(addressText);
        if (address == null) {
            throw new IllegalArgumentException("'" + Redaction.printable(text)
                    + "' is not an IP address or CIDR (write IPv4 as a dotted quad, e.g. 10.0.0.0/8)");
        }
        byte[] bytes = address.getAddress();
        int bits = bytes.length * 8;
        // "::ffff:10.0.0.0/104" comes back from the parser as an IPv4 address: shift the prefix accordingly
        int offset = addressText.contains(":") && bytes.length == 4 ? 96 : 0;
        int prefix = bits;
        if (slash >= 0) {
            String p = t.substring(slash + 1);
            if (!p.matches("\\d{1,3}") || Integer.parseInt(p) - offset > bits || Integer.parseInt(p) < offset) {
                throw new IllegalArgumentException("'" + Redaction.printable(text) + "' has an invalid prefix"
                        + " length (0 to " + (bits + offset) + ")");
            }
            prefix = Integer.parseInt(p) - offset;
        }
        for (int i = prefix; i < bits; i++) {
            if (bit(bytes, i)) {
                throw new IllegalArgumentException("'" + Redaction.printable(text)
                        + "' has bits set after the /" + (prefix + offset) + " prefix");
            }
        }
        return new DestinationCidr(bytes, prefix, t);
    }

    /** Whether the address, or the IPv4 address embedded in it, lies in this block. */
    boolean contains(InetAddress address) {
        if (containsExactly(address.getAddress())) {
            return true;
        }
        InetAddress embedded = DestinationPolicy.embeddedIpv4(address);
        return embedded != null && containsExactly(embedded.getAddress());
    }

    private boolean containsExactly(byte[] candidate) {
        if (candidate.length != network.length) {
            return false;
        }
        for (int i = 0; i < prefix; i++) {
            if (bit(candidate, i) != bit(network, i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean bit(byte[] bytes, int index) {
        return (bytes[index / 8] & (0x80 >>> (index % 8))) != 0;
    }

    @Override
    public String toString() {
        return text;
    }
}
