package dev.aigw.admin;

import dev.aigw.gateway.resource.EncryptedFields;
import dev.aigw.gateway.resource.ResourceKind;
import dev.aigw.gateway.store.ConfigStore;
import dev.aigw.gateway.store.KeyValue;
import io.vertx.core.Future;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Generic CRUD of one APISIX resource type over the config store, with APISIX's envelopes, status codes
 * and messages (apisix/admin/resource.lua, apisix/core/etcd.lua, v3 responses).
 */
final class ResourceApi {

    /** Checks one candidate configuration (a private copy); fails with an {@link AdminException}. */
    @FunctionalInterface
    interface Checker {
        Future<Void> check(String id, JsonObject conf);
    }

    /** Refuses a delete while something still uses the resource; fails with an {@link AdminException}. */
    @FunctionalInterface
    interface DeleteChecker {
        Future<Void> check(String id);
    }

    final ResourceKind resource;
    final String name;
    final String kind;
    private final Set<String> unsupported;
    /** plugin_metadata: the path segment is the plugin name, no id handling. */
    private final boolean noId;
    private final Checker checker;
    private final DeleteChecker deleteChecker;
    private final ConfigStore store;
    /** A credential's consumer (the {@code {username}} of {@code /consumers/{username}/credentials}), else null. */
    private final String parent;
    /** Secret fields: encrypted when written, decrypted when shown (APISIX's encrypt_conf / decrypt_conf). */
    private final EncryptedFields fields;

    /**
     * @param deleteChecker null when nothing can refer to this kind
     */
    ResourceApi(ResourceKind resource, Checker checker, DeleteChecker deleteChecker, ConfigStore store,
                EncryptedFields fields) {
        this(resource, checker, deleteChecker, store, fields, null);
    }

    private ResourceApi(ResourceKind resource, Checker checker, DeleteChecker deleteChecker, ConfigStore store,
                        EncryptedFields fields, String parent) {
        this.parent = parent;
        this.fields = fields;
        this.resource = resource;
        this.name = resource.name();
        this.kind = resource.label();
        this.unsupported = resource.unsupportedMethods();
        this.noId = resource.keyedByName();
        this.checker = checker;
        this.deleteChecker = deleteChecker;
        this.store = store;
    }

    /** The same resource with another check (a credential's needs its consumer's name). */
    ResourceApi withChecker(Checker other) {
        return new ResourceApi(resource, other, deleteChecker, store, fields, parent);
    }

    /** The same resource under one consumer: {@code /consumers/{username}/credentials}. */
    ResourceApi under(String username) {
        return new ResourceApi(resource, checker, deleteChecker, store, fields, username);
    }

    /** The store key of one entry. */
    String key(String id) {
        return parent != null ? ResourceKind.credentialKey(store.prefix(), parent, id) : resource.key(store.prefix(), id);
    }

    private String dir() {
        return parent != null ? ResourceKind.credentialKey(store.prefix(), parent, "") : resource.dir(store.prefix());
    }

    private static final Object NO_BODY = new Object();

    /**
     * Runs one request.
     *
     * @param body    the decoded body (JsonObject, JsonArray, scalar, or null for JSON null), or
     *                {@link #noBody()} when the request had none
     */
    Future<ApiResponse> handle(String method, String id, String subPath, Object body, Map<String, String> args) {
        if (unsupported.contains(method)) {
            return Future.succeededFuture(new ApiResponse(405, error("not supported `" + method.toUpperCase()
                    + "` method for " + kind)));
        }
        try {
            return switch (method) {
                case "get" -> get(id);
                case "put" -> put(id, body);
                case "post" -> post(id, body);
                case "delete" -> delete(id, args);
                case "patch" -> patch(id, subPath, body);
                default -> Future.succeededFuture(new ApiResponse(404, error("not found")));
            };
        } catch (AdminException e) {
            return Future.failedFuture(e);
        }
    }

    static Object noBody() {
        return NO_BODY;
    }

    private static JsonObject error(String msg) {
        return new JsonObject().put("error_msg", msg);
    }

    static JsonObject keyNotFound() {
        return new JsonObject().put("message", "Key not found");
    }

    // ---- GET ----

    private Future<ApiResponse> get(String id) {
        if (id == null) {
            String prefixSlash = store.prefix() + "/";
            return store.list(dir()).map(kvs -> {
                JsonArray list = new JsonArray();
                List<KeyValue> sorted = new ArrayList<>(kvs);
                sorted.sort(Comparator.comparing(KeyValue::key));
                for (KeyValue kv : sorted) {
                    ResourceKind.Located loc = ResourceKind.locate(prefixSlash, kv.key());
                    if (loc == null || loc.kind() == resource) { // consumers: their credentials are listed apart
                        list.add(node(kv, loc == null ? resource : loc.kind()));
                    }
                }
                return new ApiResponse(200, new JsonObject().put("total", list.size()).put("list", list));
            });
        }
        return store.get(key(id)).map(kv -> kv == null
                ? new ApiResponse(404, keyNotFound())
                : new ApiResponse(200, node(kv, resource)));
    }

    private JsonObject node(KeyValue kv, ResourceKind kind) {
        Object value;
        try {
            value = Json.decodeValue(kv.value());
        } catch (RuntimeException e) {
            value = kv.value(); // not ours: show it as stored
        }
        if (value instanceof JsonObject doc) {
            value = fields.decrypt(kind, doc); // APISIX shows secret fields in clear
        }
        return new JsonObject().put("key", kv.key()).put("value", value)
                .put("createdIndex", kv.createRevision()).put("modifiedIndex", kv.modRevision());
    }

    // ---- PUT / POST ----

    private Future<ApiResponse> put(String id, Object body) {
        JsonObject conf = requireConf(body);
        // a consumer is named by its username (APISIX: no id handling, the checker returns the username)
        boolean byUsername = resource == ResourceKind.CONSUMERS;
        String checkedId = byUsername ? id : checkId(id, conf, !noId);
        return checkConf(noId || byUsername ? id : checkedId, conf, false)
                .compose(v -> parentExists())
                .compose(v -> {
                    String key = key(byUsername ? String.valueOf(conf.getValue("username")) : noId ? id : checkedId);
                    return store.get(key).compose(prev -> {
                        if (noId) {
                            conf.put("id", id);
                        } else {
                            injectTimestamps(conf, prev == null ? null : decodeObject(prev.value()), null);
                        }
                        return store.put(key, fields.encrypt(resource, conf).encode()).map(rev ->
                                new ApiResponse(prev == null ? 201 : 200, saved(key, conf)));
                    });
                });
    }

    private Future<ApiResponse> post(String id, Object body) {
        JsonObject conf = requireConf(body);
        checkId(id, conf, false);
        return checkConf(null, conf, false)
                // APISIX's ids are an etcd revision, zero-padded: the revision of a write to /gen_id
                .compose(v -> store.put(store.prefix() + "/gen_id", "1"))
                .compose(rev -> {
                    String newId = String.format("%020d", rev);
                    conf.put("id", newId);
                    injectTimestamps(conf, null, null);
                    String key = key(newId);
                    return store.put(key, fields.encrypt(resource, conf).encode())
                            .map(r -> new ApiResponse(201, saved(key, conf)));
                });
    }

    /** A credential is written only under an existing consumer: 404 {@code consumer not found}. */
    private Future<Void> parentExists() {
        if (parent == null) {
            return Future.succeededFuture();
        }
        return store.get(ResourceKind.CONSUMERS.key(store.prefix(), parent)).compose(kv -> kv == null
                ? Future.failedFuture(new AdminException(404, error("consumer not found")))
                : Future.succeededFuture());
    }

    private static JsonObject saved(String key, JsonObject conf) {
        return new JsonObject().put("key", key).put("value", conf);
    }

    // ---- DELETE ----

    private Future<ApiResponse> delete(String id, Map<String, String> args) {
        if (id == null) {
            throw AdminException.badRequest("missing " + kind + " id");
        }
        String key = key(id);
        Future<Void> allowed = deleteChecker == null || "true".equals(args.get("force"))
                ? Future.succeededFuture() : deleteChecker.check(id);
        return allowed.compose(v -> resource == ResourceKind.CONSUMERS && parent == null
                        ? deleteAll(key + "/credentials/") : Future.succeededFuture())
                .compose(v -> store.delete(key)).map(existed -> existed
                ? new ApiResponse(200, new JsonObject().put("deleted", "1").put("key", key))
                : new ApiResponse(404, keyNotFound()));
    }

    /** APISIX's rmdir: every entry under {@code dir}. */
    private Future<Void> deleteAll(String dir) {
        return store.list(dir).compose(kvs -> {
            Future<Void> chain = Future.succeededFuture();
            for (KeyValue kv : kvs) {
                chain = chain.compose(v -> store.delete(kv.key()).mapEmpty());
            }
            return chain;
        });
    }

    // ---- PATCH ----

    private Future<ApiResponse> patch(String id, String subPath, Object body) {
        if (id == null) {
            throw AdminException.badRequest("missing " + kind + " id");
        }
        if (body == NO_BODY) {
            throw AdminException.badRequest("missing new configuration");
        }
        boolean whole = subPath == null || subPath.isEmpty();
        if (whole && !(body instanceof JsonObject)) {
            throw AdminException.badRequest("invalid configuration");
        }
        String key = key(id);
        return store.get(key).compose(old -> {
            if (old == null) {
                return Future.succeededFuture(new ApiResponse(404, keyNotFound()));
            }
            JsonObject value = decodeObject(old.value());
            // patch the clear values: what is merged in arrives in clear
            value = value == null ? new JsonObject() : fields.decrypt(resource, value);
            if (whole) {
                JsonObject patch = ((JsonObject) body).copy();
                merge(value, patch);
                injectTimestamps(value, null, patch);
            } else {
                value = subPatch(value, subPath, body);
                injectTimestamps(value, null, null);
                value.put("update_time", now());
            }
            JsonObject merged = value;
            String checkedId = checkId(id, merged, true);
            return checkConf(checkedId, merged, true)
                    .compose(v -> store.put(key, fields.encrypt(resource, merged).encode()))
                    .map(rev -> new ApiResponse(200, saved(key, merged)));
        });
    }

    /** APISIX's table.merge: objects merge recursively, arrays and scalars replace, null removes. */
    static void merge(JsonObject origin, JsonObject extend) {
        for (String k : extend.fieldNames()) {
            Object v = extend.getValue(k);
            if (v == null) {
                origin.remove(k);
            } else if (v instanceof JsonObject vo && origin.getValue(k) instanceof JsonObject oo) {
                merge(oo, vo);
            } else {
                origin.put(k, v);
            }
        }
    }

    /** APISIX's table.patch: set the value at {@code a/b/c}, creating objects on the way. */
    private static JsonObject subPatch(JsonObject value, String subPath, Object conf) {
        String[] parts = subPath.split("/", -1);
        Object cur = value;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonObject obj = (JsonObject) cur;
            if (!obj.containsKey(parts[i]) || obj.getValue(parts[i]) == null) {
                obj.put(parts[i], new JsonObject());
            }
            cur = obj.getValue(parts[i]);
            if (!(cur instanceof JsonObject)) {
                throw AdminException.badRequest("invalid sub-path: /" + String.join("/", List.of(parts).subList(0, i + 1)));
            }
        }
        String last = parts[parts.length - 1];
        if (last.isEmpty()) {
            if (!(conf instanceof JsonObject whole)) {
                throw AdminException.badRequest("invalid configuration");
            }
            return whole;
        }
        ((JsonObject) cur).put(last, conf);
        return value;
    }

    // ---- shared checks ----

    private static JsonObject requireConf(Object body) {
        if (body == NO_BODY || body == null) {
            throw AdminException.badRequest("missing configurations");
        }
        if (!(body instanceof JsonObject conf)) {
            throw AdminException.badRequest("invalid configuration: wrong type: expected object, got "
                    + (body instanceof JsonArray ? "table" : body instanceof Number ? "number"
                    : body instanceof Boolean ? "boolean" : "string"));
        }
        return conf;
    }

    /** The id rules of APISIX's check_conf; sets {@code conf.id}; returns the id. */
    private String checkId(String pathId, JsonObject conf, boolean needId) {
        if (noId) {
            return pathId;
        }
        Object bodyId = conf.getValue("id");
        String id = pathId != null ? pathId : bodyId == null ? null : luaString(bodyId);
        if (needId && id == null) {
            throw AdminException.badRequest("missing " + kind + " id");
        }
        if (!needId && id != null) {
            throw AdminException.badRequest("wrong " + kind + " id, do not need it");
        }
        if (needId && bodyId != null && !luaString(bodyId).equals(id)) {
            throw AdminException.badRequest("wrong " + kind + " id");
        }
        if (needId) {
            // the path id wins, as a string, exactly as APISIX stores it
            conf.put("id", pathId != null ? pathId : bodyId);
        }
        return id;
    }

    private Future<Void> checkConf(String id, JsonObject conf, boolean allowTime) {
        if (!allowTime) {
            String err = forbidden(conf);
            if (err != null) {
                throw AdminException.badRequest(err);
            }
        }
        return checker.check(id, conf.copy());
    }

    private static String forbidden(JsonObject conf) {
        for (String p : List.of("create_time", "update_time")) {
            if (truthy(conf.getValue(p))) {
                return "the property is forbidden:  " + p;
            }
        }
        for (String sub : List.of("upstream", "plugins")) {
            if (conf.getValue(sub) instanceof JsonObject o) {
                for (String p : List.of("create_time", "update_time")) {
                    if (truthy(o.getValue(p))) {
                        return "the property is forbidden:  " + sub + "." + p;
                    }
                }
            }
        }
        return null;
    }

    private static boolean truthy(Object v) {
        return v != null && !Boolean.FALSE.equals(v);
    }

    /** APISIX's inject_timestamp: keep create_time (from the previous value), set update_time. */
    private static void injectTimestamps(JsonObject conf, JsonObject prev, JsonObject patch) {
        if (conf.getValue("create_time") == null) {
            Object prevCreate = prev == null ? null : prev.getValue("create_time");
            conf.put("create_time", prevCreate != null ? prevCreate : now());
        }
        if (conf.getValue("update_time") == null || (patch != null && patch.getValue("update_time") == null)) {
            conf.put("update_time", now());
        }
    }

    private static long now() {
        return System.currentTimeMillis() / 1000;
    }

    static JsonObject decodeObject(String text) {
        try {
            return Json.decodeValue(text) instanceof JsonObject o ? o : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Lua's tostring for a JSON scalar: 1 → "1", 1.5 → "1.5". */
    static String luaString(Object v) {
        if (v instanceof Double d && d == Math.rint(d) && !d.isInfinite() && Math.abs(d) < 1e15) {
            return Long.toString(d.longValue());
        }
        if (v instanceof Float f && f == Math.rint(f) && !f.isInfinite()) {
            return Long.toString(f.longValue());
        }
        return String.valueOf(v);
    }
}
