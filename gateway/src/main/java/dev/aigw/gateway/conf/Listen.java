package dev.aigw.gateway.conf;

/**
 * An address to listen on; {@code ip} is {@code 0.0.0.0} when the configuration names only a port.
 *
 * @param http2 accept cleartext HTTP/2 (h2c, by prior knowledge or {@code Upgrade}) besides HTTP/1.x
 */
public record Listen(String ip, int port, boolean http2) {

    /** An HTTP/1.x-only listener. */
    public Listen(String ip, int port) {
        this(ip, port, false);
    }

    /** True when this listener and {@code other} would bind the same socket (same port, same or a wildcard address). */
    public boolean overlaps(Listen other) {
        return port == other.port && (ip.equals(other.ip) || isWildcard(ip) || isWildcard(other.ip));
    }

    private static boolean isWildcard(String ip) {
        return "0.0.0.0".equals(ip) || "::".equals(ip) || "[::]".equals(ip) || "*".equals(ip);
    }

    @Override
    public String toString() {
        return (ip.indexOf(':') >= 0 && !ip.startsWith("[") ? "[" + ip + "]" : ip) + ":" + port;
    }
}
