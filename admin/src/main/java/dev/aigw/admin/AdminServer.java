package dev.aigw.admin;

import dev.aigw.gateway.conf.AdminKey;
import dev.aigw.gateway.net.Cidr;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginAdminApi;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.gateway.plugin.PluginRegistry;
import dev.aigw.gateway.schema.ResourceSchemas;
import dev.aigw.gateway.stats.TrafficStats;
import dev.aigw.gateway.store.ConfigStore;
import dev.aigw.gateway.store.KeyValue;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
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
    private HttpServer server;
    private Dashboard dashboard;

    private AdminServer(AdminOptions opts, ConfigStore store, PluginRegistry plugins, AdminChecks checks,
                        ResourceSchemas schemas) {
        this.opts = opts;
        this.store = store;
        this.plugins = plugins;
        this.checks = checks == null ? AdminChecks.NONE : checks;
        this.schemas = schemas;
        resources.put("routes", new ResourceApi("routes", "route", Set.of(), false,
                this::checkRoute, null, store));
        resources.put("upstreams", new ResourceApi("upstreams", "upstream", Set.of(), false,
                this::checkUpstream, this::upstreamInUse, store));
        resources.put("global_rules", new ResourceApi("global_rules", "global rule", Set.of("post"), false,
                this::checkGlobalRule, null, store));
        resources.put("plugin_metadata", new ResourceApi("plugin_metadata", "plugin_metadata",
                Set.of("post", "patch"), true, this::checkPluginMetadata, null, store));
        this.pluginApis = new PluginApis(plugins, Set.of("plugins", "routes", "upstreams", "global_rules",
                "plugin_metadata", "services", "consumers", "credentials", "consumer_groups", "plugin_configs",
                "ssls", "secrets", "protos", "stream_routes", "schema"));
    }

    /**
     * Starts the Admin API.
     *
     * @param checks extra semantic checks (vars expressions); {@link AdminChecks#NONE} or null for none
     * @return the running server, once it listens
     */
    public static Future<AdminServer> start(Vertx vertx, AdminOptions opts, ConfigStore store, PluginRegistry plugins,
                                            AdminChecks checks) {
        return start(vertx, opts, store, plugins, checks, null, null);
    }

    /**
     * Starts the Admin API with the dashboard ({@code /ui/}) when {@code stats} is given.
     *
     * @param storeName the store's name as the dashboard shows it ({@code etcd} or {@code built-in})
     */
    public static Future<AdminServer> start(Vertx vertx, AdminOptions opts, ConfigStore store, PluginRegistry plugins,
                                            AdminChecks checks, TrafficStats stats, String storeName) {
        // schemas and the page come from class-path resources: read them off the event loop
        Future<Dashboard> page = Dashboard.load(vertx, stats, store, storeName);
        return vertx.executeBlocking(ResourceSchemas::load).compose(schemas -> page.compose(dash -> {
            AdminServer admin = new AdminServer(opts, store, plugins, checks, schemas);
            admin.dashboard = dash;
            HttpServer http = vertx.createHttpServer(new HttpServerOptions().setHost(opts.host()).setPort(opts.port()));
            http.requestHandler(admin::handle);
            return http.listen().map(s -> {
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

    private Future<Void> checkRoute(String id, JsonObject conf) {
        String err = schemas.validateRoute(conf);
        if (err != null) {
            return fail(err);
        }
        Future<Void> upstreamRef = Future.succeededFuture();
        Object upstreamId = conf.getValue("upstream_id");
        if (upstreamId != null) {
            String upId = ResourceApi.luaString(upstreamId);
            upstreamRef = store.get(resources.get("upstreams").key(upId)).compose(kv -> kv == null
                    ? fail("failed to fetch upstream info by upstream id [" + upId + "], response code: 404")
                    : Future.succeededFuture());
        }
        return upstreamRef.compose(v -> {
            String pluginErr = checkPlugins(conf.getValue("plugins"));
            if (pluginErr != null) {
                return fail(pluginErr);
            }
            if (conf.getValue("vars") instanceof JsonArray vars) {
                String varsErr = checks.checkVars(vars);
                if (varsErr != null) {
                    return fail("failed to validate the 'vars' expression: " + varsErr);
                }
            }
            return Future.succeededFuture();
        });
    }

    private Future<Void> checkUpstream(String id, JsonObject conf) {
        String err = schemas.validateUpstream(conf);
        return err == null ? Future.succeededFuture() : fail(err);
    }

    private Future<Void> upstreamInUse(String id) {
        return store.list(store.prefix() + "/routes/").compose(routes -> {
            for (KeyValue kv : routes) {
                JsonObject route = ResourceApi.decodeObject(kv.value());
                if (route != null && route.getValue("upstream_id") != null
                        && ResourceApi.luaString(route.getValue("upstream_id")).equals(id)) {
                    return fail("can not delete this upstream, route [" + ResourceApi.luaString(route.getValue("id"))
                            + "] is still using it now");
                }
            }
            return Future.succeededFuture();
        });
    }

    private Future<Void> checkGlobalRule(String id, JsonObject conf) {
        String err = schemas.validateGlobalRule(conf);
        if (err != null) {
            return fail(err);
        }
        String pluginErr = checkPlugins(conf.getValue("plugins"));
        if (pluginErr != null) {
            return fail(pluginErr);
        }
        JsonObject mine = conf.getJsonObject("plugins");
        // a plugin may appear in one global rule only
        return store.list(store.prefix() + "/global_rules/").compose(rules -> {
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
        String err = schemas.validatePluginMetadata(conf);
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
