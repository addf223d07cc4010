package dev.aigw.plugins.requestlog;

import dev.aigw.gateway.log.LogEntry;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masks credentials in logged prompt and reply text: well-known key shapes (OpenAI/Anthropic
 * {@code sk-…}, Google {@code AIza…}, AWS {@code AKIA…}, GitHub and Slack tokens, JWTs, bearer
 * tokens), values of {@code api_key}/{@code password}/{@code secret}/{@code token}-like fields, and
 * the exact credentials the client sent in its own headers. Only runs when payloads are logged.
 */
final class SecretMasker {

    private static final Pattern KEYS = Pattern.compile(String.join("|",
            "sk-[A-Za-z0-9_\\-]{8,}",
            "AIza[0-9A-Za-z_\\-]{20,}",
            "(?:AKIA|ASIA)[0-9A-Z]{16}",
            "gh[pousr]_[A-Za-z0-9]{20,}",
            "xox[abprs]-[A-Za-z0-9\\-]{10,}",
            "eyJ[A-Za-z0-9_\\-]{5,}\\.[A-Za-z0-9_\\-]{5,}\\.[A-Za-z0-9_\\-]+",
            "(?i)(?<=bearer )[A-Za-z0-9._~+/\\-]{8,}=*"));

    /** {@code "api_key": "v"}, {@code password=v}, {@code secret: v} … : the value is masked. */
    private static final Pattern FIELDS = Pattern.compile(
            "(?i)((?:api[_-]?key|apikey|secret(?:[_-]?key)?|password|passwd|access[_-]?token|auth[_-]?token"
                    + "|token|private[_-]?key|credential)s?\\\\?\"?\\s*[:=]\\s*\\\\?\"?)([^\"\\\\\\s,;}&]{4,})");

    private SecretMasker() {
    }

    /**
     * The text with secrets replaced by {@link LogEntry#MASK}.
     *
     * @param literals exact values to mask wherever they appear (the client's own credentials)
     */
    static String mask(String text, List<String> literals) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        for (String lit : literals) {
            if (lit.length() >= 6 && text.contains(lit)) {
                text = text.replace(lit, LogEntry.MASK);
            }
        }
        Matcher m = FIELDS.matcher(text);
        if (m.find()) {
            text = m.replaceAll(r -> Matcher.quoteReplacement(r.group(1) + LogEntry.MASK));
        }
        m = KEYS.matcher(text);
        if (m.find()) {
            text = m.replaceAll(LogEntry.MASK);
        }
        return text;
    }
}
