package dev.aigw.plugins.errornotify;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.gateway.plugin.PluginEnv;
import dev.aigw.gateway.route.Route;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ai-error-notify}: when an AI call fails as configured — a status or status class
 * ({@code 5xx} by default), or every instance of ai-proxy-multi failed — sends a short message to
 * Feishu/Lark bots, a Matrix room or a JSON webhook.
 *
 * <p>Messages are rate-limited per (route, kind of failure): at most {@code max_per_window} per
 * {@code window} seconds, the rest counted and reported with the next message, so an outage sends a
 * few messages, not thousands. Sent with the Vert.x web client from the log phase, never waited
 * for; at most {@value #MAX_IN_FLIGHT} sends are in flight (the rest dropped and counted). Webhook
 * URLs and tokens never appear in the gateway's logs (only the host).
 */
public final class ErrorNotifyPlugin implements Plugin<NotifyConfig> {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorNotifyPlugin.class);

    public static final String NAME = "ai-error-notify";
    /** Below ai-proxy-multi (1041) and ai-proxy (1040): their log fields are set when this runs. */
    public static final int PRIORITY = 397;
    static final int MAX_IN_FLIGHT = 64;

    private static final String SCHEMA = """
            {
              "type": "object",
              "properties": {
                "webhooks": {
                  "type": "array", "minItems": 1, "maxItems": 8,
                  "items": {
                    "type": "object",
                    "properties": {
                      "type": {"type": "string", "enum": ["feishu", "lark", "matrix", "json"]},
                      "url": {"type": "string", "pattern": "^https?://"},
                      "secret": {"type": "string", "minLength": 1},
                      "room_id": {"type": "string", "minLength": 1},
                      "access_token": {"type": "string", "minLength": 1},
                      "headers": {"type": "object", "additionalProperties": {"type": "string"}}
                    },
                    "required": ["type", "url"],
                    "additionalProperties": false
                  }
                },
                "status": {
                  "type": "array", "minItems": 1, "uniqueItems": true,
                  "items": {"type": "string", "pattern": "^([1-5]xx|[1-5][0-9][0-9])$"},
                  "default": ["5xx"]
                },
                "all_instances_failed": {"type": "boolean", "default": false},
                "window": {"type": "integer", "minimum": 1, "default": 60},
                "max_per_window": {"type": "integer", "minimum": 1, "default": 3},
                "timeout": {"type": "integer", "minimum": 1, "default": 5000},
                "title": {"type": "string", "minLength": 1, "default": "aigw: AI request failed"}
              },
              "required": ["webhooks"]
            }
            """;

    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong failedSends = new AtomicLong();
    private final AtomicLong droppedSends = new AtomicLong();
    /** Failure keys past a configuration's cap, over every configuration (each has its own table). */
    private final AtomicLong droppedKeys = new AtomicLong();
    private volatile WebClient client;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    @Override
    public String schema() {
        return SCHEMA;
    }

    @Override
    public void init(PluginEnv env) {
        env.metrics().capOverflows(NAME + ".sends", droppedSends::get);
        env.metrics().capOverflows(NAME + ".keys", droppedKeys::get);
        client = WebClient.create(env.vertx(), new WebClientOptions()
                .setConnectTimeout(5000)
                .setUserAgent("aigw-error-notify"));
    }

    @Override
    public NotifyConfig parseConfig(JsonObject conf) throws PluginConfigException {
        List<Webhook> hooks = new ArrayList<>();
        for (Object o : conf.getJsonArray("webhooks")) {
            JsonObject w = (JsonObject) o;
            String type = w.getString("type");
            if (type.equals("matrix") && (w.getString("room_id") == null || w.getString("access_token") == null)) {
                throw new PluginConfigException("webhooks: a matrix webhook needs room_id and access_token");
            }
            Map<String, String> headers = new LinkedHashMap<>();
            JsonObject h = w.getJsonObject("headers");
            if (h != null) {
                h.forEach(e -> headers.put(e.getKey(), String.valueOf(e.getValue())));
            }
            hooks.add(new Webhook(type.equals("lark") ? "feishu" : type, w.getString("url"), w.getString("secret"),
                    w.getString("room_id"), w.getString("access_token"), Map.copyOf(headers)));
        }
        List<Integer> codes = new ArrayList<>();
        List<Integer> classes = new ArrayList<>();
        for (Object o : conf.getJsonArray("status", new JsonArray().add("5xx"))) {
            String s = (String) o;
            if (s.endsWith("xx")) {
                classes.add(s.charAt(0) - '0');
            } else {
                codes.add(Integer.parseInt(s));
            }
        }
        long windowMs = conf.getInteger("window", 60) * 1000L;
        int max = conf.getInteger("max_per_window", 3);
        return new NotifyConfig(List.copyOf(hooks), List.copyOf(codes), List.copyOf(classes),
                conf.getBoolean("all_instances_failed", false), windowMs, max, conf.getInteger("timeout", 5000),
                conf.getString("title", "aigw: AI request failed"), new Dedup(windowMs, max, droppedKeys));
    }

    // ------------------------------------------------------------------ log phase

    @Override
    public void log(NotifyConfig conf, RequestContext ctx) {
        int status = ctx.status();
        if (status < 400 && !conf.allInstancesFailed()) {
            return; // the common case: nothing to do, nothing allocated
        }
        boolean allFailed = allInstancesFailed(ctx, status);
        String kind;
        if (conf.allInstancesFailed()) {
            if (!allFailed) {
                return;
            }
            kind = "all_instances_failed";
        } else if (conf.statusCodes().contains(status) || conf.statusClasses().contains(status / 100)) {
            kind = allFailed ? "all_instances_failed" : (status / 100) + "xx";
        } else {
            return;
        }
        Route route = ctx.route();
        String routeId = route == null ? "" : route.id();
        Dedup.Decision d = conf.dedup().offer(routeId + "|" + kind, System.currentTimeMillis());
        if (!d.send()) {
            return;
        }
        JsonObject event = event(conf, ctx, status, kind, allFailed, d.suppressedBefore());
        for (Webhook w : conf.webhooks()) {
            send(conf, w, event);
        }
    }

    /**
     * True when ai-proxy-multi answered after every instance of the route failed (or none was
     * available): read from its {@code ai_proxy_multi} log field and the route's configuration.
     */
    static boolean allInstancesFailed(RequestContext ctx, int status) {
        if (status < 400 || !(ctx.logFields().get("ai_proxy_multi") instanceof Map<?, ?> multi)) {
            return false;
        }
        int configured = instanceCount(ctx.route());
        Set<Object> failedNames = new HashSet<>();
        if (multi.get("tried") instanceof List<?> tried) {
            for (Object t : tried) {
                if (t instanceof Map<?, ?> a) {
                    Object st = a.get("status");
                    if (!(st instanceof Number n) || n.intValue() >= 400 || n.intValue() == 0) {
                        failedNames.add(a.get("instance") != null ? a.get("instance") : a.get("name"));
                    } else {
                        return false; // an instance answered: the failure is the request's, not the instances'
                    }
                }
            }
        }
        // none tried and 503: no instance was available at all
        return failedNames.isEmpty() ? status == 503 : configured > 0 && failedNames.size() >= configured;
    }

    private static int instanceCount(Route route) {
        if (route == null || route.definition() == null
                || !(route.definition().getValue("plugins") instanceof JsonObject plugins)
                || !(plugins.getValue("ai-proxy-multi") instanceof JsonObject multi)
                || !(multi.getValue("instances") instanceof JsonArray instances)) {
            return 0;
        }
        return instances.size();
    }

    private static JsonObject event(NotifyConfig conf, RequestContext ctx, int status, String kind,
                                    boolean allFailed, long suppressed) {
        Route route = ctx.route();
        JsonObject e = new JsonObject()
                .put("title", conf.title())
                .put("kind", kind)
                .put("time", Instant.ofEpochMilli(ctx.startMillis()).toString())
                .put("route_id", route == null ? null : route.id())
                .put("route_name", route == null ? null : route.name())
                .put("uri", ctx.request().path())
                .put("status", status)
                .put("upstream_status", ctx.varString("upstream_status"))
                .put("model", ctx.varString("llm_model") != null ? ctx.varString("llm_model")
                        : ctx.varString("request_llm_model"))
                .put("instance", ctx.varString("ai_proxy_multi_instance"))
                .put("attempts", ctx.var("ai_proxy_multi_attempts"))
                .put("all_instances_failed", allFailed)
                .put("consumer", ctx.varString("consumer_name"))
                .put("request_id", ctx.requestId())
                .put("suppressed", suppressed);
        e.put("text", text(e));
        return e;
    }

    /** The human-readable message (Feishu, Matrix, and the JSON's {@code text}). */
    static String text(JsonObject e) {
        StringBuilder sb = new StringBuilder(256);
        sb.append(e.getString("title")).append('\n');
        sb.append(e.getBoolean("all_instances_failed") ? "all instances failed" : "status " + e.getInteger("status"));
        sb.append(" on route ").append(e.getString("route_id"));
        if (e.getString("route_name") != null) {
            sb.append(" (").append(e.getString("route_name")).append(')');
        }
        sb.append(' ').append(e.getString("uri")).append('\n');
        appendIf(sb, "status", e.getValue("status"));
        appendIf(sb, "upstream status", e.getValue("upstream_status"));
        appendIf(sb, "model", e.getValue("model"));
        appendIf(sb, "instance", e.getValue("instance"));
        appendIf(sb, "attempts", e.getValue("attempts"));
        appendIf(sb, "consumer", e.getValue("consumer"));
        appendIf(sb, "request id", e.getValue("request_id"));
        appendIf(sb, "time", e.getValue("time"));
        if (e.getLong("suppressed") > 0) {
            sb.append("and ").append(e.getLong("suppressed")).append(" similar failures not notified before this one\n");
        }
        return sb.toString().trim();
    }

    private static void appendIf(StringBuilder sb, String label, Object v) {
        if (v != null) {
            sb.append(label).append(": ").append(v).append('\n');
        }
    }

    // ------------------------------------------------------------------ sending

    private void send(NotifyConfig conf, Webhook w, JsonObject event) {
        WebClient c = client;
        if (c == null) {
            return;
        }
        if (inFlight.incrementAndGet() > MAX_IN_FLIGHT) {
            inFlight.decrementAndGet();
            long n = droppedSends.incrementAndGet();
            if (n == 1 || n % 100 == 0) {
                LOG.warn("ai-error-notify: too many notifications in flight, {} dropped so far", n);
            }
            return;
        }
        HttpRequest<Buffer> req;
        JsonObject body;
        try {
            switch (w.type()) {
                case "feishu" -> {
                    req = c.postAbs(w.url());
                    body = new JsonObject().put("msg_type", "text")
                            .put("content", new JsonObject().put("text", event.getString("text")));
                    if (w.secret() != null) {
                        long ts = System.currentTimeMillis() / 1000;
                        body.put("timestamp", Long.toString(ts)).put("sign", feishuSign(ts, w.secret()));
                    }
                }
                case "matrix" -> {
                    String base = w.url().endsWith("/") ? w.url().substring(0, w.url().length() - 1) : w.url();
                    String txn = "aigw-" + event.getString("request_id") + "-" + System.nanoTime();
                    req = c.requestAbs(HttpMethod.PUT, base + "/_matrix/client/v3/rooms/"
                            + URLEncoder.encode(w.roomId(), StandardCharsets.UTF_8) + "/send/m.room.message/"
                            + URLEncoder.encode(txn, StandardCharsets.UTF_8));
                    req.bearerTokenAuthentication(w.accessToken());
                    body = new JsonObject().put("msgtype", "m.text").put("body", event.getString("text"));
                }
                default -> {
                    req = c.postAbs(w.url());
                    body = event;
                }
            }
        } catch (RuntimeException e) {
            inFlight.decrementAndGet();
            failedSends.incrementAndGet();
            LOG.warn("ai-error-notify: cannot build the {} request to {}: {}", w.type(), host(w.url()), e.getMessage());
            return;
        }
        w.headers().forEach(req::putHeader);
        req.timeout(conf.timeoutMs()).sendJsonObject(body).onComplete(ar -> {
            inFlight.decrementAndGet();
            if (ar.succeeded() && ar.result().statusCode() / 100 == 2) {
                sent.incrementAndGet();
            } else {
                failedSends.incrementAndGet();
                LOG.warn("ai-error-notify: {} webhook at {} failed: {}", w.type(), host(w.url()),
                        ar.succeeded() ? "status " + ar.result().statusCode() : ar.cause().getMessage());
            }
        });
    }

    /** Feishu/Lark's bot signature: HMAC-SHA256 keyed by "timestamp\nsecret" over nothing, base64. */
    static String feishuSign(long ts, String secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec((ts + "\n" + secret).getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return Base64.getEncoder().encodeToString(mac.doFinal(new byte[0]));
        } catch (Exception e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    private static String host(String url) {
        try {
            return URI.create(url).getHost();
        } catch (RuntimeException e) {
            return "?";
        }
    }

    @Override
    public Future<Void> close() {
        WebClient c = client;
        if (c != null) {
            c.close();
        }
        return Future.succeededFuture();
    }
}
