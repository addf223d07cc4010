package dev.aigw.gateway.context;

import dev.aigw.gateway.consumer.Consumer;
import dev.aigw.gateway.consumer.Consumers;
import dev.aigw.gateway.plugin.PluginBinding;
import dev.aigw.gateway.route.Route;
import dev.aigw.gateway.upstream.UpstreamHandler;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the gateway knows about one request while it runs: the Vert.x request and response,
 * the matched route and its plugins, the chosen upstream, the request body (when something needed
 * it), variables set by plugins and the extra fields plugins hand to loggers.
 *
 * <p>Confined to the request's event loop: not thread-safe, and never needs to be.
 *
 * <p>The response is written through {@link #sendHead}, {@link #write} and {@link #end} so that the
 * plugins' header and body filters run; {@link #exit} answers the request from a plugin.
 */
public final class RequestContext {

    /**
     * Thrown (as a failed future) by {@link #readBody(long)} when the body exceeds a cap; the message is
     * APISIX's ({@code request size N is greater than the maximum size M allowed}).
     */
    public static final class BodyTooLargeException extends RuntimeException {
        private final long limit;

        public BodyTooLargeException(long limit) {
            this(limit, -1);
        }

        /** @param size the announced {@code Content-Length}, or -1 when the body was counted while read */
        public BodyTooLargeException(long limit, long size) {
            super(size >= 0 ? "request size " + size + " is greater than the maximum size " + limit + " allowed"
                    : "request size is greater than the maximum size " + limit + " allowed");
            this.limit = limit;
        }

        /** The cap that was passed, in bytes. */
        public long limit() {
            return limit;
        }
    }

    /** Thrown (as a failed future) by {@link #readBody(long)} when the gateway-wide {@link BodyBudget} is spent (→ 503). */
    public static final class BodyBudgetExceededException extends RuntimeException {
        public BodyBudgetExceededException() {
            super("too many request bodies are buffered at once; retry later", null, false, false);
        }
    }

    /** The {@code Server} response header. */
    public static final String SERVER = "aigw/0.1";
    private static final String REQUEST_ID = "X-Request-Id";

    private final Vertx vertx;
    private final HttpServerRequest request;
    private final HttpServerResponse response;
    private final VariableRegistry variables;
    private final long maxBodySize;
    private final BodyBudget budget;
    private final long startMillis = System.currentTimeMillis();
    private final long startNanos = System.nanoTime();

    private String requestId;
    private Route route;
    private List<PluginBinding<?>> plugins = List.of();
    private UpstreamHandler upstream;
    private Consumers consumers = Consumers.EMPTY;
    private Consumer consumer;

    private ProxyRequest proxyRequest;

    private Future<Buffer> bodyFuture;
    private Buffer body;
    private long reserved;
    private long postArgsLimit;
    private boolean postArgsUnread;
    private boolean bodyParsed;
    private Object parsedBody;
    private boolean jsonParsed;
    private JsonObject jsonBody;
    /** The body was replaced by {@link #jsonBody(JsonObject)} and is serialised on first {@link #body()}. */
    private boolean bodyUnencoded;
    /** While {@link #bodyUnencoded}: the length of the body it replaced (a size hint). */
    private int replacedLength;

    private Map<String, Object> vars;
    private Map<Object, Object> attrs;
    private Map<String, Object> logFields;

    private List<Runnable> closeHandlers;
    private dev.aigw.gateway.websocket.WebSocketUpgrade webSocket;

    private boolean exited;
    private String pluginOwner;
    private boolean headSent;
    private boolean ended;
    private long endNanos;
    private int finalStatus;

    public RequestContext(Vertx vertx, HttpServerRequest request, VariableRegistry variables, long maxBodySize) {
        this(vertx, request, variables, maxBodySize, BodyBudget.UNLIMITED);
    }

    /**
     * @param maxBodySize {@code client_max_body_size} in bytes, 0 for no limit
     * @param budget      the gateway-wide budget every body read into memory reserves from
     */
    public RequestContext(Vertx vertx, HttpServerRequest request, VariableRegistry variables, long maxBodySize,
                          BodyBudget budget) {
        this.vertx = vertx;
        this.request = request;
        this.response = request.response();
        this.variables = variables;
        this.maxBodySize = maxBodySize;
        this.budget = budget;
    }

    public Vertx vertx() {
        return vertx;
    }

    public HttpServerRequest request() {
        return request;
    }

    public HttpServerResponse response() {
        return response;
    }

    public VariableRegistry variables() {
        return variables;
    }

    /** Wall-clock start of the request, in ms since the epoch. */
    public long startMillis() {
        return startMillis;
    }

    /** {@link System#nanoTime()} at the start of the request. */
    public long startNanos() {
        return startNanos;
    }

    /** {@link System#nanoTime()} when the response was finished (or the client went away), 0 before. */
    public long endNanos() {
        return endNanos;
    }

    /** 32 lowercase hex characters, or the client's {@code X-Request-Id}. */
    public String requestId() {
        return requestId;
    }

    public void requestId(String id) {
        this.requestId = id;
    }

    /** The matched route, or null before matching / when nothing matched. */
    public Route route() {
        return route;
    }

    /**
     * Sets the matched route and the plugins that run for this request (route plugins merged with
     * global rules), sorted by priority, higher first.
     */
    public void route(Route route, List<PluginBinding<?>> plugins) {
        this.route = route;
        this.plugins = plugins;
    }

    /** The consumers of the configuration this request runs on (auth plugins look callers up here). */
    public Consumers consumers() {
        return consumers;
    }

    /** Set by the server with the route: the consumers of the same configuration. */
    public void consumers(Consumers consumers) {
        this.consumers = consumers;
    }

    /** The caller an auth plugin identified, or null. */
    public Consumer consumer() {
        return consumer;
    }

    /**
     * APISIX's {@code attach_consumer}: records the caller (for {@code $consumer_name}, the logs and
     * the consumer's plugins, merged in by the server after the rewrite phase) and sets the upstream
     * headers {@code X-Consumer-Username}, {@code X-Credential-Identifier} and
     * {@code X-Consumer-Custom-ID}, overwriting whatever the client sent (a missing value removes the header).
     */
    public void attachConsumer(Consumer consumer) {
        this.consumer = consumer;
        MultiMap h = proxyRequest().headers();
        setOrRemove(h, "X-Consumer-Username", consumer.username());
        setOrRemove(h, "X-Credential-Identifier", consumer.credentialId());
        setOrRemove(h, "X-Consumer-Custom-ID", consumer.customId());
    }

    private static void setOrRemove(MultiMap h, String name, String value) {
        if (value == null) {
            h.remove(name);
        } else {
            h.set(name, value);
        }
    }

    /** The plugins that run for this request, higher priority first. */
    public List<PluginBinding<?>> plugins() {
        return plugins;
    }

    public UpstreamHandler upstream() {
        return upstream;
    }

    /** Installs the handler that will proxy this request (ai-proxy does this in beforeProxy/access). */
    public void upstream(UpstreamHandler upstream) {
        this.upstream = upstream;
    }

    /**
     * The request as it will be sent upstream (method, uri, host, headers), created from the
     * client's request on first use; plugins change it before proxying.
     */
    public ProxyRequest proxyRequest() {
        if (proxyRequest == null) {
            MultiMap h = MultiMap.caseInsensitiveMultiMap();
            for (Map.Entry<String, String> e : request.headers()) {
                if (!HopByHop.is(e.getKey())) {
                    h.add(e.getKey(), e.getValue());
                }
            }
            proxyRequest = new ProxyRequest(request.method(), request.uri(), h);
        }
        return proxyRequest;
    }

    // ---------------------------------------------------------------- body

    /**
     * The request body if it was read, else null (it is then streamed to the upstream); a body replaced by
     * {@link #jsonBody(JsonObject)} is serialised here, once.
     */
    public Buffer body() {
        if (bodyUnencoded) {
            bodyUnencoded = false;
            body = Buffer.buffer(jsonBody.encode());
        }
        return body;
    }

    /**
     * The body's length in bytes, for sizing a buffer: without serialising a body replaced by
     * {@link #jsonBody(JsonObject)} (then the length of the body it replaced); 0 without a body.
     */
    public int bodyLengthHint() {
        return bodyUnencoded ? replacedLength : body == null ? 0 : body.length();
    }

    /** True once the body has been (or is being) read into memory. */
    public boolean bodyRequested() {
        return bodyFuture != null;
    }

    /** {@link #readBody(long)} capped only by {@code client_max_body_size}. */
    public Future<Buffer> readBody() {
        return readBody(0);
    }

    /**
     * Reads the whole request body into memory once (later calls share the result), capped at {@code cap}
     * bytes (0: no cap of the caller's own) and at {@code client_max_body_size}. Past the cap the future
     * fails with {@link BodyTooLargeException} at once: from the {@code Content-Length} before anything is
     * read, else as soon as the count passes it; the rest of the body is then drained, not kept. The bytes
     * are reserved from the gateway-wide {@link BodyBudget} first; when it is spent the future fails with
     * {@link BodyBudgetExceededException}.
     *
     * <p>A later call with a smaller cap than the first read's fails if the body read is larger.
     */
    public Future<Buffer> readBody(long cap) {
        long limit = cap <= 0 ? maxBodySize : maxBodySize <= 0 ? cap : Math.min(cap, maxBodySize);
        if (bodyFuture != null) {
            return limit <= 0 ? bodyFuture : bodyFuture.compose(b -> b.length() > limit
                    ? Future.failedFuture(new BodyTooLargeException(limit, b.length()))
                    : Future.succeededFuture(b));
        }
        long announced = -1;
        String cl = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (cl != null) {
            try {
                announced = Long.parseLong(cl.trim());
            } catch (NumberFormatException ignored) {
                // the HTTP codec refuses it before we get here
            }
        }
        if (limit > 0 && announced > limit) {
            bodyFuture = Future.failedFuture(new BodyTooLargeException(limit, announced));
            discardBody();
            return bodyFuture;
        }
        if (announced > 0) {
            if (!budget.tryReserve(announced)) {
                bodyFuture = Future.failedFuture(new BodyBudgetExceededException());
                discardBody();
                return bodyFuture;
            }
            reserved = announced;
        }
        boolean chunked = announced < 0;
        Promise<Buffer> promise = Promise.promise();
        bodyFuture = promise.future();
        // sized once from Content-Length (within the cap and the budget): no copies while it grows
        Buffer[] acc = {announced > 0 && announced <= Integer.MAX_VALUE ? Buffer.buffer((int) announced) : Buffer.buffer()};
        request.handler(chunk -> {
            Buffer a = acc[0];
            if (a == null) {
                return; // failed: drain the rest without keeping it
            }
            long size = (long) a.length() + chunk.length();
            RuntimeException failure = null;
            if (limit > 0 && size > limit) {
                failure = new BodyTooLargeException(limit);
            } else if (chunked && !budget.tryReserve(chunk.length())) {
                failure = new BodyBudgetExceededException();
            }
            if (failure != null) {
                acc[0] = null;
                releaseBody();
                promise.tryFail(failure);
                return;
            }
            if (chunked) {
                reserved += chunk.length();
            }
            a.appendBuffer(chunk);
        });
        request.exceptionHandler(e -> {
            acc[0] = null;
            promise.tryFail(e);
        });
        request.endHandler(v -> {
            Buffer a = acc[0];
            if (a != null) {
                body = a;
                promise.tryComplete(a);
            }
        });
        request.resume();
        return bodyFuture;
    }

    /**
     * Reads the rest of the request body and throws it away (after an early 413 or 503), so that the
     * client can finish sending and read the answer, and the connection is not left stalled. Nothing is kept.
     */
    public void discardBody() {
        if (request.isEnded()) {
            return;
        }
        request.handler(chunk -> { });
        request.endHandler(v -> { });
        request.exceptionHandler(e -> { });
        request.resume();
    }

    /**
     * Gives the bytes this request reserved from the {@link BodyBudget} back (the gateway calls it once the
     * request is finished; the body itself stays readable).
     */
    public void releaseBody() {
        budget.release(reserved);
        reserved = 0;
    }

    /** Replaces the body sent upstream (after a plugin rewrote it). Resets the parsed form. */
    public void body(Buffer newBody) {
        this.body = newBody;
        if (bodyFuture == null) {
            bodyFuture = Future.succeededFuture(newBody);
        }
        this.bodyUnencoded = false;
        this.bodyParsed = false;
        this.parsedBody = null;
        this.jsonParsed = false;
        this.jsonBody = null;
    }

    /**
     * Replaces the body with a JSON object a plugin rewrote (ai-prompt-decorator): {@link #jsonBody()}
     * returns it as is, so the AI plugins after it do not parse it again, and {@link #body()} serialises
     * it once, when something needs the bytes (a passthrough upstream, a logger). The object must not be
     * changed afterwards without calling this again.
     */
    public void jsonBody(JsonObject newBody) {
        Objects.requireNonNull(newBody, "newBody");
        int was = bodyLengthHint();
        body((Buffer) null); // resets the parsed forms; the body counts as read, as with body(Buffer)
        this.bodyUnencoded = true;
        this.replacedLength = was;
        this.jsonParsed = true;
        this.jsonBody = newBody;
    }

    /**
     * The body parsed once by its Content-Type, as APISIX's {@code get_request_body_table} (what
     * {@code post_arg.*} reads): a JSON value for {@code application/json}, a {@code Map<String,String>}
     * for a url-encoded or multipart form; null when there is no body, it was not read, it does not
     * parse, or its type is another one.
     */
    public Object parsedBody() {
        if (!bodyParsed) {
            bodyParsed = true;
            parsedBody = BodyParser.parse(request.getHeader(HttpHeaders.CONTENT_TYPE), body());
        }
        return parsedBody;
    }

    /**
     * The body parsed once as a JSON object whatever its Content-Type (the AI plugins' view: clients
     * often omit it), or null when it was not read or is not a JSON object.
     */
    public JsonObject jsonBody() {
        if (!jsonParsed) {
            jsonParsed = true;
            jsonBody = BodyParser.json(body);
        }
        return jsonBody;
    }

    /** {@code post_arg.<path>} by a compiled path; null when absent, when the body was not read or is too large. */
    public Object postArg(PostArgPath path) {
        if (postArgsUnread || (postArgsLimit > 0 && body() != null && body().length() > postArgsLimit)) {
            return null;
        }
        return path.read(parsedBody());
    }

    /** {@code apisix.max_post_args_readable_size} in bytes (0: no cap of its own). */
    public long postArgsLimit() {
        return postArgsLimit;
    }

    /** Sets {@link #postArgsLimit()} (the gateway does, once per request). */
    public void postArgsLimit(long limit) {
        this.postArgsLimit = limit;
    }

    /**
     * Marks the body as too large to read for {@code post_arg.*} (its announced length passes
     * {@link #postArgsLimit()}): every {@code post_arg} has no value, and the body is left unread, to be
     * streamed to the upstream.
     */
    public void postArgsUnread() {
        this.postArgsUnread = true;
    }

    // ---------------------------------------------------------------- variables

    /** A variable's value: one set on this request wins, else the registry's resolver; null if unset. */
    public Object var(String name) {
        if (vars != null) {
            Object v = vars.get(name);
            if (v != null) {
                return v;
            }
        }
        return variables.resolve(this, name);
    }

    /** A variable's value as a string, or null. */
    public String varString(String name) {
        Object v = var(name);
        return v == null ? null : v.toString();
    }

    /** Sets a variable on this request ({@code llm_model}, {@code upstream_status} …); null removes it. */
    public void setVar(String name, Object value) {
        if (vars == null) {
            if (value == null) {
                return;
            }
            vars = new HashMap<>();
        }
        if (value == null) {
            vars.remove(name);
        } else {
            vars.put(name, value);
        }
    }

    /** Per-request plugin state, keyed by anything (ideally a private static key object). */
    @SuppressWarnings("unchecked")
    public <T> T get(Object key) {
        return attrs == null ? null : (T) attrs.get(key);
    }

    public void put(Object key, Object value) {
        if (attrs == null) {
            attrs = new HashMap<>();
        }
        attrs.put(key, value);
    }

    /**
     * Extra top-level fields that plugins hand to loggers ({@code llm_summary}, {@code llm_request},
     * {@code llm_response_text} …), in insertion order.
     */
    public Map<String, Object> logFields() {
        if (logFields == null) {
            logFields = new LinkedHashMap<>();
        }
        return logFields;
    }

    // ---------------------------------------------------------------- response

    /**
     * Runs {@code action} if the client goes away before the response is complete (an upstream
     * handler resets its upstream request this way). Use this instead of
     * {@code response().closeHandler(...)}: the gateway owns that single handler and fans out.
     */
    public void onClientClose(Runnable action) {
        if (closeHandlers == null) {
            closeHandlers = new java.util.ArrayList<>(2);
        }
        closeHandlers.add(action);
    }

    /** Called by the gateway when the client connection closed before the response ended. */
    public void fireClientClosed() {
        if (closeHandlers != null) {
            for (Runnable r : closeHandlers) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    org.slf4j.LoggerFactory.getLogger(RequestContext.class).warn("client-close handler failed", e);
                }
            }
            closeHandlers = null;
        }
    }

    /**
     * The WebSocket upgrade this request asks for, when its route has {@code enable_websocket}; null
     * otherwise. An upstream handler that relays WebSockets checks it in {@code proxy}.
     */
    public dev.aigw.gateway.websocket.WebSocketUpgrade webSocket() {
        return webSocket;
    }

    /** Set by the gateway when the route accepts the upgrade this request asks for. */
    public void webSocket(dev.aigw.gateway.websocket.WebSocketUpgrade upgrade) {
        this.webSocket = upgrade;
    }

    /**
     * The store key of the resource whose {@code plugins} hold the configuration of the plugin phase
     * running now ({@code /apisix/routes/1}, {@code /apisix/services/s}, {@code /apisix/consumers/jack},
     * {@code /apisix/global_rules/1} …): APISIX's {@code conf._meta.parent.resource_key}, which counter
     * keys start with. Null for a plugin bound outside a route table. Set by
     * {@link dev.aigw.gateway.plugin.PluginBinding} before each call, so read it in the call itself.
     */
    public String pluginOwner() {
        return pluginOwner;
    }

    /** Set by {@link dev.aigw.gateway.plugin.PluginBinding} before each phase call. */
    public void pluginOwner(String owner) {
        this.pluginOwner = owner;
    }

    /** True once a plugin answered the request itself. */
    public boolean exited() {
        return exited;
    }

    public boolean headSent() {
        return headSent;
    }

    public boolean ended() {
        return ended;
    }

    /** The status sent to the client (499 if the client went away first), 0 while unknown. */
    public int status() {
        return finalStatus != 0 ? finalStatus : (headSent ? response.getStatusCode() : 0);
    }

    /**
     * Marks the request finished (called by the gateway when the response ended or the connection
     * closed) and records the final status.
     */
    public void markFinished(int status) {
        if (endNanos == 0) {
            endNanos = System.nanoTime();
            finalStatus = status;
        }
    }

    /**
     * Sends the status line and headers (set on {@link #response()} beforehand) after running every
     * plugin's header filter. Idempotent.
     */
    public void sendHead(int status) {
        if (headSent) {
            return;
        }
        response.setStatusCode(status);
        // as APISIX: the gateway names itself, whatever the upstream said; the request id goes back too
        response.headers().set(HttpHeaders.SERVER, SERVER);
        if (requestId != null) {
            response.headers().set(REQUEST_ID, requestId);
        }
        for (PluginBinding<?> p : plugins) {
            p.headerFilter(this);
        }
        headSent = true;
    }

    /** Writes one body chunk through the plugins' body filters. Sends the head first if needed. */
    public Future<Void> write(Buffer chunk) {
        if (!headSent) {
            sendHead(response.getStatusCode());
        }
        Buffer out = filter(chunk, false);
        if (out == null || out.length() == 0) {
            return Future.succeededFuture();
        }
        return response.write(out);
    }

    /** Ends the response, with an optional last chunk (null for none), through the body filters. */
    public Future<Void> end(Buffer lastChunk) {
        if (ended) {
            return Future.succeededFuture();
        }
        if (!headSent) {
            sendHead(response.getStatusCode());
        }
        ended = true;
        Buffer out = filter(lastChunk == null ? Buffer.buffer() : lastChunk, true);
        return out == null || out.length() == 0 ? response.end() : response.end(out);
    }

    private Buffer filter(Buffer chunk, boolean last) {
        Buffer out = chunk;
        for (PluginBinding<?> p : plugins) {
            out = p.bodyFilter(this, out, last);
            if (out == null) {
                out = Buffer.buffer();
            }
        }
        return out;
    }

    /** Answers the request from a plugin and stops the phase chain: APISIX's {@code core.response.exit}. */
    public void exit(int status, JsonObject body) {
        exited = true;
        if (ended || response.ended() || response.closed()) {
            return;
        }
        if (!headSent) {
            response.headers().set(HttpHeaders.CONTENT_TYPE, "application/json");
        }
        sendHead(status);
        end(body == null ? null : Buffer.buffer(body.encode() + "\n"));
    }

    /** {@link #exit(int, JsonObject)} with a plain-text body. */
    public void exit(int status, String body) {
        exited = true;
        if (ended || response.ended() || response.closed()) {
            return;
        }
        if (!headSent) {
            response.headers().set(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8");
        }
        sendHead(status);
        end(body == null ? null : Buffer.buffer(body));
    }

    /** Answers with APISIX's error shape {@code {"error_msg": message}}. */
    public void exitError(int status, String message) {
        exit(status, new JsonObject().put("error_msg", message));
    }
}
