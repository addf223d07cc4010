package dev.aigw.gateway.context;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The variables that {@code vars} expressions, {@code access_log_format} and loggers can read, under
 * APISIX / nginx names ({@code remote_addr}, {@code http_user_agent}, {@code llm_model} …).
 *
 * <p>A variable is either a fixed name with a {@link Resolver}, or a prefix (such as {@code http_} or
 * {@code post_arg.}) with a {@link PrefixResolver} that receives the rest of the name. Values set on a
 * request with {@link RequestContext#setVar} win over resolvers. Registration happens at start-up
 * (core and plugin {@code init}); lookups are lock-free afterwards.
 */
public final class VariableRegistry {

    /** Computes a variable's value for one request; null means unset (rendered "-" in logs). */
    @FunctionalInterface
    public interface Resolver {
        Object resolve(RequestContext ctx);
    }

    /** Computes a prefixed variable ({@code http_x_foo}) from the part after the prefix ({@code x_foo}). */
    @FunctionalInterface
    public interface PrefixResolver {
        Object resolve(RequestContext ctx, String suffix);
    }

    private record Prefixed(String prefix, PrefixResolver resolver) {
    }

    private final Map<String, Resolver> named = new ConcurrentHashMap<>();
    private volatile List<Prefixed> prefixed = List.of();

    /** Registers (or replaces) a named variable. */
    public VariableRegistry register(String name, Resolver resolver) {
        named.put(name, resolver);
        return this;
    }

    /** Registers a prefix variable; longer prefixes are tried first. */
    public synchronized VariableRegistry registerPrefix(String prefix, PrefixResolver resolver) {
        List<Prefixed> next = new ArrayList<>(prefixed);
        next.removeIf(p -> p.prefix.equals(prefix));
        next.add(new Prefixed(prefix, resolver));
        next.sort((a, b) -> Integer.compare(b.prefix.length(), a.prefix.length()));
        prefixed = List.copyOf(next);
        return this;
    }

    /** True if the name is a registered variable or starts with a registered prefix. */
    public boolean isKnown(String name) {
        if (named.containsKey(name)) {
            return true;
        }
        for (Prefixed p : prefixed) {
            if (name.startsWith(p.prefix) && name.length() > p.prefix.length()) {
                return true;
            }
        }
        return false;
    }

    /** Resolves a variable through the registry only (ignores values set on the request). */
    public Object resolve(RequestContext ctx, String name) {
        Resolver r = named.get(name);
        if (r != null) {
            return r.resolve(ctx);
        }
        for (Prefixed p : prefixed) {
            if (name.startsWith(p.prefix) && name.length() > p.prefix.length()) {
                return p.resolver.resolve(ctx, name.substring(p.prefix.length()));
            }
        }
        return null;
    }
}
