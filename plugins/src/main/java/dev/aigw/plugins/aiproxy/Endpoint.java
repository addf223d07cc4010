package dev.aigw.plugins.aiproxy;

import dev.aigw.gateway.plugin.PluginConfigException;

import java.net.URI;

/**
 * A parsed {@code override.endpoint}.
 *
 * @param ssl      https
 * @param host     host name or address
 * @param port     port (443 / 80 when the URL has none)
 * @param path     raw path, or null when the URL has none (the provider's path is used then)
 * @param rawQuery raw query (kept as given, {@code api-version} for Azure), or null
 */
public record Endpoint(boolean ssl, String host, int port, String path, String rawQuery) {

    /** Parses an http(s) URL; the exception names {@code override.endpoint}. */
    public static Endpoint parse(String url) throws PluginConfigException {
        URI u;
        try {
            u = URI.create(url.trim());
        } catch (IllegalArgumentException e) {
            throw new PluginConfigException("invalid override.endpoint: not a URL");
        }
        String scheme = u.getScheme() == null ? null : u.getScheme().toLowerCase();
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw new PluginConfigException("invalid override.endpoint: scheme must be http or https");
        }
        String host = u.getHost();
        if (host == null || host.isEmpty()) {
            throw new PluginConfigException("invalid override.endpoint: no host");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        boolean ssl = "https".equals(scheme);
        int port = u.getPort() > 0 ? u.getPort() : (ssl ? 443 : 80);
        String path = u.getRawPath();
        if (path != null && (path.isEmpty() || "/".equals(path))) {
            path = null;
        }
        String q = u.getRawQuery();
        return new Endpoint(ssl, host, port, path, q == null || q.isEmpty() ? null : q);
    }
}
