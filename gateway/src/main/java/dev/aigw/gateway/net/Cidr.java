package dev.aigw.gateway.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * An IPv4 or IPv6 address or CIDR block ({@code 127.0.0.1}, {@code 10.0.0.0/8}, {@code ::1/128}),
 * parsed once; {@link #contains} is allocation-light and needs no DNS.
 */
public final class Cidr {

    private final byte[] network;
    private final int bits;
    private final String text;

    private Cidr(byte[] network, int bits, String text) {
        this.network = network;
        this.bits = bits;
        this.text = text;
    }

    /** Parses {@code addr} or {@code addr/bits}; only literal addresses, never a host name. */
    public static Cidr parse(String text) {
        String s = text.trim();
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        byte[] bytes = literal(addr);
        if (bytes == null) {
            throw new IllegalArgumentException("invalid ip address: " + text);
        }
        int max = bytes.length * 8;
        int bits = max;
        if (slash >= 0) {
            try {
                bits = Integer.parseInt(s.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid cidr: " + text);
            }
            if (bits < 0 || bits > max) {
                throw new IllegalArgumentException("invalid cidr: " + text);
            }
        }
        return new Cidr(mask(bytes, bits), bits, s);
    }

    /** True when the literal address lies in this block. A non-literal or other-family address never does. */
    public boolean contains(String address) {
        byte[] a = literal(address);
        return a != null && contains(a);
    }

    /**
     * True when the literal address lies in one of {@code blocks}: the address is parsed once, not once per
     * block (a per-request check against a route's list).
     */
    public static boolean anyContains(List<Cidr> blocks, String address) {
        byte[] a = literal(address);
        if (a == null) {
            return false;
        }
        for (Cidr c : blocks) {
            if (c.contains(a)) {
                return true;
            }
        }
        return false;
    }

    /** True when {@code s} is a literal IPv4 or IPv6 address (no block, no host name). */
    public static boolean isAddress(String s) {
        return s != null && s.indexOf('/') < 0 && literal(s.trim()) != null;
    }

    private boolean contains(byte[] a) {
        if (a.length != network.length) {
            // IPv4-mapped IPv6 (::ffff:a.b.c.d) against an IPv4 block
            if (a.length == 16 && network.length == 4 && isV4Mapped(a)) {
                byte[] v4 = new byte[4];
                System.arraycopy(a, 12, v4, 0, 4);
                a = v4;
            } else {
                return false;
            }
        }
        int full = bits / 8;
        for (int i = 0; i < full; i++) {
            if (a[i] != network[i]) {
                return false;
            }
        }
        int rest = bits % 8;
        if (rest == 0) {
            return true;
        }
        int m = (0xff << (8 - rest)) & 0xff;
        return (a[full] & m) == (network[full] & m);
    }

    private static boolean isV4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return (a[10] & 0xff) == 0xff && (a[11] & 0xff) == 0xff;
    }

    private static byte[] mask(byte[] bytes, int bits) {
        byte[] out = bytes.clone();
        for (int i = 0; i < out.length; i++) {
            int keep = Math.max(0, Math.min(8, bits - i * 8));
            out[i] = (byte) (out[i] & ((0xff << (8 - keep)) & 0xff));
        }
        return out;
    }

    /** Parses a literal IPv4/IPv6 address without any DNS lookup; null if it is not one. */
    static byte[] literal(String s) {
        if (s == null || s.isEmpty()) {
            return null;
        }
        if (s.startsWith("[") && s.endsWith("]")) {
            s = s.substring(1, s.length() - 1);
        }
        boolean v6 = s.indexOf(':') >= 0;
        if (!v6) {
            return ipv4(s);
        }
        int pct = s.indexOf('%');
        if (pct >= 0) {
            s = s.substring(0, pct);
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
                return null;
            }
        }
        try {
            // a literal with only hex digits, colons and dots never triggers a DNS lookup
            return InetAddress.getByName(s).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** Dotted-quad IPv4 (four decimal parts of 1-3 digits, each at most 255), parsed without allocating. */
    private static byte[] ipv4(String s) {
        byte[] out = new byte[4];
        int n = s.length();
        int i = 0;
        for (int part = 0; part < 4; part++) {
            int start = i;
            int v = 0;
            while (i < n && s.charAt(i) != '.') {
                char c = s.charAt(i);
                if (c < '0' || c > '9' || i - start == 3) {
                    return null;
                }
                v = v * 10 + (c - '0');
                i++;
            }
            if (i == start || v > 255) {
                return null;
            }
            out[part] = (byte) v;
            if (part < 3) {
                if (i == n) {
                    return null;
                }
                i++; // the dot
            }
        }
        return i == n ? out : null;
    }

    @Override
    public String toString() {
        return text;
    }
}
