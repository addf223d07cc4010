package dev.aigw.plugins.jwtauth;

import java.util.List;

/**
 * jwt-auth on a route, parsed once per route build.
 *
 * @param header            the header carrying the token ({@code authorization}; a {@code Bearer } prefix is dropped)
 * @param query             the query argument carrying it when the header is absent ({@code jwt})
 * @param cookie            the cookie carrying it when neither is present ({@code jwt})
 * @param hideCredentials   remove what carried the token before proxying
 * @param keyClaimName      the claim naming the consumer's key ({@code key})
 * @param storeInCtx        keep the verified payload in the {@code jwt_auth_payload} variable
 * @param wwwAuthenticate   the {@code WWW-Authenticate} value of every 401 ({@code Bearer realm="jwt"})
 * @param anonymousConsumer the consumer attached when authentication fails, or null
 * @param claimsToVerify    {@code exp} / {@code nbf} that must be present and valid; empty: each checked when present
 */
public record JwtAuthConfig(String header, String query, String cookie, boolean hideCredentials, String keyClaimName,
                            boolean storeInCtx, String wwwAuthenticate, String anonymousConsumer,
                            List<String> claimsToVerify) {
}
