package dev.aigw.gateway.plugin;

import dev.aigw.gateway.context.RequestContext;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;

/**
 * A plugin together with one parsed configuration, as attached to a route (or a global rule).
 * Keeps the generic type so that phases are called without casts on the request path.
 *
 * <p>{@code owner} is the store key of the resource the configuration was written in (a route, a
 * service, a plugin config, a consumer, a consumer group, a global rule), or null: each phase call
 * first hands it to {@link RequestContext#pluginOwner}, so that counters are kept per owning
 * resource as APISIX keeps them (a consumer's limit holds across every route). The parsed
 * configuration is shared by every owner of the same JSON ({@link #ownedBy}).
 */
public record PluginBinding<C>(Plugin<C> plugin, C config, String owner) {

    /** A binding with no owner (counters fall back to the route's). */
    public PluginBinding(Plugin<C> plugin, C config) {
        this(plugin, config, null);
    }

    /** The same plugin and parsed configuration, owned by {@code resourceKey}. */
    public PluginBinding<C> ownedBy(String resourceKey) {
        return java.util.Objects.equals(resourceKey, owner) ? this : new PluginBinding<>(plugin, config, resourceKey);
    }

    public String name() {
        return plugin.name();
    }

    public int priority() {
        return plugin.priority();
    }

    public Future<Void> rewrite(RequestContext ctx) {
        ctx.pluginOwner(owner);
        return plugin.rewrite(config, ctx);
    }

    public Future<Void> access(RequestContext ctx) {
        ctx.pluginOwner(owner);
        return plugin.access(config, ctx);
    }

    public void beforeProxy(RequestContext ctx) {
        ctx.pluginOwner(owner);
        plugin.beforeProxy(config, ctx);
    }

    public void headerFilter(RequestContext ctx) {
        ctx.pluginOwner(owner);
        plugin.headerFilter(config, ctx);
    }

    public Buffer bodyFilter(RequestContext ctx, Buffer chunk, boolean last) {
        ctx.pluginOwner(owner);
        return plugin.bodyFilter(config, ctx, chunk, last);
    }

    public void log(RequestContext ctx) {
        ctx.pluginOwner(owner);
        plugin.log(config, ctx);
    }

    public void release() {
        plugin.release(config);
    }
}
