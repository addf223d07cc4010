package dev.aigw.gateway.route.match;

import dev.aigw.gateway.context.PostArgPath;

/**
 * Where a {@link VarsExpr} reads its left-hand values during one evaluation. {@link ContextVars}
 * adapts a request context to this (routes and loggers); unit tests use a map.
 */
public interface VarSource {

    /** The value of a variable such as {@code arg_name} or {@code http_x_foo}; null when unset. */
    Object var(String name);

    /**
     * The value at a compiled {@code post_arg.<path>} in the parsed request body; null when absent.
     * Only called when the evaluation was told the body is available.
     */
    Object postArg(PostArgPath path);
}
