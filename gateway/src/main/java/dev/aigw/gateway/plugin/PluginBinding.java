package dev.aigw.gateway.plugin;

import dev.aigw.gateway.context.RequestContext;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;

/**
 * A plugin together with one parsed configuration, as attached to a route (or a global rule).
 * Keeps the generic type so that phases are called without casts on the request path.
 */
public record PluginBinding<C>(Plugin<C> plugin, C config) {

    public String name() {
        return plugin.name();
    }

    public int priority() {
        return plugin.priority();
    }

    public Future<Void> rewrite(RequestContext ctx) {
        return plugin.rewrite(config, ctx);
    }

    public Future<Void> access(RequestContext ctx) {
        return plugin.access(config, ctx);
    }

    public void beforeProxy(RequestContext ctx) {
        plugin.beforeProxy(config, ctx);
    }

    public void headerFilter(RequestContext ctx) {
        plugin.headerFilter(config, ctx);
    }

    public Buffer bodyFilter(RequestContext ctx, Buffer chunk, boolean last) {
        return plugin.bodyFilter(config, ctx, chunk, last);
    }

    public void log(RequestContext ctx) {
        plugin.log(config, ctx);
    }

    public void release() {
        plugin.release(config);
    }
}
