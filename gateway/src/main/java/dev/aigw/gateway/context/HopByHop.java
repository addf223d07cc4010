package dev.aigw.gateway.context;

/** Hop-by-hop headers (RFC 9110 §7.6.1) that a proxy must not forward, in either direction. */
public final class HopByHop {

    private HopByHop() {
    }

    /** True for a hop-by-hop header name (any case). */
    public static boolean is(String name) {
        // called for every header of every request and response: dispatch on the length and compare
        // in place, so no lowercase copy is made per header
        return switch (name.length()) {
            case 2 -> name.equalsIgnoreCase("te");
            case 7 -> name.equalsIgnoreCase("trailer") || name.equalsIgnoreCase("upgrade");
            case 10 -> name.equalsIgnoreCase("connection") || name.equalsIgnoreCase("keep-alive");
            case 16 -> name.equalsIgnoreCase("proxy-connection");
            case 17 -> name.equalsIgnoreCase("transfer-encoding");
            case 18 -> name.equalsIgnoreCase("proxy-authenticate");
            case 19 -> name.equalsIgnoreCase("proxy-authorization");
            default -> false;
        };
    }
}
