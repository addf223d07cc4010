package dev.aigw.admin;

import dev.aigw.gateway.conf.AdminKey;
import dev.aigw.gateway.net.Cidr;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginAdminApi;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.gateway.plugin.PluginRegistry;
import dev.aigw.gateway.resource.DataEncryption;
import dev.aigw.gateway.resource.EncryptedFields;
import dev.aigw.gateway.resource.ResourceKind;
import dev.aigw.gateway.schema.ResourceSchemas;
import dev.aigw.gateway.metrics.MetricsRegistry;
import dev.aigw.gateway.stats.TrafficStats;
import dev.aigw.gateway.store.ConfigStore;
import dev.aigw.gateway.store.KeyValue;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import dev.aigw.gateway.conf.Listen;
import dev.aigw.gateway.server.HttpListeners;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * APISIX's Admin API ({@code /apisix/admin/*}) on its own port: routes, upstreams, global rules, plugin
 * metadata and the plugin list, with APISIX's JSON envelopes, status codes and error texts.
 *
 * <p>It only writes to the {@link ConfigStore}; the data plane learns of every change through the
 * store's watch. Every check (schema, plugin configuration through {@link PluginRegistry#bind},
 * references, {@code vars}) runs before anything is written: a refused request stores nothing.
 * Non-blocking throughout: request handling runs on the server's event loop.
 */
public final class AdminServer {

    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    private static final String ADMIN = "/apisix/admin";
    private static final String FORBIDDEN_HTML = "<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n"
            + "<center><h1>403 Forbidden</h1></center>\r\n<hr><center>aigw</center>\r\n</body>\r\n</html>\r\n";

    private final AdminOptions opts;
    private final ConfigStore store;
    private final PluginRegistry plugins;
    private final AdminChecks checks;
    private final ResourceSchemas schemas;
    private final Map<String, ResourceApi> resources = new LinkedHashMap<>();
    private final PluginApis pluginApis;
    /** {@code /consumers/{username}/credentials[/{id}]}, used {@link ResourceApi#under} a consumer. */
    private final ResourceApi credentials;
    private HttpServer server;
    private Dashboard dashboard;

    private final EncryptedFields secrets;

    private AdminServer(AdminOptions opts, ConfigStore store, PluginRegistry plugins, AdminChecks checks,
                        ResourceSchemas schemas, EncryptedFields secrets) {
        this.secrets = secrets;
        this.opts = opts;
        this.store = store;
        this.plugins = plugins;
        this.checks = checks == null ? AdminChecks.NONE : checks;
        this.schemas = schemas;
        // what each kind checks beyond its schema, its references and its plugins
        Map<ResourceKind, ResourceApi.Checker> extra = Map.of(
                ResourceKind.ROUTES, this::checkVars,
                ResourceKind.GLOBAL_RULES, this::checkGlobalRuleUnique);
        for (ResourceKind kind : List.of(ResourceKind.ROUTES, ResourceKind.UPSTREAMS, ResourceKind.SERVICES,
                ResourceKind.PLUGIN_CONFIGS, ResourceKind.GLOBAL_RULES, ResourceKind.CONSUMER_GROUPS)) {
            ResourceApi.Checker more = extra.get(kind);
            resources.put(kind.name(), new ResourceApi(kind,
                    (id, conf) -> check(kind, conf).compose(v -> more == null ? Future.succeededFuture() : more.check(id, conf)),
                    kind.referencedBy().isEmpty() ? null : id -> checkUnused(kind, id), store, secrets));
        }
        resources.put(ResourceKind.PLUGIN_METADATA.name(), new ResourceApi(ResourceKind.PLUGIN_METADATA,
                this::checkPluginMetadata, null, store, secrets));
        resources.put(ResourceKind.CONSUMERS.name(), new ResourceApi(ResourceKind.CONSUMERS,
                this::checkConsumer, null, store, secrets));
        this.credentials = new ResourceApi(ResourceKind.CREDENTIALS, null, null, store, secrets);
        this.pluginApis = new PluginApis(plugins, reservedResources());
    }

    /**
     * The Admin API path segments a plugin's own Admin API may not take: every stored kind, the
     * Admin API's own {@code plugins} and {@code schema}, and the kinds APISIX serves that aigw does
     * not (a plugin must not give them another meaning).
     */
    static Set<String> reservedResources() {
        Set<String> reserved = new java.util.HashSet<>(Set.of("plugins", "schema", "ssls", "secrets", "protos",
                "stream_routes"));
        ResourceKind.ALL.forEach(k -> reserved.add(k.name()));
        return Set.copyOf(reserved);
    }

    /**
     * Starts the Admin API.
     *
     * @param checks extra semantic checks (vars expressions); {@link AdminChecks#NONE} or null for none
     * @return the running server, once it listens
     */
    public static Future<AdminServer> start(Vertx vertx, AdminOptions opts, ConfigStore store, PluginRegistry plugins,
                                            AdminChecks checks) {
        return start(vertx, opts, store, plugins, checks, new EncryptedFields(DataEncryption.NONE, plugins), null, null,
                null);
    }

    /**
     * Starts the Admin API, with the dashboard ({@code /ui/}) when {@code stats} is given.
     *
     * @param secrets   the plugins' secret fields: encrypted when written, decrypted when shown
     * @param storeName the store's name as the dashboard shows it ({@code etcd} or {@code built-in})
     * @param metrics   where the dashboard reads the health plugins record (kafka-logger), or null
     */
    public static Future<AdminServer> start(Vertx vertx, AdminOptions opts, ConfigStore store, PluginRegistry plugins,
                                            AdminChecks checks, EncryptedFields secrets, TrafficStats stats,
                                            String storeName, MetricsRegistry metrics) {
        // schemas and the page come from class-path resources: read them off the event loop
        Future<Dashboard> page = Dashboard.load(vertx, stats, store, storeName, metrics);
        return vertx.executeBlocking(ResourceSchemas::load).compose(schemas -> page.compose(dash -> {
            AdminServer admin = new AdminServer(opts, store, plugins, checks, schemas, secrets);
            admin.dashboard = dash;
            // HTTP/1.x only, as APISIX's admin server block (no http2 there); nginx's client timeouts
            Listen listen = new Listen(opts.host(), opts.port());
            HttpServer http = HttpListeners.guard(vertx.createHttpServer(HttpListeners.options(listen, opts.timeouts())),
                    opts.timeouts());
            http.requestHandler(admin::handle);
            return HttpListeners.listen(http, listen, "deployment.admin.admin_listen").map(s -> {
                admin.server = s;
                LOG.info("Admin API listening on {}:{}", opts.host(), s.actualPort());
                return admin;
            });
        }));
    }

    /** The port actually bound (useful with port 0). */
    public int actualPort() {
        return server.actualPort();
    }

    /** Stops listening. */
    public Future<Void> close() {
        return server == null ? Future.succeededFuture() : server.close();
    }

    // ---- request plumbing ----

    private void handle(HttpServerRequest req) {
        String remote = req.remoteAddress() == null ? null : req.remoteAddress().hostAddress();
        if (opts.allowAdmin() != null && !allowed(remote)) {
            req.response().setStatusCode(403).putHeader("Content-Type", "text/html").end(FORBIDDEN_HTML);
            return;
        }
        String path = req.path();
        if (Dashboard.isPage(path)) {
            dashboard.servePage(req);
            return;
        }
        if (!(path.equals(ADMIN) || path.startsWith(ADMIN + "/"))) {
            send(req, new ApiResponse(404, error("not found")));
            return;
        }
        if (req.method() == HttpMethod.HEAD && path.equals(ADMIN)) {
            req.response().setStatusCode(200).end();
            return;
        }
        String tokenErr = checkToken(req);
        if (tokenErr != null) {
            LOG.warn("failed to check token: {}", tokenErr);
            send(req, new ApiResponse(401, new JsonObject().put("error_msg", "failed to check token")
                    .put("description", tokenErr)));
            return;
        }
        readBody(req);
    }

    private boolean allowed(String remote) {
        if (remote == null) {
            return false;
        }
        for (Cidr c : opts.allowAdmin()) {
            if (c.contains(remote)) {
                return true;
            }
        }
        return false;
    }

    /** APISIX's check_token: {@code api_key} argument, {@code X-API-KEY} header or cookie. */
    private String checkToken(HttpServerRequest req) {
        if (opts.keys().isEmpty()) {
            return null;
        }
        String token = req.getParam("api_key");
        if (token == null) {
            token = req.getHeader("X-API-KEY");
        }
        if (token == null) {
            for (Cookie c : req.cookies()) {
                if (c.getName().equalsIgnoreCase("x-api-key") || c.getName().equalsIgnoreCase("x_api_key")) {
                    token = c.getValue();
                    break;
                }
            }
        }
        if (token == null) {
            return "missing apikey";
        }
        AdminKey match = null;
        byte[] given = token.getBytes(StandardCharsets.UTF_8);
        for (AdminKey k : opts.keys()) {
            // constant-time comparison: the key is a secret
            if (!k.key().isEmpty() && MessageDigest.isEqual(given, k.key().getBytes(StandardCharsets.UTF_8))) {
                match = k;
                break;
            }
        }
        if (match == null) {
            return "wrong apikey";
        }
        if (match.viewer() && req.method() != HttpMethod.GET) {
            return "invalid method for role viewer";
        }
        return null;
    }

    private void readBody(HttpServerRequest req) {
        long max = opts.maxBodyBytes();
        String declared = req.getHeader("Content-Length");
        long declaredLen = -1;
        if (declared != null) {
            try {
                declaredLen = Long.parseLong(declared.trim());
            } catch (NumberFormatException ignored) {
                declaredLen = -1;
            }
        }
        Buffer body = Buffer.buffer();
        long[] seen = {0};
        long limitSeen = declaredLen;
        req.handler(chunk -> {
            seen[0] += chunk.length();
            if (seen[0] <= max) {
                body.appendBuffer(chunk);
            } else if (seen[0] > max * 16) {
                // far beyond the limit: stop reading rather than drain forever
                req.connection().close();
            }
        });
        req.exceptionHandler(e -> LOG.debug("admin request failed: {}", e.getMessage()));
        req.endHandler(v -> {
            long size = Math.max(limitSeen, seen[0]);
            if (size > max) {
                send(req, badRequest("invalid request body: request size " + size
                        + " is greater than the maximum size " + max + " allowed"));
                return;
            }
            dispatch(req, body);
        });
    }

    /**
     * {@code GET /apisix/admin/aigw/check}: what this node's data plane could not load, as
     * {@code aigw check} prints it ({@code {"total": n, "problems": [{"key": …, "reason": …}]}}).
     */
    private ApiResponse loadCheck() {
        JsonArray list = new JsonArray();
        checks.loadProblems().forEach((key, reason) -> list.add(new JsonObject().put("key", key).put("reason", reason)));
        return new ApiResponse(200, new JsonObject().put("total", list.size()).put("problems", list));
    }

    /**
     * {@code GET /apisix/admin/aigw/healthcheck}: the health of every checked upstream's nodes
     * ({@code {"total": n, "probers": k, "list": [APISIX /v1/healthcheck entries]}}).
     */
    private ApiResponse healthcheck() {
        JsonArray list = checks.upstreamHealth();
        return new ApiResponse(200, new JsonObject().put("total", list.size())
                .put("probers", checks.upstreamProbers()).put("list", list));
    }

    private static ApiResponse badRequest(String msg) {
        return new ApiResponse(400, error(msg));
    }

    private void dispatch(HttpServerRequest req, Buffer raw) {
        List<String> segs = new ArrayList<>();
        for (String s : req.path().split("/")) {
            if (!s.isEmpty()) {
                segs.add(s);
            }
        }
        // segs: apisix, admin, <resource>, <id>, <sub path...>
        String res = segs.size() > 2 ? segs.get(2) : "";
        String id = segs.size() > 3 ? segs.get(3) : null;
        String subPath = segs.size() > 4 ? String.join("/", segs.subList(4, segs.size())) : "";
        String method = req.method().name().toLowerCase();
        Map<String, String> args = new HashMap<>();
        req.params().forEach(e -> args.putIfAbsent(e.getKey(), e.getValue()));

        if (req.path().equals(Dashboard.STATS)) {
            dashboard.stats(req).onComplete(ar -> send(req, ar.succeeded() ? ar.result()
                    : new ApiResponse(503, error(String.valueOf(ar.cause().getMessage())))));
            return;
        }
        if (res.equals("aigw") && "check".equals(id) && segs.size() == 4 && method.equals("get")) {
            send(req, loadCheck());
            return;
        }
        if (res.equals("aigw") && "healthcheck".equals(id) && segs.size() == 4 && method.equals("get")) {
            send(req, healthcheck());
            return;
        }
        if (res.equals("plugins")) {
            if (!method.equals("get")) {
                send(req, new ApiResponse(404, error("not found")));
            } else if ("list".equals(id) && segs.size() == 4) {
                send(req, pluginList(args));
            } else {
                send(req, pluginSchema(id, args));
            }
            return;
        }
        PluginAdminApi pluginApi = pluginApis.get(res);
        if (pluginApi != null) {
            String pluginPath = segs.size() > 3 ? String.join("/", segs.subList(3, segs.size())) : "";
            pluginApi.adminRequest(method, pluginPath, args)
                    .onComplete(ar -> {
                        if (ar.succeeded()) {
                            send(req, new ApiResponse(ar.result().status(), ar.result().body()));
                        } else {
                            LOG.error("admin {} {} failed", req.method(), req.path(), ar.cause());
                            send(req, new ApiResponse(503, error(String.valueOf(ar.cause().getMessage()))));
                        }
                    });
            return;
        }
        ResourceApi api = resources.get(res);
        if (api != null && res.equals(ResourceKind.CONSUMERS.name()) && segs.size() > 4 && segs.get(4).equals("credentials")) {
            // APISIX's router: uri_segs[6] == "credentials" selects the credentials resource
            String username = id;
            api = credentials.under(username).withChecker((credId, conf) -> checkCredential(username, credId, conf));
            id = segs.size() > 5 ? segs.get(5) : null;
            subPath = segs.size() > 6 ? String.join("/", segs.subList(6, segs.size())) : "";
        }
        if (api == null) {
            send(req, new ApiResponse(404, error("Unsupported resource type: " + res)));
            return;
        }
        Object body = ResourceApi.noBody();
        if (raw.length() > 0) {
            String text;
            try {
                text = RequestJson.utf8(raw);
            } catch (RequestJson.SyntaxError e) {
                // not echoed back: the body is not text
                send(req, badRequest("invalid request body: " + e.getMessage()));
                return;
            }
            try {
                body = RequestJson.decode(text);
            } catch (RequestJson.SyntaxError e) {
                send(req, new ApiResponse(400, error("invalid request body: " + e.getMessage()).put("req_body", text)));
                return;
            }
        }
        String ttl = args.get("ttl");
        if (ttl != null && !ttl.matches("\\s*-?\\d+(\\.\\d+)?\\s*")) {
            send(req, badRequest("invalid argument ttl: should be a number"));
            return;
        }
        api.handle(method, id, subPath, body, args).onComplete(ar -> {
            if (ar.succeeded()) {
                send(req, ar.result());
            } else if (ar.cause() instanceof AdminException ae) {
                send(req, new ApiResponse(ae.status, ae.body));
            } else {
                LOG.error("admin {} {} failed", req.method(), req.path(), ar.cause());
                send(req, new ApiResponse(503, error(String.valueOf(ar.cause().getMessage()))));
            }
        });
    }

    private static void send(HttpServerRequest req, ApiResponse r) {
        HttpServerResponse resp = req.response();
        if (resp.ended()) {
            return;
        }
        resp.setStatusCode(r.status()).putHeader("X-API-VERSION", "v3");
        Object body = r.body();
        if (body == null) {
            resp.end();
            return;
        }
        String text;
        if (body instanceof RawJson raw) {
            text = raw.json();
            resp.putHeader("Content-Type", "application/json");
        } else if (body instanceof String s) {
            text = s;
            resp.putHeader("Content-Type", "text/plain");
        } else {
            text = Json.encode(body);
            resp.putHeader("Content-Type", "application/json");
        }
        resp.end(text);
    }

    private static JsonObject error(String msg) {
        return new JsonObject().put("error_msg", msg);
    }

    /** A body that already is JSON text (a plugin's schema). */
    private record RawJson(String json) {
    }

    // ---- /apisix/admin/plugins ----

    private ApiResponse pluginList(Map<String, String> args) {
        String subsystem = args.getOrDefault("subsystem", "http");
        if (subsystem.equals("stream")) {
            return new ApiResponse(200, new JsonArray()); // aigw has no stream plugins
        }
        if (!subsystem.equals("http")) {
            return new ApiResponse(400, "invalid subsystem passed");
        }
        return new ApiResponse(200, new JsonArray(new ArrayList<>(plugins.names())));
    }

    private ApiResponse pluginSchema(String name, Map<String, String> args) {
        String subsystem = args.getOrDefault("subsystem", "http");
        if (!subsystem.equals("http") && !subsystem.equals("stream")) {
            return badRequest("unsupported subsystem: " + subsystem);
        }
        if ("true".equals(args.get("all"))) {
            JsonObject all = new JsonObject();
            if (subsystem.equals("http")) {
                for (Plugin<?> p : plugins.all()) {
                    JsonObject entry = new JsonObject().put("priority", p.priority())
                            .put("schema", new JsonObject(p.schema()));
                    if (p.metadataSchema() != null) {
                        entry.put("metadata_schema", new JsonObject(p.metadataSchema()));
                    }
                    all.put(p.name(), entry);
                }
            }
            return new ApiResponse(200, all);
        }
        String schema = name == null || subsystem.equals("stream") ? null : plugins.schemaOf(name);
        if (schema == null) {
            return new ApiResponse(404, error("plugin not found in subsystem " + subsystem));
        }
        return new ApiResponse(200, new RawJson(schema));
    }

    // ---- resource checks (APISIX's check_conf of each resource) ----

    /**
     * APISIX's check_conf for a kind: its schema, then every reference it holds
     * ({@code failed to fetch upstream info by upstream id [x], response code: 404}), then its plugins.
     */
    private Future<Void> check(ResourceKind kind, JsonObject conf) {
        String err = kind.validate(schemas, conf);
        if (err != null) {
            return fail(err);
        }
        Future<Void> refs = Future.succeededFuture();
        for (ResourceKind.Reference r : kind.references()) {
            Object ref = conf.getValue(r.field());
            if (ref != null) {
                String refId = ResourceApi.luaString(ref);
                refs = refs.compose(v -> store.get(r.target().key(store.prefix(), refId))).compose(kv -> kv == null
                        ? fail(r.target().missingMessage(refId))
                        : Future.succeededFuture());
            }
        }
        return refs.compose(v -> {
            String pluginErr = kind.pluginScope() == ResourceKind.PluginScope.ROUTE ? checkPlugins(conf.getValue("plugins")) : null;
            return pluginErr == null ? Future.succeededFuture() : fail(pluginErr);
        });
    }

    /** A delete is refused while an entry of another kind refers to this one (APISIX's delete_checker). */
    private Future<Void> checkUnused(ResourceKind kind, String id) {
        Future<Void> chain = Future.succeededFuture();
        String prefixSlash = store.prefix() + "/";
        for (ResourceKind.Reference r : kind.referencedBy()) {
            chain = chain.compose(v -> store.list(r.owner().dir(store.prefix()))).compose(kvs -> {
                List<KeyValue> sorted = new ArrayList<>(kvs);
                sorted.sort(java.util.Comparator.comparing(KeyValue::key));
                for (KeyValue kv : sorted) {
                    ResourceKind.Located loc = ResourceKind.locate(prefixSlash, kv.key());
                    if (loc == null || loc.kind() != r.owner()) {
                        continue; // a consumer's credentials share its directory
                    }
                    JsonObject doc = ResourceApi.decodeObject(kv.value());
                    Object ref = doc == null ? null : doc.getValue(r.field());
                    if (ref != null && ResourceApi.luaString(ref).equals(id)) {
                        return fail(kind.inUseMessage(r.owner(), loc.id()));
                    }
                }
                return Future.succeededFuture();
            });
        }
        return chain;
    }

    // ---- consumers and credentials (apisix/admin/consumers.lua, credentials.lua) ----

    private Future<Void> checkConsumer(String username, JsonObject conf) {
        String err = ResourceKind.CONSUMERS.validate(schemas, conf);
        if (err != null) {
            return fail(err);
        }
        if (username != null && !username.equals(conf.getValue("username"))) {
            return fail("wrong username");
        }
        String name = conf.getString("username");
        String pluginErr = checkConsumerPlugins(conf.getValue("plugins"));
        if (pluginErr != null) {
            return fail("invalid plugins configuration: " + pluginErr);
        }
        return checkDuplicateKeys(conf.getJsonObject("plugins"), name, null).compose(v -> {
            Object group = conf.getValue("group_id");
            if (group == null) {
                return Future.succeededFuture();
            }
            String groupId = ResourceApi.luaString(group);
            return store.get(ResourceKind.CONSUMER_GROUPS.key(store.prefix(), groupId)).compose(kv -> kv == null
                    ? fail(ResourceKind.CONSUMER_GROUPS.missingMessage(groupId)) : Future.succeededFuture());
        });
    }

    private Future<Void> checkCredential(String username, String id, JsonObject conf) {
        String err = ResourceKind.CREDENTIALS.validate(schemas, conf);
        if (err != null) {
            return fail(err);
        }
        if (!(conf.getValue("plugins") instanceof JsonObject map)) {
            return Future.succeededFuture();
        }
        String pluginErr = checkConsumerPlugins(map);
        if (pluginErr != null) {
            return fail("invalid plugins configuration: " + pluginErr);
        }
        for (String name : map.fieldNames()) {
            if (!plugins.isAuth(name)) {
                return fail("only supports auth type plugins in consumer credential");
            }
        }
        return checkDuplicateKeys(map, username, id);
    }

    /** A consumer's plugins: an auth plugin against its consumer schema, any other as on a route. */
    private String checkConsumerPlugins(Object pluginsConf) {
        if (!(pluginsConf instanceof JsonObject map)) {
            return null;
        }
        for (String name : map.fieldNames()) {
            if (plugins.isAuth(name) && map.getValue(name) instanceof JsonObject conf) {
                String err = plugins.validateConsumer(name, conf);
                if (err != null) {
                    return err;
                }
            } else {
                String err = checkPlugins(new JsonObject().put(name, map.getValue(name)));
                if (err != null) {
                    return err;
                }
            }
        }
        return null;
    }

    /**
     * APISIX 3.18's check_duplicate_key: an auth plugin's unique field (key-auth {@code key}) may
     * identify one caller only. A consumer never conflicts with itself or its own credentials, a
     * credential never with itself.
     */
    private Future<Void> checkDuplicateKeys(JsonObject mine, String username, String credentialId) {
        if (mine == null || mine.isEmpty()) {
            return Future.succeededFuture();
        }
        String prefixSlash = store.prefix() + "/";
        return store.list(ResourceKind.CONSUMERS.dir(store.prefix())).compose(kvs -> {
            List<KeyValue> sorted = new ArrayList<>(kvs);
            sorted.sort(java.util.Comparator.comparing(KeyValue::key));
            for (String name : mine.fieldNames()) {
                String field = plugins.isAuth(name) ? plugins.get(name).consumerKeyField() : null;
                Object value = field == null || !(mine.getValue(name) instanceof JsonObject c) ? null : c.getValue(field);
                if (value == null) {
                    continue;
                }
                for (KeyValue kv : sorted) {
                    ResourceKind.Located loc = ResourceKind.locate(prefixSlash, kv.key());
                    if (loc == null) {
                        continue;
                    }
                    boolean credential = loc.kind() == ResourceKind.CREDENTIALS;
                    String owner = credential ? loc.parent() : loc.id();
                    boolean self = credentialId == null ? owner.equals(username)
                            : owner.equals(username) && credential && loc.id().equals(credentialId);
                    if (self) {
                        continue;
                    }
                    JsonObject doc = ResourceApi.decodeObject(kv.value());
                    JsonObject theirs = doc == null || !(doc.getValue("plugins") instanceof JsonObject p)
                            || !(p.getValue(name) instanceof JsonObject t) ? null : secrets.decryptConsumerPlugin(name, t);
                    if (theirs != null && value.equals(theirs.getValue(field))) {
                        return fail("duplicate " + field + " of plugin " + name + " found with "
                                + (credential ? "credential: " + loc.id() + " of consumer: " + owner : "consumer: " + owner));
                    }
                }
            }
            return Future.succeededFuture();
        });
    }

    private Future<Void> checkVars(String id, JsonObject conf) {
        if (conf.getValue("vars") instanceof JsonArray vars) {
            String varsErr = checks.checkVars(vars);
            if (varsErr != null) {
                return fail("failed to validate the 'vars' expression: " + varsErr);
            }
        }
        return Future.succeededFuture();
    }

    /** A plugin may appear in one global rule only. */
    private Future<Void> checkGlobalRuleUnique(String id, JsonObject conf) {
        JsonObject mine = conf.getJsonObject("plugins");
        return store.list(ResourceKind.GLOBAL_RULES.dir(store.prefix())).compose(rules -> {
            for (KeyValue kv : rules) {
                JsonObject other = ResourceApi.decodeObject(kv.value());
                if (other == null || other.getValue("id") == null
                        || ResourceApi.luaString(other.getValue("id")).equals(id)
                        || !(other.getValue("plugins") instanceof JsonObject theirs)) {
                    continue;
                }
                for (String name : mine.fieldNames()) {
                    if (theirs.containsKey(name)) {
                        return fail("plugin '" + name + "' already exists in global rule with id '"
                                + ResourceApi.luaString(other.getValue("id")) + "'");
                    }
                }
            }
            return Future.succeededFuture();
        });
    }

    private Future<Void> checkPluginMetadata(String name, JsonObject conf) {
        if (name == null) {
            return fail("missing plugin name");
        }
        Plugin<?> plugin = plugins.get(name);
        if (plugin == null) {
            return fail("invalid plugin name");
        }
        String err = ResourceKind.PLUGIN_METADATA.validate(schemas, conf);
        if (err == null && plugin.metadataSchema() != null) {
            // without a metadata schema APISIX accepts any object
            err = plugins.validateMetadata(name, conf);
        }
        return err == null ? Future.succeededFuture() : fail(err);
    }

    /** Every plugin of a {@code plugins} object through the registry, as the route builder will. */
    private String checkPlugins(Object pluginsConf) {
        if (!(pluginsConf instanceof JsonObject map)) {
            return null;
        }
        for (String name : map.fieldNames()) {
            Object conf = map.getValue(name);
            if (plugins.get(name) == null) {
                return "unknown plugin [" + name + "]";
            }
            if (!(conf instanceof JsonObject obj)) {
                return "failed to check the configuration of plugin " + name + " err: wrong type: expected object, got "
                        + (conf instanceof JsonArray ? "table" : conf instanceof Number ? "number"
                        : conf instanceof Boolean ? "boolean" : conf == null ? "userdata" : "string");
            }
            try {
                plugins.bind(name, obj.copy());
            } catch (PluginConfigException e) {
                return e.getMessage();
            }
        }
        return null;
    }

    private static <T> Future<T> fail(String msg) {
        return Future.failedFuture(AdminException.badRequest(msg));
    }
}
