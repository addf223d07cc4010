package dev.aigw.plugins.aiproxy;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.log.FixedFields;
import dev.aigw.gateway.plugin.Plugin;
import dev.aigw.gateway.plugin.PluginConfigException;
import dev.aigw.gateway.plugin.PluginEnv;
import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * APISIX's {@code ai-proxy} (priority 1040): proxies OpenAI-style chat and embeddings requests to
 * one LLM provider, with the configured auth and options, streaming SSE answers through, and sets
 * the LLM variables ({@code request_type}, {@code llm_model}, tokens, time to first token …).
 *
 * <p>{@code access} reads the (size-capped) body once, checks it is a chat or embeddings JSON body
 * (else 400 {@code {"error_msg": …}} and nothing is sent), notes the models and the request type,
 * and installs {@link AiUpstream}. {@code log} hands {@code llm_summary}, {@code llm_request} and
 * {@code llm_response_text} to loggers when {@code logging} asks for them.
 */
public final class AiProxyPlugin implements Plugin<AiProxyConfig> {

    public static final String NAME = "ai-proxy";
    public static final int PRIORITY = 1040;

    static final String SCHEMA = """
            {
              "type": "object",
              "properties": {
                "provider": {"type": "string", "enum": %s},
                "provider_conf": {
                  "type": "object",
                  "properties": {
                    "project_id": {"type": "string"},
                    "region": {"type": "string", "minLength": 1},
                    "chat_protocol": {"type": "string", "enum": ["openai-chat", "anthropic-messages"]}
                  }
                },
                "logging": {
                  "type": "object",
                  "properties": {
                    "summaries": {"type": "boolean", "default": false},
                    "payloads": {"type": "boolean", "default": false}
                  }
                },
                "auth": {
                  "type": "object",
                  "properties": {
                    "header": {"type": "object", "patternProperties": {"^[a-zA-Z0-9._-]+$": {"type": "string"}}},
                    "query": {"type": "object", "patternProperties": {"^[a-zA-Z0-9._-]+$": {"type": "string"}}},
                    "aws": {
                      "type": "object",
                      "properties": {
                        "access_key_id": {"type": "string", "minLength": 1},
                        "secret_access_key": {"type": "string", "minLength": 1},
                        "session_token": {"type": "string", "minLength": 1}
                      },
                      "required": ["access_key_id", "secret_access_key"]
                    },
                    "gcp": {
                      "type": "object",
                      "properties": {
                        "service_account_json": {"type": "string"},
                        "max_ttl": {"type": "integer", "minimum": 1},
                        "expire_early_secs": {"type": "integer", "minimum": 0, "default": 60}
                      }
                    }
                  },
                  "additionalProperties": false
                },
                "options": {
                  "type": "object",
                  "properties": {"model": {"type": "string"}},
                  "additionalProperties": true
                },
                "timeout": {"type": "integer", "minimum": 1, "maximum": 600000, "default": 30000},
                "max_req_body_size": {"type": "integer", "minimum": 1, "default": 67108864},
                "max_stream_duration_ms": {"type": "integer", "minimum": 1},
                "max_response_bytes": {"type": "integer", "minimum": 1},
                "keepalive": {"type": "boolean", "default": true},
                "keepalive_timeout": {"type": "integer", "minimum": 1000, "default": 60000},
                "keepalive_pool": {"type": "integer", "minimum": 1, "default": 30},
                "streaming_flush_interval_ms": {"type": "integer", "minimum": 0, "default": 10},
                "ssl_verify": {"type": "boolean", "default": true},
                "override": %2$s
              },
              "required": ["provider", "auth"]
            }
            """.formatted(new JsonArray(dev.aigw.plugins.aiproxy.provider.Providers.names()).encode(),
            BodyOverride.SCHEMA);

    private final Function<String, String> env;

    /** The plugin as discovered by ServiceLoader: the GCP fallback key comes from the process environment. */
    public AiProxyPlugin() {
        this(System::getenv);
    }

    /** With another environment (tests). */
    public AiProxyPlugin(Function<String, String> env) {
        this.env = env;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    /** APISIX's {@code encrypt_fields}: stored encrypted, decrypted when read. */
    @Override
    public java.util.List<String> encryptFields() {
        return java.util.List.of("auth.header", "auth.query", "auth.gcp.service_account_json",
                "auth.aws.secret_access_key", "auth.aws.session_token");
    }

    @Override
    public String schema() {
        return SCHEMA;
    }

    @Override
    public void init(PluginEnv pluginEnv) {
        AiVars.register(pluginEnv.variables());
    }

    @Override
    public AiProxyConfig parseConfig(JsonObject conf) throws PluginConfigException {
        String provider = conf.getString("provider");
        AiInstance instance = AiInstance.parse(NAME + "-" + provider, conf, env);
        JsonObject logging = conf.getJsonObject("logging", new JsonObject());
        TransportOptions transport = TransportOptions.from(conf);
        return new AiProxyConfig(instance, transport, logging.getBoolean("summaries", false),
                logging.getBoolean("payloads", false), new AiExecutor(transport));
    }

    @Override
    public void release(AiProxyConfig conf) {
        conf.executor().close();
    }

    @Override
    public Future<Void> access(AiProxyConfig conf, RequestContext ctx) {
        if (ctx.webSocket() != null) {
            realtime(conf, ctx);
            return Future.succeededFuture();
        }
        return readRequest(ctx, conf.logPayloads(), conf.transport().maxReqBodySize()).map(req -> {
            if (req == null) {
                return null;
            }
            String model = conf.instance().optionsModel() != null ? conf.instance().optionsModel() : req.clientModel();
            if (model != null) {
                ctx.setVar(AiVars.LLM_MODEL, model);
            }
            // APISIX's picked instance ("ai-proxy-<provider>"): ai-rate-limiting (priority 1030) reads it next
            ctx.setVar(AiVars.BALANCER_IP, conf.instance().name());
            ctx.upstream(new AiUpstream(conf.executor(), conf.instance(), req, conf.logPayloads()));
            return null;
        });
    }

    /**
     * A WebSocket upgrade on a route with {@code enable_websocket}: OpenAI's Realtime API. No body to
     * read; the model is {@code options.model}, else the client's {@code ?model=}.
     */
    private static void realtime(AiProxyConfig conf, RequestContext ctx) {
        AiInstance inst = conf.instance();
        if (!RealtimeUpstream.supports(inst)) {
            ctx.exitError(400, "provider " + inst.provider().name() + " does not support the Realtime API (WebSocket)");
            return;
        }
        String clientModel = ctx.request().getParam("model");
        String model = inst.optionsModel() != null ? inst.optionsModel() : clientModel;
        if (clientModel != null) {
            ctx.setVar(AiVars.REQUEST_LLM_MODEL, clientModel);
        }
        if (model != null) {
            ctx.setVar(AiVars.LLM_MODEL, model);
        }
        // a session streams both ways: counted with the streamed requests
        ctx.setVar(AiVars.REQUEST_TYPE, AiVars.AI_STREAM);
        ctx.setVar(AiVars.LLM_STREAM, "true");
        ctx.setVar(AiVars.BALANCER_IP, inst.name());
        ctx.upstream(new RealtimeUpstream(conf.executor(), inst, model));
    }

    /**
     * The access-phase reading shared with ai-proxy-multi: checks the content type, reads the
     * (size-capped) body once, detects the protocol and sets {@code request_llm_model},
     * {@code request_type} and {@code llm_stream}. Completes with null when the request was answered
     * with a 400 (not JSON, no known protocol) or a 413 (a body over {@code max_req_body_size}, as soon as
     * the count passes it: nothing is sent upstream and the rest is not kept; APISIX's text).
     *
     * @param maxBodySize {@code max_req_body_size} in bytes
     */
    public static Future<AiRequest> readRequest(RequestContext ctx, boolean collectText, long maxBodySize) {
        String ct = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
        if (ct != null && !ct.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            ctx.exitError(400, "unsupported content-type: " + ct + ", only application/json is supported");
            return Future.succeededFuture();
        }
        // a body over the cap is answered here with APISIX's text; the gateway answers 503 when the
        // gateway-wide body budget is spent
        return ctx.readBody(maxBodySize).recover(e -> {
            if (e instanceof RequestContext.BodyTooLargeException) {
                ctx.exitError(413, "could not get body: " + e.getMessage());
                return Future.succeededFuture();
            }
            return Future.failedFuture(e);
        }).map(raw -> {
            if (ctx.exited()) {
                return null;
            }
            JsonObject body = ctx.jsonBody();
            AiRequest req = AiRequest.of(ctx, body, collectText);
            if (body == null && (req == null || req.protocol() != AiProtocol.PASSTHROUGH)) {
                ctx.exitError(400, "invalid request body: a JSON object is required");
                return null;
            }
            if (req == null) {
                ctx.exitError(400, "no matching AI protocol for the request");
                return null;
            }
            if (req.clientModel() != null) {
                ctx.setVar(AiVars.REQUEST_LLM_MODEL, req.clientModel());
            }
            ctx.setVar(AiVars.REQUEST_TYPE, req.stream() ? AiVars.AI_STREAM : AiVars.AI_CHAT);
            ctx.setVar(AiVars.LLM_STREAM, req.stream() ? "true" : "false");
            return req;
        });
    }

    @Override
    public void log(AiProxyConfig conf, RequestContext ctx) {
        addLogFields(ctx, conf.logSummaries(), conf.logPayloads());
    }

    /** APISIX's {@code llm_summary} fields, in its order (3.18 added the ones from {@code tool_count}). */
    private static final FixedFields.Names SUMMARY = new FixedFields.Names("request_model", "model", "duration",
            "prompt_tokens", "completion_tokens", "total_tokens", "upstream_response_time", "stream",
            "tool_count", "has_tool_calls", "end_user_id", "cache_read_input_tokens", "cache_creation_input_tokens",
            "reasoning_tokens", "content_risk_level");

    /**
     * Adds {@code llm_summary} ({@code logging.summaries}) and {@code llm_request} /
     * {@code llm_response_text} ({@code logging.payloads}) to the entries loggers build; shared with
     * ai-proxy-multi.
     */
    public static void addLogFields(RequestContext ctx, boolean summaries, boolean payloads) {
        if (summaries) {
            ctx.logFields().put("llm_summary", new FixedFields(SUMMARY,
                    ctx.var(AiVars.REQUEST_LLM_MODEL), ctx.var(AiVars.LLM_MODEL), ctx.var(AiVars.LLM_TTFT),
                    ctx.var(AiVars.LLM_PROMPT_TOKENS), ctx.var(AiVars.LLM_COMPLETION_TOKENS),
                    ctx.var(AiVars.LLM_TOTAL_TOKENS), ctx.var(AiVars.APISIX_UPSTREAM_RESPONSE_TIME),
                    ctx.var(AiVars.LLM_STREAM), ctx.var(AiVars.LLM_TOOL_COUNT), ctx.var(AiVars.LLM_HAS_TOOL_CALLS),
                    ctx.var(AiVars.LLM_END_USER_ID), ctx.var(AiVars.LLM_CACHE_READ_INPUT_TOKENS),
                    ctx.var(AiVars.LLM_CACHE_CREATION_INPUT_TOKENS), ctx.var(AiVars.LLM_REASONING_TOKENS),
                    ctx.var(AiVars.LLM_CONTENT_RISK_LEVEL)));
        }
        if (payloads) {
            JsonObject body = ctx.jsonBody();
            AiRequest req = body == null ? null : AiRequest.of(ctx, body, false);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("messages", req == null ? null : plain(req.protocol().requestContent(body)));
            r.put("stream", AiVars.AI_STREAM.equals(ctx.varString(AiVars.REQUEST_TYPE)));
            ctx.logFields().put("llm_request", r);
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("content", ctx.var(AiVars.LLM_RESPONSE_TEXT));
            ctx.logFields().put("llm_response_text", t);
        }
    }

    /** Vert.x JSON values to plain maps and lists, so any logger's serializer can encode them. */
    static Object plain(Object v) {
        if (v instanceof JsonObject o) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : o) {
                m.put(e.getKey(), plain(e.getValue()));
            }
            return m;
        }
        if (v instanceof JsonArray a) {
            List<Object> l = new ArrayList<>(a.size());
            for (Object x : a) {
                l.add(plain(x));
            }
            return l;
        }
        return v;
    }
}
