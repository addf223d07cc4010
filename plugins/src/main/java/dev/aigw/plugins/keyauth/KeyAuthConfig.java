package dev.aigw.plugins.keyauth;

/**
 * key-auth on a route, parsed once per route build.
 *
 * @param header            the header carrying the key ({@code apikey})
 * @param query             the query argument carrying the key when the header is absent ({@code apikey})
 * @param hideCredentials   remove what carried the key before proxying
 * @param wwwAuthenticate   the {@code WWW-Authenticate} value of every 401 ({@code apikey realm="key"})
 * @param anonymousConsumer the consumer attached when no valid key is given, or null
 */
public record KeyAuthConfig(String header, String query, boolean hideCredentials, String wwwAuthenticate,
                            String anonymousConsumer) {
}
