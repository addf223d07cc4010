package dev.aigw.gateway.plugin;

import dev.aigw.gateway.context.RequestContext;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * A gateway plugin, as in APISIX: a kebab-case {@link #name()} (the key under a route's
 * {@code plugins}), a {@link #priority()} (higher runs first, in every phase), a JSON schema for its
 * configuration and a set of phases that are all no-ops by default.
 *
 * <p>Plugins are discovered with {@link java.util.ServiceLoader} (one instance per gateway) and must be
 * listed in the {@code plugins} key of the configuration to be enabled. The configuration object of
 * a plugin on a route is validated against {@link #schema()}, then turned into an immutable value by
 * {@link #parseConfig(JsonObject)} <em>once per route build</em>: the request path never parses JSON
 * configuration.
 *
 * <p>Threading: every phase runs on the Vert.x event loop of the request. Phases must never block;
 * I/O goes through Vert.x or a worker.
 *
 * @param <C> the parsed configuration type, ideally a record
 */
public interface Plugin<C> {

    /** Kebab-case name, the key of this plugin under {@code route.plugins}. */
    String name();

    /** Higher runs first, in every phase. Uses APISIX's priorities where the plugin exists there. */
    int priority();

    /** JSON Schema (draft 7) of the plugin's configuration object, as JSON text. */
    String schema();

    /** JSON Schema of this plugin's metadata ({@code /apisix/admin/plugin_metadata/<name>}), or null. */
    default String metadataSchema() {
        return null;
    }

    /**
     * For an authentication plugin (APISIX's {@code type = "auth"}, such as key-auth): the JSON
     * Schema of its configuration on a consumer or a credential ({@code {"key": "..."}}). Null for
     * every other plugin. An auth plugin's consumer configuration identifies the caller; it never runs.
     */
    default String consumerSchema() {
        return null;
    }

    /**
     * For an auth plugin: the field of its consumer configuration that identifies a caller and must
     * be unique across consumers and credentials (key-auth: {@code key}); null when there is none.
     */
    default String consumerKeyField() {
        return null;
    }

    /**
     * APISIX's {@code encrypt_fields} of {@link #schema()}: dotted paths of secret fields stored
     * encrypted ({@code auth.header}); a leaf may be a string, an array of strings or an object of strings.
     */
    default java.util.List<String> encryptFields() {
        return java.util.List.of();
    }

    /** APISIX's {@code encrypt_fields} of {@link #consumerSchema()} (key-auth: {@code key}). */
    default java.util.List<String> consumerEncryptFields() {
        return java.util.List.of();
    }

    /**
     * For an auth plugin: turns its consumer configuration (valid against {@link #consumerSchema()},
     * secret fields decrypted) into the immutable value that
     * {@link dev.aigw.gateway.consumer.Consumers#identify} hands back with the consumer (basic-auth's
     * password, jwt-auth's parsed key). Called once per consumers change and by the Admin API to
     * validate, never per request; must be free of side effects. Semantic errors (a public key that
     * does not parse) are thrown as {@link PluginConfigException}. Null (the default) when the
     * identifying key is all the plugin needs.
     */
    default Object parseConsumerConfig(JsonObject conf) throws PluginConfigException {
        return null;
    }

    /** Called once at start, before any route is built. */
    default void init(PluginEnv env) {
    }

    /**
     * Turns a configuration that passed {@link #schema()} into the immutable value the phases use.
     * Semantic problems that a schema cannot express (say, a field that is required only for one
     * provider) are reported by throwing {@link PluginConfigException} whose message names the field.
     *
     * <p>Must be free of side effects: the Admin API calls it only to validate and then drops the
     * result. Resources a configuration needs (a producer, a batch processor) are acquired lazily on
     * first use and given back in {@link #release}.
     */
    C parseConfig(JsonObject conf) throws PluginConfigException;

    /**
     * Called when a route build no longer uses a configuration returned by {@link #parseConfig}, so
     * that resources tied to it (a producer, a batch processor) can be released. Configurations that
     * are equal between two builds are reused, not re-parsed.
     */
    default void release(C conf) {
    }

    /** Rewrite phase. A plugin may answer the request itself with {@link RequestContext#exit}. */
    default Future<Void> rewrite(C conf, RequestContext ctx) {
        return Future.succeededFuture();
    }

    /** Access phase (authentication, reading the body, choosing an upstream …). May {@code exit}. */
    default Future<Void> access(C conf, RequestContext ctx) {
        return Future.succeededFuture();
    }

    /** Last chance to pick or change the upstream: see {@link RequestContext#upstream(dev.aigw.gateway.upstream.UpstreamHandler)}. */
    default void beforeProxy(C conf, RequestContext ctx) {
    }

    /** Once, before the first response byte is written: status and headers may still be changed. */
    default void headerFilter(C conf, RequestContext ctx) {
    }

    /** Per response body chunk; returns the chunk to send (the same one, a changed one, or an empty one). */
    default Buffer bodyFilter(C conf, RequestContext ctx, Buffer chunk, boolean last) {
        return chunk;
    }

    /** After the response is finished or the client went away. Must only enqueue work, never wait. */
    default void log(C conf, RequestContext ctx) {
    }

    /** Called once at shutdown, after the last request; flush and release what {@link #init} opened. */
    default Future<Void> close() {
        return Future.succeededFuture();
    }
}
