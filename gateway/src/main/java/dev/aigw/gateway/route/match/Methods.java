package dev.aigw.gateway.route.match;

/** HTTP methods a route may list (APISIX's set), as bits of an int mask. */
public final class Methods {

    private static final String[] NAMES = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS",
        "CONNECT", "TRACE", "PURGE"};

    private Methods() {
    }

    /** The bit of a method name (upper case), or 0 for a method outside APISIX's set. */
    public static int bit(String method) {
        return switch (method) {
            case "GET" -> 1;
            case "POST" -> 1 << 1;
            case "PUT" -> 1 << 2;
            case "DELETE" -> 1 << 3;
            case "PATCH" -> 1 << 4;
            case "HEAD" -> 1 << 5;
            case "OPTIONS" -> 1 << 6;
            case "CONNECT" -> 1 << 7;
            case "TRACE" -> 1 << 8;
            case "PURGE" -> 1 << 9;
            default -> 0;
        };
    }

    /** All method names a route may list. */
    public static String[] names() {
        return NAMES.clone();
    }
}
