package dev.aigw.gateway.resource;

import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The secret fields of stored resources, as APISIX's {@code encrypt_conf} / {@code decrypt_conf}
 * ({@code apisix/plugin.lua}): for every plugin in a resource's {@code plugins}, the dotted paths of
 * its {@code encrypt_fields} ({@link Plugin#encryptFields()}, or {@link Plugin#consumerEncryptFields()}
 * for an auth plugin on a consumer or credential). Arrays are walked at intermediate nodes; a leaf
 * may be a string, an array of strings or an object of strings.
 *
 * <p>The Admin API encrypts what it writes and decrypts what it shows; the route builder decrypts
 * what it reads, so that entries APISIX wrote to etcd work unchanged and the built-in store never
 * holds a provider key in clear.
 */
public final class EncryptedFields {

    private final DataEncryption cipher;
    private final PluginRegistry plugins;

    public EncryptedFields(DataEncryption cipher, PluginRegistry plugins) {
        this.cipher = cipher;
        this.plugins = plugins;
    }

    /** A copy of {@code doc} with its plugins' secret fields encrypted; {@code doc} itself when there is nothing to do. */
    public JsonObject encrypt(ResourceKind kind, JsonObject doc) {
        return cipher.active() ? walk(kind, doc, cipher::encrypt) : doc;
    }

    /** A copy of {@code doc} with its plugins' secret fields decrypted; {@code doc} itself when there is nothing to do. */
    public JsonObject decrypt(ResourceKind kind, JsonObject doc) {
        return walk(kind, doc, cipher::decrypt);
    }

    /** One auth plugin's consumer configuration, decrypted (a copy, or the same object when nothing changes). */
    public JsonObject decryptConsumerPlugin(String name, JsonObject conf) {
        Plugin<?> p = plugins.get(name);
        if (p == null || p.consumerSchema() == null || p.consumerEncryptFields().isEmpty()) {
            return conf;
        }
        JsonObject copy = conf.copy();
        for (String path : p.consumerEncryptFields()) {
            apply(copy, path, cipher::decrypt);
        }
        return copy;
    }

    private JsonObject walk(ResourceKind kind, JsonObject doc, UnaryOperator<String> op) {
        if (kind.pluginScope() == ResourceKind.PluginScope.NONE || !(doc.getValue("plugins") instanceof JsonObject ps)) {
            return doc;
        }
        JsonObject out = null;
        for (String name : ps.fieldNames()) {
            Plugin<?> p = plugins.get(name);
            if (p == null || !(ps.getValue(name) instanceof JsonObject)) {
                continue;
            }
            List<String> paths = kind.pluginScope() == ResourceKind.PluginScope.CONSUMER && p.consumerSchema() != null
                    ? p.consumerEncryptFields() : p.encryptFields();
            if (paths.isEmpty()) {
                continue;
            }
            if (out == null) {
                out = doc.copy();
            }
            JsonObject conf = out.getJsonObject("plugins").getJsonObject(name);
            for (String path : paths) {
                apply(conf, path, op);
            }
        }
        return out == null ? doc : out;
    }

    /** APISIX's process_encrypt_field. */
    static void apply(JsonObject conf, String path, UnaryOperator<String> op) {
        int dot = path.indexOf('.');
        if (dot < 0) {
            Object v = conf.getValue(path);
            if (v instanceof String s) {
                conf.put(path, op.apply(s));
            } else if (v instanceof JsonArray arr) {
                for (int i = 0; i < arr.size(); i++) {
                    if (arr.getValue(i) instanceof String s) {
                        arr.set(i, op.apply(s));
                    }
                }
            } else if (v instanceof JsonObject map) {
                for (String k : map.fieldNames()) {
                    if (map.getValue(k) instanceof String s) {
                        map.put(k, op.apply(s));
                    }
                }
            }
            return;
        }
        Object v = conf.getValue(path.substring(0, dot));
        String rest = path.substring(dot + 1);
        if (v instanceof JsonArray arr) {
            for (Object item : arr) {
                if (item instanceof JsonObject o) {
                    apply(o, rest, op);
                }
            }
        } else if (v instanceof JsonObject o) {
            apply(o, rest, op);
        }
    }
}
