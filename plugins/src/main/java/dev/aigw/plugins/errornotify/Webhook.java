package dev.aigw.plugins.errornotify;

import java.util.Map;

/**
 * One notification target.
 *
 * @param type        {@code feishu} / {@code lark} (bot webhook), {@code matrix} (client-server
 *                    API: room message), {@code json} (a plain JSON POST)
 * @param url         the bot webhook URL, the Matrix homeserver base URL, or the JSON endpoint
 * @param secret      Feishu/Lark signing secret (the bot's "signature verification"), or null
 * @param roomId      Matrix room id ({@code !abc:example.org})
 * @param accessToken Matrix access token
 * @param headers     extra request headers (an auth header for a JSON endpoint)
 */
record Webhook(String type, String url, String secret, String roomId, String accessToken, Map<String, String> headers) {
}
