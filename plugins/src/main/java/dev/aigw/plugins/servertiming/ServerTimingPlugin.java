package dev.aigw.plugins.servertiming;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginConfigException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * Adds a W3C {@code Server-Timing} header (aigw's own; APISIX has no equivalent). Enabled like any
 * plugin: on a route ({@code "server-timing": {}}) or for every route on a global rule.
 *
 * <ul>
 *   <li>{@code gateway;dur=} — ms the gateway spent itself before the response head went out
 *       (matching, plugins, reading the request body), the upstream's time excluded;</li>
 *   <li>{@code upstream;dur=} — ms from sending the request upstream to the answer's head (a whole
 *       answer that the gateway reads before relaying, such as a non-streamed AI answer, counts
 *       entirely);</li>
 *   <li>{@code ttft;dur=} — for AI requests, ms to the first token. A stream's head leaves before its
 *       first token, so there it comes as an HTTP trailer (declared with {@code Trailer:
 *       Server-Timing}) with the upstream's total time.</li>
 * </ul>
 * Durations are ms with one decimal. Nothing is computed on routes without the plugin.
 */
public final class ServerTimingPlugin implements Plugin<ServerTimingPlugin.Conf> {

    public static final String NAME = "server-timing";
    static final String HEADER = "Server-Timing";
    private static final Object PROXY_START = new Object();
    private static final Object TRAILER = new Object();

    /** No options: its presence turns the header on. */
    public record Conf() {
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Low: its beforeProxy should run last, closest to the upstream call. */
    @Override
    public int priority() {
        return 10;
    }

    @Override
    public String schema() {
        return "{\"type\": \"object\", \"properties\": {}, \"additionalProperties\": false}";
    }

    @Override
    public Conf parseConfig(JsonObject conf) throws PluginConfigException {
        return new Conf();
    }

    @Override
    public void beforeProxy(Conf conf, RequestContext ctx) {
        ctx.put(PROXY_START, System.nanoTime());
    }

    @Override
    public void headerFilter(Conf conf, RequestContext ctx) {
        long now = System.nanoTime();
        Long proxyStart = ctx.get(PROXY_START);
        double total = (now - ctx.startNanos()) / 1e6;
        double upstream = -1;
        Object upVar = ctx.var("apisix_upstream_response_time");
        if (upVar instanceof Number n) {
            upstream = n.doubleValue(); // the whole answer was read before this head: the upstream's full time
        } else if (proxyStart != null) {
            upstream = (now - proxyStart) / 1e6;
        }
        StringBuilder sb = new StringBuilder(64);
        dur(sb, "gateway", upstream >= 0 ? Math.max(0, total - upstream) : total);
        if (upstream >= 0) {
            dur(sb, "upstream", upstream);
        }
        Object ttft = ctx.var("llm_time_to_first_token");
        if (ttft instanceof Number n) {
            dur(sb, "ttft", n.doubleValue());
        } else if ("ai_stream".equals(ctx.varString("request_type")) && ctx.response().isChunked()) {
            ctx.response().headers().set("Trailer", HEADER);
            ctx.put(TRAILER, Boolean.TRUE);
        }
        ctx.response().headers().add(HEADER, sb.toString());
    }

    @Override
    public Buffer bodyFilter(Conf conf, RequestContext ctx, Buffer chunk, boolean last) {
        if (last && ctx.get(TRAILER) != null) {
            StringBuilder sb = new StringBuilder(48);
            if (ctx.var("llm_time_to_first_token") instanceof Number n) {
                dur(sb, "ttft", n.doubleValue());
            }
            if (ctx.var("apisix_upstream_response_time") instanceof Number n) {
                dur(sb, "upstream", n.doubleValue());
            }
            if (sb.length() > 0) {
                ctx.response().trailers().set(HEADER, sb.toString());
            }
        }
        return chunk;
    }

    private static void dur(StringBuilder sb, String name, double ms) {
        if (sb.length() > 0) {
            sb.append(", ");
        }
        long tenths = Math.round(ms * 10);
        sb.append(name).append(";dur=").append(tenths / 10).append('.').append(tenths % 10);
    }
}
