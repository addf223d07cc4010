package dev.aigw.plugins.errornotify;

import java.util.List;

/**
 * ai-error-notify's configuration on a route or global rule.
 *
 * @param webhooks           where messages go (each gets every message)
 * @param statusCodes        exact statuses that notify
 * @param statusClasses      status classes that notify ({@code 5} for {@code 5xx})
 * @param allInstancesFailed notify (only) when ai-proxy-multi tried every instance and all failed
 * @param windowMs           dedup window
 * @param maxPerWindow       messages per (route, kind of failure) per window; the rest are counted
 *                           and reported with the next message
 * @param timeoutMs          webhook request timeout
 * @param title              first line of every message
 * @param dedup              the windows of this configuration (in memory, bounded)
 */
record NotifyConfig(List<Webhook> webhooks, List<Integer> statusCodes, List<Integer> statusClasses,
                    boolean allInstancesFailed, long windowMs, int maxPerWindow, int timeoutMs, String title,
                    Dedup dedup) {
}
