package dev.aigw.gateway.upstream;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The HTTP upstreams of one gateway. {@link #get} returns one {@link HttpUpstream} per distinct upstream
 * configuration, cached by its canonical JSON (keys sorted, APISIX metadata such as {@code name},
 * {@code desc}, {@code labels}, {@code create_time} and {@code update_time} left out), so that a route
 * table rebuild reuses the same pooled {@link HttpClient} and balancer state and keeps connections warm.
 *
 * <p>Lifecycle: after a rebuild has been swapped in, the builder calls {@link #retainOnly} with the
 * handlers the new table uses; the others are dropped from the cache and their clients are
 * <em>shut down gracefully</em> (requests in flight on the old table finish, bounded by a grace period),
 * so a rebuild never disturbs running requests. {@link #get} and {@link #retainOnly} are meant to be
 * called from the (single) route-building thread; handlers themselves are used from any event loop.
 */
public final class Upstreams {

    private static final long RETIRE_DELAY_MS = 5_000;

    private static final Logger LOG = LoggerFactory.getLogger(Upstreams.class);

    /** Fields that do not change how requests are proxied. */
    private static final Set<String> METADATA = Set.of("id", "name", "desc", "labels", "create_time", "update_time");

    /** Upper bound on concurrent connections per upstream (nginx does not cap them; Vert.x must). */
    private static final int MAX_CONNECTIONS = 4096;

    private final Vertx vertx;
    private final long shutdownGraceMs;
    private final Map<String, HttpUpstream> cache = new ConcurrentHashMap<>();

    /** @param shutdownGraceMs how long a dropped upstream's in-flight requests may still run */
    public Upstreams(Vertx vertx, long shutdownGraceMs) {
        this.vertx = vertx;
        this.shutdownGraceMs = shutdownGraceMs;
    }

    public Upstreams(Vertx vertx) {
        this(vertx, 60_000);
    }

    /**
     * The handler for an upstream configuration (APISIX JSON), created on first use and shared
     * afterwards.
     *
     * @throws IllegalArgumentException when the configuration cannot be run (message names the problem)
     */
    public UpstreamHandler get(JsonObject upstreamJson) {
        return getHttp(upstreamJson);
    }

    /** As {@link #get}, typed. */
    public HttpUpstream getHttp(JsonObject upstreamJson) {
        String key = canonical(upstreamJson);
        HttpUpstream existing = cache.get(key);
        if (existing != null) {
            return existing;
        }
        UpstreamDefinition def = UpstreamDefinition.parse(upstreamJson);
        return cache.computeIfAbsent(key, k -> new HttpUpstream(def, createClient(def)));
    }

    /** Closes the pools of every cached upstream not in {@code inUse} (compared by identity). */
    public void retainOnly(Collection<? extends UpstreamHandler> inUse) {
        Set<UpstreamHandler> keep = Collections.newSetFromMap(new IdentityHashMap<>());
        keep.addAll(inUse);
        List<HttpUpstream> dropped = new ArrayList<>();
        cache.entrySet().removeIf(e -> {
            if (keep.contains(e.getValue())) {
                return false;
            }
            dropped.add(e.getValue());
            return true;
        });
        if (dropped.isEmpty()) {
            return;
        }
        // A request that read the previous route table just before the swap may still be about to
        // use one of these pools: retire them only after such requests have surely started.
        vertx.setTimer(RETIRE_DELAY_MS, t -> {
            for (HttpUpstream u : dropped) {
                u.shutdown(shutdownGraceMs)
                        .onFailure(err -> LOG.warn("closing an upstream pool failed: {}", err.toString()));
            }
        });
    }

    /** Number of distinct upstream configurations (pools) currently open. */
    public int size() {
        return cache.size();
    }

    /** Closes every pool now (gateway shutdown). */
    public Future<Void> close() {
        List<Future<Void>> closing = new ArrayList<>();
        for (HttpUpstream u : cache.values()) {
            closing.add(u.close());
        }
        cache.clear();
        return Future.join(closing).mapEmpty();
    }

    private HttpClient createClient(UpstreamDefinition def) {
        UpstreamDefinition.KeepalivePool pool = def.keepalivePool();
        HttpClientOptions options = new HttpClientOptions()
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, def.timeout().connectMs())))
                .setKeepAlive(true)
                // idle pooled connections are closed after keepalive_pool.idle_timeout
                .setKeepAliveTimeout((int) Math.max(1, pool.idleTimeoutMs() / 1000))
                .setPipelining(false)
                .setMaxRedirects(0)
                // a proxy passes bodies through as they are: no decompression, no compression asked
                .setDecompressionSupported(false)
                .setTcpNoDelay(true);
        if ("https".equals(def.scheme())) {
            options.setSsl(true)
                    .setTrustAll(!def.tlsVerify())
                    .setVerifyHost(def.tlsVerify())
                    .setForceSni(true);
        }
        PoolOptions poolOptions = new PoolOptions()
                // keepalive_pool.size bounds idle connections in nginx, not busy ones; Vert.x only has a
                // total cap, so keep it well above the idle size
                .setHttp1MaxSize(Math.max(pool.size(), MAX_CONNECTIONS));
        return vertx.httpClientBuilder().with(options).with(poolOptions).build();
    }

    /** The configuration's JSON with keys sorted and metadata fields dropped. */
    static String canonical(JsonObject json) {
        StringBuilder sb = new StringBuilder(256);
        write(sb, json, true);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v, boolean top) {
        if (v instanceof JsonObject o) {
            TreeMap<String, Object> sorted = new TreeMap<>(o.getMap());
            sb.append('{');
            boolean first = true;
            for (Map.Entry<String, Object> e : sorted.entrySet()) {
                if (top && METADATA.contains(e.getKey())) {
                    continue;
                }
                if (!first) {
                    sb.append(',');
                }
                first = false;
                sb.append(io.vertx.core.json.Json.encode(e.getKey())).append(':');
                write(sb, wrap(e.getValue()), false);
            }
            sb.append('}');
        } else if (v instanceof JsonArray a) {
            sb.append('[');
            for (int i = 0; i < a.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                write(sb, wrap(a.getValue(i)), false);
            }
            sb.append(']');
        } else if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
                && !Double.isInfinite(n.doubleValue())) {
            sb.append(n.longValue()); // 60 and 60.0 are the same timeout
        } else {
            sb.append(io.vertx.core.json.Json.encode(v));
        }
    }

    @SuppressWarnings("unchecked")
    private static Object wrap(Object v) {
        if (v instanceof Map<?, ?> m) {
            return new JsonObject((Map<String, Object>) m);
        }
        if (v instanceof List<?> l) {
            return new JsonArray(l);
        }
        return v;
    }
}
