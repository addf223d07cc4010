package dev.aigw.gateway.route.match;

/**
 * Where a {@link VarsExpr} reads its left-hand values during one evaluation. The route table
 * adapts a request context to this; unit tests use a map.
 */
public interface VarSource {

    /** The value of a variable such as {@code arg_name} or {@code http_x_foo}; null when unset. */
    Object var(String name);

    /**
     * The value at {@code path} (dot-separated keys, such as {@code model.name}) in the parsed
     * request body; null when absent. Only called when the evaluation was told the body is
     * available.
     */
    Object postArg(String path);
}
