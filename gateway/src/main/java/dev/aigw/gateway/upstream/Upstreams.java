package dev.aigw.gateway.upstream;

import dev.aigw.gateway.resource.SharedResources;
import dev.aigw.gateway.upstream.health.HealthRegistry;
import dev.aigw.gateway.upstream.health.TargetHealth;
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
    private final boolean healthChecks;
    private final Map<String, HttpUpstream> cache = new ConcurrentHashMap<>();
    /** The nodes' health ({@code checks}): one state and one prober per (upstream identity, node). */
    private final HealthRegistry<TargetHealth> health = new HealthRegistry<>();

    /** How long a dropped upstream's in-flight requests may still run, by default. */
    public static final long DEFAULT_SHUTDOWN_GRACE_MS = 60_000;

    /**
     * @param shutdownGraceMs how long a dropped upstream's in-flight requests may still run
     * @param healthChecks    run {@code checks} (false: parse them only, as the migration check does)
     */
    public Upstreams(Vertx vertx, long shutdownGraceMs, boolean healthChecks) {
        this.vertx = vertx;
        this.shutdownGraceMs = shutdownGraceMs;
        this.healthChecks = healthChecks;
    }

    /** @param shutdownGraceMs how long a dropped upstream's in-flight requests may still run */
    public Upstreams(Vertx vertx, long shutdownGraceMs) {
        this(vertx, shutdownGraceMs, true);
    }

    public Upstreams(Vertx vertx) {
        this(vertx, DEFAULT_SHUTDOWN_GRACE_MS);
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
        return cache.computeIfAbsent(key, k -> {
            HttpUpstream u = new HttpUpstream(def, () -> createClient(def));
            if (healthChecks) {
                u.startHealth(vertx, health, k, nameOf(upstreamJson, k));
            }
            return u;
        });
    }

    /** The upstream's id when it is an upstream resource, else a short fingerprint of its configuration. */
    private static String nameOf(JsonObject json, String canonical) {
        Object id = json.getValue("id");
        if (id != null) {
            return "upstreams/" + id;
        }
        return "upstream#" + String.format("%08x", canonical.hashCode());
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
        // health checks stop now: nothing will pick these nodes through this upstream any more
        dropped.forEach(HttpUpstream::stopHealth);
        // A request that read the previous route table just before the swap may still be about to
        // use one of these pools: retire them only after such requests have surely started.
        vertx.setTimer(RETIRE_DELAY_MS, t -> {
            for (HttpUpstream u : dropped) {
                u.shutdown(shutdownGraceMs)
                        .onFailure(err -> LOG.warn("closing an upstream pool failed: {}", err.toString()));
            }
        });
    }

    /**
     * The health of every upstream with {@code checks} in use, as APISIX's Control API
     * {@code GET /v1/healthcheck} lists it: {@code [{"name", "type", "nodes": [{"ip", "port", "hostname",
     * "status", "counter"}]}]}, sorted by name.
     */
    public JsonArray healthcheck() {
        List<JsonObject> out = new ArrayList<>();
        for (HttpUpstream u : cache.values()) {
            JsonObject d = u.describeHealth();
            if (d != null) {
                out.add(d);
            }
        }
        out.sort(java.util.Comparator.comparing(o -> o.getString("name")));
        return new JsonArray(new ArrayList<>(out));
    }

    /** Number of running health probers (one per node of each upstream with {@code checks} in use). */
    public int probers() {
        return health.probers();
    }

    /** Number of distinct upstream configurations (pools) currently open. */
    public int size() {
        return cache.size();
    }

    /** Closes every pool now (gateway shutdown). */
    public Future<Void> close() {
        List<Future<Void>> closing = new ArrayList<>();
        for (HttpUpstream u : cache.values()) {
            u.stopHealth();
            closing.add(u.close());
        }
        health.close();
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
        return SharedResources.canonicalConfig(json, METADATA);
    }
}
