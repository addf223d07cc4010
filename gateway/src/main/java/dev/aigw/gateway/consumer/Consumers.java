package dev.aigw.gateway.consumer;

import dev.aigw.gateway.crypto.Sha256;
import dev.aigw.gateway.plugin.PluginBinding;
import dev.aigw.gateway.route.Route;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The consumers of one configuration, immutable, with the index auth plugins look callers up in.
 *
 * <p><b>Keys.</b> The index maps (plugin, SHA-256 of the key) to the caller: one hash lookup per
 * request, whatever the number of consumers, then a constant-time comparison of the full key, so
 * the answer time tells nothing about how much of a guessed key was right. The keys themselves are
 * only held as bytes inside the index.
 *
 * <p><b>Merged plugins.</b> When a request is identified, its plugin list becomes the route's with
 * the group's and then the consumer's plugins laid over it (APISIX's {@code merge_consumer_route}).
 * The merge is computed once per (route, consumer) object pair, which is once per version of
 * either, and cached here; a new configuration starts a new cache. The cache is bounded: past
 * {@link #MAX_MERGED} entries merges are computed per request and counted.
 */
public final class Consumers {

    /** Upper bound of cached (route, consumer) merges per configuration. */
    public static final int MAX_MERGED = 100_000;

    public static final Consumers EMPTY = new Consumers(Map.of(), Map.of());

    /** One indexed key: the key bytes (for the constant-time check), whom it identifies and the plugin's parsed configuration. */
    private record Keyed(byte[] key, Identity identity) {
    }

    /**
     * Whom a key identifies, with the auth plugin's consumer configuration as
     * {@link dev.aigw.gateway.plugin.Plugin#parseConsumerConfig} returned it (basic-auth's password,
     * jwt-auth's parsed verification key), or null when the plugin parses none.
     *
     * @param consumer the consumer (or the consumer through a credential)
     * @param conf     the plugin's parsed consumer configuration, or null
     */
    public record Identity(Consumer consumer, Object conf) {
    }

    /**
     * A route's plugins with a consumer's merged over them.
     *
     * @param plugins all of them, by priority
     * @param added   those the route did not have (their rewrite phase still has to run)
     */
    public record Merged(List<PluginBinding<?>> plugins, List<PluginBinding<?>> added) {
    }

    /** Identity of a (route, consumer) pair: both are immutable per version. */
    private record Pair(Route route, Consumer consumer) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Pair p && p.route == route && p.consumer == consumer;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(route) * 31 + System.identityHashCode(consumer);
        }
    }

    private final Map<String, Consumer> byName;
    private final Map<String, Map<ByteBuffer, Keyed>> byKey;
    private final ConcurrentHashMap<Pair, Merged> merged = new ConcurrentHashMap<>();
    /** Process-wide: each route or consumer change starts a new cache, the count goes on. */
    private static final AtomicLong UNCACHED = new AtomicLong();

    private Consumers(Map<String, Consumer> byName, Map<String, Map<ByteBuffer, Keyed>> byKey) {
        this.byName = byName;
        this.byKey = byKey;
    }

    /** The same consumers with an empty merge cache (for a configuration whose routes changed). */
    public Consumers withFreshCache() {
        return this == EMPTY || (byName.isEmpty() && byKey.isEmpty()) ? this : new Consumers(byName, byKey);
    }

    /** The consumer with that username (not through a credential), or null. */
    public Consumer byName(String username) {
        return byName.get(username);
    }

    /** How many consumers (credentials not counted). */
    public int size() {
        return byName.size();
    }

    /** Merges computed without caching because the cache was full, since start. */
    public static long uncachedMerges() {
        return UNCACHED.get();
    }

    /**
     * The caller whose {@code plugin} configuration holds exactly {@code key}, or null. One hash
     * lookup, then a constant-time comparison.
     */
    public Consumer authenticate(String plugin, String key) {
        Identity id = identify(plugin, key);
        return id == null ? null : id.consumer();
    }

    /**
     * Whom {@code key} of {@code plugin} identifies (key-auth's key, basic-auth's username,
     * jwt-auth's key claim), with the plugin's parsed consumer configuration, or null. One hash
     * lookup, then a constant-time comparison.
     */
    public Identity identify(String plugin, String key) {
        Map<ByteBuffer, Keyed> index = byKey.get(plugin);
        if (index == null || key == null) {
            return null;
        }
        byte[] given = key.getBytes(StandardCharsets.UTF_8);
        Keyed k = index.get(ByteBuffer.wrap(Sha256.of(given)));
        return k != null && MessageDigest.isEqual(k.key, given) ? k.identity : null;
    }

    /**
     * The plugins a request on {@code route} runs once {@code consumer} is known: the route's
     * ({@code routePlugins}, sorted by priority), then the group's, then the consumer's, a later one
     * replacing an earlier one of the same name. The same object as long as route and consumer are.
     */
    public Merged merge(Route route, List<PluginBinding<?>> routePlugins, Consumer consumer) {
        Pair pair = new Pair(route, consumer);
        Merged m = merged.get(pair);
        if (m != null) {
            return m;
        }
        m = compute(routePlugins, consumer);
        if (merged.size() < MAX_MERGED) {
            Merged prev = merged.putIfAbsent(pair, m);
            return prev != null ? prev : m;
        }
        UNCACHED.incrementAndGet();
        return m;
    }

    private static Merged compute(List<PluginBinding<?>> routePlugins, Consumer consumer) {
        Map<String, PluginBinding<?>> byName = new LinkedHashMap<>();
        for (PluginBinding<?> p : routePlugins) {
            byName.put(p.name(), p);
        }
        List<PluginBinding<?>> added = new ArrayList<>();
        List<PluginBinding<?>> over = new ArrayList<>();
        if (consumer.group() != null) {
            over.addAll(consumer.group().plugins());
        }
        over.addAll(consumer.plugins());
        for (PluginBinding<?> p : over) {
            byName.put(p.name(), p);
        }
        List<PluginBinding<?>> all = new ArrayList<>(byName.values());
        all.sort((a, b) -> Integer.compare(b.priority(), a.priority()));
        for (PluginBinding<?> p : all) {
            boolean onRoute = false;
            for (PluginBinding<?> r : routePlugins) {
                if (r.name().equals(p.name())) {
                    onRoute = true;
                    break;
                }
            }
            if (!onRoute) {
                added.add(p);
            }
        }
        return new Merged(List.copyOf(all), List.copyOf(added));
    }

    /** Collects consumers and keys for one configuration; the last key added wins, as in APISIX. */
    public static final class Builder {
        private final Map<String, Consumer> byName = new HashMap<>();
        private final Map<String, Map<ByteBuffer, Keyed>> byKey = new HashMap<>();

        public Builder consumer(Consumer c) {
            byName.put(c.username(), c);
            return this;
        }

        /** Indexes {@code key} of auth plugin {@code plugin} as identifying {@code c}. */
        public Builder key(String plugin, String key, Consumer c) {
            return key(plugin, key, c, null);
        }

        /**
         * Indexes {@code key} of auth plugin {@code plugin} as identifying {@code c}, with the
         * plugin's parsed consumer configuration {@code conf} (may be null).
         */
        public Builder key(String plugin, String key, Consumer c, Object conf) {
            byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
            byKey.computeIfAbsent(plugin, p -> new HashMap<>())
                    .put(ByteBuffer.wrap(Sha256.of(bytes)), new Keyed(bytes, new Identity(c, conf)));
            return this;
        }

        public Consumers build() {
            if (byName.isEmpty() && byKey.isEmpty()) {
                return EMPTY;
            }
            Map<String, Map<ByteBuffer, Keyed>> keys = new HashMap<>();
            byKey.forEach((k, v) -> keys.put(k, Map.copyOf(v)));
            return new Consumers(Map.copyOf(byName), Map.copyOf(keys));
        }
    }
}
