package dev.aigw.gateway.resource;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One instance per canonical key, counted by the configurations that hold it: the first
 * {@link #acquire} creates it, the last {@link Lease#release} closes it. Configurations that differ only
 * in key order (or in fields the caller left out of the key) share one instance, as APISIX shares
 * one Redis pool per host, port, database and credentials.
 *
 * <p>Acquire and release happen when configurations are first used and when route builds drop them,
 * never per request, so one monitor is enough. Offered to plugins through
 * {@link dev.aigw.gateway.plugin.PluginEnv#shared()}.
 */
public final class SharedResources {

    private static final Logger LOG = LoggerFactory.getLogger(SharedResources.class);

    /** A held reference to a shared value; {@link #release} at most once. */
    public interface Lease<T> {
        T get();

        void release();
    }

    private static final class Entry {
        final Object value;
        final Consumer<Object> closer;
        int refs;

        Entry(Object value, Consumer<Object> closer) {
            this.value = value;
            this.closer = closer;
        }
    }

    private final Map<String, Entry> entries = new HashMap<>();
    private boolean closed;

    /**
     * The value for {@code kind} + canonical {@code key}, created with {@code factory} if nobody holds
     * one; {@code closer} runs when the last lease is released.
     */
    @SuppressWarnings("unchecked")
    public <T> Lease<T> acquire(String kind, JsonObject key, Supplier<T> factory, Consumer<T> closer) {
        String k = kind + "|" + canonical(key);
        Entry e;
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("shared resources are closed");
            }
            e = entries.get(k);
            if (e == null) {
                e = new Entry(factory.get(), (Consumer<Object>) closer);
                entries.put(k, e);
            }
            e.refs++;
        }
        Entry held = e;
        return new Lease<>() {
            private boolean released;

            @Override
            public T get() {
                return (T) held.value;
            }

            @Override
            public void release() {
                synchronized (SharedResources.this) {
                    if (released) {
                        return;
                    }
                    released = true;
                    if (--held.refs > 0 || entries.get(k) != held) {
                        return;
                    }
                    entries.remove(k);
                }
                close(held);
            }
        };
    }

    /** Number of distinct live instances (for tests and diagnostics). */
    public synchronized int size() {
        return entries.size();
    }

    /** Closes every instance still held (at shutdown). */
    public void closeAll() {
        List<Entry> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(entries.values());
            entries.clear();
        }
        all.forEach(SharedResources::close);
    }

    private static void close(Entry e) {
        try {
            e.closer.accept(e.value);
        } catch (RuntimeException ex) {
            LOG.warn("failed to close a shared resource", ex);
        }
    }

    /** JSON with object keys sorted at every level: equal configurations give equal text. */
    public static String canonical(Object v) {
        StringBuilder sb = new StringBuilder(256);
        write(sb, v, Set.of(), false);
        return sb.toString();
    }

    /**
     * A configuration's identity: {@link #canonical} without the top-level fields in {@code ignored}
     * (metadata such as {@code name} or {@code labels}), and whole numbers written as integers (a
     * timeout of 60 and one of 60.0 are the same configuration).
     */
    public static String canonicalConfig(JsonObject conf, Set<String> ignored) {
        StringBuilder sb = new StringBuilder(256);
        write(sb, conf, ignored, true);
        return sb.toString();
    }

    /** The one canonical-JSON writer; {@code ignored} applies at the top level only. */
    private static void write(StringBuilder sb, Object v, Set<String> ignored, boolean wholeNumbers) {
        if (v instanceof JsonObject o) {
            v = o.getMap();
        } else if (v instanceof JsonArray a) {
            v = a.getList();
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> sorted = new TreeMap<>();
            m.forEach((k, val) -> sorted.put(String.valueOf(k), val));
            sb.append('{');
            boolean first = true;
            for (Map.Entry<String, Object> en : sorted.entrySet()) {
                if (ignored.contains(en.getKey())) {
                    continue;
                }
                if (!first) {
                    sb.append(',');
                }
                first = false;
                sb.append(io.vertx.core.json.Json.encode(en.getKey())).append(':');
                write(sb, en.getValue(), Set.of(), wholeNumbers);
            }
            sb.append('}');
        } else if (v instanceof List<?> l) {
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                write(sb, l.get(i), Set.of(), wholeNumbers);
            }
            sb.append(']');
        } else if (wholeNumbers && v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
                && !Double.isInfinite(n.doubleValue())) {
            sb.append(n.longValue());
        } else {
            sb.append(io.vertx.core.json.Json.encode(v));
        }
    }
}
