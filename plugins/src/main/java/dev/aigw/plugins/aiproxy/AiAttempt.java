package dev.aigw.plugins.aiproxy;

import dev.aigw.gateway.context.HopByHop;
import dev.aigw.gateway.context.NginxTime;
import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.upstream.Backpressure;
import dev.aigw.plugins.aiproxy.protocol.TokenUsage;
import dev.aigw.plugins.aiproxy.translator.Observation;
import dev.aigw.plugins.aiproxy.translator.TranslationException;
import dev.aigw.plugins.aiproxy.translator.Translator;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One provider call whose status and headers have arrived and whose body has not been read: nothing
 * has been written to the client yet. Either {@link #relay()} it to the client, or
 * {@link #discard()} it (to fail over to another instance).
 *
 * <p>The relay only moves bytes: the call's {@link Translator} turns the provider's answer into the
 * client's protocol and reports usage, model and text. Relaying a JSON answer reads it whole
 * (capped) and hands it to the translator. Relaying a stream hands each chunk to the translator and
 * writes what it returns as it arrives, with back-pressure (the provider is paused while the
 * client's write queue is full). A
 * client that goes away resets the provider call; a provider that dies mid-stream ends the client's
 * response. Confined to the request's event loop.
 *
 * <p>A caller that can still fail over (ai-proxy-multi) relays with {@link #relay(Consumer)}: the
 * answer is only committed (its head sent to the client) once the first SSE event has arrived, so
 * a provider that sends a stream head and dies before any event leaves the client untouched and
 * the caller may try another instance.
 */
public final class AiAttempt {

    private static final Logger LOG = LoggerFactory.getLogger(AiAttempt.class);

    private final AiExecutor executor;
    private final AiInstance instance;
    private final RequestContext ctx;
    private final AiRequest request;
    private final HttpClientRequest upReq;
    private final HttpClientResponse resp;
    private final long t0;
    /** A tool call was seen in what the client got: no more scanning. */
    private boolean toolCallSeen;
    private final Translator translator;
    private final Observation obs;

    private boolean started;
    private boolean finished;
    private boolean firstByte;
    /** Null: the head of a stream is sent at once (ai-proxy); else the failure before the first event. */
    private Consumer<AiCallException> beforeCommit;
    private long timer = -1;
    private final Promise<Void> done = Promise.promise();

    AiAttempt(AiExecutor executor, AiInstance instance, RequestContext ctx, AiRequest request,
              HttpClientRequest upReq, HttpClientResponse resp, long t0, Translator translator) {
        this.executor = executor;
        this.instance = instance;
        this.ctx = ctx;
        this.request = request;
        this.upReq = upReq;
        this.resp = resp;
        this.t0 = t0;
        this.translator = translator;
        this.obs = new Observation(request.collectText());
        if (executor.clientCall()) {
            ctx.setVar(AiVars.UPSTREAM_STATUS, resp.statusCode());
            SocketAddress remote = upReq.connection() == null ? null : upReq.connection().remoteAddress();
            if (remote != null && remote.hostAddress() != null) {
                ctx.setVar(AiVars.UPSTREAM_ADDR, remote.hostAddress() + ":" + remote.port());
            }
        }
    }

    public AiInstance instance() {
        return instance;
    }

    /** The provider's status. */
    public int status() {
        return resp.statusCode();
    }

    /** The provider's response headers. */
    public MultiMap headers() {
        return resp.headers();
    }

    /** True when the answer is a stream (server-sent events, or the provider's own framing). */
    public boolean streaming() {
        return translator.isStream(resp.getHeader(HttpHeaders.CONTENT_TYPE));
    }

    /** Drops this answer without writing anything to the client (the connection is reset). */
    public void discard() {
        if (!started) {
            started = true;
            finished = true;
            resp.exceptionHandler(err -> { }); // the reset below is ours: nothing to report
            upReq.reset();
            setTimes();
            done.tryComplete();
        }
    }

    /**
     * Reads the answer's body without writing anything to the client, keeping at most {@code cap}
     * bytes (the rest is read and dropped): for a caller that answers with its own error after a
     * failed attempt (ai-proxy-multi when every instance failed). Completes with what was read, also
     * when the provider breaks off; never fails.
     */
    public Future<Buffer> readBody(long cap) {
        if (started) {
            return Future.succeededFuture(Buffer.buffer());
        }
        started = true;
        Promise<Buffer> result = Promise.promise();
        Buffer acc = Buffer.buffer();
        resp.handler(chunk -> {
            long room = cap - acc.length();
            if (room > 0) {
                acc.appendBuffer(chunk, 0, (int) Math.min(room, chunk.length()));
            }
        });
        resp.exceptionHandler(err -> {
            finished = true;
            setTimes();
            done.tryComplete();
            result.tryComplete(acc);
        });
        resp.endHandler(v -> {
            finished = true;
            setTimes();
            done.tryComplete();
            result.tryComplete(acc);
        });
        resp.resume();
        return result.future();
    }

    /**
     * Writes the answer to the client; the future completes when the client's response has ended
     * (or the client went away). Never fails: errors end the response.
     */
    public Future<Void> relay() {
        return relay(null);
    }

    /**
     * Like {@link #relay()}, but nothing reaches the client until the answer is committed: a stream
     * when its first SSE event arrives (or it ends), a JSON answer when it is complete. If the
     * provider breaks off or times out before that, nothing is written, the provider call is reset
     * and {@code beforeCommit} gets the failure (502, or 504 for a timeout) so that the caller can
     * try elsewhere or answer itself; the returned future completes after that call. With a null
     * {@code beforeCommit} this is {@link #relay()}: a stream's head is sent at once.
     */
    public Future<Void> relay(Consumer<AiCallException> beforeCommit) {
        this.beforeCommit = beforeCommit;
        if (started) {
            return done.future();
        }
        started = true;
        HttpServerResponse out = ctx.response();
        if (out.closed()) {
            clientGone();
            return done.future();
        }
        ctx.onClientClose(this::clientGone);
        resp.exceptionHandler(this::upstreamFailed);
        if (streaming() && resp.statusCode() < 400) {
            relayStream(out);
        } else {
            relayBuffered();
        }
        return done.future();
    }

    // ------------------------------------------------------------------ JSON / error answers

    private void relayBuffered() {
        long cap = executor.transport().bufferCap();
        long announced = contentLength();
        // a small answer is one chunk, kept as it is (Vert.x hands over heap copies); a larger one is
        // gathered in a buffer sized once from Content-Length (within the cap), not grown by doubling
        Buffer[] acc = {null};
        long[] size = {0};
        boolean[] owned = {false};
        resp.handler(chunk -> {
            if (finished) {
                return;
            }
            markFirstByte();
            if (size[0] + chunk.length() > cap) {
                LOG.warn("ai-proxy {}: answer larger than {} bytes, aborted", instance.name(), cap);
                fail(new AiCallException(502, "max_response_bytes exceeded"));
                return;
            }
            size[0] += chunk.length();
            Buffer a = acc[0];
            if (a == null) {
                acc[0] = chunk;
                return;
            }
            if (!owned[0]) {
                // second chunk: from now on a buffer of our own
                Buffer grown = Buffer.buffer((int) Math.min(Math.min(cap, Integer.MAX_VALUE - 8), Math.max(announced, size[0])));
                grown.appendBuffer(a);
                acc[0] = grown;
                owned[0] = true;
                a = grown;
            }
            a.appendBuffer(chunk);
        });
        resp.endHandler(v -> {
            if (finished) {
                return;
            }
            finished = true;
            markFirstByte();
            setTimes();
            Buffer got = acc[0] == null ? Buffer.buffer() : acc[0];
            Buffer body = got;
            if (resp.statusCode() < 400) {
                try {
                    Buffer converted = translator.response(got, obs);
                    if (converted != null) {
                        body = converted;
                    }
                } catch (TranslationException e) {
                    LOG.error("ai-proxy {}: failed to convert the answer: {}", instance.name(), e.getMessage());
                    ctx.exitError(e.status(), e.getMessage());
                    done.tryComplete();
                    return;
                }
                observed();
            } else {
                body = translator.error(resp.statusCode(), got);
            }
            if (resp.statusCode() < 400) {
                toolCalls(body);
            }
            copyHeaders();
            ctx.sendHead(resp.statusCode());
            ctx.end(body);
            done.tryComplete();
        });
        resp.resume();
    }

    /** The provider's Content-Length, or -1. */
    private long contentLength() {
        String cl = resp.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (cl != null) {
            try {
                return Long.parseLong(cl.trim());
            } catch (NumberFormatException ignored) {
                // chunked or malformed: grown as it comes
            }
        }
        return -1;
    }

    /** The LLM variables from what the translator observed. */
    private void observed() {
        if (obs.usage() != null) {
            setUsage(obs.usage());
        }
        if (ctx.var(AiVars.LLM_MODEL) == null && obs.model() != null) {
            ctx.setVar(AiVars.LLM_MODEL, obs.model());
        }
        if (obs.text() != null) {
            ctx.setVar(AiVars.LLM_RESPONSE_TEXT, obs.text());
        }
    }

    // ------------------------------------------------------------------ SSE answers

    private void relayStream(HttpServerResponse out) {
        if (beforeCommit == null) {
            commitStream(out);
        }
        long maxMs = executor.transport().maxStreamDurationMs();
        if (maxMs > 0) {
            long left = Math.max(1, maxMs - (System.nanoTime() - t0) / 1_000_000);
            timer = ctx.vertx().setTimer(left, id -> {
                timer = -1;
                if (!finished) {
                    LOG.warn("ai-proxy {}: max_stream_duration_ms exceeded, stream cut", instance.name());
                    if (ctx.headSent()) {
                        upReq.reset();
                        endStream();
                    } else {
                        uncommittedFailure(new AiCallException(504, "max_stream_duration_ms exceeded"));
                    }
                }
            });
        }
        resp.handler(chunk -> {
            if (finished) {
                return;
            }
            markFirstByte();
            Buffer toClient = translator.streamChunk(chunk, obs);
            if (!ctx.headSent()) {
                if (toClient.length() == 0) {
                    return; // not committed before the first event: a death now can still fail over
                }
                commitStream(out);
            }
            if (toClient.length() > 0 && !out.closed()) {
                toolCalls(toClient);
                ctx.write(toClient);
                if (out.writeQueueFull()) {
                    Backpressure.pauseUntilDrained(resp, out, () -> finished);
                }
            }
        });
        resp.endHandler(v -> {
            if (finished) {
                return;
            }
            commitStream(out); // a stream that ended cleanly is an answer, even an empty one
            Buffer rest = translator.streamEnd(obs);
            if (rest.length() > 0 && !out.closed()) {
                toolCalls(rest);
                ctx.write(rest);
            }
            endStream();
        });
        resp.resume();
    }

    /** Sends the stream's head: from here on there is no failover. Idempotent. */
    private void commitStream(HttpServerResponse out) {
        if (ctx.headSent()) {
            return;
        }
        copyHeaders();
        if (translator.streamContentType() != null) {
            ctx.response().headers().set(HttpHeaders.CONTENT_TYPE, translator.streamContentType());
        }
        out.setChunked(true);
        ctx.sendHead(resp.statusCode());
    }

    private void endStream() {
        if (finished) {
            return;
        }
        finished = true;
        cancelTimer();
        setTimes();
        observed();
        if (!ctx.response().closed()) {
            ctx.end(null);
        }
        done.tryComplete();
    }

    // ------------------------------------------------------------------ failures and common parts

    private void upstreamFailed(Throwable err) {
        if (finished) {
            return;
        }
        if (ctx.headSent()) {
            LOG.warn("ai-proxy {}: the LLM server's stream broke off: {}", instance.name(), err.getClass().getSimpleName());
            endStream();
        } else if (beforeCommit != null) {
            AiCallException e = AiCallException.transport(err);
            LOG.warn("ai-proxy {}: {} before the answer's first event", instance.name(), e.getMessage());
            uncommittedFailure(e);
        } else {
            AiCallException e = AiCallException.transport(err);
            LOG.error("ai-proxy {}: {} while reading the answer", instance.name(), e.getMessage());
            fail(e);
        }
    }

    /** Fails before the answer was committed: nothing is written, the caller decides. */
    private void uncommittedFailure(AiCallException e) {
        finished = true;
        cancelTimer();
        upReq.reset();
        setTimes();
        beforeCommit.accept(e); // first: the caller knows of the failure when the future completes
        done.tryComplete();
    }

    /** Fails before anything was sent to the client: answer with a JSON error. */
    private void fail(AiCallException e) {
        finished = true;
        cancelTimer();
        upReq.reset();
        setTimes();
        if (!ctx.response().closed()) {
            ctx.exitError(e.status(), e.getMessage());
        }
        done.tryComplete();
    }

    private void clientGone() {
        if (finished) {
            return;
        }
        finished = true;
        cancelTimer();
        LOG.info("ai-proxy {}: client went away, cancelling the LLM call", instance.name());
        upReq.reset();
        setTimes();
        observed();
        done.tryComplete();
    }

    private void cancelTimer() {
        if (timer >= 0) {
            ctx.vertx().cancelTimer(timer);
            timer = -1;
        }
    }

    private void markFirstByte() {
        if (!firstByte) {
            firstByte = true;
            ctx.setVar(AiVars.LLM_TTFT, (System.nanoTime() - t0) / 1_000_000);
        }
    }

    private void setTimes() {
        if (!executor.clientCall()) {
            return; // a plugin's side call: not the request's upstream
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        ctx.setVar(AiVars.APISIX_UPSTREAM_RESPONSE_TIME, ms);
        ctx.setVar(AiVars.UPSTREAM_RESPONSE_TIME, NginxTime.seconds3(ms)); // the same ms, as nginx's pair
    }

    /** {@code llm_has_tool_calls}: set once the client's bytes show a tool call (then no more scanning). */
    private void toolCalls(Buffer toClient) {
        if (!toolCallSeen && ToolCalls.in(request.protocol(), toClient)) {
            toolCallSeen = true;
            ctx.setVar(AiVars.LLM_HAS_TOOL_CALLS, "true");
        }
    }

    private void setUsage(TokenUsage u) {
        ctx.setVar(AiVars.LLM_PROMPT_TOKENS, u.promptTokens());
        ctx.setVar(AiVars.LLM_COMPLETION_TOKENS, u.completionTokens());
        ctx.setVar(AiVars.LLM_TOTAL_TOKENS, u.totalTokens());
        ctx.setVar(AiVars.LLM_CACHED_TOKENS, u.cachedTokens());
        ctx.setVar(AiVars.LLM_CACHE_CREATION_INPUT_TOKENS, u.cacheCreationTokens());
        ctx.setVar(AiVars.LLM_REASONING_TOKENS, u.reasoningTokens());
    }

    /** Provider headers to the client, minus hop-by-hop ones and the length (the gateway frames the body). */
    private void copyHeaders() {
        MultiMap h = ctx.response().headers();
        for (Map.Entry<String, String> e : resp.headers()) {
            String n = e.getKey();
            if (HopByHop.is(n) || n.equalsIgnoreCase("content-length")) {
                continue;
            }
            h.add(n, e.getValue());
        }
    }
}
