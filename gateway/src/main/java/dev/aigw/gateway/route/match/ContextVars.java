package dev.aigw.gateway.route.match;

import dev.aigw.gateway.context.PostArgPath;
import dev.aigw.gateway.context.RequestContext;

/**
 * A request's variables as a {@link VarSource}: the context's variables, numbers as nginx's strings
 * (a resolver may hand back a number: status, a count), and {@code post_arg.*} from the body parsed by
 * Content-Type (null when the body was not read).
 */
public final class ContextVars implements VarSource {

    private final RequestContext ctx;

    private ContextVars(RequestContext ctx) {
        this.ctx = ctx;
    }

    /** The variables of one request. */
    public static ContextVars of(RequestContext ctx) {
        return new ContextVars(ctx);
    }

    /** One variable of a request as an expression sees it. */
    public static Object var(RequestContext ctx, String name) {
        Object v = ctx.var(name);
        return v instanceof Number n ? LuaValues.numberToString(n) : v;
    }

    @Override
    public Object var(String name) {
        return var(ctx, name);
    }

    @Override
    public Object postArg(PostArgPath path) {
        return ctx.postArg(path);
    }
}
