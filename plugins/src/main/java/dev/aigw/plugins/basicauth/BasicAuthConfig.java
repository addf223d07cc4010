package dev.aigw.plugins.basicauth;

/**
 * basic-auth on a route, parsed once per route build.
 *
 * @param hideCredentials   remove the {@code Authorization} header before proxying
 * @param wwwAuthenticate   the {@code WWW-Authenticate} value of every 401 ({@code Basic realm="basic"})
 * @param anonymousConsumer the consumer attached when authentication fails, or null
 */
public record BasicAuthConfig(boolean hideCredentials, String wwwAuthenticate, String anonymousConsumer) {
}
