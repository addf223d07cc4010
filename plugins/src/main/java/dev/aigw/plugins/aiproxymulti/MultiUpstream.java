package dev.aigw.plugins.aiproxymulti;

import dev.aigw.gateway.context.RequestContext;
import dev.aigw.gateway.limit.InstanceGate;
import dev.aigw.gateway.upstream.UpstreamHandler;
import dev.aigw.plugins.aiproxy.AiAttempt;
import dev.aigw.plugins.aiproxy.AiCallException;
import dev.aigw.plugins.aiproxy.AiRequest;
import dev.aigw.plugins.aiproxy.protocol.AiProtocol;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ai-proxy-multi's upstream: picks an instance (highest priority group with an available instance,
 * balanced inside it, skipping the instances this request already tried), sends through ai-proxy's
 * executor and looks at the provider's status <em>before</em> anything reaches the client. A
 * connection failure, a timeout or a status named by {@code fallback_strategy} discards the answer
 * and tries the next instance (after the backoff delay, on a Vert.x timer); anything else is relayed.
 * A stream is committed to the client with its first event (a provider that sends a head and dies
 * before any event is failed over too); from then on there is no failover: a stream that breaks is
 * ended cleanly by the relay.
 * When no attempt is left the client gets the last status with a JSON body naming the attempts.
 *
 * <p>Model routing: only the instances whose {@code models} serve the request's {@code model} take
 * part (with their priorities, weights and failover), each sent its own name for the model; when
 * none serves it the client gets a 400 naming the model.
 */
final class MultiUpstream implements UpstreamHandler {

    private static final Logger LOG = LoggerFactory.getLogger(MultiUpstream.class);

    /** Per-request key of the attempts list (for the log phase). */
    static final Object ATTEMPTS_KEY = new Object();

    /** The part of the last failed answer's body kept for the error. */
    private static final long ERROR_BODY_CAP = 64 * 1024;

    private final MultiConfig conf;
    private final AiRequest accessRequest;

    MultiUpstream(MultiConfig conf, AiRequest accessRequest) {
        this.conf = conf;
        this.accessRequest = accessRequest;
    }

    @Override
    public void proxy(RequestContext ctx) {
        AiRequest req = accessRequest;
        JsonObject now = ctx.jsonBody();
        if (now != null && now != accessRequest.body()) {
            req = AiRequest.of(ctx, now, accessRequest.collectText()); // a later plugin rewrote the body
            if (req == null) {
                ctx.exitError(400, "no matching AI protocol for the request");
                return;
            }
        }
        new Run(ctx, req).start();
    }

    /** One request's attempts. Confined to the request's event loop. */
    private final class Run {
        private final RequestContext ctx;
        private final AiRequest req;
        private final InstanceHealth[] healths;
        private final String hashKey;
        private final boolean[] tried;
        /** Instances whose token budget is spent for this request (ai-rate-limiting's gate said no). */
        private final boolean[] spent;
        private final InstanceGate gate;
        /** Per instance: the model to send ("" for the instance's own choice), or null when it does not serve the request's model. */
        private final String[] routed;
        private final List<Map<String, Object>> log = new ArrayList<>();
        private int attempts;
        private boolean clientGone;
        private long timer = -1;

        Run(RequestContext ctx, AiRequest req) {
            this.ctx = ctx;
            this.req = req;
            this.healths = conf.lease().healths(ctx.vertx());
            this.hashKey = conf.hashOn() == null ? null : conf.hashOn().keyOf(ctx);
            this.tried = new boolean[conf.instances().size()];
            this.spent = new boolean[conf.instances().size()];
            this.gate = ctx.get(InstanceGate.KEY);
            this.routed = new String[conf.instances().size()];
            for (MultiInstance mi : conf.instances()) {
                // model routing applies to model calls; a passthrough (GET /v1/models …) goes anywhere
                routed[mi.index()] = req.protocol() == AiProtocol.PASSTHROUGH ? "" : mi.route(req.clientModel());
            }
        }

        void start() {
            ctx.put(ATTEMPTS_KEY, log);
            if (java.util.Arrays.stream(routed).allMatch(java.util.Objects::isNull)) {
                ctx.exitError(400, req.clientModel() == null
                        ? "no AI instance serves a request without a model"
                        : "no AI instance serves model \"" + req.clientModel() + "\"");
                return;
            }
            ctx.onClientClose(() -> {
                clientGone = true;
                if (timer >= 0) {
                    ctx.vertx().cancelTimer(timer);
                    timer = -1;
                }
            });
            attempt();
        }

        private void attempt() {
            if (clientGone || ctx.response().closed()) {
                return;
            }
            MultiInstance mi = choose();
            if (mi == null) {
                if (gate != null && anySpent()) {
                    gate.refuse(ctx); // every instance left has spent its budget: the limit's own refusal
                } else {
                    ctx.exitError(503, "no AI instance is available");
                }
                return;
            }
            if (gate == null) {
                send(mi);
                return;
            }
            gate.admit(ctx, mi.name()).onComplete(ar -> {
                if (clientGone || ctx.response().closed()) {
                    return;
                }
                if (ar.succeeded() && ar.result()) {
                    send(mi);
                } else if (conf.fallback().rateLimiting()) {
                    spent[mi.index()] = true; // fallback_strategy rate_limiting: skip it, try the next
                    attempt();
                } else {
                    gate.refuse(ctx);
                }
            });
        }

        private boolean anySpent() {
            for (boolean b : spent) {
                if (b) {
                    return true;
                }
            }
            return false;
        }

        private void send(MultiInstance mi) {
            attempts++;
            tried[mi.index()] = true;
            ctx.setVar(AiProxyMultiPlugin.VAR_INSTANCE, mi.name());
            ctx.setVar(AiProxyMultiPlugin.VAR_BALANCER_IP, mi.name());
            ctx.setVar(AiProxyMultiPlugin.VAR_ATTEMPTS, attempts);
            InstanceHealth health = healths[mi.index()];
            long t0 = System.nanoTime();
            String model = routed[mi.index()];
            conf.executor().send(mi.instance(), ctx, req, model.isEmpty() ? null : model).onComplete(ar -> {
                if (ar.failed()) {
                    AiCallException e = ar.cause() instanceof AiCallException a ? a
                            : new AiCallException(500, "failed to send request to the LLM server");
                    if (e.status() == 499 || clientGone) {
                        note(mi, 499, "client closed the connection");
                        return;
                    }
                    note(mi, e.status(), e.getMessage());
                    if (e.status() == 503) {
                        ctx.exitError(503, e.getMessage()); // the route is being reconfigured
                        return;
                    }
                    if (e.retryable() || e.status() == 500) {
                        health.recordFailure();
                    }
                    // 400 here means this provider cannot take the request: another one may
                    failed(mi, null, e, t0);
                    return;
                }
                AiAttempt a = ar.result();
                int st = a.status();
                if (conf.fallback().fallsBackOn(st)) {
                    note(mi, st, null);
                    if (st >= 500) {
                        health.recordFailure();
                    }
                    if (st == 429 && conf.fallback().rateLimiting()) {
                        health.rateLimited(retryAfterMs(a.headers().get("Retry-After")));
                    }
                    failed(mi, a, null, t0);
                    return;
                }
                if (st >= 500) {
                    health.recordFailure();
                }
                Map<String, Object> entry = note(mi, st, null);
                boolean[] diedFirst = {false};
                // committed only with the first event: a provider that dies before it is failed over
                a.relay(err -> {
                    diedFirst[0] = true;
                    entry.put("status", err.status());
                    entry.put("error", err.getMessage());
                    health.recordFailure();
                    failed(mi, null, err, t0);
                }).onComplete(v -> {
                    // a success only once relayed: one recorded at the head would reset the failures
                    // of a provider that always dies before its first event
                    if (!diedFirst[0] && st < 500 && st != 429) {
                        health.recordSuccess();
                    }
                });
            });
        }

        /** An attempt failed before anything reached the client: retry, or answer with the last error. */
        private void failed(MultiInstance mi, AiAttempt a, AiCallException e, long t0) {
            long tookMs = (System.nanoTime() - t0) / 1_000_000;
            boolean slow = conf.retryWithinMs() > 0 && tookMs > conf.retryWithinMs();
            if (attempts >= conf.maxAttempts() || slow || clientGone) {
                if (slow) {
                    LOG.warn("ai-proxy-multi: instance {} failed after {} ms, beyond retry_on_failure_within_ms, "
                            + "not retrying", mi.name(), tookMs);
                }
                if (a != null) {
                    a.readBody(ERROR_BODY_CAP).onComplete(b -> allFailed(a.status(),
                            b.succeeded() ? b.result() : Buffer.buffer(), null));
                } else {
                    allFailed(e.status(), null, e.getMessage());
                }
                return;
            }
            if (a != null) {
                a.discard();
            }
            long delay = conf.backoff().delayMs(conf.retryDelayMs(), attempts);
            LOG.warn("ai-proxy-multi: instance {} failed ({}), retrying{}", mi.name(),
                    a != null ? "status " + a.status() : e.getMessage(), delay > 0 ? " in " + delay + " ms" : "");
            if (delay > 0) {
                timer = ctx.vertx().setTimer(delay, id -> {
                    timer = -1;
                    attempt();
                });
            } else {
                attempt();
            }
        }

        /**
         * The instance for the next attempt: the first priority group with an eligible instance
         * (positive weight, not tried by this request, available). When every instance is out, health
         * is ignored (as APISIX does: better to try than to refuse); when every available one has been
         * tried and attempts remain, a new round starts.
         */
        private MultiInstance choose() {
            long now = System.nanoTime();
            boolean anyAvailable = false;
            for (MultiInstance mi : conf.instances()) {
                anyAvailable |= mi.weight() > 0 && routed[mi.index()] != null && healths[mi.index()].available(now);
            }
            MultiInstance mi = pick(now, anyAvailable);
            if (mi == null && attempts > 0) {
                java.util.Arrays.fill(tried, false);
                mi = pick(now, anyAvailable);
            }
            return mi;
        }

        private MultiInstance pick(long now, boolean respectHealth) {
            for (PriorityGroup g : conf.groups()) {
                List<MultiInstance> members = g.members();
                boolean[] eligible = new boolean[members.size()];
                boolean any = false;
                for (int i = 0; i < members.size(); i++) {
                    MultiInstance mi = members.get(i);
                    eligible[i] = mi.weight() > 0 && !tried[mi.index()] && !spent[mi.index()] && routed[mi.index()] != null
                            && (!respectHealth || healths[mi.index()].available(now));
                    any |= eligible[i];
                }
                if (any) {
                    int i = g.balancer().pick(eligible, hashKey);
                    if (i >= 0) {
                        return members.get(i);
                    }
                }
            }
            return null;
        }

        private Map<String, Object> note(MultiInstance mi, int status, String error) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("instance", mi.name());
            m.put("status", status);
            if (error != null) {
                m.put("error", error);
            }
            log.add(m);
            return m;
        }

        /** Every attempt failed: the last status, a JSON body naming the attempts (and the provider's error). */
        private void allFailed(int status, Buffer body, String message) {
            if (clientGone || ctx.response().closed() || ctx.response().ended()) {
                return;
            }
            JsonObject out = null;
            if (body != null && body.length() > 0) {
                try {
                    out = new JsonObject(body);
                } catch (RuntimeException notJson) {
                    // kept as text below
                }
                if (out == null) {
                    out = new JsonObject().put("upstream_body", body.toString(StandardCharsets.UTF_8));
                }
            }
            if (out == null) {
                out = new JsonObject();
            }
            JsonArray tries = new JsonArray();
            for (Map<String, Object> m : log) {
                tries.add(new JsonObject(new LinkedHashMap<>(m)));
            }
            String last = message != null ? message : "status " + status;
            out.put("error_msg", "no AI instance could answer the request after " + attempts
                    + (attempts == 1 ? " attempt" : " attempts") + " (last: " + last + ")");
            out.put("attempts", tries);
            LOG.warn("ai-proxy-multi: every attempt failed: {}", tries.encode());
            ctx.exit(status, out);
        }
    }

    /** {@code Retry-After} in seconds, as ms (1 s when absent or a date, at most 60 s). */
    static long retryAfterMs(String v) {
        if (v != null) {
            try {
                return Math.min(60_000, Math.max(0, (long) (Double.parseDouble(v.trim()) * 1000)));
            } catch (NumberFormatException ignored) {
                // an HTTP date: use the default
            }
        }
        return 1000;
    }
}
