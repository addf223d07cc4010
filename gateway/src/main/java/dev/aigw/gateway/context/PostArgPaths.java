package dev.aigw.gateway.context;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Compiled {@code post_arg.*} paths looked up by text (the {@code post_arg.} variable prefix, as a log
 * format or a plugin names it), so that a path is compiled once, not per request. One per registry. Bounded: past the cap a path is compiled per use and
 * counted; invalid paths are remembered as such.
 */
final class PostArgPaths {

    private static final int MAX = 1024;
    private static final PostArgPath INVALID = PostArgPath.compile("-");
    private final ConcurrentHashMap<String, PostArgPath> cache = new ConcurrentHashMap<>();
    private final AtomicLong uncached = new AtomicLong();

    /** The compiled path, or null when it is not valid. */
    PostArgPath get(String path) {
        PostArgPath p = cache.get(path);
        if (p == null) {
            p = compile(path);
            if (cache.size() < MAX) {
                cache.putIfAbsent(path, p);
            } else {
                uncached.incrementAndGet();
            }
        }
        return p == INVALID ? null : p;
    }

    private static PostArgPath compile(String path) {
        try {
            return PostArgPath.compile(path);
        } catch (IllegalArgumentException e) {
            return INVALID;
        }
    }

    /** Lookups that were past the cap (compiled each time). */
    long uncached() {
        return uncached.get();
    }
}
